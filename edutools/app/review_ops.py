"""Item edits made on the Review page: validated, re-checked, then saved (no streamlit here)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pydantic import ValidationError

from edutools.errors import DataError
from edutools.generate.quality import check_bank
from edutools.schema import Course, Item, ItemBank, StudentAnswer
from edutools.store import Store

__all__ = ["edit_item", "items_table", "save_edit", "supporting_answers"]

STATUSES = ("draft", "accepted", "rejected")


def edit_item(
    bank: ItemBank,
    item_id: str,
    course: Course | None,
    *,
    stem: str | None = None,
    options: Sequence[str] | None = None,
    status: str | None = None,
) -> Item:
    """The item with the given changes, validated and with its item-writing flags recomputed.

    Raises DataError (one line) when the edit breaks an item rule, e.g. two equal options.

    Example
    -------
    >>> item = edit_item(bank, "local-Q01-01", course, stem="Which is true?")  # doctest: +SKIP
    """
    try:
        item = next(i for i in bank.items if i.id == item_id)
    except StopIteration:
        raise DataError(f"no item {item_id!r} in this run") from None
    data = item.model_dump(mode="json")
    if stem is not None:
        data["stem"] = stem
    if options is not None:
        if len(options) != len(item.options):
            raise DataError(f"item {item_id!r} has {len(item.options)} options, not {len(options)}")
        for o, text in zip(data["options"], options, strict=True):
            o["text"] = text
    if status is not None:
        if status not in STATUSES:
            raise DataError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        data["status"] = status
    try:
        edited = Item.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or item_id
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "string_too_short":
            msg = "must not be empty"
        raise DataError(f"item {item_id}: {where}: {msg}") from None
    single = bank.model_copy(update={"items": [edited], "k": None})
    return check_bank(single, course).items[0]


def save_edit(store: Store, run_id: int, item: Item) -> int:
    """Save an edited item; returns its new revision number."""
    return store.save_item(run_id, item)


def items_table(bank: ItemBank) -> pd.DataFrame:
    """One row per item for the review table (options joined, flags summarised)."""
    letters = "ABCDEFGHIJ"
    rows = []
    for item in bank.items:
        rows.append(
            {
                "id": item.id,
                "question": item.question_id or "",
                "form": item.form,
                "stem": item.stem,
                "options": "\n".join(
                    f"{letters[i]}{'*' if o.is_key else ''}) {o.text}"
                    for i, o in enumerate(item.options)
                ),
                "flags": "; ".join(f.check for f in item.flags),
                "status": item.status,
            }
        )
    return pd.DataFrame(
        rows, columns=["id", "question", "form", "stem", "options", "flags", "status"]
    )


def supporting_answers(
    bank: ItemBank, course: Course | None, item: Item
) -> list[list[StudentAnswer]]:
    """For each option, the student answers that support its assertion (empty when none)."""
    answers = {a.id: a for a in course.answers} if course is not None else {}
    out = []
    for option in item.options:
        support: list[str] = []
        if option.assertion_id is not None:
            try:
                support = bank.assertion(option.assertion_id).support
            except KeyError:
                support = []
        out.append([answers[a] for a in support if a in answers])
    return out

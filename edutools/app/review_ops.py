"""What the Review page does, without streamlit: item edits (validated, re-checked, saved),
filters by question, flag and status, bulk status changes and the review table."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Sequence

import pandas as pd
from pydantic import ValidationError

from edutools.errors import DataError
from edutools.generate.quality import check_bank
from edutools.schema import Course, Flag, Item, ItemBank, StudentAnswer
from edutools.store import Store

__all__ = [
    "ANY_FLAG",
    "LETTERS",
    "NO_FLAGS",
    "STATUSES",
    "edit_item",
    "filter_items",
    "flag_counts",
    "flag_text",
    "items_table",
    "save_edit",
    "set_status",
    "supporting_answers",
    "table_version",
    "unwarned_drafts",
]

STATUSES = ("draft", "accepted", "rejected")
LETTERS = "ABCDEFGHIJ"
#: Flag filter values besides a check name: items without flags, items with any flag.
NO_FLAGS = "(no flags)"
ANY_FLAG = "(any flag)"


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


def flag_text(flag: Flag) -> str:
    """A flag's check with the option letters it concerns, e.g. ``option_spelling (B, D)``."""
    if not flag.options:
        return flag.check
    return f"{flag.check} ({', '.join(LETTERS[i] for i in flag.options if i < len(LETTERS))})"


def flag_counts(items: Sequence[Item]) -> dict[str, int]:
    """Items per flag check (an item counts once per check), most frequent first."""
    counts = Counter(check for item in items for check in {f.check for f in item.flags})
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def filter_items(
    bank: ItemBank,
    *,
    question: str | None = None,
    flag: str | None = None,
    statuses: Collection[str] | None = None,
) -> list[Item]:
    """The bank's items of one question (None = all), with a flag and in some statuses.

    ``flag`` is a check name, :data:`NO_FLAGS`, :data:`ANY_FLAG` or None (no filter).

    Example
    -------
    >>> [i.id for i in filter_items(bank, flag="option_spelling")]  # doctest: +SKIP
    ['local-Q02-03']
    """
    out = []
    for item in bank.items:
        checks = {f.check for f in item.flags}
        if question is not None and item.question_id != question:
            continue
        if statuses is not None and item.status not in statuses:
            continue
        if flag == NO_FLAGS and checks:
            continue
        if flag == ANY_FLAG and not checks:
            continue
        if flag not in (None, NO_FLAGS, ANY_FLAG) and flag not in checks:
            continue
        out.append(item)
    return out


def unwarned_drafts(items: Sequence[Item]) -> list[Item]:
    """The drafts among ``items`` that no check warned about (``info`` flags allowed)."""
    return [
        i
        for i in items
        if i.status == "draft" and not any(f.severity in ("warning", "error") for f in i.flags)
    ]


def set_status(store: Store, run_id: int, items: Sequence[Item], status: str) -> int:
    """Give every item in ``items`` the review status ``status``; returns how many changed.

    Items that already have it are left alone (a repeated click writes nothing); the flags
    stay as the checks set them.
    """
    if status not in STATUSES:
        raise DataError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    changed = 0
    for item in items:
        if item.status != status:
            store.save_item(run_id, item.model_copy(update={"status": status}))
            changed += 1
    return changed


def items_table(items: Sequence[Item]) -> pd.DataFrame:
    """One row per item for the review table: a selection box, the stem, the options (one
    per line, ``*`` marks keys), the flags with the option letters they concern, the status."""
    rows = []
    for item in items:
        rows.append(
            {
                "select": False,
                "id": item.id,
                "question": item.question_id or "",
                "form": item.form,
                "stem": item.stem,
                "options": "\n".join(
                    f"{LETTERS[i]}{'*' if o.is_key else ''}) {o.text}"
                    for i, o in enumerate(item.options)
                ),
                "flags": "; ".join(flag_text(f) for f in item.flags),
                "status": item.status,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["select", "id", "question", "form", "stem", "options", "flags", "status"],
    )


def table_version(items: Sequence[Item]) -> str:
    """A short hash of what the review table shows; it changes with every saved edit.

    The table's widget key carries it, so a saved change shows a fresh table instead of
    replaying the old table's edits over the new rows.
    """
    text = repr([(i.id, i.status, i.stem) for i in items])
    return hashlib.sha1(text.encode()).hexdigest()[:10]


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

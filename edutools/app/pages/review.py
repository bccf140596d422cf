"""Review page: edit stems and options, accept or reject, see flags and the answers behind foils.

Every edit is saved to storage as it is made (a widget callback calls
:func:`edutools.app.review_ops.edit_item` and saves a new revision of the item).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from edutools.app import resources, state
from edutools.app.review_ops import STATUSES, edit_item, items_table, save_edit, supporting_answers
from edutools.app.widgets import md_escape
from edutools.errors import DataError
from edutools.schema import Course, Item, ItemBank

_LETTERS = "ABCDEFGHIJ"
_FLASH = "review_flash"


def _save(run_id: int, bank: ItemBank, course: Course, item_id: str, **changes: Any) -> None:
    try:
        item = edit_item(bank, item_id, course, **changes)
    except DataError as exc:
        st.session_state[_FLASH] = ("error", str(exc))
        return
    revision = save_edit(resources.store(), run_id, item)
    st.session_state[_FLASH] = ("saved", f"Saved {item_id} (revision {revision}).")


def _on_field(run_id: int, bank: ItemBank, course: Course, item: Item, field: str) -> None:
    prefix = f"{run_id}-{item.id}"
    if field == "stem":
        _save(run_id, bank, course, item.id, stem=st.session_state.get(f"stem-{prefix}", item.stem))
    elif field == "options":
        texts = [
            st.session_state.get(f"opt-{prefix}-{i}", o.text) for i, o in enumerate(item.options)
        ]
        _save(run_id, bank, course, item.id, options=texts)
    else:
        _save(
            run_id,
            bank,
            course,
            item.id,
            status=st.session_state.get(f"status-{prefix}", item.status),
        )


def _on_table(run_id: int, bank: ItemBank, course: Course, key: str, ids: list[str]) -> None:
    for row, changes in st.session_state.get(key, {}).get("edited_rows", {}).items():
        wanted = {k: v for k, v in changes.items() if k in ("stem", "status")}
        if wanted:
            _save(run_id, bank, course, ids[int(row)], **wanted)


def _table(run_id: int, bank: ItemBank, course: Course, question: str | None) -> None:
    table = items_table(bank)
    if question:
        table = table[table["question"] == question].reset_index(drop=True)
    key = f"items-{run_id}-{question or 'all'}"
    st.data_editor(
        table,
        key=key,
        hide_index=True,
        disabled=["id", "question", "form", "options", "flags"],
        column_config={
            "stem": st.column_config.TextColumn("Stem", width="medium"),
            "options": st.column_config.TextColumn("Options (* = key)", width="large"),
            "status": st.column_config.SelectboxColumn("Status", options=list(STATUSES)),
        },
        on_change=_on_table,
        args=(run_id, bank, course, key, list(table["id"])),
    )


def _detail(run_id: int, bank: ItemBank, course: Course, item: Item) -> None:
    prefix = f"{run_id}-{item.id}"
    args = (run_id, bank, course, item)
    st.text_area(
        "Stem", value=item.stem, key=f"stem-{prefix}", on_change=_on_field, args=(*args, "stem")
    )
    support = supporting_answers(bank, course, item)
    for i, (option, answers) in enumerate(zip(item.options, support, strict=True)):
        role = "key" if option.is_key else "distractor"
        held = f"stated by {len(answers)} student{'s' if len(answers) != 1 else ''}"
        st.text_input(
            f"Option {_LETTERS[i]} ({role}, {held})",
            value=option.text,
            key=f"opt-{prefix}-{i}",
            on_change=_on_field,
            args=(*args, "options"),
        )
        if answers:
            with st.expander(f"Student answers behind option {_LETTERS[i]} ({len(answers)})"):
                st.dataframe(
                    pd.DataFrame(
                        {"answer": [a.id for a in answers], "text": [a.text for a in answers]}
                    ),
                    hide_index=True,
                )
    st.radio(
        "Decision",
        STATUSES,
        index=STATUSES.index(item.status),
        key=f"status-{prefix}",
        horizontal=True,
        on_change=_on_field,
        args=(*args, "status"),
    )
    for flag in item.flags:
        show = (
            st.error
            if flag.severity == "error"
            else st.warning
            if flag.severity == "warning"
            else st.info
        )
        show(f"{md_escape(flag.check)}: {md_escape(flag.message)}")


def render() -> None:
    """Review the items of the current course's selected run."""
    course = state.current_course()
    st.title("Review items", anchor=False)
    store = resources.store()
    runs = store.list_runs(course.id)
    if not runs:
        st.info("No items yet: generate them on the Generate page.")
        return
    current = state.current_run_id(course.id)
    ids = [r.run_id for r in runs]
    labels = {
        r.run_id: f"#{r.run_id} {r.engine}{' · ' + r.model if r.model else ''} · "
        f"{r.n_items} items · {r.created_at:%Y-%m-%d %H:%M}"
        for r in runs
    }
    picked: int | None = st.selectbox(
        "Generation run",
        ids,
        index=ids.index(current) if current in ids else 0,
        format_func=labels.__getitem__,
    )
    run_id = int(picked if picked is not None else ids[0])
    state.select_run(run_id)
    bank = store.load_bank(run_id)
    if flash := st.session_state.pop(_FLASH, None):
        (st.error if flash[0] == "error" else st.toast)(flash[1])
    counts = pd.Series([i.status for i in bank.items], dtype=object).value_counts()
    c = st.columns(4)
    c[0].metric("Items", len(bank.items))
    c[1].metric("Accepted", int(counts.get("accepted", 0)))
    c[2].metric("Rejected", int(counts.get("rejected", 0)))
    c[3].metric("Flagged", sum(bool(i.flags) for i in bank.items))
    question = st.selectbox(
        "Question",
        [None, *[q.id for q in course.questions]],
        format_func=lambda q: "All questions" if q is None else f"{q}: {course.question(q).text}",
    )
    _table(run_id, bank, course, question)
    items = [i for i in bank.items if question is None or i.question_id == question]
    if not items:
        return
    st.subheader("Edit an item")
    stems = {i.id: f"{i.id} ({i.form}, {i.status}): {i.stem[:80]}" for i in items}
    chosen = st.selectbox("Item", list(stems), key="review_item", format_func=stems.__getitem__)
    item = next(i for i in items if i.id == chosen)
    _detail(run_id, bank, course, item)

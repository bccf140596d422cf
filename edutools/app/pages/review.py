"""Review page: edit stems and options, accept or reject (one by one or in bulk), filter by
flag, see each item's flags with the options they concern and the answers behind options.

Every change is saved to storage as it is made, in a widget callback: an edit goes through
:func:`edutools.app.review_ops.edit_item` (validated, re-checked) and is saved as a new
revision of the item; a status change saves only the new status.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from edutools.app import resources, review_ops, state
from edutools.app.review_ops import ANY_FLAG, LETTERS, NO_FLAGS, STATUSES
from edutools.app.widgets import answers_table, md_escape, page_link, text_table
from edutools.errors import DataError
from edutools.schema import Course, Item, ItemBank

_FLASH = "review_flash"
_ROW_HEIGHT = 120  # tall enough for four wrapped options
_CONFIRM = "review_confirm"
_STATUS_NAMES = {
    "draft": "not yet reviewed",
    "accepted": "accepted",
    "rejected": "rejected",
}


def _save(run_id: int, bank: ItemBank, course: Course, item_id: str, **changes: Any) -> None:
    try:
        item = review_ops.edit_item(bank, item_id, course, **changes)
    except DataError as exc:
        st.session_state[_FLASH] = ("error", str(exc))
        return
    revision = review_ops.save_edit(resources.store(), run_id, item)
    st.session_state[_FLASH] = ("saved", f"Saved {item_id} (revision {revision}).")


def _on_field(run_id: int, bank: ItemBank, course: Course, item: Item, field: str) -> None:
    prefix = f"{run_id}-{item.id}"
    if field == "stem":
        _save(run_id, bank, course, item.id, stem=st.session_state.get(f"stem-{prefix}", item.stem))
    else:
        texts = [
            st.session_state.get(f"opt-{prefix}-{i}", o.text) for i, o in enumerate(item.options)
        ]
        _save(run_id, bank, course, item.id, options=texts)


def _set_status(run_id: int, items: list[Item], status: str) -> None:
    n = review_ops.set_status(resources.store(), run_id, items, status)
    st.session_state[_FLASH] = (
        "saved",
        f"{n} item{'s' if n != 1 else ''} {_STATUS_NAMES[status]}."
        if n
        else f"Nothing to change: the item{'s are' if len(items) != 1 else ' is'} "
        f"{_STATUS_NAMES[status]} already.",
    )
    st.session_state.pop(_CONFIRM, None)


def _on_table(run_id: int, bank: ItemBank, course: Course, key: str, ids: list[str]) -> None:
    for row, changes in st.session_state.get(key, {}).get("edited_rows", {}).items():
        item = next((i for i in bank.items if i.id == ids[int(row)]), None)
        if item is None:
            continue
        # only what differs from the stored item: an edit saved already is not written again
        wanted = {
            k: changes[k]
            for k in ("stem", "status")
            if k in changes and changes[k] != getattr(item, k)
        }
        if "stem" in wanted:
            _save(run_id, bank, course, item.id, **wanted)  # validated and re-checked
        elif wanted:
            _set_status(run_id, [item], str(wanted["status"]))


def _selected(key: str, items: list[Item]) -> list[Item]:
    edits = st.session_state.get(key, {}).get("edited_rows", {})
    return [items[int(r)] for r, c in edits.items() if c.get("select") and int(r) < len(items)]


def _on_selected(run_id: int, key: str, items: list[Item], status: str) -> None:
    picked = _selected(key, items)
    if not picked:
        st.session_state[_FLASH] = ("error", "Tick the items first (the first column).")
        return
    _set_status(run_id, picked, status)


def _table(run_id: int, bank: ItemBank, course: Course, items: list[Item], filters: str) -> str:
    table = review_ops.items_table(items)
    key = f"items-{run_id}-{filters}-{review_ops.table_version(items)}"
    st.data_editor(
        table,
        key=key,
        hide_index=True,
        row_height=_ROW_HEIGHT,
        height=min(len(items), 5) * _ROW_HEIGHT + 40,
        placeholder="",
        # the stem (the question and "which is correct?") is edited below, under Edit an item
        column_order=["select", "id", "form", "options", "flags", "status"],
        disabled=["id", "question", "form", "stem", "options", "flags"],
        column_config={
            "select": st.column_config.CheckboxColumn("✓", width=36, help="Select for bulk"),
            "id": st.column_config.TextColumn("Item", width=90),
            "form": st.column_config.TextColumn("Form", width=85),
            "options": st.column_config.TextColumn("Options (* = key)", width=360),
            "flags": st.column_config.TextColumn("Flags (options)", width=110),
            "status": st.column_config.SelectboxColumn("Status", options=list(STATUSES), width=90),
        },
        on_change=_on_table,
        args=(run_id, bank, course, key, [i.id for i in items]),
    )
    return key


def _bulk(run_id: int, key: str, items: list[Item]) -> None:
    picked = len(_selected(key, items))
    c = st.columns(3)
    actions = (
        ("accepted", "Accept selected"),
        ("rejected", "Reject selected"),
        ("draft", "Back to not reviewed"),
    )
    for col, (status, label) in zip(c, actions, strict=True):
        col.button(
            f"{label} ({picked})",
            key=f"bulk-{status}",
            disabled=not picked,
            on_click=_on_selected,
            args=(run_id, key, items, status),
            use_container_width=True,
            type="primary" if status == "accepted" else "secondary",
        )
    clean = review_ops.unwarned_drafts(items)
    ids = [i.id for i in clean]
    if st.button(
        f"Accept all without warnings ({len(clean)})",
        key="bulk-clean",
        disabled=not clean,
        help="Accept every item shown that is not reviewed yet and no check warned about",
    ):
        st.session_state[_CONFIRM] = ids
    if st.session_state.get(_CONFIRM):
        pending = [i for i in items if i.id in set(st.session_state[_CONFIRM])]
        with st.container(border=True):
            st.warning(
                f"Accept {len(pending)} items that are not reviewed yet and carry no warning? "
                "You can still reject any of them later."
            )
            y, n = st.columns(2)
            y.button(
                f"Yes, accept {len(pending)} items",
                key="bulk-clean-yes",
                type="primary",
                on_click=_set_status,
                args=(run_id, pending, "accepted"),
                use_container_width=True,
            )
            n.button(
                "Cancel",
                key="bulk-clean-no",
                on_click=lambda: st.session_state.pop(_CONFIRM, None),
                use_container_width=True,
            )


def _detail(run_id: int, bank: ItemBank, course: Course, item: Item) -> None:
    prefix = f"{run_id}-{item.id}"
    args = (run_id, bank, course, item)
    st.text_area(
        "Stem", value=item.stem, key=f"stem-{prefix}", on_change=_on_field, args=(*args, "stem")
    )
    support = review_ops.supporting_answers(bank, course, item)
    flagged: dict[int, list[str]] = {}
    for f in item.flags:
        for i in f.options:
            flagged.setdefault(i, []).append(f.check)
    for i, (option, answers) in enumerate(zip(item.options, support, strict=True)):
        role = "key" if option.is_key else "distractor"
        held = f"stated by {len(answers)} student{'s' if len(answers) != 1 else ''}"
        warn = f" · flagged: {', '.join(flagged[i])}" if i in flagged else ""
        st.text_input(
            f"Option {LETTERS[i]} ({role}, {held}){warn}",
            value=option.text,
            key=f"opt-{prefix}-{i}",
            on_change=_on_field,
            args=(*args, "options"),
        )
        if answers:
            with st.expander(f"Student answers behind option {LETTERS[i]} ({len(answers)})"):
                text_table(answers_table(answers), height=360)
    st.radio(
        "Decision",
        STATUSES,
        index=STATUSES.index(item.status),
        format_func=_STATUS_NAMES.__getitem__,
        key=f"status-{prefix}-{item.status}",
        horizontal=True,
        on_change=_on_status,
        args=(run_id, item, f"status-{prefix}-{item.status}"),
    )
    for flag in item.flags:
        show = (
            st.error
            if flag.severity == "error"
            else st.warning
            if flag.severity == "warning"
            else st.info
        )
        where = f" (option {', '.join(LETTERS[i] for i in flag.options)})" if flag.options else ""
        show(f"{md_escape(flag.check)}{where}: {md_escape(flag.message)}")


def _on_status(run_id: int, item: Item, key: str) -> None:
    _set_status(run_id, [item], str(st.session_state.get(key, item.status)))


def _filters(bank: ItemBank, course: Course) -> tuple[str | None, str | None, list[str]]:
    c1, c2, c3 = st.columns([3, 2, 3])
    question = c1.selectbox(
        "Question",
        [None, *[q.id for q in course.questions]],
        format_func=lambda q: "All questions" if q is None else f"{q}: {course.question(q).text}",
        key="review_question",
    )
    counts = review_ops.flag_counts(bank.items)
    unflagged = sum(not i.flags for i in bank.items)
    names: dict[str | None, str] = {
        None: "All items",
        NO_FLAGS: f"Without flags ({unflagged})",
        ANY_FLAG: f"With any flag ({len(bank.items) - unflagged})",
        **{check: f"{check} ({n})" for check, n in counts.items()},
    }
    flag = c2.selectbox("Flag", list(names), format_func=names.__getitem__, key="review_flag")
    statuses = c3.multiselect(
        "Status",
        list(STATUSES),
        default=list(STATUSES),
        format_func=_STATUS_NAMES.__getitem__,
        key="review_status",
    )
    return question, flag, list(statuses)


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
    if bank.run.parameters.get("reviews"):
        st.caption(
            "Generated with your claim labels"
            + (
                "; only labelled claims became options."
                if bank.run.parameters.get("confirmed_only")
                else "."
            )
        )
    if flash := st.session_state.pop(_FLASH, None):
        (st.error if flash[0] == "error" else st.toast)(flash[1])
    statuses = [i.status for i in bank.items]
    c = st.columns(5)
    c[0].metric("Items", len(bank.items))
    c[1].metric("Accepted", statuses.count("accepted"))
    c[2].metric("Rejected", statuses.count("rejected"))
    c[3].metric("Not yet reviewed", statuses.count("draft"))
    c[4].metric("Flagged", sum(bool(i.flags) for i in bank.items))
    question, flag, wanted = _filters(bank, course)
    items = review_ops.filter_items(bank, question=question, flag=flag, statuses=wanted)
    st.caption(
        f"{len(items)} of {len(bank.items)} items shown. Tick items in the first column to "
        "accept or reject them together, or set one item's status in its row; read and edit "
        "an item in full under **Edit an item**."
    )
    if not items:
        st.info("No items match these filters.")
        return
    key = _table(run_id, bank, course, items, f"{question}-{flag}-{'.'.join(wanted)}")
    _bulk(run_id, key, items)
    st.subheader("Edit an item", anchor=False)
    stems = {i.id: f"{i.id} ({i.form}, {_STATUS_NAMES[i.status]}): {i.stem[:80]}" for i in items}
    chosen = st.selectbox("Item", list(stems), key="review_item", format_func=stems.__getitem__)
    item = next(i for i in items if i.id == chosen)
    _detail(run_id, bank, course, item)
    page_link("export", "Export the accepted items", ":material/download:")

"""Export page: download the reviewed items as GIFT, Moodle XML, QTI 1.2 (zip) or CSV."""

from __future__ import annotations

import streamlit as st

from edutools import export
from edutools.app import resources, state
from edutools.schema import ItemBank

_LABELS = {
    "gift": ("GIFT", "text/plain"),
    "moodle": ("Moodle XML", "application/xml"),
    "qti": ("QTI 1.2 (Canvas, zip)", "application/zip"),
    "csv": ("CSV", "text/csv"),
}


def _download(bank: ItemBank, fmt: str, stem: str, include_rejected: bool) -> None:
    label, mime = _LABELS[fmt]
    st.download_button(
        label,
        data=lambda: export.render(bank, fmt, include_rejected=include_rejected),
        file_name=f"{stem}{export.SUFFIXES[fmt]}",
        mime=mime,
        on_click="ignore",
        key=f"download-{fmt}",
        use_container_width=True,
    )


def render() -> None:
    """Download the selected run's items in an LMS format."""
    course = state.current_course()
    st.title("Export items", anchor=False)
    run_id = state.current_run_id(course.id)
    if run_id is None:
        st.info("No items yet: generate them on the Generate page.")
        return
    bank = resources.store().load_bank(run_id)
    statuses = [i.status for i in bank.items]
    include_rejected = st.toggle("Include rejected items", value=False)
    n = (
        len(bank.items)
        if include_rejected
        else statuses.count("draft") + statuses.count("accepted")
    )
    st.caption(
        f"Run #{run_id} ({bank.run.engine}): {n} items will be exported "
        f"({statuses.count('accepted')} accepted, {statuses.count('draft')} not yet reviewed, "
        f"{statuses.count('rejected')} rejected)."
    )
    cols = st.columns(len(_LABELS))
    for col, fmt in zip(cols, _LABELS, strict=True):
        with col:
            _download(bank, fmt, f"{course.id}-run{run_id}", include_rejected)

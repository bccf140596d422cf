"""Export page: download the items you accepted (or every item not rejected, or all) as
GIFT, Moodle XML, QTI 1.2 (zip) or CSV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from edutools import export
from edutools.app import resources, state
from edutools.app.widgets import page_link
from edutools.errors import DataError
from edutools.schema import ItemBank

_LABELS = {
    "gift": ("GIFT", "text/plain"),
    "moodle": ("Moodle XML", "application/xml"),
    "qti": ("QTI 1.2 (Canvas, zip)", "application/zip"),
    "csv": ("CSV", "text/csv"),
}


def _choices(counts: dict[str, int]) -> dict[str, str]:
    a, d, r = counts["accepted"], counts["draft"], counts["rejected"]
    return {
        "accepted": f"Accepted items only ({a})",
        "reviewed": f"Accepted and not yet reviewed ({a + d})",
        "all": f"All items, rejected ones too ({a + d + r})",
    }


def _download(bank: ItemBank, fmt: str, stem: str) -> None:
    label, mime = _LABELS[fmt]
    st.download_button(
        label,
        # the selection is done: every item left is exported, whatever its status
        data=lambda: export.render(bank, fmt, include_rejected=True),
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
    counts = export.status_counts(bank)
    st.caption(
        f"Run #{run_id} ({bank.run.engine}): {len(bank.items)} items; {counts['accepted']} "
        f"accepted, {counts['draft']} not yet reviewed, {counts['rejected']} rejected."
    )
    choices = _choices(counts)
    status = st.radio(
        "Export", export.STATUSES, format_func=choices.__getitem__, key="export_status"
    )
    try:
        chosen = export.select(bank, str(status))
    except DataError as exc:
        if status != "accepted":
            st.warning(str(exc))
            return
        st.warning(
            f"No accepted items to export yet ({counts['draft']} not yet reviewed, "
            f"{counts['rejected']} rejected)."
        )
        st.markdown(
            "To accept items, open the Review page: tick items and press **Accept selected**, "
            "press **Accept all without warnings**, or accept one item at a time under "
            "*Edit an item*. To export items nobody has reviewed, choose *Accepted and not "
            "yet reviewed* above."
        )
        page_link("review", "Go to Review", ":material/rate_review:")
        return
    n = len(chosen.items)
    st.markdown(f"**{n} item{'s' if n != 1 else ''} will be exported.**")
    cols = st.columns(len(_LABELS))
    for col, fmt in zip(cols, _LABELS, strict=True):
        with col:
            _download(chosen, fmt, f"{course.id}-run{run_id}-{status}")
    with st.expander(f"The {n} items"):
        st.dataframe(
            pd.DataFrame(
                {
                    "item": [i.id for i in chosen.items],
                    "status": [i.status for i in chosen.items],
                    "stem": [i.stem for i in chosen.items],
                }
            ),
            hide_index=True,
            row_height=72,
            column_config={"stem": st.column_config.TextColumn("Stem", width="large")},
        )

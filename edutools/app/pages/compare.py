"""Compare page: item groups (source, key polarity, any metadata column) on a, b and p."""

from __future__ import annotations

import streamlit as st

from edutools.app import research
from edutools.app.pages.calibrate import REPORT
from edutools.app.widgets import error
from edutools.errors import EdutoolsError

COMPARISONS = "research_comparisons"


def render() -> None:
    """Compare groups of calibrated items: medians, tests, effect sizes, equivalence."""
    st.title("Compare item groups", anchor=False)
    report: research.CalibrationReport | None = st.session_state.get(REPORT)
    if report is None:
        st.info(
            "Calibrate responses first (Calibrate page); their item metadata define the groups."
        )
        return
    groupings = research.groupings(report)
    if not groupings:
        st.info(
            "No grouping: upload item metadata with a column such as source or key_polarity "
            "(an item bank JSON provides both)."
        )
        return
    group = st.selectbox("Group items by", groupings)
    if group is None:
        return
    try:
        table = research.compare(report, group)
    except EdutoolsError as exc:
        error(exc)
        return
    st.session_state.setdefault(COMPARISONS, {})[group] = table
    st.caption(
        "Kruskal–Wallis across groups; pairwise Mann–Whitney with Holm correction; Cliff's "
        "delta with bootstrap intervals; TOST equivalence within the stated margin."
    )
    st.dataframe(table, hide_index=True)
    st.altair_chart(research.group_chart(report, group))

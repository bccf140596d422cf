"""Compare page: item groups (source, key polarity, any metadata column) on a, b and p.

Each comparison is saved with its calibration; a reload shows the last one again.
"""

from __future__ import annotations

import streamlit as st

from edutools.app import research, research_state, resources, saved
from edutools.app.pages.calibrate import table
from edutools.app.widgets import error, md_escape
from edutools.errors import EdutoolsError


def render() -> None:
    """Compare groups of calibrated items: medians, tests, effect sizes, equivalence."""
    st.title("Compare item groups", anchor=False)
    try:
        current = research_state.current_calibration()
    except EdutoolsError as exc:
        error(exc)
        return
    if current is None:
        st.info(
            "Calibrate responses first (Calibrate page); their item metadata define the groups."
        )
        return
    info, report = current
    st.caption(f"Calibration: {md_escape(saved.label(info))}")
    groupings = research.groupings(report)
    if not groupings:
        st.info(
            "No grouping: upload item metadata with a column such as source or key_polarity "
            "(an item bank JSON provides both)."
        )
        return
    store = resources.store()
    last = saved.last_comparison_group(store, info.id)
    index = groupings.index(last) if last in groupings else 0
    group = st.selectbox("Group items by", groupings, index=index, key=f"compare_group_{info.id}")
    if group is None:
        return
    try:
        result = saved.comparison(store, info.id, report, group)
    except EdutoolsError as exc:
        error(exc)
        return
    st.caption(
        "Kruskal–Wallis across groups; pairwise Mann–Whitney with Holm correction; Cliff's "
        "delta with bootstrap intervals; TOST equivalence within the stated margin."
    )
    table(result)
    st.altair_chart(research.group_chart(report, group))

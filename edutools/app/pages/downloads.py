"""Downloads page: every researcher table as CSV, every chart as PNG."""

from __future__ import annotations

import functools

import streamlit as st

from edutools.app import research
from edutools.app.pages.calibrate import REPORT
from edutools.app.pages.compare import COMPARISONS


def render() -> None:
    """Download the tables and charts of the current calibration and comparisons."""
    st.title("Downloads", anchor=False)
    report: research.CalibrationReport | None = st.session_state.get(REPORT)
    if report is None:
        st.info("Nothing to download yet: calibrate responses first.")
        return
    tables = report.tables()
    for group, table in st.session_state.get(COMPARISONS, {}).items():
        tables[f"comparison_by_{group}"] = table
    st.subheader("Tables (CSV)")
    cols = st.columns(3)
    for i, (name, table) in enumerate(tables.items()):
        cols[i % 3].download_button(
            f"{name}.csv",
            data=table.to_csv(index=False),
            file_name=f"{name}.csv",
            mime="text/csv",
            on_click="ignore",
            key=f"csv-{name}",
        )
    st.subheader("Charts (PNG)")
    charts = dict(report.charts)
    for group in st.session_state.get(COMPARISONS, {}):
        charts[f"groups_by_{group}"] = research.group_chart(report, group)
    cols = st.columns(3)
    for i, (name, chart) in enumerate(charts.items()):
        cols[i % 3].download_button(
            f"{name}.png",
            data=functools.partial(research.chart_png, chart),
            file_name=f"{name}.png",
            mime="image/png",
            on_click="ignore",
            key=f"png-{name}",
        )

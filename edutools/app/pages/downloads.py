"""Downloads page: every researcher table as CSV, every chart as PNG, every assembled form.

Everything is regenerated from the saved analyses of the current calibration, so the files
are there after a reload or on another day.
"""

from __future__ import annotations

import functools
from typing import Any

import streamlit as st

from edutools import export
from edutools.app import research, research_state, resources, saved
from edutools.app.widgets import error, md_escape
from edutools.errors import EdutoolsError
from edutools.irt.assembly import information_chart

_FORMATS = {"gift": "GIFT", "moodle": "Moodle XML", "qti": "QTI (Canvas)", "csv": "CSV"}


def _buttons(files: dict[str, tuple[Any, str]], prefix: str) -> None:
    cols = st.columns(3)
    for i, (name, (data, mime)) in enumerate(files.items()):
        cols[i % 3].download_button(
            name, data=data, file_name=name, mime=mime, on_click="ignore", key=f"{prefix}-{name}"
        )


def render() -> None:
    """Download the tables and charts of the current calibration and its saved analyses."""
    st.title("Downloads", anchor=False)
    try:
        current = research_state.current_calibration()
    except EdutoolsError as exc:
        error(exc)
        return
    if current is None:
        st.info("Nothing to download yet: calibrate responses first.")
        return
    info, report = current
    store = resources.store()
    st.caption(f"Calibration: {md_escape(saved.label(info))}")
    comparisons = saved.saved_comparisons(store, info.id)
    difs = saved.saved_difs(store, info.id)
    tables = report.tables()
    for group, frame in comparisons.items():
        tables[f"comparison_by_{group}"] = frame
    for name, frame in difs.items():
        tables[f"dif_{name}"] = frame
    st.subheader("Tables (CSV)")
    _buttons({f"{n}.csv": (t.to_csv(index=False), "text/csv") for n, t in tables.items()}, "csv")
    st.subheader("Charts (PNG)")
    charts = dict(report.charts)
    for group in comparisons:
        charts[f"groups_by_{group}"] = research.group_chart(report, group)
    for name, frame in difs.items():
        charts[f"dif_{name}"] = research.dif_chart(frame)
    _buttons(
        {
            f"{n}.png": (functools.partial(research.chart_png, c), "image/png")
            for n, c in charts.items()
        },
        "png",
    )
    assemblies = saved.saved_assemblies(store, info.id)
    if not assemblies:
        return
    st.subheader("Assembled forms")
    for a in assemblies:
        run = saved.load_assembly(store, a.id)
        st.markdown(f"**{md_escape(a.title)}**")
        files: dict[str, tuple[Any, str]] = {}
        for f, bank in enumerate(run.banks, start=1):
            stem = f"assembly{a.id}_form{f}"
            files[f"{stem}.json"] = (bank.model_dump_json(indent=2), "application/json")
            for fmt in _FORMATS:
                suffix = export.SUFFIXES[fmt]
                files[f"{stem}{suffix}"] = (
                    functools.partial(export.render, bank, fmt),
                    "application/zip" if fmt == "qti" else "text/plain",
                )
        chart = information_chart(run.assembly)
        files[f"assembly{a.id}_information.png"] = (
            functools.partial(research.chart_png, chart),
            "image/png",
        )
        _buttons(files, f"asm{a.id}")

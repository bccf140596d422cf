"""Assemble page: test forms from the current calibration's items, exported to the LMS.

Mixed-integer programming (see :mod:`edutools.irt.assembly`) picks the items that measure
best at the target abilities, within per-concept limits, never two items that share an
assertion on one form. Every assembly is saved with its calibration; a reload shows the last.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import streamlit as st

from edutools import export, io
from edutools.app import research, research_state, resources, saved
from edutools.app.pages.calibrate import table
from edutools.app.widgets import error, md_escape
from edutools.cli.assemble import parse_thetas
from edutools.errors import EdutoolsError
from edutools.irt.assembly import Spec, information_chart
from edutools.schema import ItemBank

_FORMATS = {"moodle": "Moodle XML", "qti": "QTI zip (Canvas)", "gift": "GIFT", "csv": "CSV"}


def _bank(report: research.CalibrationReport) -> ItemBank | None:
    if isinstance(report.data.key, ItemBank):
        st.caption(
            f"Items from the item bank of {md_escape(report.data.name)} "
            f"({len(report.data.key.items)} items)."
        )
        return report.data.key
    upload = st.file_uploader(
        "Item bank (.json) of the calibrated items",
        type=["json"],
        key="assembly_bank",
        help="The items' content, concepts and assertions; item ids = the calibrated items.",
    )
    if upload is None:
        st.info("This calibration has no item bank: upload the bank its items come from.")
        return None
    try:
        with tempfile.TemporaryDirectory(prefix="edutools-upload-") as tmp:
            path = Path(tmp) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            return io.read_item_bank(path)
    except EdutoolsError as exc:
        error(exc)
        return None


def _spec(n_pool: int) -> Spec | None:
    c = st.columns(4)
    n_items = c[0].number_input(
        "Items per form", min_value=1, max_value=max(1, n_pool), value=min(20, n_pool), step=1
    )
    n_forms = c[1].number_input("Forms", min_value=1, max_value=20, value=1, step=1)
    thetas = c[2].text_input(
        "Target θ", "0", help="Where the form should measure best; several: e.g. -1, 0, 1."
    )
    overlap = c[3].number_input(
        "Items two forms may share",
        min_value=0,
        max_value=max(0, n_pool),
        value=0,
        step=1,
        disabled=n_forms == 1,
    )
    d = st.columns([1, 1, 1, 1.6])
    limit = d[0].checkbox("Limit items per concept", value=True)
    lo = d[1].number_input("At least", min_value=0, value=1, step=1, disabled=not limit)
    hi = d[2].number_input("At most", min_value=0, value=3, step=1, disabled=not limit)
    enemies = d[3].checkbox(
        "Never two items that share an assertion",
        value=True,
        help="Items whose options state the same assertion give each other away.",
    )
    try:
        return Spec(
            n_items=int(n_items),
            n_forms=int(n_forms),
            per_concept=(int(lo), int(hi)) if limit else None,
            overlap=int(overlap),
            target_theta=parse_thetas([thetas]),
            enemies=enemies,
        )
    except EdutoolsError as exc:
        error(exc)
        return None


def _show(report: research.CalibrationReport, run: saved.AssemblyRun, title: str) -> None:
    result = run.assembly
    st.subheader(md_escape(title))
    cols = st.columns(max(2, min(len(result.forms), 4) + 1))
    for f, form in enumerate(result.forms, start=1):
        rows = result.at_targets[result.at_targets["form"] == str(f)]
        value = float(rows["information"].min())
        lowest = " (the lowest over the targets)" if len(rows) > 1 else ""
        cols[(f - 1) % (len(cols) - 1)].metric(
            f"Form {f}: information",
            f"{value:.2f}",
            help=f"Test information at the target θ{lowest}; {len(form)} items; "
            f"SE of θ there: {1 / value**0.5:.2f}",
        )
    if run.baseline is not None:
        cols[-1].metric(
            f"Best of {run.n_random} random forms",
            f"{run.baseline:.2f}",
            help="Random forms that meet the same constraints (seeded).",
        )
    for note in result.notes:
        st.caption(md_escape(note))
    table(research.assembly_table(report, result, run.banks))
    st.altair_chart(information_chart(result))
    for f, bank in enumerate(run.banks, start=1):
        cols = st.columns(len(_FORMATS) + 1)
        stem = f"form{f}" if len(run.banks) > 1 else "form"
        cols[0].download_button(
            f"Form {f} item bank (.json)",
            data=bank.model_dump_json(indent=2),
            file_name=f"{stem}.json",
            mime="application/json",
            on_click="ignore",
            key=f"asm-{run.id}-{f}-json",
        )
        for i, (fmt, label) in enumerate(_FORMATS.items(), start=1):
            cols[i].download_button(
                label,
                data=functools.partial(export.render, bank, fmt),
                file_name=f"{stem}{export.SUFFIXES[fmt]}",
                on_click="ignore",
                key=f"asm-{run.id}-{f}-{fmt}",
            )


def render() -> None:
    """Assemble test forms from the current calibration and its item bank."""
    st.title("Assemble a test", anchor=False)
    try:
        current = research_state.current_calibration()
    except EdutoolsError as exc:
        error(exc)
        return
    if current is None:
        st.info("Calibrate responses first (Calibrate page): forms are drawn from its items.")
        return
    info, report = current
    st.caption(f"Calibration: {md_escape(saved.label(info))}")
    bank = _bank(report)
    if bank is None:
        return
    spec = _spec(len([i for i in bank.items if i.id in set(report.calibration.items)]))
    store = resources.store()
    if st.button("Assemble", type="primary", disabled=spec is None) and spec is not None:
        with st.spinner("Solving ..."):
            try:
                saved.run_assembly(store, info.id, report, spec, bank=bank)
            except EdutoolsError as exc:
                error(exc)
    runs = saved.saved_assemblies(store, info.id)
    if not runs:
        return
    if len(runs) > 1:
        with st.expander(f"Saved assemblies ({len(runs)})"):
            labels = {r.id: saved.label(r) for r in runs}
            chosen = st.selectbox("Assembly", list(labels), format_func=labels.__getitem__)
            if st.button("Open", disabled=chosen == runs[0].id) and chosen is not None:
                store.open_analysis(int(chosen))
                st.rerun()
    _show(report, saved.load_assembly(store, runs[0].id), runs[0].title)

"""Calibrate page: responses in (wide, long or selected options), model out with SEs, fit, charts."""

from __future__ import annotations

import math

import streamlit as st

from edutools.app import research
from edutools.app.widgets import error, md_escape
from edutools.errors import EdutoolsError

REPORT = "research_report"


def _inputs() -> research.ResponseData | None:
    source = st.radio("Responses", ["Upload a file", "Example course"], horizontal=True)
    if source == "Example course":
        st.caption(
            "Simulated: 600 students answer the example course's 68 items (human-written and "
            "local-engine items; half the responses missing by a booklet design). No real "
            "student answered these items."
        )
        return research.example_data()
    c1, c2 = st.columns(2)
    responses = c1.file_uploader(
        "Responses (CSV or XLSX)",
        type=["csv", "xlsx"],
        key="responses_upload",
        help="Wide: one row per person, one column per item, 0/1 (blank = missing), optional "
        "id column. Long: columns person, item, score. Or the selected options (A, B, ...) "
        "with an item bank as metadata.",
    )
    meta = c2.file_uploader(
        "Item metadata (optional: item bank JSON or CSV)",
        type=["json", "csv"],
        key="metadata_upload",
        help="A CSV needs an 'item' column; other columns (source, key_polarity, ...) become "
        "groupings on the Compare page.",
    )
    if responses is None:
        return None
    try:
        return research.read_response_data(
            responses.name,
            responses.getvalue(),
            metadata=(meta.name, meta.getvalue()) if meta is not None else None,
        )
    except EdutoolsError as exc:
        error(exc)
        return None


def _num(x: float) -> str:
    """Large statistics without decimals, so they fit their column."""
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.2f}"


def _show(report: research.CalibrationReport) -> None:
    cal = report.calibration
    st.subheader(f"{cal.model.upper()} on {md_escape(report.data.name)}")
    c = st.columns(6)
    c[0].metric("Persons", cal.n_persons)
    c[1].metric("Items", cal.n_items)
    c[2].metric("Log-likelihood", _num(cal.loglik))
    c[3].metric("AIC", _num(cal.aic))
    c[4].metric("BIC", _num(cal.bic))
    c[5].metric(
        "Alpha (KR-20)",
        "n/a" if math.isnan(report.alpha) else f"{report.alpha:.3f}",
        help="Undefined when no two items were answered by enough of the same persons.",
    )
    for warning in report.warnings:
        st.warning(md_escape(warning))
    for note in report.notes:
        st.caption(md_escape(note))
    tabs = st.tabs(["Parameters", "Item fit", "Classical", "Distractors", "Charts"])
    with tabs[0]:
        st.caption("mirt's convention: P = c + (1 − c) / (1 + exp(−(aθ + d))), b = −d/a.")
        st.dataframe(report.parameters, hide_index=True)
    with tabs[1]:
        st.dataframe(report.fit, hide_index=True)
    with tabs[2]:
        st.dataframe(report.ctt, hide_index=True)
    with tabs[3]:
        if report.distractors is None:
            st.info(
                "Upload the selected options (A, B, ...) with the item bank as metadata to "
                "see the choice shares and point-biserials of every option."
            )
        else:
            st.dataframe(report.distractors, hide_index=True)
    with tabs[4]:
        for chart in report.charts.values():
            st.altair_chart(chart)


def render() -> None:
    """Calibrate an IRT model on uploaded (or simulated) responses."""
    st.title("Calibrate", anchor=False)
    data = _inputs()
    model = st.selectbox("Model", research.MODELS, index=research.MODELS.index("2pl"))
    if st.button("Calibrate", type="primary", disabled=data is None) and data is not None:
        with st.spinner("Fitting ..."):
            try:
                st.session_state[REPORT] = research.run_calibration(data, str(model))
            except EdutoolsError as exc:
                error(exc)
    report = st.session_state.get(REPORT)
    if report is not None:
        _show(report)

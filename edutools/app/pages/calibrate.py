"""Calibrate page: responses in (wide, long or selected options), model out with SEs, fit, DIF, charts.

Every calibration is saved; a reload shows the last one again and older ones can be reopened.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from edutools.app import research, research_state, resources, saved
from edutools.app.widgets import error, md_escape
from edutools.errors import EdutoolsError

_PERSON_HINTS = ("group", "gender", "sex", "class", "school", "country", "language", "cohort")


_CONVENTION = {
    "dichotomous": "mirt's convention: P = c + (1 − c) / (1 + exp(−(aθ + d))), b = −d/a.",
    "divide-by-total": "Thresholds b_k (mirt's IRT parameters): P(X = k) ∝ "
    "exp(Σ_{v≤k} a(θ − b_v)); a = 1 in the PCM and RSM; b is the mean threshold.",
    "grm": "Graded response model (mirt's IRT parameters): P(X ≥ k) = 1 / (1 + exp(−a(θ − "
    "b_k))); b is the mean threshold.",
}


def _model() -> tuple[str, str]:
    c = st.columns(2)
    model = c[0].selectbox(
        "Model",
        research.MODELS,
        index=research.MODELS.index("2pl"),
        key="model",
        help="rasch, 1pl, 2pl, 3pl for 0/1 scores; pcm, gpcm, grm, rsm for scores 0..K "
        "(partial credit, e.g. select-all items or graded free-text answers).",
    )
    cml = str(model) in research.CML_MODELS
    method = c[1].radio(
        "Method",
        ["mml", "cml"],
        horizontal=True,
        key="method",
        disabled=not cml,
        format_func={"mml": "marginal ML", "cml": "conditional ML"}.__getitem__,
        help="Conditional ML (Rasch, PCM, RSM) needs no ability distribution; persons are "
        "then scored by WLE.",
    )
    return str(model), str(method) if cml else "mml"


def _inputs(polytomous: bool) -> research.ResponseData | None:
    source = st.radio(
        "Responses", ["Upload a file", "Example course"], horizontal=True, key="source"
    )
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
        help="Wide: one row per person, one column per item, 0/1 or 0..K (blank = missing), "
        "optional id column. Long: columns person, item, score. Or the selected options "
        "(A, B, ...) with an item bank as metadata.",
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
    columns = research.upload_columns(responses.name, responses.getvalue())
    person_columns = st.multiselect(
        "Person columns (not items)",
        columns[1:],
        default=[c for c in columns[1:] if c.lower() in _PERSON_HINTS],
        key=f"person_columns_{responses.file_id}",  # a new file starts from its default
        help="Columns that describe persons, such as gender or class: they are not scored, "
        "and the DIF tab compares items between their groups.",
    )
    try:
        return research.read_response_data(
            responses.name,
            responses.getvalue(),
            metadata=(meta.name, meta.getvalue()) if meta is not None else None,
            person_columns=person_columns,
            polytomous=polytomous,
        )
    except EdutoolsError as exc:
        error(exc)
        return None


def _num(x: float) -> str:
    """Large statistics without decimals, so they fit their column."""
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.2f}"


def table(frame: pd.DataFrame) -> None:
    """A table without "None": empty columns left out (and named), gaps shown as "–"."""
    shown, dropped = research.display_table(frame)
    numbers = {
        str(c): st.column_config.NumberColumn(format="%.3f")
        for c in shown.columns
        if pd.api.types.is_float_dtype(shown[c])
    }
    st.dataframe(shown, hide_index=True, placeholder="–", column_config=numbers)
    if dropped:
        st.caption(f"Not shown, as these data do not define them: {', '.join(dropped)}.")


def _distractors(report: research.CalibrationReport) -> None:
    if report.distractors is not None:
        table(report.distractors)
        return
    st.info(
        "These responses are scored 0/1, so which wrong option each person chose is not known. "
        "The distractor analysis needs the selected options: upload a CSV with one column per "
        "item holding the option letter each person chose (A, B, ... in the item bank's "
        "order; blank = not answered), with the item bank (.json) as metadata. Its keys score "
        "the choices, and this tab then shows every option's share, point-biserial and "
        "whether it functions."
    )
    st.download_button(
        "Template for these items (CSV)",
        data=research.choices_template(report),
        file_name="selected_options_template.csv",
        mime="text/csv",
        on_click="ignore",
        key="choices_template",
    )


def _dif(info_id: int, report: research.CalibrationReport) -> None:
    columns = research.person_groupings(report)
    if not columns:
        st.info(
            "Differential item functioning compares how an item works for two groups of "
            "persons of equal ability (Mantel–Haenszel, matched on the total score). Upload "
            "responses with a column that describes persons, such as gender or class, and "
            "choose it under 'Person columns'. These data have no such column."
        )
        return
    groups = report.data.groups
    assert groups is not None
    last = saved.last_dif_settings(resources.store(), info_id)

    def index(options: list[str], value: object) -> int:
        return options.index(str(value)) if value is not None and str(value) in options else 0

    c = st.columns(3)
    column = c[0].selectbox(
        "Person column", columns, index=index(columns, last.get("column")), key="dif_column"
    )
    values = sorted(str(v) for v in groups[column].dropna().unique())
    reference = c[1].selectbox(
        "Reference group", values, index=index(values, last.get("reference")),
        key=f"dif_ref_{column}",
    )  # fmt: skip
    others = ["all others", *[v for v in values if v != reference]]
    focal = c[2].selectbox(
        "Focal group", others, index=index(others, last.get("focal")), key=f"dif_focal_{column}"
    )
    if column is None or reference is None:
        return
    try:
        result = saved.dif(
            resources.store(),
            info_id,
            report,
            str(column),
            str(reference),
            None if focal == "all others" else str(focal),
        )
    except EdutoolsError as exc:
        error(exc)
        return
    st.caption(
        "ETS classes: A negligible (|Δ| < 1 or not significant), B moderate, C large "
        "(|Δ| ≥ 1.5 and significantly above 1). Positive Δ favours the focal group."
    )
    table(result)
    st.altair_chart(research.dif_chart(result, title=f"DIF by {column}"))


def _show(info_id: int, report: research.CalibrationReport) -> None:
    cal = report.calibration
    how = " by CML" if str(cal.method).lower().startswith("cml") else ""
    st.subheader(f"{cal.model.upper()}{how} on {md_escape(report.data.name)}")
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
    tabs = st.tabs(["Parameters", "Item fit", "Classical", "Distractors", "DIF", "Charts"])
    with tabs[0]:
        family = (
            getattr(cal, "family", "dichotomous")
            if cal.model in research.POLYTOMOUS
            else "dichotomous"
        )
        st.caption(_CONVENTION[family])
        table(report.parameters)
    with tabs[1]:
        table(report.fit)
    with tabs[2]:
        table(report.ctt)
    with tabs[3]:
        _distractors(report)
    with tabs[4]:
        _dif(info_id, report)
    with tabs[5]:
        for chart in report.charts.values():
            st.altair_chart(chart)


def render() -> None:
    """Calibrate an IRT model on uploaded (or simulated) responses."""
    st.title("Calibrate", anchor=False)
    model, method = _model()
    data = _inputs(model in research.POLYTOMOUS)
    if st.button("Calibrate", type="primary", disabled=data is None) and data is not None:
        with st.spinner("Fitting ..."):
            try:
                report = research.run_calibration(data, model, method=method)
                analysis_id = saved.save_calibration(resources.store(), report, model)
            except EdutoolsError as exc:
                error(exc)
            else:
                research_state.remember(analysis_id, report)
    try:
        current = research_state.current_calibration()
    except EdutoolsError as exc:
        error(exc)
        return
    research_state.saved_picker(current[0] if current else None)
    if current is not None:
        _show(current[0].id, current[1])

"""The researcher's working set: the current saved calibration.

Calibrations and everything derived from them live in storage (:mod:`edutools.app.saved`);
the session only remembers which calibration is selected. After a reload (a new session)
the most recently opened calibration is selected again, so the Calibrate, Compare, Assemble
and Downloads pages show the last analysis instead of asking to calibrate again.
"""

from __future__ import annotations

import streamlit as st

from edutools.app import research, resources, saved
from edutools.app.widgets import error
from edutools.errors import EdutoolsError
from edutools.store.analyses import AnalysisInfo

__all__ = ["current_calibration", "remember", "saved_picker", "select"]

_SELECTED = "research_calibration_id"
_FRESH = "research_fresh_report"


@st.cache_resource(show_spinner=False, max_entries=8)
def _stored_report(url: str, analysis_id: int, key: str) -> research.CalibrationReport:
    """A stored calibration's report; immutable once stored, so shared by all sessions."""
    return saved.load_calibration(resources.store(), analysis_id)


def remember(analysis_id: int, report: research.CalibrationReport) -> None:
    """Select a calibration just computed (and keep its report, to skip reloading it)."""
    st.session_state[_SELECTED] = analysis_id
    st.session_state[_FRESH] = (analysis_id, report)


def select(analysis_id: int) -> None:
    """Reopen a stored calibration: it becomes the current (and most recently opened) one."""
    resources.store().open_analysis(analysis_id)
    st.session_state[_SELECTED] = analysis_id


def current_calibration() -> tuple[AnalysisInfo, research.CalibrationReport] | None:
    """The selected calibration, by default the most recently opened one in storage."""
    store = resources.store()
    chosen = st.session_state.get(_SELECTED)
    info = store.analysis_info(int(chosen)) if chosen is not None else None
    if info is None or info.kind != "calibration":
        found = store.list_analyses("calibration", limit=1)
        if not found:
            return None
        info = found[0]
        st.session_state[_SELECTED] = info.id
    fresh = st.session_state.get(_FRESH)
    if fresh is not None and fresh[0] == info.id:
        return info, fresh[1]
    with st.spinner("Opening the saved calibration ..."):
        report = _stored_report(store.engine.url.render_as_string(), info.id, info.key)
    return info, report


def saved_picker(current: AnalysisInfo | None) -> None:
    """An expander listing the stored calibrations, to reopen an older one."""
    infos = resources.store().list_analyses("calibration")
    if len(infos) < 2 and current is not None:
        return
    if not infos:
        return
    with st.expander(f"Saved calibrations ({len(infos)})"):
        labels = {i.id: saved.label(i) for i in infos}
        ids = list(labels)
        index = ids.index(current.id) if current is not None and current.id in ids else 0
        chosen = st.selectbox(
            "Calibration", ids, index=index, format_func=labels.__getitem__, key="saved_pick"
        )
        if st.button(
            "Open", key="saved_open", disabled=current is not None and chosen == current.id
        ):
            try:
                select(int(chosen))
            except EdutoolsError as exc:
                error(exc)
            else:
                st.rerun()

"""Generate page: choose engine, model, k and form mix; watch progress per question; stop at will."""

from __future__ import annotations

import streamlit as st

from edutools.app import resources, state
from edutools.app.jobs import JobRequest
from edutools.app.widgets import generation_progress, md_escape
from edutools.errors import EdutoolsError
from edutools.generate import FormMix
from edutools.schema import Course

_ENGINES = {
    "local": "Local (no LLM, runs on this computer)",
    "anaquest": "AnaQuest (LLM, uses your students' answers)",
    "baseline": "Baseline (LLM, question and reference answer only)",
}


def _form(course: Course) -> JobRequest | None:
    settings = resources.settings()
    llm = settings.llm_configured
    engines = list(_ENGINES) if llm else ["local"]
    engine = st.radio("Engine", engines, format_func=_ENGINES.__getitem__, horizontal=True)
    if not llm:
        st.caption(
            "AnaQuest and Baseline need an LLM provider: set OPENAI_API_KEY, or OPENAI_BASE_URL "
            "for an OpenAI-compatible server (vLLM, Ollama, llama.cpp), and restart the app."
        )
    c1, c2 = st.columns(2)
    model = None
    if engine != "local":  # the local engine uses no model: no Model box for it
        model = c1.text_input("Model", value=settings.model)
    k_col = c2 if engine != "local" else c1
    k = int(k_col.number_input("Options per item (k)", min_value=2, max_value=6, value=4, step=1))
    st.markdown("**Item form mix** (shares; they need not add up to 1)")
    m1, m2, m3 = st.columns(3)
    shares = (
        m1.number_input("Which is correct", min_value=0.0, max_value=1.0, value=0.5, step=0.1),
        m2.number_input("Which is INCORRECT", min_value=0.0, max_value=1.0, value=0.3, step=0.1),
        m3.number_input("Select all correct", min_value=0.0, max_value=1.0, value=0.2, step=0.1),
    )
    try:
        mix = FormMix(*shares)
    except EdutoolsError as exc:
        st.error(str(exc))
        return None
    return JobRequest(course, str(engine), model, k, mix)


def render() -> None:
    """Run an engine over the current course."""
    course = state.current_course()
    st.title("Generate items", anchor=False)
    st.caption(f"Course: {md_escape(course.title)} · {len(course.questions)} questions")
    job = state.jobs().get(course.id)
    running = job is not None and job.running
    request = _form(course)
    if (
        st.button(
            "Generate", type="primary", disabled=running or request is None, key="start_generation"
        )
        and request is not None
    ):
        state.start_job(request)
        st.rerun()
    if job is not None:
        generation_progress(course, "generate")
    else:
        st.caption(
            "The local engine can also use your judgement: label what students claim on the "
            "**Claims** page, then re-generate there."
        )

"""Generate page: choose engine, model, k and form mix; watch progress per question; stop at will."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from edutools.app import resources, state
from edutools.app.jobs import GenerationJob, JobRequest
from edutools.app.widgets import md_escape
from edutools.errors import EdutoolsError
from edutools.generate import FormMix
from edutools.schema import Course

_SETTLED = ("generated", "resumed")
_ENGINES = {
    "local": "Local (no LLM, runs on this computer)",
    "anaquest": "AnaQuest (LLM, uses your students' answers)",
    "baseline": "Baseline (LLM, question and reference answer only)",
}


@st.cache_resource(show_spinner=False)
def _jobs() -> dict[str, GenerationJob]:
    """Jobs of this server process by course id, so a reloaded page finds its running job."""
    return {}


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
    model = c1.text_input("Model", value=settings.model, disabled=engine == "local")
    k = int(c2.number_input("Options per item (k)", min_value=2, max_value=6, value=4, step=1))
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
    return JobRequest(course, str(engine), model if engine != "local" else None, k, mix)


def _start(request: JobRequest) -> None:
    job = GenerationJob(request, resources.settings(), resources.store()).start()
    _jobs()[request.course.id] = job


@st.fragment(run_every=1.0)
def _progress(course: Course) -> None:
    job = _jobs().get(course.id)
    if job is None:
        return
    done, total = job.done, job.total
    label = f"{done} of {total} questions"
    if job.running and job.cancel.is_set():
        label += ": stopping after the questions in progress"
    st.progress(done / max(total, 1), text=label)
    status = {e.question_id: e for e in job.events}
    st.dataframe(
        pd.DataFrame(
            {
                "question": [q.id for q in course.questions],
                "status": [
                    status[q.id].status
                    if q.id in status
                    else ("waiting" if job.running else "not run")
                    for q in course.questions
                ],
                "progress": [
                    1.0 if status.get(q.id) and status[q.id].status in _SETTLED else 0.0
                    for q in course.questions
                ],
                "items": [status[q.id].items if q.id in status else None for q in course.questions],
                "note": [status[q.id].message if q.id in status else "" for q in course.questions],
            }
        ),
        hide_index=True,
        column_config={
            "progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0)
        },
    )
    if job.running:
        st.button("Stop", on_click=job.stop, disabled=job.cancel.is_set(), key="stop_generation")
        return
    if job.error:
        st.error(job.error)
    usage = job.usage
    st.success(
        f"Finished in {job.seconds:.1f} s: {job.items} new items; {usage.calls} LLM calls, "
        f"{usage.cached_calls} from the cache, {usage.prompt_tokens + usage.completion_tokens} "
        f"tokens, ${usage.cost_usd:.4f}."
    )
    if job.run_id is not None:
        state.select_run(job.run_id)
        st.info("Open **Review** in the sidebar to edit, accept or reject the items.")
    if st.session_state.get("generation_rerun") != id(job):
        # leave the fragment once so the whole page shows the finished state
        st.session_state["generation_rerun"] = id(job)
        st.rerun()


def render() -> None:
    """Run an engine over the current course."""
    course = state.current_course()
    st.title("Generate items", anchor=False)
    st.caption(f"Course: {md_escape(course.title)} · {len(course.questions)} questions")
    job = _jobs().get(course.id)
    running = job is not None and job.running
    request = _form(course)
    if (
        st.button(
            "Generate", type="primary", disabled=running or request is None, key="start_generation"
        )
        and request is not None
    ):
        _start(request)
        st.rerun()
    if job is not None:
        _progress(course)

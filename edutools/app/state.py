"""The instructor's working set: the current course and generation run.

Both live in storage; the session only remembers which ones are selected. After a reload
(a new session) the most recently updated course and its newest run are selected again, so
nothing the instructor did is lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from edutools import io
from edutools.app import resources
from edutools.schema import Course

if TYPE_CHECKING:  # the generation stack loads with the pages that run jobs, not here
    from edutools.app.jobs import GenerationJob, JobRequest

__all__ = [
    "current_course",
    "current_run_id",
    "jobs",
    "select_course",
    "select_run",
    "start_job",
]

_COURSE = "edutools_course_id"
_RUN = "edutools_run_id"


@st.cache_data(show_spinner=False)
def example_course() -> Course:
    """The bundled example course."""
    return io.read_course(io.example_course_dir())


@st.cache_resource(show_spinner=False)
def _example_saved(url: str) -> str:
    course = example_course()
    resources.store().save_course(course)
    return course.id


def current_course() -> Course:
    """The selected course; by default the latest stored one, else the example course."""
    store = resources.store()
    course_id = st.session_state.get(_COURSE)
    if course_id is None:
        stored = store.list_courses()
        course_id = (
            stored[0].course_id if stored else _example_saved(store.engine.url.render_as_string())
        )
        st.session_state[_COURSE] = course_id
    course = store.get_course(course_id)
    if course is None:  # the database was replaced under a running session
        st.session_state.pop(_COURSE, None)
        course = example_course()
        store.save_course(course)
    return course


def select_course(course: Course) -> None:
    """Store ``course`` and make it the current one (its runs become selectable)."""
    resources.store().save_course(course)
    st.session_state[_COURSE] = course.id
    st.session_state.pop(_RUN, None)


def current_run_id(course_id: str) -> int | None:
    """The selected generation run of the course; by default its newest one."""
    runs = resources.store().list_runs(course_id)
    ids = [r.run_id for r in runs]
    chosen = st.session_state.get(_RUN)
    if chosen in ids:
        return int(chosen)
    return ids[0] if ids else None


def select_run(run_id: int) -> None:
    """Make ``run_id`` the current run (Review and Export show it)."""
    st.session_state[_RUN] = run_id


@st.cache_resource(show_spinner=False)
def jobs() -> dict[str, GenerationJob]:
    """Generation jobs of this server process by course id.

    Shared by the Generate and Claims pages, so a reloaded page (a new session) finds the
    job that is still running, and only one job per course runs at a time.
    """
    return {}


def start_job(request: JobRequest) -> GenerationJob:
    """Start generating ``request`` in the background; it becomes the course's job."""
    from edutools.app.jobs import GenerationJob

    job = GenerationJob(request, resources.settings(), resources.store()).start()
    jobs()[request.course.id] = job
    return job

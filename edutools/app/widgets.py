"""Small drawing helpers shared by the pages."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from edutools.app import state
from edutools.errors import EdutoolsError
from edutools.schema import Course, StudentAnswer

__all__ = [
    "answers_table",
    "error",
    "generation_progress",
    "label_escape",
    "md_escape",
    "page_link",
    "plain_title",
    "text_table",
]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
_INLINE_SPECIAL = re.compile(r"([\\`*_{}\[\]()!|<>~$])")
_SETTLED = ("generated", "resumed")


def md_escape(text: str) -> str:
    """Escape Markdown (and the HTML angle brackets) so user text shows literally."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def label_escape(text: str) -> str:
    """Escape the inline Markdown a one-line widget label could carry (links, emphasis, code).

    Block syntax (lists, headings) cannot occur in a label, so dots and dashes stay as they are
    and screen readers read the label without stray backslashes.
    """
    return _INLINE_SPECIAL.sub(r"\\\1", text)


def plain_title(text: str) -> None:
    """A page title from user-provided text, shown literally."""
    st.title(md_escape(text), anchor=False)


def error(exc: EdutoolsError) -> None:
    """Show an edutools error as its one-line message (which names file, row and column)."""
    st.error(str(exc), icon="⚠️")


def answers_table(answers: list[StudentAnswer]) -> pd.DataFrame:
    """Student answers as answer id, grade (blank when ungraded) and text; no student ids."""
    return pd.DataFrame(
        {
            "answer": [a.id for a in answers],
            "grade": ["" if a.grade is None else f"{a.grade:g}" for a in answers],
            "text": [a.text for a in answers],
        }
    )


def text_table(table: pd.DataFrame, height: int | None = None) -> None:
    """A static table whose cells wrap, so long texts (student answers) show in full.

    Cells are shown literally (Markdown escaped); ``height`` (pixels) makes it scroll.
    """
    shown = table.copy()
    for column in shown.columns:
        if shown[column].dtype == object:
            shown[column] = [md_escape(str(v)) if v is not None else "" for v in shown[column]]
    st.table(
        shown,
        hide_index=True,
        border="horizontal",
        height=height if height is not None and len(shown) > 8 else "content",
    )


def page_link(name: str, label: str, icon: str | None = None) -> None:
    """A link to another staff page of the app (``name`` as in the navigation).

    Outside the app's navigation (a page run on its own, as in tests) it says where to go.
    """
    from edutools.app.navigation import PAGES

    page = PAGES.get(name)
    if page is not None:
        try:
            st.page_link(page, label=label, icon=icon)
            return
        except StreamlitAPIException:
            pass  # not registered in this run: fall back to words
    st.markdown(f"Open **{md_escape(label)}** in the sidebar.")


@st.fragment(run_every=1.0)
def generation_progress(course: Course, origin: str) -> None:
    """The course's generation job: a progress bar and one row per question, live.

    A page shows the job it started (``origin``: ``generate`` or ``claims``) and any job
    that is still running. When the job has finished, its run becomes the current one
    (Review and Export show it).
    """
    job = state.jobs().get(course.id)
    if job is None or (job.request.origin != origin and not job.running):
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
                "items": [
                    str(status[q.id].items) if q.id in status else "" for q in course.questions
                ],
                "note": [status[q.id].message if q.id in status else "" for q in course.questions],
            }
        ),
        hide_index=True,
        row_height=72,  # above 64 px a cell wraps its text: the notes show in full
        column_config={
            "question": st.column_config.TextColumn("Question", width=80),
            "status": st.column_config.TextColumn("Status", width=90),
            "progress": st.column_config.ProgressColumn(
                "Progress", min_value=0.0, max_value=1.0, width=120
            ),
            "items": st.column_config.TextColumn("Items", width=50),
            "note": st.column_config.TextColumn("Note", width="large"),
        },
    )
    if job.running:
        st.button("Stop", on_click=job.stop, disabled=job.cancel.is_set(), key="stop_generation")
        return
    if job.error:
        st.error(job.error)
    usage = job.usage
    what = f"{job.items} items"
    if job.request.origin == "claims":
        n = sum(len(r.labels) for r in job.request.reviews.values())
        what += f" with your labels of {n} claim{'s' if n != 1 else ''}" + (
            " (only labelled claims as options)" if job.request.confirmed_only else ""
        )
    if job.request.engine != "local":
        what += (
            f"; {usage.calls} LLM calls, {usage.cached_calls} from the cache, "
            f"{usage.prompt_tokens + usage.completion_tokens} tokens, ${usage.cost_usd:.4f}"
        )
    st.success(f"Finished in {job.seconds:.1f} s: {what}.")
    if job.run_id is not None:
        state.select_run(job.run_id)
        page_link("review", "Review the items: edit, accept or reject", ":material/rate_review:")
        if job.request.engine == "local" and job.request.origin != "claims":
            page_link(
                "claims",
                "Or first label what students claim, then re-generate",
                ":material/fact_check:",
            )
    if st.session_state.get("generation_rerun") != id(job):
        # leave the fragment once so the whole page shows the finished state
        st.session_state["generation_rerun"] = id(job)
        st.rerun()

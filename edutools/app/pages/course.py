"""Course page: pick the example course or upload one; see its questions and student answers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from edutools.app import resources, state, uploads
from edutools.app.widgets import answers_table, error, md_escape, plain_title, text_table
from edutools.errors import DataError
from edutools.schema import Course


def _upload() -> None:
    with st.expander("Load another course", expanded=False):
        st.caption(
            "A zipped folder of CSV files (concepts.csv, questions.csv, answers.csv, optional "
            "course.csv), an Excel workbook with those sheets, or a JSON file."
        )
        file = st.file_uploader("Course file", type=["zip", "xlsx", "json"], key="course_upload")
        if file is not None and st.button("Load this course", type="primary"):
            try:
                course = uploads.read_course_upload(file.name, file.getvalue())
            except DataError as exc:
                error(exc)
            else:
                state.select_course(course)
                st.success(
                    f"Loaded {len(course.questions)} questions and {len(course.answers)} answers."
                )
        stored = resources.store().list_courses()
        cols = st.columns(2)
        if cols[0].button("Use the example course"):
            state.select_course(state.example_course())
            st.rerun()
        if len(stored) > 1:
            ids = [c.course_id for c in stored]
            titles = {c.course_id: c.title for c in stored}
            pick = cols[1].selectbox(
                "Or switch to a stored course", ids, index=None, format_func=lambda i: titles[i]
            )
            if pick is not None:
                chosen = resources.store().get_course(pick)
                if chosen is not None:
                    state.select_course(chosen)
                    st.rerun()


def _overview(course: Course) -> None:
    plain_title(course.title)
    if course.description:
        st.caption(md_escape(course.description))
    students = len({a.student_id for a in course.answers})
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Concepts", len(course.concepts))
    c2.metric("Questions", len(course.questions))
    c3.metric("Student answers", len(course.answers))
    c4.metric("Students", students)

    st.subheader("Questions")
    counts = pd.Series([a.question_id for a in course.answers], dtype=object).value_counts()
    concept_names = {c.id: c.name for c in course.concepts}
    st.dataframe(
        pd.DataFrame(
            {
                "id": [q.id for q in course.questions],
                "concept": [concept_names[q.concept_id] for q in course.questions],
                "question": [q.text for q in course.questions],
                "answers": [int(counts.get(q.id, 0)) for q in course.questions],
            }
        ),
        hide_index=True,
        row_height=72,
        column_config={"question": st.column_config.TextColumn("question", width="large")},
    )
    question = st.selectbox(
        "Read the answers to", course.questions, format_func=lambda q: f"{q.id}: {q.text}"
    )
    if question is not None:
        st.markdown("**Reference answer**")
        st.text(question.reference_answer)
        # a static table: every answer shows in full, however long
        text_table(answers_table(course.answers_to(question.id)), height=520)


def render() -> None:
    """Show the current course (the example course until another one is loaded)."""
    top = st.container()
    _upload()  # before the overview runs, so a course loaded now is the one shown
    with top:
        _overview(state.current_course())

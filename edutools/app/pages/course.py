"""Course page: the loaded course, its concepts, questions and student answers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from edutools import io
from edutools.schema import Course


@st.cache_data(show_spinner=False)
def _example_course() -> Course:
    return io.read_course(io.example_course_dir())


def render() -> None:
    """Show the course in session (the bundled example course by default)."""
    course: Course = st.session_state.get("course") or _example_course()
    st.title(course.title)
    if course.description:
        st.caption(course.description)
    students = len({a.student_id for a in course.answers})
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Concepts", len(course.concepts))
    c2.metric("Questions", len(course.questions))
    c3.metric("Student answers", len(course.answers))
    c4.metric("Students", students)

    st.subheader("Questions")
    counts = pd.Series([a.question_id for a in course.answers]).value_counts()
    concept_names = {c.id: c.name for c in course.concepts}
    table = pd.DataFrame(
        {
            "id": [q.id for q in course.questions],
            "concept": [concept_names[q.concept_id] for q in course.questions],
            "question": [q.text for q in course.questions],
            "answers": [int(counts.get(q.id, 0)) for q in course.questions],
        }
    )
    st.dataframe(table, hide_index=True)

    question = st.selectbox(
        "Read the answers to", course.questions, format_func=lambda q: f"{q.id}: {q.text}"
    )
    if question is not None:
        st.markdown("**Reference answer**")
        st.text(question.reference_answer)
        answers = course.answers_to(question.id)
        st.dataframe(
            pd.DataFrame(
                {
                    "answer": [a.id for a in answers],
                    "text": [a.text for a in answers],
                    "grade": [a.grade for a in answers],
                }
            ),
            hide_index=True,
        )

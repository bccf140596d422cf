"""AppTest of the course page: the bundled example course is shown by default."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from edutools import io

APP = str(Path(__file__).parents[2] / "app.py")


def test_course_page_shows_the_example_course() -> None:
    course = io.read_course(io.example_course_dir())
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == course.title
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Questions"] == str(len(course.questions))
    assert metrics["Student answers"] == str(len(course.answers))
    assert len(at.dataframe[0].value) == len(course.questions)

"""AppTest of the course page: the example course by default; uploads with inline errors."""

from __future__ import annotations

import io as _io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from edutools import io
from edutools.schema import Course


def _zip_folder(folder: Path, inside: str = "course") -> bytes:
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(folder.glob("*.csv")):
            z.writestr(f"{inside}/{f.name}", f.read_bytes())
    return buf.getvalue()


def _small_course() -> Course:
    course = io.read_course(io.example_course_dir())
    keep = course.questions[:2]
    return Course(
        id="mini",
        title="Mini <b>course</b>",
        concepts=[c for c in course.concepts if c.id in {q.concept_id for q in keep}],
        questions=keep,
        answers=[a for a in course.answers if a.question_id in {q.id for q in keep}],
    )


def test_example_course_is_shown_by_default(app: Callable[..., AppTest]) -> None:
    course = io.read_course(io.example_course_dir())
    at = app().run()
    assert not at.exception
    assert course.title.split(" (")[0] in at.title[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Questions"] == str(len(course.questions))
    assert metrics["Student answers"] == str(len(course.answers))
    assert len(at.dataframe[0].value) == len(course.questions)
    assert "listens on 127.0.0.1 only" in at.info[0].value


def _upload_and_load(at: AppTest, name: str, data: bytes, mime: str) -> AppTest:
    at.file_uploader(key="course_upload").set_value((name, data, mime))
    at.run()
    next(b for b in at.button if b.label == "Load this course").click()
    return at.run()


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("json", id="json"),
        pytest.param("xlsx", id="xlsx"),
        pytest.param("zip", id="zip"),
    ],
)
def test_upload_replaces_the_course(app: Callable[..., AppTest], tmp_path: Path, kind: str) -> None:
    course = _small_course()
    if kind == "zip":
        io.write_course(course, tmp_path / "mini")
        data, mime = _zip_folder(tmp_path / "mini"), "application/zip"
    else:
        path = io.write_course(course, tmp_path / f"mini.{kind}")
        data, mime = path.read_bytes(), "application/octet-stream"
    at = _upload_and_load(app().run(), f"mini.{kind}", data, mime)
    assert not at.exception
    assert not at.error, at.error[0].value
    # The title is shown literally: the tag is text, not markup.
    assert at.title[0].value == r"Mini \<b\>course\</b\>"
    assert {m.label: m.value for m in at.metric}["Questions"] == "2"


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        pytest.param(
            "bad.json",
            b'{"id": "x", "title": "X", "concepts": [{"id": "c", "name": "C"}], '
            b'"questions": [{"id": "q", "concept_id": "nope", "text": "T", "reference_answer": "R"}]}',
            "bad.json, questions row 1, column 'concept_id'",
            id="json-unknown-concept",
        ),
        pytest.param("empty.json", b"", "empty.json: the file is empty", id="empty-json"),
        pytest.param(
            "broken.zip", b"not a zip", "broken.zip: not a valid zip archive", id="bad-zip"
        ),
    ],
)
def test_upload_errors_are_inline(
    app: Callable[..., AppTest], name: str, payload: bytes, message: str
) -> None:
    at = app().run()
    at = _upload_and_load(at, name, payload, "application/octet-stream")
    assert not at.exception
    assert message in at.error[0].value
    # the example course is still the current one
    assert {m.label: m.value for m in at.metric}["Questions"] == str(
        len(io.read_course(io.example_course_dir()).questions)
    )


def test_zip_error_names_row_and_column(app: Callable[..., AppTest], tmp_path: Path) -> None:
    course = _small_course()
    folder = io.write_course(course, tmp_path / "mini")
    answers = (folder / "answers.csv").read_text().splitlines()
    answers[2] = answers[2].replace(course.answers[1].question_id, "Q99", 1)
    (folder / "answers.csv").write_text("\n".join(answers) + "\n")
    at = _upload_and_load(app().run(), "mini.zip", _zip_folder(folder), "application/zip")
    assert "answers.csv, row 3, column 'question_id'" in at.error[0].value


def test_answers_show_blank_grades_and_no_student_ids(app: Callable[..., AppTest]) -> None:
    course = io.read_course(io.example_course_dir())
    question = course.questions[0]
    answers = course.answers_to(question.id)
    assert any(a.grade is None for a in answers), "the example has ungraded answers"
    at = app().run()
    table = at.table[0].value
    assert list(table.columns) == ["answer", "grade", "text"]
    assert list(table["answer"]) == [a.id for a in answers]
    shown = [re.sub(r"\\(.)", r"\1", g) for g in table["grade"]]  # cells are Markdown-escaped
    assert shown == ["" if a.grade is None else f"{a.grade:g}" for a in answers]
    assert not {a.student_id for a in answers} & set(table.to_numpy().ravel())

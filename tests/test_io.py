"""Readers and writers: lossless round trips through every format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from edutools import io
from edutools.errors import DataError
from edutools.io import responses
from edutools.schema import Concept, Course, Question, StudentAnswer


def _course() -> Course:
    return Course(
        id="bio101",
        title="Biology 101",
        description="Intro course",
        concepts=[
            Concept(id="C1", name="Photosynthesis", description="Carbon fixation"),
            Concept(id="C2", name="Cells"),
        ],
        questions=[
            Question(
                id="Q1",
                concept_id="C1",
                text="Where does a tree's mass come from?",
                reference_answer="CO2, fixed by photosynthesis.",
            ),
            Question(
                id="Q2",
                concept_id="C2",
                text='What is a "cell"?',
                reference_answer="The basic unit of life.",
            ),
        ],
        answers=[
            StudentAnswer(
                id="A1",
                student_id="s1",
                question_id="Q1",
                text="From the soil, I think.\nAlso water, 100%.",
                grade=0.0,
            ),
            StudentAnswer(
                id="A2", student_id="s2", question_id="Q1", text="CO₂ from the air 🌳", grade=1.0
            ),
            StudentAnswer(id="A3", student_id="s1", question_id="Q2", text="", grade=None),
            StudentAnswer(
                id="A4", student_id="s3", question_id="Q2", text='a "unit", of life', grade=0.5
            ),
        ],
    )


@pytest.mark.parametrize(
    "target", ["folder", "course.xlsx", "course.json"], ids=["csv", "xlsx", "json"]
)
def test_course_round_trip(tmp_path: Path, target: str) -> None:
    course = _course()
    path = io.write_course(course, tmp_path / target)
    assert io.read_course(path) == course
    assert io.detect_kind(path) == "course"


def test_course_folder_without_course_csv_takes_folder_name(tmp_path: Path) -> None:
    course = _course()
    folder = io.write_course(course, tmp_path / "intro_bio")
    (folder / "course.csv").unlink()
    loaded = io.read_course(folder)
    assert (loaded.id, loaded.title) == ("intro_bio", "Intro Bio")
    assert loaded.answers == course.answers


def test_answers_file_is_optional(tmp_path: Path) -> None:
    folder = io.write_course(_course(), tmp_path / "c")
    (folder / "answers.csv").unlink()
    assert io.read_course(folder).answers == []


def test_csv_quirks_bom_crlf_blank_lines(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "concepts.csv").write_bytes("\ufeffID,Name\r\nC1,Cells\r\n\r\n".encode())
    (folder / "questions.csv").write_text(
        "id,concept_id,text,reference_answer\nQ1,C1,What?,That.\n", encoding="utf-8"
    )
    course = io.read_course(folder)
    assert course.concepts == [Concept(id="C1", name="Cells")]


def test_example_course_is_bundled() -> None:
    assert (io.example_course_dir() / "questions.csv").exists()


# --------------------------------------------------------------------------- responses


def _matrix() -> pd.DataFrame:
    return pd.DataFrame(
        [[1, 0, np.nan], [0, 1, 1], [np.nan, 1, 0]],
        index=pd.Index(["p1", "p2", "p3"], name="person"),
        columns=pd.Index(["Q1", "Q2", "Q3"], name="item"),
        dtype=float,
    )


@pytest.mark.parametrize(
    ("name", "shape"),
    [("r.csv", "wide"), ("r.xlsx", "wide"), ("r.csv", "long"), ("r.xlsx", "long")],
    ids=["wide-csv", "wide-xlsx", "long-csv", "long-xlsx"],
)
def test_responses_round_trip(tmp_path: Path, name: str, shape: str) -> None:
    path = io.write_responses(_matrix(), tmp_path / name, shape=shape)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(io.read_responses(path), _matrix())


@pytest.mark.parametrize("token", ["", "NA", "na", "NaN", ".", "null", "N/A"])
def test_missing_value_spellings(tmp_path: Path, token: str) -> None:
    p = tmp_path / "r.csv"
    p.write_text(f"id,A,B\nx,1,{token}\ny,0,1\nz,1,0\n", encoding="utf-8")
    frame = io.read_responses(p)
    assert np.isnan(frame.loc["x", "B"])
    assert frame.index.name == "person"


def test_wide_without_id_column_numbers_persons(tmp_path: Path, data_dir: Path) -> None:
    frame = io.read_responses(data_dir / "lsat7.csv")
    assert frame.shape == (1000, 5)
    assert list(frame.index[:3]) == ["1", "2", "3"]
    assert frame.sum().tolist() == [828.0, 658.0, 772.0, 606.0, 843.0]


def test_constant_items_allowed_on_request(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_text("A,B\n1,1\n0,1\n", encoding="utf-8")
    assert io.read_responses(p, allow_constant=True)["B"].tolist() == [1.0, 1.0]


def test_long_format_with_missing_cells(tmp_path: Path) -> None:
    p = tmp_path / "long.csv"
    p.write_text(
        "Person,Item,Score\nann,i1,1\nann,i2,0\nbob,i1,0\nbob,i2,1\ncid,i2,1\ncid,i1,\n",
        encoding="utf-8",
    )
    frame = io.read_responses(p)
    assert frame.loc["cid", "i2"] == 1.0
    assert np.isnan(frame.loc["cid", "i1"])
    assert list(frame.columns) == ["i1", "i2"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("person,A,B\nx,1,NA\ny,0,\nz,1,0\n", id="ids-and-na"),
        pytest.param("A,B,C\n1,0,1\n0,.,1\nnan,1,0\n", id="no-ids"),
        pytest.param("student_id,A,B\n007,1.0,0.0\n010,0,1\n", id="numeric-looking-ids"),
        pytest.param("A,B\n1,yes\n0,1\n", id="bad-token-falls-back"),
    ],
)
def test_fast_and_careful_parsers_agree(
    tmp_path: Path, body: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "r.csv"
    p.write_text(body, encoding="utf-8")

    def read(path: Path) -> pd.DataFrame | str:
        try:
            return io.read_responses(path)
        except DataError as exc:
            return str(exc)

    fast = read(p)
    monkeypatch.setattr(responses, "_fast_wide_csv", lambda *_: None)
    careful = read(p)
    if isinstance(fast, str):
        assert fast == careful
    else:
        assert isinstance(careful, pd.DataFrame)
        pd.testing.assert_frame_equal(fast, careful)


def _write_course_csv(folder: Path, questions: str) -> Path:
    folder.mkdir()
    (folder / "concepts.csv").write_text("id,name\nC1,Circuits\n", encoding="utf-8")
    (folder / "questions.csv").write_text(questions, encoding="utf-8")
    return folder


def test_several_reference_answers_from_csv_columns(tmp_path: Path) -> None:
    folder = _write_course_csv(
        tmp_path / "c",
        "id,concept_id,text,reference_answer,reference_answer_3,reference_answer_2\n"
        "Q1,C1,Why is bulb A on?,A is in a closed path with the battery.,,A is connected to the battery.\n"
        "Q2,C1,What is voltage?,A difference in electrical state.,,\n",
    )
    course = io.read_course(folder)
    q1, q2 = course.questions
    assert q1.references == [
        "A is in a closed path with the battery.",
        "A is connected to the battery.",
    ]
    assert q2.extra_references == []
    # written back and read again: the same course, in CSV and JSON
    for out in (tmp_path / "again", tmp_path / "again.json"):
        assert io.read_course(io.write_course(course, out)).questions == course.questions


def test_several_reference_answers_from_json(tmp_path: Path) -> None:
    payload = {
        "id": "c",
        "title": "C",
        "concepts": [{"id": "C1", "name": "Circuits"}],
        "questions": [
            {
                "id": "Q1",
                "concept_id": "C1",
                "text": "Why?",
                "reference_answer": "Closed path.",
                "extra_references": ["Connected to the battery."],
            }
        ],
    }
    path = tmp_path / "c.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    assert io.read_course(path).questions[0].references == [
        "Closed path.",
        "Connected to the battery.",
    ]
    payload["questions"][0]["extra_references"] = "Connected."  # type: ignore[index]
    path.write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(
        DataError, match=r"questions row 1, column 'extra_references': expected a list"
    ):
        io.read_course(path)


def test_unknown_question_column_still_rejected(tmp_path: Path) -> None:
    folder = _write_course_csv(
        tmp_path / "c", "id,concept_id,text,reference_answer,reference_answer_x\nQ1,C1,Why?,So.,\n"
    )
    with pytest.raises(DataError, match="unexpected column 'reference_answer_x'"):
        io.read_course(folder)


# --------------------------------------------------------------------------- polytomous, text


@pytest.mark.parametrize("careful", [False, True], ids=["fast", "careful"])
def test_polytomous_scores_are_opt_in(
    tmp_path: Path, careful: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if careful:
        monkeypatch.setattr(responses, "_fast_wide_csv", lambda *_: None)
    p = tmp_path / "r.csv"
    p.write_text("person,A,B\nx,0,3\ny,2,1\nz,3,\n", encoding="utf-8")
    frame = io.read_responses(p, max_score=3)
    assert frame.loc["y"].tolist() == [2.0, 1.0]
    with pytest.raises(DataError, match=r"row 3, column 'A': score '2' is not 0 or 1"):
        io.read_responses(p)
    with pytest.raises(
        DataError,
        match=r"row 4, column 'A': score '3' is out of range; "
        r"expected a whole number from 0 to 2, or blank/NA for missing",
    ):
        io.read_responses(p, max_score=2)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_max_score_must_be_a_positive_whole_number(tmp_path: Path, bad: object) -> None:
    with pytest.raises(DataError, match="max_score"):
        io.read_responses(tmp_path / "r.csv", max_score=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        pytest.param("a\x0bb", "a\nb", id="vertical-tab"),
        pytest.param("a\x0cb\r\nc\rd", "a\nb\nc\nd", id="form-feed-crlf-cr"),
        pytest.param("a\u2028b\u2029c", "a\nb\nc", id="unicode-separators"),
        pytest.param("a\x00b\x08c\x1fd\ufffee\uffff", "abcde", id="c0-and-nonchars"),
        pytest.param("a\u200bb\ufeffc", "abc", id="zero-width"),
        pytest.param(
            "tab\there, émoji 🌳, 中文, \u00ad", "tab\there, émoji 🌳, 中文, \u00ad", id="kept"
        ),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert io.clean_text(raw) == clean


@pytest.mark.parametrize("target", ["c.xlsx", "c", "c.json"], ids=["xlsx", "csv", "json"])
def test_control_characters_never_break_a_written_course(tmp_path: Path, target: str) -> None:
    course = _course()
    course.questions[0].text = "Where does a tree's\x0bmass come from?\x01"
    loaded = io.read_course(io.write_course(course, tmp_path / target))
    assert loaded.questions[0].text == "Where does a tree's\nmass come from?"

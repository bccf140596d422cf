"""The valid-but-unusual corpus: files as spreadsheets and gradebooks save them are accepted.

Regenerate the corpus with ``python tests/data/unusual/make_corpus.py``. Each course holds
the same small course written a different way; each response file the same 4 x 3 matrix.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _cli import cli_runner

from edutools import io
from edutools.cli import app
from edutools.schema import Course

UNUSUAL = Path(__file__).parent / "data" / "unusual"
FILES = sorted(p.name for p in UNUSUAL.iterdir() if p.name != "make_corpus.py")
XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

runner = cli_runner()


def test_corpus_is_broad() -> None:
    assert len(FILES) >= 30


@pytest.mark.parametrize("name", FILES)
def test_validate_accepts(name: str) -> None:
    result = runner.invoke(app, ["validate", str(UNUSUAL / name)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith(": OK\n")


def _reference() -> Course:
    return io.read_course(UNUSUAL / "course_excel_windows")


def _content(course: Course) -> tuple[object, ...]:
    return (course.concepts, course.questions, course.answers)


@pytest.mark.parametrize(
    "name",
    [
        "course_excel_european",
        "course_tab_separated",
        "course_excel_unicode_text",
        "course_mac_classic",
        "course_google_sheets",
        "course_capitalised_files",
        "course_header_spellings",
        "course_trailing_blanks",
        "course_excel.xlsx",
        "course_blank_columns.xlsx",
    ],
)
def test_every_spelling_reads_as_the_same_course(name: str) -> None:
    assert _content(io.read_course(UNUSUAL / name)) == _content(_reference())


def test_reference_course_content() -> None:
    course = _reference()
    assert [c.id for c in course.concepts] == ["C1", "C2"]
    assert [(a.id, a.text, a.grade) for a in course.answers] == [
        ("A1", "From the soil", 0.0),
        ("A2", "From CO2, via photosynthesis", 1.0),
        ("A3", "to make energy", 0.5),
        ("A4", "", None),  # a student who submitted nothing: kept, never mined
    ]


def test_answer_longer_than_the_csv_field_limit() -> None:
    course = io.read_course(UNUSUAL / "course_long_answer")
    text = course.answers[1].text
    assert len(text) > 131_072
    assert text.startswith("Carbon dioxide from the air")
    assert text.endswith("sugars.")


def test_quoted_cells_over_several_lines() -> None:
    course = io.read_course(UNUSUAL / "course_multiline_cells")
    assert course.questions[0].reference_answer == (
        "From carbon dioxide in the air,\nfixed by photosynthesis."
    )
    assert course.answers[1].text == 'From CO2,\nvia "photosynthesis"\n\n- not the soil'


@pytest.mark.parametrize("name", ["course_excel_numbers", "course_excel_numbers.xlsx"])
def test_excel_numbers_are_ids(name: str) -> None:
    course = io.read_course(UNUSUAL / name)
    assert [c.id for c in course.concepts] == ["1", "2"]
    assert [(q.id, q.concept_id) for q in course.questions] == [("10", "1"), ("11", "2")]
    assert [(a.student_id, a.question_id, a.grade) for a in course.answers] == [
        ("1001", "10", 0.0),
        ("1002", "10", 1.0),
    ]


def test_word_paste_is_normalised() -> None:
    course = io.read_course(UNUSUAL / "course_word_paste")
    q = course.questions[0]
    assert q.text == "Where does most of a tree\u2019s mass\ncome from?"
    assert q.reference_answer == "From carbon dioxide\nin the air."
    assert course.answers[1].text == "From CO\u2082\nvia photo\u00adsynthesis \U0001f333"
    texts = [q.text, q.reference_answer, *(a.text for a in course.answers)]
    assert not any(XML_FORBIDDEN.search(t) for t in texts)


def test_grade_spellings() -> None:
    course = io.read_course(UNUSUAL / "course_grade_spellings")
    assert [a.grade for a in course.answers] == [0.0, 1.0, 0.5, None]


def test_several_references() -> None:
    q1, q2 = io.read_course(UNUSUAL / "course_several_references").questions
    assert q1.extra_references == ["Mostly from CO2 taken from the air."]
    assert q2.extra_references == []


def test_json_with_bom_numbers_and_nulls() -> None:
    course = io.read_course(UNUSUAL / "course_bom_numbers_nulls.json")
    assert course.description == ""
    assert course.concepts[0].id == course.questions[0].concept_id == "1"
    assert course.questions[0].text == "Where does mass come from?\nThink."
    assert [(a.student_id, a.text, a.grade) for a in course.answers] == [
        ("1001", "", None),
        ("1002", "air", 1.0),
    ]


def test_bank_control_characters_are_normalised() -> None:
    bank = io.read_item_bank(UNUSUAL / "bank_control_characters.json")
    item = bank.items[0]
    assert item.stem == "Which statement about plant mass\nis correct?"
    assert [o.text for o in item.options][0::2] == [
        "It comes mostly from carbon dioxide.",
        "It comes mostly from water alone.",
    ]


EXPECTED = np.array([[1, 0, np.nan], [0, 1, 1], [1, 1, 0], [0, 0, 1]], dtype=float)


@pytest.mark.parametrize("name", [n for n in FILES if n.startswith("resp_")])
def test_every_response_spelling_reads_as_the_same_matrix(name: str) -> None:
    frame = io.read_responses(UNUSUAL / name)
    assert list(frame.columns) == ["Q1", "Q2", "Q3"]
    np.testing.assert_array_equal(frame.to_numpy(), EXPECTED)
    expected_ids = ["1001", "1002", "1003", "1004"] if "floats.xlsx" in name else None
    assert list(frame.index) == (expected_ids or ["p1", "p2", "p3", "p4"])


def test_booleans_read_alike_from_csv_and_xlsx() -> None:
    pd.testing.assert_frame_equal(
        io.read_responses(UNUSUAL / "resp_booleans.csv"),
        io.read_responses(UNUSUAL / "resp_booleans.xlsx"),
    )

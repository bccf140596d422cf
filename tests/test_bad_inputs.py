"""The malformed-input corpus: every file gives its exact one-line message and exit code 2.

Regenerate the corpus with ``python tests/data/bad/make_corpus.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _cli import cli_runner

from edutools import io
from edutools.cli import app
from edutools.errors import DataError

BAD = Path(__file__).parent / "data" / "bad"

CASES = [
    # response matrices
    (
        "resp_not_binary.csv",
        "resp_not_binary.csv, row 4, column 'Q3': score '2' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    (
        "resp_text_score.csv",
        "resp_text_score.csv, row 3, column 'Q1': score 'yes' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    (
        "resp_fraction.xlsx",
        "resp_fraction.xlsx, row 3, column 'Q2': score '0.5' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    (
        "resp_constant_column.csv",
        "resp_constant_column.csv, column 'Q2': every person has score 1; an item without variance cannot be calibrated, so remove the column",
    ),
    (
        "resp_all_missing_column.csv",
        "resp_all_missing_column.csv, column 'Q2': has no responses at all; remove the column or fill in scores",
    ),
    (
        "resp_empty.csv",
        "resp_empty.csv: the file is empty; expected a header row of item names (wide) or person,item,score (long)",
    ),
    (
        "resp_header_only.csv",
        "resp_header_only.csv: has a header but no rows; expected one row per person (wide) or per response (long)",
    ),
    (
        "resp_duplicate_person.csv",
        "resp_duplicate_person.csv, row 4, column 'person': duplicate person id 'p1' (first on row 2); ids must be unique",
    ),
    (
        "resp_empty_person_id.csv",
        "resp_empty_person_id.csv, row 3, column 'person': the person id is empty; every row needs an id",
    ),
    (
        "resp_duplicate_item.csv",
        "resp_duplicate_item.csv, row 1 (header), column 'Q1': the name appears twice; column names must be unique",
    ),
    (
        "resp_unnamed_column.csv",
        "resp_unnamed_column.csv, row 1 (header): a column has no name; every item column needs a header",
    ),
    (
        "resp_ragged.csv",
        "resp_ragged.csv, row 4: 4 fields but the header has 3; every row needs one value per column",
    ),
    (
        "resp_long_bad_score.csv",
        "resp_long_bad_score.csv, row 4, column 'score': score '3' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    (
        "resp_long_duplicate.csv",
        "resp_long_duplicate.csv, row 5, column 'score': a second score for person 'p1' and item 'Q1' (first on row 2); expected one score per person and item",
    ),
    (
        "resp_latin1.csv",
        "resp_latin1.csv, row 3, column 'person': text is not valid UTF-8 (byte 0xe9); save the file with UTF-8 encoding",
    ),
    (
        "resp_notes.txt",
        "resp_notes.txt: unsupported file type '.txt'; expected a course folder, a .json course or item bank, or a .csv/.xlsx response file",
    ),
    (
        "resp_fake.xlsx",
        "resp_fake.xlsx: not a valid Excel workbook; expected an .xlsx file saved by Excel or LibreOffice",
    ),
    # courses
    (
        "course_missing_column",
        "questions.csv, row 1 (header): missing column 'reference_answer'; expected columns: id, concept_id, text, reference_answer",
    ),
    (
        "course_unexpected_column",
        "concepts.csv, row 1 (header): unexpected column 'week'; expected columns: id, name, description",
    ),
    (
        "course_duplicate_concept",
        "concepts.csv, row 4, column 'id': duplicate id 'C1' (first on row 2); ids must be unique",
    ),
    (
        "course_duplicate_answer",
        "answers.csv, row 5, column 'id': duplicate id 'A2' (first on row 3); ids must be unique",
    ),
    (
        "course_unknown_question",
        "answers.csv, row 5, column 'question_id': unknown question 'Q9'; expected an id from questions.csv",
    ),
    (
        "course_unknown_concept",
        "questions.csv, row 4, column 'concept_id': unknown concept 'C7'; expected an id from concepts.csv",
    ),
    (
        "course_empty_reference",
        "questions.csv, row 4, column 'reference_answer': is empty; every question needs a reference answer",
    ),
    (
        "course_empty_student_id",
        "answers.csv, row 5, column 'student_id': is empty; every answer needs a student id",
    ),
    (
        "course_bad_grade",
        "answers.csv, row 5, column 'grade': 'B+' is not a grade; expected a number from 0 to 1, or blank",
    ),
    (
        "course_grade_out_of_range",
        "answers.csv, row 5, column 'grade': '5' is not a grade; expected a number from 0 to 1, or blank",
    ),
    (
        "course_missing_questions_file",
        "course_missing_questions_file: missing file 'questions.csv'; a course folder needs concepts.csv and questions.csv",
    ),
    (
        "course_latin1",
        "answers.csv, row 5, column 'text': text is not valid UTF-8 (byte 0xe8); save the file with UTF-8 encoding",
    ),
    (
        "course_empty_answers_file",
        "answers.csv: the file is empty; expected a header row: id,student_id,question_id,text,grade",
    ),
    (
        "course_ragged",
        "answers.csv, row 5: 6 fields but the header has 5; put text that contains commas inside double quotes",
    ),
    (
        "course_syntax.json",
        "course_syntax.json, line 3: invalid JSON (Expecting ',' delimiter at column 15)",
    ),
    (
        "course_unknown_question.json",
        "course_unknown_question.json, answers row 2, column 'question_id': unknown question 'Q2'; expected an id from the 'questions' list",
    ),
    (
        "course_missing_sheet.xlsx",
        "course_missing_sheet.xlsx: missing sheet 'questions' (the workbook has 'concepts', 'answers'); expected sheets: concepts, questions, answers",
    ),
    # item banks
    (
        "bank_two_keys.json",
        "bank_two_keys.json, items row 1: item 'H1' (correct_key) has 2 keys; it needs exactly 1; the file is not a valid item bank",
    ),
    (
        "bank_duplicate_options.json",
        "bank_duplicate_options.json, items row 1: item 'H1': options 1 and 3 are the same text; options must be distinct; the file is not a valid item bank",
    ),
]

runner = cli_runner()


def test_corpus_is_complete() -> None:
    on_disk = {
        p.name for p in BAD.iterdir() if p.name != "make_corpus.py" and not p.name.startswith(".")
    }
    assert on_disk == {name for name, _ in CASES}, "every corpus file needs a pinned message"
    assert len(CASES) >= 20


@pytest.mark.parametrize(("name", "message"), [pytest.param(n, m, id=n) for n, m in CASES])
def test_validate_prints_one_line_and_exits_2(name: str, message: str) -> None:
    result = runner.invoke(app, ["validate", str(BAD / name)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"


def _read(path: Path) -> object:
    readers = {
        "course": io.read_course,
        "item_bank": io.read_item_bank,
        "responses": io.read_responses,
    }
    return readers[io.detect_kind(path)](path)


@pytest.mark.parametrize(("name", "message"), [pytest.param(n, m, id=n) for n, m in CASES])
def test_readers_raise_data_error(name: str, message: str) -> None:
    with pytest.raises(DataError) as info:
        _read(BAD / name)
    assert str(info.value) == message


def test_console_script_has_no_traceback() -> None:
    exe = Path(sys.executable).parent / "edutools"
    done = subprocess.run(
        [str(exe), "validate", str(BAD / "resp_not_binary.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1


def test_missing_path() -> None:
    result = runner.invoke(app, ["validate", "does/not/exist.csv"])
    assert result.exit_code == 2
    assert result.stderr == "error: does/not/exist.csv: no such file or folder\n"

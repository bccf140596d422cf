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
        "resp_all_missing_column.csv",
        "resp_all_missing_column.csv, column 'Q2': has no responses at all; remove the column or fill in scores",
    ),
    (
        "resp_constant_column.csv",
        "resp_constant_column.csv, column 'Q2': every person has score 1; an item without variance cannot be calibrated, so remove the column",
    ),
    (
        "resp_duplicate_item.csv",
        "resp_duplicate_item.csv, row 1 (header), column 'Q1': the name appears twice; column names must be unique",
    ),
    (
        "resp_duplicate_person.csv",
        "resp_duplicate_person.csv, row 4, column 'person': duplicate person id 'p1' (first on row 2); ids must be unique",
    ),
    (
        "resp_empty.csv",
        "resp_empty.csv: the file is empty; expected a header row of item names (wide) or person,item,score (long)",
    ),
    (
        "resp_empty_first_sheet.xlsx",
        "resp_empty_first_sheet.xlsx: the first sheet is empty; expected a header row",
    ),
    (
        "resp_empty_person_id.csv",
        "resp_empty_person_id.csv, row 3, column 'person': the person id is empty; every row needs an id",
    ),
    (
        "resp_excel_duplicate_id.csv",
        "resp_excel_duplicate_id.csv, row 4, column 'student_id': duplicate person id '1001' (first on row 2); ids must be unique",
    ),
    (
        "resp_fake.xlsx",
        "resp_fake.xlsx: not a valid Excel workbook; expected an .xlsx file saved by Excel or LibreOffice",
    ),
    (
        "resp_formula_error.xlsx",
        "resp_formula_error.xlsx, row 3, column 'Q1': score '#DIV/0!' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    (
        "resp_fraction.xlsx",
        "resp_fraction.xlsx, row 3, column 'Q2': score '0.5' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    (
        "resp_header_only.csv",
        "resp_header_only.csv: has a header but no rows; expected one row per person (wide) or per response (long)",
    ),
    (
        "resp_header_only.xlsx",
        "resp_header_only.xlsx: has a header but no rows; expected one row per person (wide) or per response (long)",
    ),
    (
        "resp_latin1.csv",
        "resp_latin1.csv, row 3, column 'person': text is not valid UTF-8 (byte 0xe9); save the file with UTF-8 encoding",
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
        "resp_long_empty_item.csv",
        "resp_long_empty_item.csv, row 3, column 'item': the item is empty; every row needs an item",
    ),
    (
        "resp_moodle_names.csv",
        "resp_moodle_names.csv, row 2, column 'First name': score 'Ann' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    (
        "resp_negative.csv",
        "resp_negative.csv, row 2, column 'Q2': score '-1' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    (
        "resp_not_binary.csv",
        "resp_not_binary.csv, row 4, column 'Q3': score '2' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    (
        "resp_notes.txt",
        "resp_notes.txt: unsupported file type '.txt'; expected a course folder, a .json course or item bank, or a .csv/.xlsx response file",
    ),
    (
        "resp_old_format.xls",
        "resp_old_format.xls: unsupported file type '.xls'; open it and save it as .xlsx or .csv",
    ),
    (
        "resp_only_ids.csv",
        "resp_only_ids.csv, row 1 (header): no item columns; expected one column per item",
    ),
    (
        "resp_opendocument.ods",
        "resp_opendocument.ods: unsupported file type '.ods'; save it as .xlsx or .csv",
    ),
    (
        "resp_percent.csv",
        "resp_percent.csv, row 2, column 'Q1': score '100%' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    (
        "resp_ragged.csv",
        "resp_ragged.csv, row 4: 4 fields but the header has 3; every row needs one value per column",
    ),
    (
        "resp_renamed_xls.xlsx",
        "resp_renamed_xls.xlsx: not a valid Excel workbook (this is an old .xls workbook: open it and save it as .xlsx); expected an .xlsx file saved by Excel or LibreOffice",
    ),
    (
        "resp_semicolon_bad.csv",
        "resp_semicolon_bad.csv, row 3, column 'Q2': score '1,5' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    (
        "resp_text_score.csv",
        "resp_text_score.csv, row 3, column 'Q1': score 'yes' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    (
        "resp_total_column.csv",
        "resp_total_column.csv, row 3, column 'Total': score '2' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    (
        "resp_unclosed_quote.csv",
        "resp_unclosed_quote.csv, row 3, column 'person': a double quote opened in this cell is never closed, so the rest of the file would be one cell; close the quote or remove it",
    ),
    (
        "resp_unnamed_column.csv",
        "resp_unnamed_column.csv, row 1 (header): a column has no name; every item column needs a header",
    ),
    (
        "resp_yes_no.xlsx",
        "resp_yes_no.xlsx, row 2, column 'Q1': score 'yes' is not 0 or 1; expected 0, 1, or blank/NA for missing",
    ),
    # courses
    (
        "course_answers_object.json",
        "course_answers_object.json, column 'answers': is a dict; expected a list of answers",
    ),
    (
        "course_answers_table_alone.csv",
        "course_answers_table_alone.csv: a course is a folder of CSV files (concepts.csv, questions.csv, answers.csv), not one file; pass the folder",
    ),
    (
        "course_bad_grade",
        "answers.csv, row 5, column 'grade': 'B+' is not a grade; expected a number from 0 to 1, or blank",
    ),
    (
        "course_blank_header_with_data",
        "concepts.csv, row 1 (header): unexpected column '(blank)'; expected columns: id, name, description",
    ),
    (
        "course_boolean_grade.xlsx",
        "course_boolean_grade.xlsx, sheet 'answers', row 4, column 'grade': 'TRUE' is not a grade; expected a number from 0 to 1, or blank",
    ),
    (
        "course_boolean_text.json",
        "course_boolean_text.json, answers row 1, column 'text': is true/false; expected text",
    ),
    (
        "course_cp1252_quotes",
        "questions.csv, row 4, column 'text': text is not valid UTF-8 (byte 0x92); save the file with UTF-8 encoding",
    ),
    (
        "course_default_sheet_names.xlsx",
        "course_default_sheet_names.xlsx: missing sheet 'concepts' (the workbook has 'Sheet1', 'Sheet2', 'Sheet3'); name the sheets concepts, questions and answers",
    ),
    (
        "course_duplicate_answer",
        "answers.csv, row 5, column 'id': duplicate id 'A2' (first on row 3); ids must be unique",
    ),
    (
        "course_duplicate_column",
        "questions.csv, row 1 (header), column 'text': the column appears twice; expected columns: id, concept_id, text, reference_answer",
    ),
    (
        "course_duplicate_concept",
        "concepts.csv, row 4, column 'id': duplicate id 'C1' (first on row 2); ids must be unique",
    ),
    (
        "course_duplicate_question",
        "questions.csv, row 4, column 'id': duplicate id 'Q2' (first on row 3); ids must be unique",
    ),
    ("course_empty.json", "course_empty.json: the file is empty; expected a JSON object"),
    (
        "course_empty_answers_file",
        "answers.csv: the file is empty; expected a header row: id,student_id,question_id,text,grade",
    ),
    (
        "course_empty_folder",
        "course_empty_folder: missing file 'concepts.csv'; a course folder needs concepts.csv and questions.csv",
    ),
    (
        "course_empty_question_text",
        "questions.csv, row 4, column 'text': is empty; every question needs a text",
    ),
    (
        "course_empty_questions_sheet.xlsx",
        "course_empty_questions_sheet.xlsx, sheet 'questions': the sheet is empty; expected a header row: id, concept_id, text, reference_answer",
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
        "course_extra_cells.xlsx",
        "course_extra_cells.xlsx, sheet 'concepts', row 3: 5 cells but the header has 3; remove the extra cells",
    ),
    (
        "course_grade_out_of_range",
        "answers.csv, row 5, column 'grade': '5' is not a grade; expected a number from 0 to 1, or blank",
    ),
    (
        "course_grade_percent_over",
        "answers.csv, row 5, column 'grade': '120%' is not a grade; expected a number from 0 to 1, or blank",
    ),
    (
        "course_grade_word",
        "answers.csv, row 5, column 'grade': 'pass' is not a grade; expected a number from 0 to 1, or blank",
    ),
    (
        "course_latin1",
        "answers.csv, row 5, column 'text': text is not valid UTF-8 (byte 0xe8); save the file with UTF-8 encoding",
    ),
    (
        "course_latin1.json",
        "course_latin1.json, line 2: text is not valid UTF-8 (byte 0xe9); save the file with UTF-8 encoding",
    ),
    (
        "course_letter_grade.json",
        "course_letter_grade.json, answers row 1, column 'grade': 'A-' is not a grade; expected a number from 0 to 1, or blank",
    ),
    (
        "course_list_reference.json",
        "course_list_reference.json, questions row 1, column 'reference_answer': is a list; expected text",
    ),
    (
        "course_misnamed_sheets.xlsx",
        "course_misnamed_sheets.xlsx: missing sheet 'concepts' (the workbook has 'Concept list', 'Qs', 'Student answers'); name the sheets concepts, questions and answers",
    ),
    (
        "course_missing_column",
        "questions.csv, row 1 (header): missing column 'reference_answer'; expected columns: id, concept_id, text, reference_answer",
    ),
    (
        "course_missing_questions_file",
        "course_missing_questions_file: missing file 'questions.csv'; a course folder needs concepts.csv and questions.csv",
    ),
    (
        "course_missing_reference.json",
        "course_missing_reference.json, questions row 1, column 'reference_answer': is missing",
    ),
    (
        "course_missing_sheet.xlsx",
        "course_missing_sheet.xlsx: missing sheet 'questions' (the workbook has 'concepts', 'answers'); name the sheets concepts, questions and answers",
    ),
    (
        "course_no_concepts_key.json",
        "course_no_concepts_key.json: missing key 'concepts'; expected a list of concepts",
    ),
    ("course_no_questions", "questions.csv: has no questions; a course needs at least one"),
    (
        "course_null_text.json",
        "course_null_text.json, answers row 1, column 'text': is null; write \"\" for a student who submitted nothing, or remove the answer",
    ),
    (
        "course_old_format.xls",
        "course_old_format.xls: unsupported file type '.xls'; open it and save it as .xlsx or .csv",
    ),
    (
        "course_opendocument.ods",
        "course_opendocument.ods: unsupported file type '.ods'; save it as .xlsx or .csv",
    ),
    (
        "course_ragged",
        "answers.csv, row 5: 6 fields but the header has 5; put text that contains commas inside double quotes",
    ),
    (
        "course_reference_answer_1",
        "questions.csv, row 1 (header): missing column 'reference_answer' (found 'reference_answer_1': rename it 'reference_answer'); expected columns: id, concept_id, text, reference_answer",
    ),
    (
        "course_renamed_xls.xlsx",
        "course_renamed_xls.xlsx: not a valid Excel workbook (this is an old .xls workbook: open it and save it as .xlsx); expected an .xlsx file saved by Excel or LibreOffice",
    ),
    (
        "course_syntax.json",
        "course_syntax.json, line 3: invalid JSON (Expecting ',' delimiter at column 15)",
    ),
    (
        "course_top_level_list.json",
        "course_top_level_list.json: expected a JSON object with id, title, concepts, questions, answers",
    ),
    (
        "course_trailing_comma.json",
        "course_trailing_comma.json, line 3: invalid JSON (Expecting property name enclosed in double quotes at column 1)",
    ),
    ("course_two_course_rows", "course.csv: has 2 data rows; expected exactly 1"),
    (
        "course_unclosed_quote",
        "answers.csv, row 5, column 'text': a double quote opened in this cell is never closed, so the rest of the file would be one cell; close the quote or remove it",
    ),
    (
        "course_unexpected_column",
        "concepts.csv, row 1 (header): unexpected column 'week'; expected columns: id, name, description",
    ),
    (
        "course_unexpected_key.json",
        "course_unexpected_key.json: unexpected key 'students'; expected id, title, description, concepts, questions, answers",
    ),
    (
        "course_unknown_concept",
        "questions.csv, row 4, column 'concept_id': unknown concept 'C7'; expected an id from concepts.csv",
    ),
    (
        "course_unknown_concept.xlsx",
        "course_unknown_concept.xlsx, sheet 'questions', row 3, column 'concept_id': unknown concept 'C9'; expected an id from sheet 'concepts'",
    ),
    (
        "course_unknown_question",
        "answers.csv, row 5, column 'question_id': unknown question 'Q9'; expected an id from questions.csv",
    ),
    (
        "course_unknown_question.json",
        "course_unknown_question.json, answers row 2, column 'question_id': unknown question 'Q2'; expected an id from the 'questions' list",
    ),
    (
        "course_vertical_tab_only_answer",
        "answers.csv, row 5, column 'text': holds only spaces or line breaks; leave the cell empty for a student who submitted nothing, or remove the row",
    ),
    (
        "course_whitespace_answer",
        "answers.csv, row 5, column 'text': holds only spaces or line breaks; leave the cell empty for a student who submitted nothing, or remove the row",
    ),
    (
        "course_whitespace_answer.xlsx",
        "course_whitespace_answer.xlsx, sheet 'answers', row 4, column 'text': holds only spaces or line breaks; leave the cell empty for a student who submitted nothing, or remove the row",
    ),
    (
        "course_whitespace_text.json",
        "course_whitespace_text.json, answers row 1, column 'text': holds only spaces or line breaks; leave the cell empty for a student who submitted nothing, or remove the row",
    ),
    (
        "course_xlsx_tables_in_folder",
        "course_xlsx_tables_in_folder: missing file 'concepts.csv' (found 'concepts.xlsx': save it as CSV); a course folder needs concepts.csv and questions.csv",
    ),
    # item banks
    (
        "bank_duplicate_options.json",
        "bank_duplicate_options.json, items row 1: item 'H1': options 1 and 3 are the same text; options must be distinct; the file is not a valid item bank",
    ),
    (
        "bank_empty_stem.json",
        "bank_empty_stem.json, items row 1, column 'stem': String should have at least 1 character; the file is not a valid item bank",
    ),
    (
        "bank_is_key_number.json",
        "bank_is_key_number.json, items row 1, column 'options.1.is_key': 1 is not true or false; write true or false without quotes",
    ),
    (
        "bank_is_key_quoted_true.json",
        "bank_is_key_quoted_true.json, items row 1, column 'options.1.is_key': 'true' is not true or false; write true or false without quotes",
    ),
    (
        "bank_is_key_yes.json",
        "bank_is_key_yes.json, items row 1, column 'options.2.is_key': 'yes' is not true or false; write true or false without quotes",
    ),
    (
        "bank_k_mismatch.json",
        "bank_k_mismatch.json: item 'H1' has 3 options; this bank has k=4; the file is not a valid item bank",
    ),
    (
        "bank_missing_run.json",
        "bank_missing_run.json, column 'run': Field required; the file is not a valid item bank",
    ),
    (
        "bank_one_option.json",
        "bank_one_option.json, items row 1, column 'options': List should have at least 2 items after validation, not 1; the file is not a valid item bank",
    ),
    (
        "bank_syntax.json",
        "bank_syntax.json, line 2: invalid JSON (Expecting property name enclosed in double quotes at column 15)",
    ),
    (
        "bank_two_keys.json",
        "bank_two_keys.json, items row 1: item 'H1' (correct_key) has 2 keys; it needs exactly 1; the file is not a valid item bank",
    ),
    (
        "bank_unknown_assertion.json",
        "bank_unknown_assertion.json: item 'H1' option 1 refers to unknown assertion 'a-missing'; the file is not a valid item bank",
    ),
    (
        "bank_unknown_form.json",
        "bank_unknown_form.json, items row 1, column 'form': Input should be 'correct_key', 'foil_key' or 'select_all'; the file is not a valid item bank",
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

"""Regenerate the malformed-input corpus: python tests/data/bad/make_corpus.py

Each file (or folder) holds exactly one defect; tests/test_bad_inputs.py pins the message.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent

CONCEPTS = "id,name,description\nC1,Photosynthesis,How plants fix carbon\nC2,Respiration,\n"
QUESTIONS = (
    "id,concept_id,text,reference_answer\n"
    'Q1,C1,Where does most of a tree\'s mass come from?,"From carbon dioxide in the air, fixed by photosynthesis."\n'
    "Q2,C2,Why do cells need oxygen?,Oxygen is the final electron acceptor of the electron transport chain.\n"
)
ANSWERS = (
    "id,student_id,question_id,text,grade\n"
    "A1,s01,Q1,From the soil,0\n"
    'A2,s02,Q1,"From CO2, via photosynthesis",1\n'
    "A3,s01,Q2,to make energy,0.5\n"
)


def course(
    name: str,
    concepts: str = CONCEPTS,
    questions: str | bytes | None = QUESTIONS,
    answers: str | bytes = ANSWERS,
) -> None:
    d = HERE / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    (d / "concepts.csv").write_text(concepts, encoding="utf-8")
    if isinstance(questions, bytes):
        (d / "questions.csv").write_bytes(questions)
    elif questions is not None:
        (d / "questions.csv").write_text(questions, encoding="utf-8")
    if isinstance(answers, bytes):
        (d / "answers.csv").write_bytes(answers)
    else:
        (d / "answers.csv").write_text(answers, encoding="utf-8")


def text(name: str, body: str | bytes) -> None:
    p = HERE / name
    if isinstance(body, bytes):
        p.write_bytes(body)
    else:
        p.write_text(body, encoding="utf-8")


def main() -> None:
    # --- response matrices
    text("resp_not_binary.csv", "person,Q1,Q2,Q3\np1,1,0,1\np2,0,1,0\np3,1,1,2\np4,0,0,1\n")
    text("resp_text_score.csv", "Q1,Q2\n1,0\nyes,1\n0,1\n")
    text("resp_constant_column.csv", "person,Q1,Q2,Q3\np1,1,1,0\np2,0,1,1\np3,1,1,0\n")
    text("resp_empty.csv", "")
    text("resp_header_only.csv", "person,Q1,Q2\n")
    text("resp_duplicate_person.csv", "person,Q1,Q2\np1,1,0\np2,0,1\np1,1,1\n")
    text("resp_duplicate_item.csv", "person,Q1,Q2,Q1\np1,1,0,1\np2,0,1,0\n")
    text("resp_ragged.csv", "Q1,Q2,Q3\n1,0,1\n0,1,0\n1,1,0,1\n")
    text("resp_long_bad_score.csv", "person,item,score\np1,Q1,1\np1,Q2,0\np2,Q1,3\np2,Q2,1\n")
    text("resp_long_duplicate.csv", "person,item,score\np1,Q1,1\np1,Q2,0\np2,Q1,0\np1,Q1,0\n")
    text("resp_latin1.csv", "person,Q1,Q2\np1,1,0\nJos\xe9,0,1\n".encode("latin-1"))
    text("resp_unnamed_column.csv", "person,Q1,,Q3\np1,1,0,1\np2,0,1,0\n")
    text("resp_all_missing_column.csv", "person,Q1,Q2\np1,1,\np2,0,NA\np3,1,\n")
    text("resp_empty_person_id.csv", "person,Q1,Q2\np1,1,0\n,0,1\n")
    text("resp_notes.txt", "Q1,Q2\n1,0\n")
    text("resp_fake.xlsx", "this is not a workbook\n")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "responses"
    for row in (["person", "Q1", "Q2"], ["p1", 1, 0], ["p2", 0, 0.5]):
        ws.append(row)
    wb.save(HERE / "resp_fraction.xlsx")

    # --- courses as CSV folders
    course(
        "course_missing_column",
        questions="id,concept_id,text\nQ1,C1,Where does mass come from?\n",
        answers="id,student_id,question_id,text\n",
    )
    course("course_duplicate_concept", concepts=CONCEPTS + "C1,Cell biology,\n")
    course("course_unknown_question", answers=ANSWERS + "A4,s03,Q9,I think from water,\n")
    course(
        "course_unknown_concept",
        questions=QUESTIONS + "Q3,C7,What is an enzyme?,A protein catalyst.\n",
    )
    course("course_empty_reference", questions=QUESTIONS + "Q3,C1,What does chlorophyll absorb?,\n")
    course("course_empty_student_id", answers=ANSWERS + "A4,,Q1,sunlight,\n")
    course("course_bad_grade", answers=ANSWERS + "A4,s03,Q1,sunlight and water,B+\n")
    course("course_grade_out_of_range", answers=ANSWERS + "A4,s03,Q1,sunlight and water,5\n")
    course("course_duplicate_answer", answers=ANSWERS + "A2,s04,Q2,for energy,\n")
    course("course_missing_questions_file", questions=None)
    course(
        "course_latin1", answers=(ANSWERS + "A4,s03,Q1,la photosynth\xe8se,\n").encode("latin-1")
    )
    course("course_empty_answers_file", answers="")
    course("course_ragged", answers=ANSWERS + "A4,s03,Q1,from the air, mostly,1\n")
    course(
        "course_unexpected_column",
        concepts="id,name,description,week\nC1,Photosynthesis,,3\nC2,Respiration,,4\n",
    )

    # --- courses as JSON and XLSX
    text(
        "course_syntax.json",
        '{"id": "bio", "title": "Biology",\n "concepts": [\n  {"id": "C1" "name": "Cells"}\n ]\n}\n',
    )
    good = {
        "id": "bio",
        "title": "Biology",
        "concepts": [{"id": "C1", "name": "Photosynthesis"}],
        "questions": [
            {
                "id": "Q1",
                "concept_id": "C1",
                "text": "Where does mass come from?",
                "reference_answer": "CO2.",
            }
        ],
        "answers": [
            {"id": "A1", "student_id": "s1", "question_id": "Q1", "text": "soil"},
            {"id": "A2", "student_id": "s2", "question_id": "Q2", "text": "air"},
        ],
    }
    text("course_unknown_question.json", json.dumps(good, indent=1))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "concepts"
    ws.append(["id", "name", "description"])
    ws.append(["C1", "Photosynthesis", ""])
    ws2 = wb.create_sheet("answers")
    ws2.append(["id", "student_id", "question_id", "text"])
    wb.save(HERE / "course_missing_sheet.xlsx")

    # --- item banks
    bank = {
        "course_id": "bio",
        "k": 3,
        "run": {"engine": "human"},
        "assertions": [],
        "items": [
            {
                "id": "H1",
                "source": "human",
                "concept_id": "C1",
                "form": "correct_key",
                "stem": "Which statement about plant mass is correct?",
                "options": [
                    {"text": "It comes mostly from carbon dioxide.", "is_key": True},
                    {"text": "It comes mostly from soil minerals.", "is_key": True},
                    {"text": "It comes mostly from water alone.", "is_key": False},
                ],
            }
        ],
    }
    text("bank_two_keys.json", json.dumps(bank, indent=1))
    bank["items"][0]["options"][1]["is_key"] = False  # type: ignore[index]
    bank["items"][0]["options"][2]["text"] = "  it comes mostly from CARBON DIOXIDE!"  # type: ignore[index]
    text("bank_duplicate_options.json", json.dumps(bank, indent=1))


def workbook(name: str, sheets: dict[str, list[list[object]]]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(HERE / name)


COURSE_SHEETS: dict[str, list[list[object]]] = {
    "concepts": [["id", "name", "description"], ["C1", "Photosynthesis", ""]],
    "questions": [
        ["id", "concept_id", "text", "reference_answer"],
        ["Q1", "C1", "Where does a tree's mass come from?", "From carbon dioxide in the air."],
    ],
    "answers": [
        ["id", "student_id", "question_id", "text", "grade"],
        ["A1", "s01", "Q1", "From the soil", 0],
        ["A2", "s02", "Q1", "From CO2 in the air", 1],
    ],
}
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # the header of an old binary .xls


def more() -> None:
    """Defects a teacher meets exporting from Excel, Google Sheets, Moodle and LMS gradebooks."""
    # --- course folders
    course("course_whitespace_answer", answers=ANSWERS + 'A4,s03,Q1,"   ",\n')
    course("course_vertical_tab_only_answer", answers=ANSWERS + "A4,s03,Q1,\x0b\x0b,\n")
    course(
        "course_unclosed_quote",
        answers=ANSWERS + 'A4,s03,Q1,"from the air, mostly,1\nA5,s04,Q2,for energy,0\n',
    )
    course("course_no_questions", questions="id,concept_id,text,reference_answer\n")
    course(
        "course_blank_header_with_data",
        concepts="id,name,description,\nC1,Photosynthesis,,week 3\nC2,Respiration,,\n",
    )
    course(
        "course_duplicate_column",
        questions="id,concept_id,text,Text,reference_answer\nQ1,C1,What?,What?,That.\n",
    )
    course("course_grade_percent_over", answers=ANSWERS + "A4,s03,Q1,sunlight,120%\n")
    course("course_grade_word", answers=ANSWERS + "A4,s03,Q1,sunlight,pass\n")
    course(
        "course_empty_question_text", questions=QUESTIONS + "Q3,C1,,Chlorophyll absorbs light.\n"
    )
    course(
        "course_duplicate_question",
        questions=QUESTIONS + "Q2,C1,What does chlorophyll absorb?,Red and blue light.\n",
    )
    course(
        "course_cp1252_quotes",
        questions=(QUESTIONS + "Q3,C1,What\u2019s chlorophyll for?,It absorbs light.\n").encode(
            "cp1252"
        ),
    )
    course(
        "course_reference_answer_1",
        questions=QUESTIONS.replace("reference_answer\n", "reference_answer_1\n", 1),
    )
    course("course_two_course_rows")
    (HERE / "course_two_course_rows" / "course.csv").write_text(
        "id,title\nbio,Biology\nchem,Chemistry\n", encoding="utf-8"
    )
    d = HERE / "course_xlsx_tables_in_folder"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    for name, rows in COURSE_SHEETS.items():
        workbook(f"course_xlsx_tables_in_folder/{name}.xlsx", {name: rows})
    d = HERE / "course_empty_folder"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    (d / ".keep").write_text("")
    text("course_answers_table_alone.csv", ANSWERS)

    # --- course workbooks
    workbook(
        "course_misnamed_sheets.xlsx",
        {
            "Concept list": COURSE_SHEETS["concepts"],
            "Qs": COURSE_SHEETS["questions"],
            "Student answers": COURSE_SHEETS["answers"],
        },
    )
    workbook(
        "course_default_sheet_names.xlsx",
        {
            "Sheet1": COURSE_SHEETS["concepts"],
            "Sheet2": COURSE_SHEETS["questions"],
            "Sheet3": COURSE_SHEETS["answers"],
        },
    )
    workbook(
        "course_whitespace_answer.xlsx",
        {
            **COURSE_SHEETS,
            "answers": [*COURSE_SHEETS["answers"], ["A3", "s03", "Q1", "  \n ", None]],
        },
    )
    workbook(
        "course_extra_cells.xlsx",
        {
            **COURSE_SHEETS,
            "concepts": [*COURSE_SHEETS["concepts"], ["C2", "Respiration", "", "", "week 4"]],
        },
    )
    workbook(
        "course_boolean_grade.xlsx",
        {
            **COURSE_SHEETS,
            "answers": [*COURSE_SHEETS["answers"], ["A3", "s03", "Q1", "light", True]],
        },
    )
    workbook("course_empty_questions_sheet.xlsx", {**COURSE_SHEETS, "questions": []})
    workbook(
        "course_unknown_concept.xlsx",
        {
            **COURSE_SHEETS,
            "questions": [*COURSE_SHEETS["questions"], ["Q2", "C9", "Why?", "Because."]],
        },
    )
    text("course_old_format.xls", OLE)
    text("course_renamed_xls.xlsx", OLE)
    text("course_opendocument.ods", b"PK\x03\x04 not really a spreadsheet")

    # --- course JSON
    base = {
        "id": "bio",
        "title": "Biology",
        "concepts": [{"id": "C1", "name": "Photosynthesis"}],
        "questions": [
            {
                "id": "Q1",
                "concept_id": "C1",
                "text": "Where does mass come from?",
                "reference_answer": "CO2.",
            }
        ],
        "answers": [{"id": "A1", "student_id": "s1", "question_id": "Q1", "text": "soil"}],
    }

    def course_json(name: str, change: object) -> None:
        payload = json.loads(json.dumps(base))
        change(payload)  # type: ignore[operator]
        text(name, json.dumps(payload, indent=1))

    course_json("course_null_text.json", lambda p: p["answers"][0].update(text=None))
    course_json("course_whitespace_text.json", lambda p: p["answers"][0].update(text=" \t\n "))
    course_json(
        "course_list_reference.json",
        lambda p: p["questions"][0].update(reference_answer=["CO2.", "Air."]),
    )
    course_json("course_boolean_text.json", lambda p: p["answers"][0].update(text=True))
    course_json(
        "course_missing_reference.json", lambda p: p["questions"][0].pop("reference_answer")
    )
    course_json("course_letter_grade.json", lambda p: p["answers"][0].update(grade="A-"))
    course_json("course_unexpected_key.json", lambda p: p.update(students=[{"id": "s1"}]))
    course_json("course_answers_object.json", lambda p: p.update(answers={"A1": "soil"}))
    course_json("course_no_concepts_key.json", lambda p: p.pop("concepts"))
    text("course_top_level_list.json", json.dumps([base]))
    text("course_trailing_comma.json", '{"id": "bio", "title": "Biology",\n "concepts": [],\n}\n')
    text("course_empty.json", "")
    text(
        "course_latin1.json",
        '{"id": "bio",\n "title": "Biologie v\xe9g\xe9tale"}\n'.encode("latin-1"),
    )

    # --- item banks
    item = {
        "id": "H1",
        "source": "human",
        "concept_id": "C1",
        "form": "correct_key",
        "stem": "Which statement about plant mass is correct?",
        "options": [
            {"text": "It comes mostly from carbon dioxide.", "is_key": True},
            {"text": "It comes mostly from soil minerals.", "is_key": False},
            {"text": "It comes mostly from water alone.", "is_key": False},
        ],
    }
    good_bank = {"course_id": "bio", "k": 3, "run": {"engine": "human"}, "items": [item]}

    def bank_json(name: str, change: object) -> None:
        payload = json.loads(json.dumps(good_bank))
        change(payload)  # type: ignore[operator]
        text(name, json.dumps(payload, indent=1))

    bank_json("bank_is_key_yes.json", lambda b: b["items"][0]["options"][1].update(is_key="yes"))
    bank_json(
        "bank_is_key_quoted_true.json", lambda b: b["items"][0]["options"][0].update(is_key="true")
    )
    bank_json("bank_is_key_number.json", lambda b: b["items"][0]["options"][0].update(is_key=1))
    bank_json(
        "bank_one_option.json",
        lambda b: (b.update(k=None), b["items"][0].update(options=b["items"][0]["options"][:1])),
    )
    bank_json("bank_unknown_form.json", lambda b: b["items"][0].update(form="multiple_choice"))
    bank_json("bank_missing_run.json", lambda b: b.pop("run"))
    bank_json("bank_k_mismatch.json", lambda b: b.update(k=4))
    bank_json("bank_empty_stem.json", lambda b: b["items"][0].update(stem="  "))
    bank_json(
        "bank_unknown_assertion.json",
        lambda b: b["items"][0]["options"][0].update(assertion_id="a-missing"),
    )
    text("bank_syntax.json", '{"course_id": "bio", "items": [\n  {"id": "H1",}\n]}\n')

    # --- responses
    text("resp_percent.csv", "person,Q1,Q2\np1,100%,0%\np2,0%,100%\n")
    text("resp_total_column.csv", "student_id,Q1,Q2,Total\ns1,1,0,1\ns2,1,1,2\ns3,0,0,0\n")
    text("resp_unclosed_quote.csv", 'person,Q1,Q2\np1,1,0\n"p2,0,1\np3,1,1\n')
    text("resp_semicolon_bad.csv", "\ufeffperson;Q1;Q2\r\np1;1;0\r\np2;0;1,5\r\n")
    text("resp_negative.csv", "person,Q1,Q2\np1,1,-1\np2,0,1\n")
    text("resp_excel_duplicate_id.csv", "student_id,Q1,Q2\n1001.0,1,0\n1002,0,1\n1001,1,1\n")
    text("resp_only_ids.csv", "person\np1\np2\n")
    text("resp_moodle_names.csv", "First name,Surname,Q1,Q2\nAnn,Lee,1,0\nBo,Kim,0,1\n")
    text("resp_long_empty_item.csv", "person,item,score\np1,Q1,1\np1,,0\n")
    text("resp_old_format.xls", OLE)
    text("resp_renamed_xls.xlsx", OLE)
    text("resp_opendocument.ods", b"PK\x03\x04 not really a spreadsheet")
    workbook(
        "resp_formula_error.xlsx",
        {"scores": [["person", "Q1", "Q2"], ["p1", 1, 0], ["p2", "#DIV/0!", 1]]},
    )
    workbook("resp_header_only.xlsx", {"scores": [["person", "Q1", "Q2"]]})
    workbook("resp_empty_first_sheet.xlsx", {"Instructions": [], "scores": [["Q1"], [1], [0]]})
    workbook(
        "resp_yes_no.xlsx",
        {"scores": [["person", "Q1", "Q2"], ["p1", "yes", "no"], ["p2", "no", "yes"]]},
    )


if __name__ == "__main__":
    main()
    more()

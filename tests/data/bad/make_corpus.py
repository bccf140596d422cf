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
    questions: str | None = QUESTIONS,
    answers: str | bytes = ANSWERS,
) -> None:
    d = HERE / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    (d / "concepts.csv").write_text(concepts, encoding="utf-8")
    if questions is not None:
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


if __name__ == "__main__":
    main()

"""Regenerate the valid-but-unusual corpus: python tests/data/unusual/make_corpus.py

Files as Excel (Windows, Mac, European locales), Google Sheets, LibreOffice, Moodle and LMS
gradebooks save them. Every one must be accepted; tests/test_bad_inputs.py pins what each
reads as. Each course folder holds the same small course (two concepts, two questions,
four answers) written a different way, so the readers must agree on its content.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent

CONCEPTS = [
    ["id", "name", "description"],
    ["C1", "Photosynthesis", "How plants fix carbon"],
    ["C2", "Respiration", ""],
]
QUESTIONS = [
    ["id", "concept_id", "text", "reference_answer"],
    [
        "Q1",
        "C1",
        "Where does most of a tree's mass come from?",
        "From carbon dioxide in the air, fixed by photosynthesis.",
    ],
    [
        "Q2",
        "C2",
        "Why do cells need oxygen?",
        "Oxygen is the final electron acceptor of the electron transport chain.",
    ],
]
ANSWERS = [
    ["id", "student_id", "question_id", "text", "grade"],
    ["A1", "s01", "Q1", "From the soil", "0"],
    ["A2", "s02", "Q1", "From CO2, via photosynthesis", "1"],
    ["A3", "s01", "Q2", "to make energy", "0.5"],
    ["A4", "s02", "Q2", "", ""],
]
TABLES = {"concepts": CONCEPTS, "questions": QUESTIONS, "answers": ANSWERS}


def _quote(cell: str, sep: str) -> str:
    if any(c in cell for c in (sep, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_text(
    rows: list[list[str]], sep: str = ",", eol: str = "\n", quote_all: bool = False
) -> str:
    lines = []
    for row in rows:
        cells = (
            ['"' + c.replace('"', '""') + '"' for c in row]
            if quote_all
            else [_quote(c, sep) for c in row]
        )
        lines.append(sep.join(cells))
    return eol.join(lines) + eol


def folder(
    name: str,
    tables: dict[str, list[list[str]]] | None = None,
    *,
    encoding: str = "utf-8",
    names: dict[str, str] | None = None,
    **fmt: object,
) -> Path:
    d = HERE / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    for table, rows in (tables or TABLES).items():
        body = csv_text(rows, **fmt)  # type: ignore[arg-type]
        (d / (names or {}).get(table, f"{table}.csv")).write_bytes(body.encode(encoding))
    return d


def workbook(name: str, sheets: dict[str, list[list[object]]]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(HERE / name)


def write(name: str, body: str | bytes) -> None:
    (HERE / name).write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))


def main() -> None:
    # --- course folders
    folder("course_excel_windows", encoding="utf-8-sig", eol="\r\n")  # BOM + CRLF
    folder(
        "course_excel_european",
        encoding="utf-8-sig",
        sep=";",
        eol="\r\n",
        tables={**TABLES, "answers": [[c.replace("0.5", "0,5") for c in r] for r in ANSWERS]},
    )
    folder("course_tab_separated", sep="\t")
    folder(
        "course_excel_unicode_text", encoding="utf-16", sep="\t", eol="\r\n"
    )  # UTF-16 LE with BOM
    folder("course_mac_classic", eol="\r")  # old Mac Excel: CR only
    folder("course_google_sheets", quote_all=True, eol="\r\n")
    folder(
        "course_capitalised_files",
        names={"concepts": "Concepts.csv", "questions": "QUESTIONS.CSV", "answers": "Answers.Csv"},
    )
    folder(
        "course_header_spellings",
        tables={
            "concepts": [["ID", " Name ", "Description"], *CONCEPTS[1:]],
            "questions": [["Id", "Concept ID", "Text", "Reference Answer"], *QUESTIONS[1:]],
            "answers": [["ID", "Student ID", "Question-ID", "Text", "Grade"], *ANSWERS[1:]],
        },
    )
    folder(
        "course_trailing_blanks",
        tables={
            name: [[*r, "", ""] for r in rows] + [[""] * (len(rows[0]) + 2)] * 3
            for name, rows in TABLES.items()
        },
    )
    long_answer = ("Carbon dioxide from the air is fixed into sugars. " * 4200).strip()
    folder(
        "course_long_answer",
        tables={
            **TABLES,
            "answers": [*ANSWERS[:2], ["A2", "s02", "Q1", long_answer, "1"], *ANSWERS[3:]],
        },
    )
    folder(
        "course_multiline_cells",
        tables={
            **TABLES,
            "questions": [
                QUESTIONS[0],
                [*QUESTIONS[1][:3], "From carbon dioxide in the air,\nfixed by photosynthesis."],
                QUESTIONS[2],
            ],
            "answers": [
                *ANSWERS[:2],
                ["A2", "s02", "Q1", 'From CO2,\r\nvia "photosynthesis"\n\n- not the soil', "1"],
                *ANSWERS[3:],
            ],
        },
    )
    folder(
        "course_excel_numbers",
        tables={
            "concepts": [CONCEPTS[0], ["1.0", "Photosynthesis", ""], ["2", "Respiration", ""]],
            "questions": [
                QUESTIONS[0],
                ["10", "1", *QUESTIONS[1][2:]],
                ["11.0", "2.0", *QUESTIONS[2][2:]],
            ],
            "answers": [
                ANSWERS[0],
                ["1", "1001.0", "10.0", "From the soil", "0.0"],
                ["2", "1002", "10", "From CO2", "1.0"],
            ],
        },
    )
    folder(
        "course_word_paste",
        tables={
            **TABLES,
            "questions": [
                QUESTIONS[0],
                [
                    "Q1",
                    "C1",
                    "Where does most of a tree\u2019s mass\x0bcome from?",
                    "From carbon dioxide\x0bin the air.",
                ],
                QUESTIONS[2],
            ],
            "answers": [
                *ANSWERS[:2],
                [
                    "A2",
                    "s02",
                    "Q1",
                    "From CO\u2082\x0cvia photo\u00adsynthesis \u200b\U0001f333",
                    "1",
                ],
                *ANSWERS[3:],
            ],
        },
    )
    folder(
        "course_grade_spellings",
        tables={
            **TABLES,
            "answers": [
                ANSWERS[0],
                [*ANSWERS[1][:4], "0%"],
                [*ANSWERS[2][:4], "100%"],
                [*ANSWERS[3][:4], "50 %"],
                [*ANSWERS[4][:4], "NA"],
            ],
        },
    )
    folder(
        "course_several_references",
        tables={
            **TABLES,
            "questions": [
                [*QUESTIONS[0], "reference_answer_2", "reference_answer_3"],
                [*QUESTIONS[1], "Mostly from CO2 taken from the air.", ""],
                [*QUESTIONS[2], "", ""],
            ],
        },
    )

    # --- course workbooks
    workbook(
        "course_excel.xlsx",
        {
            "Concepts": CONCEPTS,
            "Questions ": QUESTIONS,
            "answers": [
                ANSWERS[0],
                *([r[0], r[1], r[2], r[3], float(r[4]) if r[4] else None] for r in ANSWERS[1:]),
                [None] * 5,
                [None] * 5,
            ],
            "Notes": [["Exported from the LMS on 3 March"]],
        },
    )
    workbook(
        "course_excel_numbers.xlsx",
        {
            "concepts": [CONCEPTS[0], [1, "Photosynthesis", None], [2.0, "Respiration", None]],
            "questions": [QUESTIONS[0], [10, 1, *QUESTIONS[1][2:]], [11, 2, *QUESTIONS[2][2:]]],
            "answers": [
                ANSWERS[0],
                [1, 1001, 10, "From the soil", 0],
                [2, 1002.0, 10, "From CO2", 1.0],
            ],
        },
    )
    workbook(
        "course_blank_columns.xlsx",
        {name: [[*r, None, None] for r in rows] for name, rows in TABLES.items()},
    )

    # --- course JSON
    course = {
        "id": "bio",
        "title": "Biology",
        "description": None,
        "concepts": [{"id": 1, "name": "Photosynthesis", "description": None}],
        "questions": [
            {
                "id": "Q1",
                "concept_id": 1,
                "text": "Where does mass come from?\x0bThink.",
                "reference_answer": "CO2.",
                "extra_references": None,
            }
        ],
        "answers": [
            {"id": "A1", "student_id": 1001, "question_id": "Q1", "text": "", "grade": None},
            {"id": "A2", "student_id": "1002", "question_id": "Q1", "text": "air", "grade": "1"},
        ],
    }
    write("course_bom_numbers_nulls.json", "\ufeff" + json.dumps(course, indent=2))

    # --- item bank
    bank = {
        "course_id": "bio",
        "k": 3,
        "run": {"engine": "human"},
        "items": [
            {
                "id": "H1",
                "source": "human",
                "concept_id": "C1",
                "form": "correct_key",
                "stem": "Which statement about plant mass\x0bis correct?",
                "options": [
                    {"text": "It comes mostly from carbon dioxide.\x00", "is_key": True},
                    {"text": "It comes mostly from soil minerals.", "is_key": False},
                    {"text": "It comes mostly from water alone.\ufffe", "is_key": False},
                ],
            }
        ],
    }
    write("bank_control_characters.json", "\ufeff" + json.dumps(bank, indent=2))

    # --- responses: each holds the same 4 persons x 3 items
    wide = [
        ["person", "Q1", "Q2", "Q3"],
        ["p1", "1", "0", ""],
        ["p2", "0", "1", "1"],
        ["p3", "1", "1", "0"],
        ["p4", "0", "0", "1"],
    ]
    write(
        "resp_european.csv",
        "\ufeff"
        + csv_text(
            [
                [c.replace("1", "1,0") if c in ("1",) and i else c for i, c in enumerate(r)]
                for r in wide
            ],
            sep=";",
            eol="\r\n",
        ),
    )
    write(
        "resp_booleans.csv",
        csv_text(
            [
                [{"1": "TRUE", "0": "FALSE"}.get(c, c) if i else c for i, c in enumerate(r)]
                for r in wide
            ]
        ),
    )
    workbook(
        "resp_booleans.xlsx",
        {
            "scores": [
                wide[0],
                *([r[0], *({"1": True, "0": False, "": None}[c] for c in r[1:])] for r in wide[1:]),
            ]
        },
    )
    write("resp_moodle_dashes.csv", csv_text([[c or "-" for c in r] for r in wide]))
    write("resp_trailing_blanks.csv", csv_text([[*r, "", ""] for r in wide] + [[""] * 6] * 3))
    workbook(
        "resp_excel_floats.xlsx",
        {
            "Sheet1": [
                ["Student ID", "Q1", "Q2", "Q3"],
                *(
                    [1000.0 + n, *(float(c) if c else None for c in r[1:])]
                    for n, r in enumerate(wide[1:], start=1)
                ),
            ]
        },
    )
    write("resp_tab_separated.tsv", csv_text(wide, sep="\t"))
    write("resp_unicode_text.csv", csv_text(wide, sep="\t", eol="\r\n").encode("utf-16"))
    long = [["Person", "Item", "Score"]] + [
        [r[0], wide[0][j], c] for r in wide[1:] for j, c in enumerate(r[1:], start=1) if c
    ]
    write("resp_long_bom_crlf.csv", "\ufeff" + csv_text(long, eol="\r\n"))
    write(
        "resp_float_strings.csv",
        csv_text(
            [wide[0], *([c + ".0" if c and i else c for i, c in enumerate(r)] for r in wide[1:])]
        ),
    )


if __name__ == "__main__":
    main()

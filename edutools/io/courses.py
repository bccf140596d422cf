"""Read and write courses: a folder of CSV files, one XLSX workbook, or one JSON file.

A course folder holds ``concepts.csv``, ``questions.csv``, an optional ``answers.csv`` and
an optional one-row ``course.csv`` (id, title, description); a workbook holds sheets of the
same names; a JSON file is the :class:`~edutools.schema.Course` model. A question may have
several reference answers: further columns ``reference_answer_2``, ``reference_answer_3``,
... (blank cells ignored), or in JSON an ``extra_references`` list.

What spreadsheets and gradebooks produce is accepted: a byte-order mark, CRLF line ends,
semicolon- or tab-separated files, UTF-16 "Unicode text", header spellings such as
``Student ID`` or ``Reference answer``, file names in any case, blank trailing rows and
columns, ``1.0`` for the id ``1``, quoted cells over several lines, cells of any length,
grades written ``0,5`` or ``50%``. Text is normalised by
:func:`~edutools.io._source.clean_text` (a vertical tab becomes a line break).

An answer's ``text`` may be empty: a student who submitted nothing (kept, never mined).
A cell that holds only spaces or line breaks, or ``"text": null`` in JSON, is an error, so
that a blank-looking answer is never taken for a submission by accident.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from edutools.errors import DataError
from edutools.io._source import (
    Row,
    Table,
    cell,
    clean_text,
    csv_records,
    fail,
    first_error,
    load_json,
    normalize_id,
    open_workbook,
    shape_records,
    sheet_rows,
)
from edutools.schema import Course

__all__ = ["COURSE_COLUMNS", "example_course_dir", "read_course", "write_course"]

# required columns first, then optional ones
COURSE_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "course": (("id", "title"), ("description",)),
    "concepts": (("id", "name"), ("description",)),
    "questions": (("id", "concept_id", "text", "reference_answer"), ()),
    "answers": (("id", "student_id", "question_id", "text"), ("grade",)),
}
_REQUIRED_TEXT = {
    "course": ("id", "title"),
    "concepts": ("id", "name"),
    "questions": ("id", "concept_id", "text", "reference_answer"),
    "answers": ("id", "student_id", "question_id"),
}
_ID_COLUMNS = ("id", "concept_id", "question_id", "student_id")
_MISSING = ("", "na", "nan", "n/a", ".", "null", "none", "-")
_EXTRA_REFERENCE = re.compile(r"reference_answer_(\d+)")
_TABLES = ("course", "concepts", "questions", "answers")


def example_course_dir() -> Path:
    """The folder of the bundled example course (an introductory biology course)."""
    return Path(__file__).resolve().parent.parent / "data" / "example_course"


# --------------------------------------------------------------------------- headers


def _header(raw: list[str]) -> list[str]:
    """Column names as the format spells them: 'Student ID' -> 'student_id'."""
    return [re.sub(r"[\s\-]+", "_", h.strip().lower()) for h in raw]


def _allowed(table: str, column: str, known: tuple[str, ...]) -> bool:
    # questions may carry further reference answers in reference_answer_2, _3, ...
    if column in known:
        return True
    found = _EXTRA_REFERENCE.fullmatch(column)
    return table == "questions" and found is not None and int(found.group(1)) >= 2


def _check_header(label: str, header: list[str], table: str) -> None:
    required, optional = COURSE_COLUMNS[table]
    expected = ", ".join(required + optional)
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise fail(
                label,
                "row 1 (header)",
                h,
                f"the column appears twice; expected columns: {expected}",
            )
        seen.add(h)
    for col in required:
        if col not in header:
            close = difflib.get_close_matches(col, [h for h in header if h not in required], 1, 0.7)
            found = f" (found '{close[0]}': rename it '{col}')" if close else ""
            raise fail(
                label,
                "row 1 (header)",
                None,
                f"missing column '{col}'{found}; expected columns: {expected}",
            )
    for h in header:
        if not _allowed(table, h, required + optional):
            shown = h or "(blank)"
            more = ", reference_answer_2, reference_answer_3, ..." if table == "questions" else ""
            raise fail(
                label,
                "row 1 (header)",
                None,
                f"unexpected column '{shown}'; expected columns: {expected}{more}",
            )


# --------------------------------------------------------------------------- CSV and XLSX tables


def _csv_table(path: Path, table: str) -> Table:
    label = path.name
    data = path.read_bytes()
    if not data.strip():
        required, optional = COURSE_COLUMNS[table]
        raise fail(
            label,
            None,
            None,
            f"the file is empty; expected a header row: {','.join(required + optional)}",
        )
    _, records = csv_records(path, data)
    header, body = shape_records(
        label,
        _header(records[0][1]),
        records[1:],
        pad_short=False,
        hint="put text that contains commas inside double quotes",
    )
    _check_header(label, header, table)
    return Table(label, [Row(f"row {n}", dict(zip(header, r, strict=True))) for n, r in body])


def _xlsx_table(path: Path, ws: Any, table: str) -> Table:
    label = f"{path.name}, sheet '{ws.title}'"
    rows = sheet_rows(ws)
    if not rows or not any(c.strip() for c in rows[0][1]):
        required, optional = COURSE_COLUMNS[table]
        raise fail(
            label,
            None,
            None,
            f"the sheet is empty; expected a header row: {', '.join(required + optional)}",
        )
    header, body = shape_records(
        label,
        _header(rows[0][1]),
        rows[1:],
        pad_short=True,
        unit="cells",
        hint="remove the extra cells",
    )
    _check_header(label, header, table)
    out = [Row(f"row {n}", dict(zip(header, cells, strict=True))) for n, cells in body]
    return Table(label, out, source=f"sheet '{ws.title}'")


# --------------------------------------------------------------------------- JSON tables


def _json_value(label: str, where: str, key: str, value: Any) -> str:
    if isinstance(value, bool | list | dict):
        kind = "true/false" if isinstance(value, bool) else f"a {type(value).__name__}"
        raise fail(label, where, key, f"is {kind}; expected text")
    return cell(value)


def _json_tables(path: Path, payload: dict[str, Any]) -> dict[str, Table]:
    label = path.name
    tables: dict[str, Table] = {}
    for key in payload:
        if key not in ("id", "title", "description", "concepts", "questions", "answers"):
            raise fail(
                label,
                None,
                None,
                f"unexpected key '{key}'; expected id, title, description, concepts, questions, answers",
            )
    course_row = {
        k: _json_value(label, "top level", k, payload.get(k))
        for k in ("id", "title", "description")
    }
    tables["course"] = Table(label, [Row("top level", course_row)])
    for name in ("concepts", "questions", "answers"):
        rows = payload.get(name, [] if name == "answers" else None)
        if rows is None:
            raise fail(label, None, None, f"missing key '{name}'; expected a list of {name}")
        if not isinstance(rows, list):
            raise fail(label, None, name, f"is a {type(rows).__name__}; expected a list of {name}")
        required, optional = COURSE_COLUMNS[name]
        out = []
        for i, r in enumerate(rows, start=1):
            where = f"{name} row {i}"
            if not isinstance(r, dict):
                raise fail(
                    label, where, None, "is not an object; expected {" + ", ".join(required) + "}"
                )
            extra = _json_extra_references(label, where, r) if name == "questions" else {}
            for key in r:
                if key not in extra and not _allowed(name, key, required + optional):
                    raise fail(
                        label,
                        where,
                        key,
                        f"unexpected field; expected {', '.join(required + optional)}"
                        + (", extra_references" if name == "questions" else ""),
                    )
            for key in required:
                if key not in r:
                    raise fail(label, where, key, "is missing")
            if name == "answers" and r["text"] is None:
                raise fail(
                    label,
                    where,
                    "text",
                    'is null; write "" for a student who submitted nothing, or remove the answer',
                )
            values = {k: _json_value(label, where, k, r.get(k)) for k in required + optional}
            values.update(
                {
                    k: _json_value(label, where, k, v)
                    for k, v in r.items()
                    if k not in values and k not in extra
                }
            )
            values.update({k: v for k, v in extra.items() if k != "extra_references"})
            out.append(Row(where, values))
        tables[name] = Table(label, out, source=f"the '{name}' list")
    return tables


def _json_extra_references(label: str, where: str, row: dict[str, Any]) -> dict[str, str]:
    """A question's ``extra_references`` list as reference_answer_N cells (N from 2)."""
    if "extra_references" not in row:
        return {}
    refs = row["extra_references"]
    if refs is None:
        refs = []
    if not isinstance(refs, list) or not all(isinstance(x, str) for x in refs):
        raise fail(
            label, where, "extra_references", "expected a list of reference answers (strings)"
        )
    out = {"extra_references": ""}
    out.update({f"reference_answer_{i}": clean_text(t) for i, t in enumerate(refs, start=2)})
    return out


# --------------------------------------------------------------------------- building the course


def _grade(raw: str) -> float | None:
    """A grade cell as a number in [0, 1]; -1 when it is not one. ``0,5`` and ``50%`` are read."""
    text = raw.strip().replace(",", ".")
    if not text or text.lower() in _MISSING:
        return None
    percent = text.endswith("%")
    try:
        value = float(text.rstrip("%").strip())
    except ValueError:
        return -1.0
    return value / 100 if percent else value


def _build_course(tables: dict[str, Table], default_id: str) -> Course:
    """Validate rows table by table (so messages name rows), then build the Course."""
    for name, table in tables.items():
        for row in table.rows:
            for col in _ID_COLUMNS:
                if col in row.values:
                    row.values[col] = normalize_id(row.values[col])
            for col in _REQUIRED_TEXT[name]:
                if not row.values.get(col, "").strip():
                    raise fail(
                        table.label,
                        row.where,
                        col,
                        f"is empty; every {name[:-1] if name != 'course' else 'course'} needs a {col.replace('_', ' ')}",
                    )
            if name == "answers":
                text = row.values.get("text", "")
                if text and not text.strip():
                    raise fail(
                        table.label,
                        row.where,
                        "text",
                        "holds only spaces or line breaks; leave the cell empty for a student who "
                        "submitted nothing, or remove the row",
                    )
    for name in ("concepts", "questions"):
        if not tables[name].rows:
            raise fail(
                tables[name].label, None, None, f"has no {name}; a course needs at least one"
            )

    ids: dict[str, set[str]] = {}
    for name in ("concepts", "questions", "answers"):
        if name not in tables:
            continue
        first: dict[str, str] = {}
        for row in tables[name].rows:
            key = row.values["id"]
            if key in first:
                raise fail(
                    tables[name].label,
                    row.where,
                    "id",
                    f"duplicate id '{key}' (first on {first[key]}); ids must be unique",
                )
            first[key] = row.where
        ids[name] = set(first)

    for name, ref_col, target in (
        ("questions", "concept_id", "concepts"),
        ("answers", "question_id", "questions"),
    ):
        if name not in tables:
            continue
        for row in tables[name].rows:
            ref = row.values[ref_col]
            if ref not in ids[target]:
                raise fail(
                    tables[name].label,
                    row.where,
                    ref_col,
                    f"unknown {target[:-1]} '{ref}'; expected an id from {tables[target].source}",
                )

    answers = []
    for row in tables["answers"].rows if "answers" in tables else []:
        raw = row.values.get("grade", "")
        grade = _grade(raw)
        if grade is not None and not 0.0 <= grade <= 1.0:
            raise fail(
                tables["answers"].label,
                row.where,
                "grade",
                f"'{raw.strip()}' is not a grade; expected a number from 0 to 1, or blank",
            )
        v = row.values
        answers.append(
            {
                "id": v["id"],
                "student_id": v["student_id"],
                "question_id": v["question_id"],
                "text": v["text"].strip(),
                "grade": grade,
            }
        )

    meta = {"id": default_id, "title": default_id.replace("_", " ").title(), "description": ""}
    if "course" in tables:
        rows = tables["course"].rows
        if len(rows) != 1:
            raise fail(
                tables["course"].label, None, None, f"has {len(rows)} data rows; expected exactly 1"
            )
        meta.update({k: v.strip() for k, v in rows[0].values.items() if v.strip()})

    payload = {
        **meta,
        "concepts": [{k: v.strip() for k, v in r.values.items()} for r in tables["concepts"].rows],
        "questions": [_question_payload(r.values) for r in tables["questions"].rows],
        "answers": answers,
    }
    try:
        return Course.model_validate(payload)
    except ValidationError as exc:  # every rule above should have caught it first
        raise DataError(f"{tables['concepts'].label}: invalid course: {first_error(exc)}") from None


def _question_payload(values: dict[str, str]) -> dict[str, Any]:
    """A question row as the schema wants it: reference_answer_N cells become extra_references."""
    out: dict[str, Any] = {}
    extra: list[tuple[int, str]] = []
    for key, value in values.items():
        found = _EXTRA_REFERENCE.fullmatch(key)
        if found:
            if value.strip():
                extra.append((int(found.group(1)), value.strip()))
        elif key != "extra_references":
            out[key] = value.strip()
    out["extra_references"] = [text for _, text in sorted(extra)]
    return out


# --------------------------------------------------------------------------- the three formats


def _read_course_folder(path: Path) -> Course:
    files = {f.name.lower(): f for f in path.iterdir() if f.is_file()}
    tables: dict[str, Table] = {}
    for name in _TABLES:
        f = files.get(f"{name}.csv")
        if f is not None:
            tables[name] = _csv_table(f, name)
        elif name in ("concepts", "questions"):
            other = sorted(n for n in files if Path(n).stem == name)
            hint = f" (found '{files[other[0]].name}': save it as CSV)" if other else ""
            raise DataError(
                f"{path.name}: missing file '{name}.csv'{hint}; a course folder needs concepts.csv and questions.csv"
            )
    return _build_course(tables, path.name)


def _sheet_name(title: str) -> str:
    return re.sub(r"[\s\-]+", "_", title.strip().lower())


def _read_course_xlsx(path: Path) -> Course:
    wb = open_workbook(path)
    try:
        sheets = {_sheet_name(ws.title): ws for ws in wb.worksheets}
        for name in ("concepts", "questions"):
            if name not in sheets:
                found = ", ".join(f"'{ws.title}'" for ws in wb.worksheets)
                raise fail(
                    path.name,
                    None,
                    None,
                    f"missing sheet '{name}' (the workbook has {found}); "
                    "name the sheets concepts, questions and answers",
                )
        tables = {name: _xlsx_table(path, sheets[name], name) for name in _TABLES if name in sheets}
    finally:
        wb.close()
    return _build_course(tables, path.stem)


def _read_course_json(path: Path) -> Course:
    payload = load_json(path)
    if not isinstance(payload, dict):
        raise fail(
            path.name,
            None,
            None,
            "expected a JSON object with id, title, concepts, questions, answers",
        )
    tables = _json_tables(path, payload)
    if not tables["course"].rows[0].values["id"]:
        tables["course"].rows[0].values["id"] = path.stem
    return _build_course(tables, path.stem)


def read_course(path: str | Path) -> Course:
    """Read a course from a CSV folder, an XLSX workbook or a JSON file.

    Every problem raises :class:`~edutools.errors.DataError` naming the file, the row
    (spreadsheet numbering: the header is row 1), the column and what was expected.

    Example
    -------
    >>> course = read_course(example_course_dir())
    >>> len(course.questions) >= 10
    True
    """
    p = Path(path)
    if not p.exists():
        raise DataError(
            f"{p}: no such file or folder; expected a course folder, .xlsx or .json file"
        )
    if p.is_dir():
        return _read_course_folder(p)
    suffix = p.suffix.lower()
    if suffix == ".xlsx":
        return _read_course_xlsx(p)
    if suffix == ".json":
        return _read_course_json(p)
    if suffix in (".csv", ".tsv"):
        raise fail(
            p.name,
            None,
            None,
            "a course is a folder of CSV files (concepts.csv, questions.csv, answers.csv), not one "
            "file; pass the folder",
        )
    raise fail(
        p.name,
        None,
        None,
        f"unsupported file type '{p.suffix or '(none)'}'; a course is a folder of CSV files, an .xlsx workbook or a .json file",
    )


def write_course(course: Course, path: str | Path) -> Path:
    """Write a course as a CSV folder, an ``.xlsx`` workbook or a ``.json`` file (by suffix)."""
    p = Path(path)
    tables = _course_frames(course)
    if p.suffix.lower() == ".json":
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(course.model_dump_json(indent=2), encoding="utf-8")
    elif p.suffix.lower() == ".xlsx":
        p.parent.mkdir(parents=True, exist_ok=True)
        with pd.ExcelWriter(p, engine="openpyxl") as xw:
            for name, frame in tables.items():
                frame.to_excel(xw, sheet_name=name, index=False)
    else:
        p.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            frame.to_csv(p / f"{name}.csv", index=False, encoding="utf-8")
    return p


def _course_frames(course: Course) -> dict[str, pd.DataFrame]:
    frames = {
        "course": pd.DataFrame(
            [{"id": course.id, "title": course.title, "description": course.description}]
        ),
        "concepts": pd.DataFrame(
            [c.model_dump() for c in course.concepts], columns=["id", "name", "description"]
        ),
        "questions": _question_frame(course),
        "answers": pd.DataFrame(
            [a.model_dump() for a in course.answers],
            columns=["id", "student_id", "question_id", "text", "grade"],
        ),
    }
    # a course built in Python may hold characters no spreadsheet or XML file can store
    return {
        name: frame.apply(lambda col: col.map(lambda v: clean_text(v) if isinstance(v, str) else v))
        for name, frame in frames.items()
    }


def _question_frame(course: Course) -> pd.DataFrame:
    most = max((len(q.extra_references) for q in course.questions), default=0)
    extra = [f"reference_answer_{i}" for i in range(2, most + 2)]
    rows = []
    for q in course.questions:
        row = {k: v for k, v in q.model_dump().items() if k != "extra_references"}
        row.update(dict(zip(extra, q.extra_references, strict=False)))
        rows.append(row)
    return pd.DataFrame(rows, columns=["id", "concept_id", "text", "reference_answer", *extra])

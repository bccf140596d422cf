"""Guess what a file holds: a course, an item bank or a response matrix."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Literal

from edutools.errors import DataError
from edutools.io._source import fail, header_line, load_json, open_workbook, split_header

__all__ = ["detect_kind"]

_COURSE_SHEETS = ("course", "concept", "question", "answer")
_COURSE_COLUMNS = {"concept_id", "reference_answer", "question_id", "student_id"}


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name or "").strip().lower())


def _looks_like_course_workbook(path: Path) -> bool:
    """A sheet named like a course table, or a header with a course table's columns."""
    wb = open_workbook(path)
    try:
        for ws in wb.worksheets:
            if any(word in _key(ws.title) for word in _COURSE_SHEETS):
                return True
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
            if len({_key(v) for v in first if v is not None} & _COURSE_COLUMNS) >= 2:
                return True
    finally:
        wb.close()
    return False


def _looks_like_course_csv(path: Path) -> bool:
    header = {_key(h) for h in split_header(header_line(path))}
    return len(header & _COURSE_COLUMNS) >= 2 or {"reference_answer", "concept_id"} <= header


def detect_kind(path: str | Path) -> Literal["course", "item_bank", "responses"]:
    """Guess what a file holds: a course, an item bank or a response matrix.

    A folder is a course; a JSON object with ``items`` an item bank, any other JSON a
    course; a workbook with a sheet named like a course table (even misnamed, such as
    "Questions list") or with a course table's columns a course, else responses; a CSV is
    responses unless its header is a course table's.
    """
    p = Path(path)
    if p.is_dir():
        return "course"
    if not p.exists():
        raise DataError(f"{p}: no such file or folder")
    suffix = p.suffix.lower()
    if suffix == ".json":
        payload = load_json(p)
        return "item_bank" if isinstance(payload, dict) and "items" in payload else "course"
    if suffix == ".xlsx" and zipfile.is_zipfile(p):
        return "course" if _looks_like_course_workbook(p) else "responses"
    if suffix in (".csv", ".tsv"):
        return "course" if _looks_like_course_csv(p) else "responses"
    if suffix in (".xlsx", ".xls", ".ods"):
        return "responses"  # the response reader says what is wrong with the file
    raise fail(
        p.name,
        None,
        None,
        f"unsupported file type '{p.suffix or '(none)'}'; expected a course folder, a .json course or item bank, "
        "or a .csv/.xlsx response file",
    )

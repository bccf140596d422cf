"""What every reader shares: where a value came from, and raw files turned into clean cells.

One place says how a problem is located (:func:`fail`: file, row, column, what was
expected), how bytes become text (UTF-8 with or without BOM, UTF-16 with BOM), how a CSV
is split (comma, semicolon or tab, detected from the header; fields of any length), how a
workbook and a JSON file are opened, and how a cell's text is normalised so that it can be
written to any export format (:func:`clean_text`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edutools.errors import DataError

__all__ = [
    "Row",
    "Table",
    "cell",
    "clean_text",
    "csv_records",
    "decode",
    "fail",
    "first_error",
    "header_line",
    "load_json",
    "locate",
    "normalize_id",
    "open_workbook",
    "pydantic_location",
    "shape_records",
    "sheet_rows",
    "split_header",
]

# Python's csv module refuses fields over 131,072 characters by default; an essay pasted
# into one cell is longer. 2**31 - 1 is the largest value every platform's C long takes.
_FIELD_LIMIT = 2**31 - 1


# --------------------------------------------------------------------------- locations


def locate(label: str, where: str | None = None, column: str | None = None) -> str:
    """The location prefix of a message: ``answers.csv, row 5, column 'grade'``.

    Example
    -------
    >>> locate("answers.csv", "row 5", "grade")
    "answers.csv, row 5, column 'grade'"
    """
    parts = [label]
    if where:
        parts.append(where)
    if column:
        parts.append(f"column '{column}'")
    return ", ".join(parts)


def fail(label: str, where: str | None, column: str | None, problem: str) -> DataError:
    """A DataError whose one-line message names the file, row and column, then the problem.

    Example
    -------
    >>> str(fail("r.csv", "row 3", "Q1", "score 'x' is not 0 or 1"))
    "r.csv, row 3, column 'Q1': score 'x' is not 0 or 1"
    """
    return DataError(f"{locate(label, where, column)}: {problem}")


def pydantic_location(exc: ValidationError) -> tuple[str | None, str | None, str]:
    """(row, column, message) of the first pydantic error, rows 1-based: ('items row 2', 'stem', ...)."""
    err = exc.errors()[0]
    loc = list(err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    where = None
    if len(loc) >= 2 and isinstance(loc[1], int):
        where = f"{loc[0]} row {loc[1] + 1}"
        loc = loc[2:]
    column = ".".join(str(p + 1) if isinstance(p, int) else str(p) for p in loc) or None
    return where, column, msg


def first_error(exc: ValidationError) -> str:
    """The first pydantic error as ``row, column: message``."""
    where, column, msg = pydantic_location(exc)
    located = ", ".join(p for p in (where, f"column '{column}'" if column else None) if p)
    return f"{located}: {msg}" if located else msg


# --------------------------------------------------------------------------- text


# XML 1.0 allows tab, LF and CR among the C0 controls and forbids U+FFFE, U+FFFF and lone
# surrogates; a zero-width space or a stray byte-order mark inside text is invisible noise.
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_FORBIDDEN = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\ufffe\uffff\ud800-\udfff\u200b\ufeff]")


def clean_text(text: str) -> str:
    """Text that every export format can hold: line breaks unified, forbidden characters gone.

    A vertical tab (Word's manual line break), form feed, the Unicode line and paragraph
    separators and CR/CRLF become ``\\n``; the other control characters that XML 1.0 forbids,
    U+FFFE/U+FFFF, lone surrogates, zero-width spaces and stray byte-order marks are removed.
    Tabs, emoji and every script are kept.

    Example
    -------
    >>> clean_text("line one\\x0bline two\\r\\nthree\\x00 \\u200bok")
    'line one\\nline two\\nthree ok'
    """
    if text.isprintable():  # the common case: nothing to do
        return text
    return _FORBIDDEN.sub("", _LINE_BREAKS.sub("\n", text))


_INTEGRAL = re.compile(r"[+-]?\d+\.0+")


def normalize_id(value: str) -> str:
    """An identifier as written, less surrounding space and a spreadsheet's ``.0`` on whole numbers.

    Example
    -------
    >>> normalize_id(" 1024.0 "), normalize_id("Q1"), normalize_id("1.5")
    ('1024', 'Q1', '1.5')
    """
    value = value.strip()
    return value.split(".", 1)[0] if _INTEGRAL.fullmatch(value) else value


def cell(value: Any) -> str:
    """A spreadsheet or JSON scalar as text: whole floats without ``.0``, booleans as TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return clean_text(str(value))


# --------------------------------------------------------------------------- bytes and CSV


def decode(path: Path, data: bytes, *, table: bool = True) -> str:
    """Bytes as text: UTF-8 (a BOM is dropped) or UTF-16 with a BOM; else a located error.

    The error names the row and column of the bad byte in a table (``table=True``), the
    line in any other text file.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise fail(
                path.name, None, None, "text is not valid UTF-16; save the file as UTF-8"
            ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        if not table:
            raise fail(
                path.name,
                f"line {row}",
                None,
                f"text is not valid UTF-8 (byte 0x{bad}); save the file with UTF-8 encoding",
            ) from None
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
        delimiter = _delimiter(first)
        header = next(csv.reader([first], delimiter=delimiter), [])
        prefix = data[line_start : exc.start].decode("utf-8", "replace")
        fields = next(csv.reader([prefix], delimiter=delimiter), [""])
        col = header[len(fields) - 1].strip() if 0 < len(fields) <= len(header) else None
        raise fail(
            path.name,
            f"row {row}",
            col,
            f"text is not valid UTF-8 (byte 0x{bad}); save the file with UTF-8 encoding",
        ) from None


def header_line(path: Path) -> str:
    """The first line of a text file, decoded leniently (for guessing what the file holds)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head[: len(head) // 2 * 2].decode("utf-16", "replace")
    else:
        text = head.decode("utf-8-sig", "replace")
    return re.split(r"\r\n?|\n", text.lstrip("\ufeff"), maxsplit=1)[0]


def split_header(line: str) -> list[str]:
    """The cells of a header line, whatever its separator."""
    return next(csv.reader([line], delimiter=_delimiter(line)), [])


def _delimiter(header_line: str) -> str:
    """Comma, or the semicolon of a European Excel or the tab of a pasted table, from the header."""
    counts = {d: 0 for d in ",;\t"}
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def csv_records(path: Path, data: bytes) -> tuple[str, list[tuple[int, list[str]]]]:
    """The delimiter and the records of a CSV file as ``(row number, cells)``, header first.

    Row numbers count records as a spreadsheet counts rows (a quoted cell that spans lines
    is one row). Cells are cleaned by :func:`clean_text`, not stripped.
    """
    text = decode(path, data).replace("\x00", "")
    delimiter = _delimiter(text.split("\n", 1)[0])
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = [(n, [clean_text(c) for c in record]) for n, record in enumerate(reader, start=1)]
    if text.count('"') % 2:  # a quote may be left open: the rest of the file would be one cell
        row = _unclosed_quote_row(text, delimiter)
        if row is not None:
            header = records[0][1] if records else []
            width = len(records[row - 1][1]) if row <= len(records) else 0
            column = header[width - 1].strip() if 0 < width <= len(header) and row > 1 else None
            raise fail(
                path.name,
                f"row {row}",
                column,
                "a double quote opened in this cell is never closed, so the rest of the file "
                "would be one cell; close the quote or remove it",
            )
    return delimiter, records


def _unclosed_quote_row(text: str, delimiter: str) -> int | None:
    """The row whose quoted cell runs to the end of the file, if any."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    count = 0
    try:
        for _ in reader:
            count += 1
    except csv.Error as exc:
        return count + 1 if "unexpected end of data" in str(exc) else None
    return None


# --------------------------------------------------------------------------- workbooks and JSON


def open_workbook(path: Path) -> Any:
    """An openpyxl workbook (read-only, cached values), or a located error for anything else."""
    import openpyxl

    if not zipfile.is_zipfile(path):
        hint = ""
        with path.open("rb") as fh:
            if fh.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # the old binary .xls format
                hint = " (this is an old .xls workbook: open it and save it as .xlsx)"
        raise fail(
            path.name,
            None,
            None,
            f"not a valid Excel workbook{hint}; expected an .xlsx file saved by Excel or LibreOffice",
        )
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise fail(
            path.name, None, None, f"cannot read the workbook ({exc}); expected an .xlsx file"
        ) from None


def sheet_rows(ws: Any) -> list[tuple[int, list[str]]]:
    """Every row of a sheet as ``(row number, cells as text)``, trailing empty cells dropped."""
    out = []
    for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = [cell(v) for v in row]
        while cells and cells[-1] == "":
            cells.pop()
        out.append((n, cells))
    return out


def load_json(path: Path) -> Any:
    """A JSON file's content, or a located error (empty file, bad bytes, syntax)."""
    data = path.read_bytes()
    if not data.strip():
        raise fail(path.name, None, None, "the file is empty; expected a JSON object")
    text = decode(path, data, table=False)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(
            path.name, f"line {exc.lineno}", None, f"invalid JSON ({exc.msg} at column {exc.colno})"
        ) from None


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Row:
    """One data row: where it is (``row 7``, ``answers row 2``) and its cells by column."""

    where: str
    values: dict[str, str]


@dataclass(frozen=True)
class Table:
    """Rows read from one CSV file, sheet or JSON list.

    ``label`` is what messages call the source ("answers.csv" or "course.xlsx, sheet
    'answers'"); ``source`` is how another table refers to it ("questions.csv", "the
    'questions' list").
    """

    label: str
    rows: list[Row]
    source: str = ""

    def __post_init__(self) -> None:
        if not self.source:
            object.__setattr__(self, "source", self.label)


def shape_records(
    label: str,
    header: list[str],
    records: Sequence[tuple[int, list[str]]],
    *,
    pad_short: bool,
    unit: str = "fields",
    hint: str,
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Rows cut to the header's width: blank rows skipped, columns without header or values dropped.

    A spreadsheet saves stray separators (``C1,Cells,,,``) and blank trailing rows; those
    carry nothing and are accepted. A row with a value beyond the header is an error, and
    so is a short row unless ``pad_short`` (the missing cells then count as blank). A column
    with no header but with values is kept, for the caller to reject by name.
    """
    width = len(header)
    out: list[tuple[int, list[str]]] = []
    for n, record in records:
        if not any(c.strip() for c in record):
            continue
        if len(record) > width and any(c.strip() for c in record[width:]):
            raise fail(
                label, f"row {n}", None, f"{len(record)} {unit} but the header has {width}; {hint}"
            )
        if len(record) < width and not pad_short and any(h.strip() for h in header[len(record) :]):
            raise fail(
                label, f"row {n}", None, f"{len(record)} {unit} but the header has {width}; {hint}"
            )
        out.append((n, (record + [""] * width)[:width]))
    keep = [j for j in range(width) if header[j].strip() or any(r[j].strip() for _, r in out)]
    if len(keep) == width:
        return header, out
    return [header[j] for j in keep], [(n, [r[j] for j in keep]) for n, r in out]

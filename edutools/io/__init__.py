"""Read and write courses, item banks and response matrices.

One module per kind of file: :mod:`edutools.io.courses` (a CSV folder, an XLSX workbook or
a JSON file), :mod:`edutools.io.banks` (item bank JSON), :mod:`edutools.io.responses`
(persons × items, wide or long, CSV or XLSX) and :mod:`edutools.io.detect`. What they
share, where a problem is located and how raw cells are cleaned, lives in
:mod:`edutools.io._source`.

Every problem raises :class:`~edutools.errors.DataError` whose one-line message names the
file, the row (spreadsheet numbering: the header is row 1), the column and what was
expected. No row is ever dropped silently: a file either loads whole or raises.
"""

from __future__ import annotations

from edutools.io._source import clean_text
from edutools.io.banks import read_item_bank, write_item_bank
from edutools.io.courses import COURSE_COLUMNS, example_course_dir, read_course, write_course
from edutools.io.detect import detect_kind
from edutools.io.responses import read_responses, write_responses

__all__ = [
    "COURSE_COLUMNS",
    "clean_text",
    "detect_kind",
    "example_course_dir",
    "read_course",
    "read_item_bank",
    "read_responses",
    "write_course",
    "write_item_bank",
    "write_responses",
]

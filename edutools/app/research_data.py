"""Researcher uploads: responses (0/1, 0..K or selected options), item metadata, person columns.

No streamlit here. The readers of :mod:`edutools.io` validate the files; this module splits
off the columns that describe persons, scores selected options with an item bank's keys and
loads the bundled example.
"""

from __future__ import annotations

import io as _io
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from edutools import io
from edutools.app.uploads import read_responses_upload
from edutools.errors import DataError
from edutools.irt import bank_metadata, score_choices
from edutools.schema import ItemBank

__all__ = [
    "EXAMPLE_RESPONSES",
    "MAX_SCORE",
    "ResponseData",
    "example_data",
    "read_metadata",
    "read_response_data",
    "upload_columns",
]

MAX_SCORE = 99  # the reader's bound for 0..K scores; the estimators check the categories
_ID_COLUMNS = ("person", "id", "person_id", "student_id", "respondent")


@dataclass(frozen=True)
class ResponseData:
    """Scored responses (persons × items, 0/1/NaN); raw option choices and keys when known.

    ``groups`` holds the person columns of the upload (gender, class, ...; one row per
    person, indexed like ``scored``) for DIF.
    """

    name: str
    scored: pd.DataFrame
    choices: pd.DataFrame | None = None
    key: ItemBank | dict[str, str] | None = None
    metadata: pd.DataFrame | None = None
    groups: pd.DataFrame | None = None


def _raw_upload(name: str, data: bytes) -> pd.DataFrame:
    """The uploaded table as strings (CSV with any common separator, or the first sheet)."""
    try:
        if name.lower().endswith(".xlsx"):
            frame = pd.read_excel(_io.BytesIO(data), dtype=str, keep_default_na=False)
        else:
            frame = pd.read_csv(
                _io.BytesIO(data), sep=None, engine="python", dtype=str, keep_default_na=False
            )
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{name}: cannot be read as a table ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def upload_columns(filename: str, data: bytes) -> list[str]:
    """The header of an uploaded response file (to choose its person columns); [] if unreadable."""
    try:
        return list(_raw_upload(PurePosixPath(filename).name, data).columns)
    except DataError:
        return []


def _split_person_columns(
    name: str, data: bytes, columns: Sequence[str]
) -> tuple[bytes, pd.DataFrame]:
    """The upload without its person columns (same format, same rows) and those columns."""
    raw = _raw_upload(name, data)
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise DataError(f"{name}, row 1 (header): no column {missing[0]!r}")
    raw = raw[~(raw.map(lambda v: not str(v).strip())).all(axis=1)]  # blank rows
    groups = raw[list(columns)].map(lambda v: str(v).strip())
    rest = raw.drop(columns=list(columns))
    lowered = [c.lower() for c in rest.columns]
    if lowered[:3] == ["person", "item", "score"] or set(lowered) == {"person", "item", "score"}:
        from edutools.io._source import normalize_id

        person = rest.columns[lowered.index("person")]
        groups.index = pd.Index(rest[person].map(normalize_id), name="person")
        per_person = groups.groupby(level=0).nunique()
        mixed = per_person[(per_person > 1).any(axis=1)]
        if len(mixed):
            col = str(mixed.columns[(mixed.iloc[0] > 1).to_numpy()][0])
            raise DataError(
                f"{name}, column {col!r}: person {mixed.index[0]!r} has more than one value; "
                "a person column must hold one value per person"
            )
        groups = groups[~groups.index.duplicated()]
    else:
        groups.index = pd.RangeIndex(len(groups), name="row")
    buf = _io.BytesIO()
    if name.lower().endswith(".xlsx"):
        rest.to_excel(buf, index=False)
    else:
        rest.to_csv(buf, index=False)
    return buf.getvalue(), groups.replace({"": np.nan})


def _align_groups(name: str, groups: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    if groups.index.isin(scored.index).all() and not groups.index.equals(
        pd.RangeIndex(len(groups))
    ):
        return groups.reindex(scored.index)
    if len(groups) != len(scored):
        raise DataError(
            f"{name}: cannot match the person columns to the {len(scored)} persons; "
            "add a person id column"
        )
    return groups.set_axis(scored.index)


def _choices_frame(name: str, data: bytes) -> pd.DataFrame:
    """A wide table of selected options (A, B, ...), with an optional person id column."""
    try:
        frame = pd.read_csv(_io.BytesIO(data), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{name}: cannot be read as CSV ({exc})") from None
    if frame.empty:
        raise DataError(f"{name}: no rows; expected one row per person")
    first = str(frame.columns[0]).strip()
    if first.lower() in _ID_COLUMNS:
        frame = frame.set_index(first)
    frame.index = frame.index.astype(str)
    frame.index.name = "person"
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.replace({"": np.nan})


def read_metadata(filename: str, data: bytes) -> tuple[pd.DataFrame, ItemBank | None]:
    """Item metadata: an item bank (JSON) or a CSV with an ``item`` column and grouping columns."""
    name = PurePosixPath(filename).name
    if name.lower().endswith(".json"):
        with tempfile.TemporaryDirectory(prefix="edutools-upload-") as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            bank = io.read_item_bank(path)
        return bank_metadata(bank), bank
    if not name.lower().endswith(".csv"):
        raise DataError(f"{name}: unsupported file type; expected an item bank .json or a .csv")
    try:
        meta = pd.read_csv(_io.BytesIO(data), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{name}: cannot be read as CSV ({exc})") from None
    if "item" not in meta.columns:
        raise DataError(
            f"{name}, row 1 (header): missing column 'item'; expected item plus grouping "
            "columns such as source and key_polarity"
        )
    dup = meta["item"].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 2
        raise DataError(
            f"{name}, row {row}, column 'item': duplicate item '{meta['item'][row - 2]}'"
        )
    return meta, None


def read_response_data(
    filename: str,
    data: bytes,
    *,
    metadata: tuple[str, bytes] | None = None,
    person_columns: Sequence[str] = (),
    polytomous: bool = False,
) -> ResponseData:
    """Read uploaded responses: scored 0/1 (wide or long), or selected options with a bank's keys.

    Option letters (A, B, ...) need an item bank as metadata: its keys score them and the
    distractor analysis uses them. ``person_columns`` (gender, class, ...) describe persons,
    not items: they are taken out before scoring and kept for DIF. With ``polytomous`` the
    cells are scores 0..K (for the PCM, GPCM, GRM and RSM).

    Example
    -------
    >>> rd = read_response_data("lsat7.csv", Path("lsat7.csv").read_bytes())  # doctest: +SKIP
    """
    meta, bank = read_metadata(*metadata) if metadata is not None else (None, None)
    name = PurePosixPath(filename).name
    groups = None
    if person_columns:
        data, groups = _split_person_columns(name, data, person_columns)
    try:
        scored = _read_scores(name, data, MAX_SCORE if polytomous else 1)
    except DataError as exc:
        letters = "is not 0 or 1" in str(exc) and filename.lower().endswith(".csv")
        if letters and re.search(r"score '\d+(\.0*)?' is not 0 or 1", str(exc)):
            raise DataError(
                f"{exc}; for scores 0..K choose the model pcm, gpcm, grm or rsm"
            ) from None
        if not letters:
            raise
        if bank is None:
            raise DataError(
                f"{exc}; responses given as selected options need an item bank (.json) as "
                "metadata, whose keys score them; a column that describes persons (gender, "
                "class) goes under 'Person columns'"
            ) from None
        choices = _choices_frame(filename, data)
        scored = score_choices(choices, bank)
    else:
        choices = None
    if groups is not None:
        groups = _align_groups(name, groups, scored)
    return ResponseData(filename, scored, choices=choices, key=bank, metadata=meta, groups=groups)


def _read_scores(name: str, data: bytes, max_score: int) -> pd.DataFrame:
    """Scores of an uploaded response file (see :func:`edutools.io.read_responses`)."""
    if max_score == 1:
        return read_responses_upload(name, data)
    with tempfile.TemporaryDirectory(prefix="edutools-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return io.read_responses(path, allow_constant=True, max_score=max_score)


EXAMPLE_RESPONSES = Path(__file__).parents[1] / "data" / "example_responses"


def example_data() -> ResponseData:
    """The example course's simulated responses (600 students × 68 items) with its item bank.

    The items are the course's human-written bank and the local engine's items, so item
    metadata (source, form, key polarity) come with them. See ``data/example_responses``.
    """
    data = read_response_data(
        "responses.csv",
        (EXAMPLE_RESPONSES / "responses.csv").read_bytes(),
        metadata=("items.json", (EXAMPLE_RESPONSES / "items.json").read_bytes()),
    )
    return replace(data, name="example course responses (simulated)")

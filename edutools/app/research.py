"""The researcher workspace's one call per page: read uploads, calibrate, compare (no streamlit).

Everything statistical happens in :mod:`edutools.irt`; this module only reads the uploads and
collects the tables and charts a page shows and the Downloads page offers.
"""

from __future__ import annotations

import io as _io
import tempfile
from dataclasses import dataclass, field, fields, replace
from pathlib import Path, PurePosixPath

import altair as alt
import numpy as np
import pandas as pd

from edutools import io
from edutools.app.uploads import read_responses_upload
from edutools.errors import CalibrationError, DataError
from edutools.irt import (
    bank_metadata,
    compare_groups,
    score_choices,
)
from edutools.irt import report as irt_report
from edutools.schema import ItemBank

__all__ = [
    "MODELS",
    "CalibrationReport",
    "ResponseData",
    "chart_png",
    "compare",
    "example_data",
    "group_chart",
    "groupings",
    "read_metadata",
    "read_response_data",
    "run_calibration",
]

MODELS = ("rasch", "1pl", "2pl", "3pl")
_ID_COLUMNS = ("person", "id", "person_id", "student_id", "respondent")


@dataclass(frozen=True)
class ResponseData:
    """Scored responses (persons × items, 0/1/NaN); raw option choices and keys when known."""

    name: str
    scored: pd.DataFrame
    choices: pd.DataFrame | None = None
    key: ItemBank | dict[str, str] | None = None
    metadata: pd.DataFrame | None = None


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
) -> ResponseData:
    """Read uploaded responses: scored 0/1 (wide or long), or selected options with a bank's keys.

    Option letters (A, B, ...) need an item bank as metadata: its keys score them and the
    distractor analysis uses them.

    Example
    -------
    >>> rd = read_response_data("lsat7.csv", Path("lsat7.csv").read_bytes())  # doctest: +SKIP
    """
    meta, bank = read_metadata(*metadata) if metadata is not None else (None, None)
    try:
        scored = read_responses_upload(filename, data)
        return ResponseData(filename, scored, metadata=meta, key=bank)
    except DataError as exc:
        letters = "is not 0 or 1" in str(exc) and filename.lower().endswith(".csv")
        if not letters:
            raise
        if bank is None:
            raise DataError(
                f"{exc}; responses given as selected options need an item bank (.json) "
                "as metadata, whose keys score them"
            ) from None
    choices = _choices_frame(filename, data)
    scored = score_choices(choices, bank)
    return ResponseData(filename, scored, choices=choices, key=bank, metadata=meta)


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


@dataclass(frozen=True)
class CalibrationReport(irt_report.CalibrationReport):
    """The shared calibration report plus the dataset it came from (for titles and metadata)."""

    data: ResponseData = field(kw_only=True)


def run_calibration(data: ResponseData, model: str, *, icc_items: int = 12) -> CalibrationReport:
    """Calibrate ``model`` and collect parameters (with SEs), fit, CTT, distractors and charts.

    Raises CalibrationError for an unknown model or data that cannot be fitted.
    """
    if model not in MODELS:
        raise CalibrationError(f"unknown model {model!r}; expected one of {', '.join(MODELS)}")
    cal, messages = irt_report.fit_with_warnings(data.scored, model)
    base = irt_report.calibration_report(
        data.scored,
        cal,
        warnings=messages,
        metadata=data.metadata,
        choices=data.choices,
        key=data.key,
        icc_items=icc_items,
    )
    return CalibrationReport(**{f.name: getattr(base, f.name) for f in fields(base)}, data=data)


def compare(report: CalibrationReport, group: str, *, n_boot: int = 2000) -> pd.DataFrame:
    """Group comparison of a, b and p by a metadata column (tests, effect sizes, TOST)."""
    return compare_groups(report.parameters, group, n_boot=n_boot)


def groupings(report: CalibrationReport) -> list[str]:
    """Metadata columns that split the calibrated items into at least two groups."""
    skip = {
        "item",
        "a",
        "b",
        "d",
        "c",
        "p",
        "se_a",
        "se_b",
        "se_d",
        "se_c",
        "question_id",
        "concept_id",
    }
    meta = report.data.metadata
    if meta is None:
        return []
    return [
        c
        for c in meta.columns
        if c not in skip and c in report.parameters and report.parameters[c].nunique() >= 2
    ]


def group_chart(report: CalibrationReport, group: str) -> alt.Chart:
    """Each item's a, b and p by group (points over box plots), one panel per metric."""
    cols = [c for c in ("a", "b", "p") if c in report.parameters]
    long = report.parameters.melt(id_vars=["item", group], value_vars=cols, var_name="metric")
    colour = alt.Color(f"{group}:N", legend=None)
    base = alt.Chart(long).encode(
        x=alt.X(f"{group}:N", title=group, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
    )
    boxes = base.mark_boxplot(opacity=0.35, size=36).encode(color=colour)
    points = base.mark_circle(size=45, opacity=0.9).encode(
        color=colour, tooltip=["item", alt.Tooltip("value:Q", format=".3f")]
    )
    return (
        alt.layer(boxes, points, data=long)
        .properties(width=200, height=240)
        .facet(column=alt.Column("metric:N", title=None))
        .resolve_scale(y="independent")
        .properties(title=f"Item parameters by {group}")
    )


def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """A chart as PNG bytes (rendered by vl-convert, no browser needed)."""
    buf = _io.BytesIO()
    chart.save(buf, format="png", scale_factor=scale)
    return buf.getvalue()

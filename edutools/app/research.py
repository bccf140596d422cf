"""The researcher workspace's one call per page: read uploads, calibrate, compare, DIF.

No streamlit here. Everything statistical happens in :mod:`edutools.irt`; this module only
reads the uploads and collects the tables and charts a page shows and the Downloads page
offers. Saving and reopening analyses lives in :mod:`edutools.app.saved`.
"""

from __future__ import annotations

import io as _io
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path, PurePosixPath
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from edutools import io
from edutools.app.uploads import read_responses_upload
from edutools.errors import CalibrationError, DataError
from edutools.irt import (
    assembly,
    bank_metadata,
    compare_groups,
    mantel_haenszel,
    score_choices,
)
from edutools.irt import report as irt_report
from edutools.irt.assembly import Assembly, Spec
from edutools.schema import ItemBank

__all__ = [
    "CML_MODELS",
    "MODELS",
    "POLYTOMOUS",
    "AssemblyResult",
    "CalibrationReport",
    "ResponseData",
    "assembly_table",
    "chart_png",
    "choices_template",
    "compare",
    "dif_chart",
    "display_table",
    "example_data",
    "group_chart",
    "groupings",
    "person_groupings",
    "read_metadata",
    "read_response_data",
    "restore_report",
    "run_assembly",
    "run_calibration",
    "run_dif",
    "upload_columns",
]

MODELS = ("rasch", "1pl", "2pl", "3pl", "pcm", "gpcm", "grm", "rsm")
POLYTOMOUS = ("pcm", "gpcm", "grm", "rsm")
CML_MODELS = ("rasch", "pcm", "rsm")
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


@dataclass(frozen=True)
class CalibrationReport(irt_report.CalibrationReport):
    """The shared calibration report plus the dataset it came from (for titles and metadata)."""

    data: ResponseData = field(kw_only=True)


ICC_ITEMS = 12


def _report(
    data: ResponseData, calibration: Any, messages: Sequence[str], icc_items: int
) -> CalibrationReport:
    base = irt_report.calibration_report(
        data.scored,
        calibration,
        warnings=messages,
        metadata=data.metadata,
        choices=data.choices,
        key=data.key,
        icc_items=icc_items,
    )
    return CalibrationReport(**{f.name: getattr(base, f.name) for f in fields(base)}, data=data)


def run_calibration(
    data: ResponseData, model: str, *, method: str = "mml", icc_items: int = ICC_ITEMS
) -> CalibrationReport:
    """Calibrate ``model`` by ``method`` (mml, or cml for rasch, pcm and rsm) and collect
    parameters (with SEs), fit, CTT, distractors and charts (category curves when polytomous).

    Raises CalibrationError for an unknown model or data that cannot be fitted.
    """
    if model not in MODELS:
        raise CalibrationError(f"unknown model {model!r}; expected one of {', '.join(MODELS)}")
    if method == "cml" and model not in CML_MODELS:
        raise CalibrationError(
            f"conditional ML fits the Rasch-family models {', '.join(CML_MODELS)}, not {model}"
        )
    top = np.nanmax(data.scored.to_numpy(dtype=float)) if data.scored.size else 0
    if model not in POLYTOMOUS and top > 1:
        raise CalibrationError(
            f"{data.name}: scores go up to {top:g}; choose the model pcm, gpcm, grm or rsm"
        )
    cal, messages = irt_report.fit_with_warnings(data.scored, model, method=method)
    return _report(data, cal, messages, icc_items)


def restore_report(
    data: ResponseData,
    calibration: Any,
    *,
    tables: dict[str, pd.DataFrame],
    warnings: Sequence[str],
    alpha: float,
    icc_items: int = ICC_ITEMS,
) -> CalibrationReport:
    """The report of a saved calibration: its stored tables, the charts drawn again.

    Nothing is refitted: the charts come from the stored parameters and responses.
    """
    fresh = _report(data, calibration, warnings, icc_items)
    abilities = tables["abilities"]
    if "person" in abilities.columns:
        abilities = abilities.set_index("person")
    return replace(
        fresh,
        parameters=tables["parameters"],
        fit=tables["item_fit"],
        ctt=tables["ctt"],
        abilities=abilities,
        distractors=tables.get("distractors"),
        alpha=alpha,
    )


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
    names = {"a": "a (discrimination)", "b": "b (difficulty)", "p": "p (proportion correct)"}
    long["metric"] = long["metric"].map(names)
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
        .facet(
            column=alt.Column(
                "metric:N", title=None, header=alt.Header(labelFontSize=13, labelFontWeight="bold")
            )
        )
        .resolve_scale(y="independent")
        .properties(title=f"Item parameters by {group}")
    )


def person_groupings(report: CalibrationReport) -> list[str]:
    """Person columns of the data that split the persons into at least two groups."""
    groups = report.data.groups
    if groups is None:
        return []
    return [str(c) for c in groups.columns if groups[c].nunique() >= 2]


def run_dif(
    report: CalibrationReport, column: str, reference: str, focal: str | None = None
) -> pd.DataFrame:
    """Mantel–Haenszel DIF of every calibrated item between two groups of a person column.

    Persons are matched on their total score, so only persons who answered every item
    count; persons with no value in ``column`` are left out. ``focal`` None compares the
    reference group with everyone else.
    """
    groups = report.data.groups
    if groups is None or column not in groups.columns:
        raise DataError(
            f"no person column {column!r}; choose the columns that describe persons (gender, "
            "class, ...) under 'Person columns' when uploading"
        )
    labels = groups[column]
    frame = report.data.scored[list(report.calibration.items)]
    if np.nanmax(frame.to_numpy(dtype=float)) > 1:
        raise DataError(
            "Mantel–Haenszel DIF here compares 0/1 items; these responses are scored 0..K"
        )
    keep = labels.notna().to_numpy()
    complete = int((frame.notna().all(axis=1) & labels.notna()).sum())
    if complete < 20:
        raise DataError(
            f"Mantel–Haenszel DIF matches persons on their total score, so it needs persons "
            f"who answered every item; {complete} of {len(frame)} did (a booklet design leaves "
            "each person's other items missing)"
        )
    table = mantel_haenszel(
        frame[keep], labels[keep].astype(str).to_numpy(), reference=reference, focal=focal
    )
    table.attrs["complete_persons"] = complete
    return table


def dif_chart(table: pd.DataFrame, *, title: str = "Mantel–Haenszel DIF") -> Any:
    """Δ_MH of every item with its 95 % interval, coloured by ETS class, on the ETS bands.

    Items beyond the dashed lines (|Δ| ≥ 1) may be B, beyond the solid ones (|Δ| ≥ 1.5) C.
    """
    data = table.assign(
        low=table["delta_mh"] - 1.96 * table["se_delta"],
        high=table["delta_mh"] + 1.96 * table["se_delta"],
    ).replace([np.inf, -np.inf], np.nan)
    order = list(data.sort_values("delta_mh")["item"])
    y = alt.Y("item:N", sort=order, title=None)
    colour = alt.Color(
        "ets_class:N",
        title="ETS class",
        scale=alt.Scale(domain=["A", "B", "C"], range=["#4c78a8", "#f58518", "#e45756"]),
    )
    base = alt.Chart(data)
    # Rules placed by datum rather than by data of their own, and the height as a step per
    # item: Streamlit's renderer collapses a layered chart with a fixed height.
    rules = [
        base.mark_rule(color="#999", strokeDash=dash).encode(x=alt.datum(x))
        for x, dash in ((-1.5, [1, 0]), (-1.0, [4, 3]), (1.0, [4, 3]), (1.5, [1, 0]))
    ]
    zero = base.mark_rule(color="#333").encode(x=alt.datum(0.0))
    bars = base.mark_rule(strokeWidth=2).encode(y=y, x="low:Q", x2="high:Q", color=colour)
    points = base.mark_circle(size=60, opacity=1).encode(
        y=y,
        x=alt.X("delta_mh:Q", title="Δ_MH (positive favours the focal group)"),
        color=colour,
        tooltip=[
            "item",
            alt.Tooltip("delta_mh:Q", format=".2f"),
            alt.Tooltip("p_value:Q", format=".3f"),
            "ets_class",
        ],
    )
    subtitle = "bars: 95% interval; dashed: |Δ| = 1 (B from here), solid: |Δ| = 1.5 (C)"
    return alt.layer(*rules, zero, bars, points).properties(
        width=420, height=alt.Step(20), title=alt.Title(title, subtitle=subtitle)
    )


def display_table(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """A table ready to show: the columns without any value dropped, and their names.

    A page then says which statistics these data do not define instead of showing a column
    of blanks (and shows the remaining gaps with a placeholder, never "None").
    """
    empty = [str(c) for c in table.columns if table[c].isna().all()]
    return table.drop(columns=empty), empty


@dataclass(frozen=True)
class AssemblyResult:
    """Assembled forms, one item bank per form, and the best of random feasible forms."""

    assembly: Assembly
    banks: list[ItemBank]
    baseline: float | None


def run_assembly(
    report: CalibrationReport, bank: ItemBank, spec: Spec, *, n_random: int = 1000
) -> AssemblyResult:
    """Assemble forms from the calibrated items of ``bank`` (see :mod:`edutools.irt.assembly`).

    Bank items the calibration left out are not drawn (a note says so). With one form the
    objective of the best of ``n_random`` random feasible forms (seeded) is returned too.
    """
    import edutools

    cal = report.calibration
    result = assembly.assemble(cal, bank, spec, calibrated_only=True)
    baseline = None
    if spec.n_forms == 1 and n_random > 0:
        pool = assembly.Pool.from_bank(bank, set(cal.items))
        try:
            forms = assembly.random_forms(pool, spec, n_random, seed=0)
        except DataError:
            forms = []
        if forms:
            info = assembly.information_table(cal, spec.target_theta)
            scores = [
                assembly.objective_value(info[list(f)].sum(axis=1).to_numpy(), spec) for f in forms
            ]
            baseline = min(scores) if spec.mode == "absolute" else max(scores)
    banks = assembly.form_banks(
        bank, result, inputs={"responses": report.data.name}, version=edutools.__version__
    )
    return AssemblyResult(result, banks, baseline)


def choices_template(report: CalibrationReport, rows: int = 2) -> str:
    """A CSV of the selected-options format for the calibrated items: header and sample rows.

    Cells are option letters (A, B, ...) in the item bank's option order, blank when a person
    did not answer; with the item bank as metadata they give the distractor analysis.
    """
    items = list(report.calibration.items)
    lines = [",".join(["person", *items])]
    for r in range(1, rows + 1):
        lines.append(",".join([f"s{r:04d}", *("ABCD"[(r + j) % 4] for j in range(len(items)))]))
    return "\n".join(lines) + "\n"


def assembly_table(
    report: CalibrationReport, result: Assembly, banks: Sequence[ItemBank]
) -> pd.DataFrame:
    """One row per item of every form: form, item, concept, item form, stem, a, b, information.

    Information is each item's at the first target θ.
    """
    cal = report.calibration
    theta = result.spec.target_theta[0]
    info = assembly.information_table(cal, [theta]).iloc[0]
    params = report.parameters.set_index("item")
    rows = []
    for f, bank in enumerate(banks, start=1):
        for item in bank.items:
            rows.append(
                {
                    "form": f,
                    "item": item.id,
                    "concept": item.concept_id,
                    "item_form": item.form,
                    "stem": item.stem,
                    "a": float(params.loc[item.id, "a"]) if "a" in params else np.nan,
                    "b": float(params.loc[item.id, "b"]) if "b" in params else np.nan,
                    f"information_at_{theta:g}": float(info[item.id]),
                }
            )
    return pd.DataFrame(rows)


def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """A chart as PNG bytes (rendered by vl-convert, no browser needed)."""
    buf = _io.BytesIO()
    chart.save(buf, format="png", scale_factor=scale)
    return buf.getvalue()

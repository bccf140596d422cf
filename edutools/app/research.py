"""The researcher workspace's one call per page: calibrate, compare, DIF, assemble.

No streamlit here. Everything statistical happens in :mod:`edutools.irt`; this module only
collects the tables and charts a page shows and the Downloads page offers. Reading uploads
lives in :mod:`edutools.app.research_data` (re-exported here), saving and reopening analyses
in :mod:`edutools.app.saved`.
"""

from __future__ import annotations

import io as _io
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from edutools.app.research_data import (
    ResponseData,
    example_data,
    read_metadata,
    read_response_data,
    upload_columns,
)
from edutools.errors import CalibrationError, DataError
from edutools.irt import assembly, compare_groups, mantel_haenszel
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

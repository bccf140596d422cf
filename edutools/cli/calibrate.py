"""``edutools calibrate FILE --model 2pl``: IRT calibration of a response file.

``--json`` prints exactly the object of the design contract::

    {"model", "n_persons", "n_items", "loglik", "aic", "bic",
     "items": [{"item", "a", "b", "d", "c", "se_a", "se_b", "se_d"}]}

``--out DIR`` writes the item parameters, abilities, item fit, classical statistics and
(with ``--items``) the group comparison as CSV, plus the charts as PNG.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from edutools.cli._common import handle_errors
from edutools.errors import CalibrationError, DataError

MODELS = ("rasch", "1pl", "2pl", "3pl")
_GROUPINGS = ("source", "key_polarity")


def _fit(path: Path, model: str, n_quadrature: int) -> tuple[Any, pd.DataFrame, list[str]]:
    from edutools import io
    from edutools.irt import CalibrationWarning, calibrate

    if model not in MODELS:
        raise CalibrationError(
            f"--model {model!r} is not a model; choose one of {', '.join(MODELS)}"
        )
    frame = io.read_responses(path, allow_constant=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalibrationWarning)
        cal = calibrate(frame, model, n_quadrature=n_quadrature)
    messages = [str(w.message) for w in caught if issubclass(w.category, CalibrationWarning)]
    return cal, frame, messages


def _comparisons(table: pd.DataFrame, n_boot: int) -> pd.DataFrame:
    from edutools.irt import compare_groups

    parts = []
    for grouping in _GROUPINGS:
        if grouping in table.columns and table[grouping].nunique() >= 2:
            out = compare_groups(table, grouping, n_boot=n_boot)
            parts.append(out.assign(grouping=grouping))
    if not parts:
        return pd.DataFrame()
    merged = pd.concat(parts, ignore_index=True)
    return merged[["grouping", *[c for c in merged.columns if c != "grouping"]]]


def write_outputs(
    cal: Any, frame: pd.DataFrame, out: Path, bank: Any = None, n_boot: int = 2000
) -> list[Path]:
    """Write the CSV tables, the JSON result and the charts of a calibration into ``out``."""
    from edutools.irt import item_analysis, item_fit, item_table, person_fit, score
    from edutools.irt.fit import infit_outfit
    from edutools.irt.plots import icc_chart, information_chart, wright_map

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(name: str, table: pd.DataFrame, index: bool = False) -> None:
        path = out / name
        table.to_csv(path, index=index)
        written.append(path)

    table = item_table(cal, frame, bank)
    save("items.csv", table)
    abilities = score(cal, frame, "eap").join(person_fit(cal, frame)[["lz"]])
    save("abilities.csv", abilities, index=True)
    try:
        fit = item_fit(cal, frame)
    except DataError:  # no complete response vector: S-X² is undefined, infit/outfit are not
        fit = infit_outfit(cal, frame)
    save("fit.csv", fit)
    save("ctt.csv", item_analysis(frame[list(cal.items)]))
    if bank is not None:
        comparison = _comparisons(table, n_boot)
        if not comparison.empty:
            save("comparison.csv", comparison)
    path = out / "calibration.json"
    path.write_text(json.dumps(cal.to_dict(), indent=2) + "\n", encoding="utf-8")
    written.append(path)
    charts = {
        "icc.png": icc_chart(cal, frame),
        "information.png": information_chart(cal),
        "wright.png": wright_map(cal, abilities["theta"]),
    }
    for name, chart in charts.items():
        chart.save(str(out / name))
        written.append(out / name)
    return written


def _text_summary(cal: Any) -> str:
    head = (
        f"{cal.model}: {cal.n_persons} persons, {cal.n_items} items, loglik {cal.loglik:.3f}, "
        f"AIC {cal.aic:.2f}, BIC {cal.bic:.2f}"
    )
    table = cal.summary().drop(columns=["c", "se_c"] if cal.c is None else [])
    return head + "\n" + table.to_string(index=False, float_format=lambda v: f"{v:.4f}")


def register(app: typer.Typer) -> None:
    """Add the ``calibrate`` command to ``app``."""

    @app.command()
    @handle_errors
    def calibrate(
        path: Path = typer.Argument(
            ..., metavar="FILE", help="Responses: wide or long CSV/XLSX (0/1, blank = missing)."
        ),
        model: str = typer.Option("2pl", "--model", "-m", help="rasch, 1pl, 2pl or 3pl."),
        items: Path | None = typer.Option(
            None,
            "--items",
            help="An item bank .json: source and key polarity for the group comparison.",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
        out: Path | None = typer.Option(
            None, "--out", "-o", help="Folder for CSV tables and PNG charts."
        ),
        n_quadrature: int = typer.Option(
            61, "--quadrature", help="Quadrature nodes (at least 41 recommended)."
        ),
    ) -> None:
        """Calibrate items by marginal maximum likelihood and report parameters with SEs."""
        from edutools import io

        bank = io.read_item_bank(items) if items is not None else None
        cal, frame, messages = _fit(path, model.lower(), n_quadrature)
        for message in messages:
            typer.echo(f"warning: {message}", err=True)
        if out is not None:
            written = write_outputs(cal, frame, out, bank)
            typer.echo(f"wrote {len(written)} files to {out}", err=as_json)
        elif bank is not None:
            typer.echo(
                "note: --items is used for the group comparison, which --out writes", err=True
            )
        if as_json:
            typer.echo(json.dumps(cal.to_dict()))
        else:
            typer.echo(_text_summary(cal))

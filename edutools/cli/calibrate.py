"""``edutools calibrate FILE --model 2pl``: IRT calibration of a response file.

``--json`` prints exactly the object of the design contract::

    {"model", "n_persons", "n_items", "loglik", "aic", "bic",
     "items": [{"item", "a", "b", "d", "c", "se_a", "se_b", "se_d"}]}

``--out DIR`` writes the item parameters, abilities, item fit, classical statistics and
(with ``--items``) the group comparison as CSV, plus the charts as PNG.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from edutools.cli._common import handle_errors
from edutools.errors import CalibrationError

MODELS = ("rasch", "1pl", "2pl", "3pl")
_GROUPINGS = ("source", "key_polarity")


def _fit(path: Path, model: str, n_quadrature: int) -> tuple[Any, tuple[str, ...], pd.DataFrame]:
    from edutools import io
    from edutools.irt.report import fit_with_warnings

    if model not in MODELS:
        raise CalibrationError(
            f"--model {model!r} is not a model; choose one of {', '.join(MODELS)}"
        )
    frame = io.read_responses(path, allow_constant=True)
    cal, messages = fit_with_warnings(frame, model, n_quadrature=n_quadrature)
    return cal, messages, frame


def write_outputs(
    report: Any, out: Path, *, compare: bool = False, n_boot: int = 2000
) -> list[Path]:
    """Write the CSV tables, the JSON result and the charts of a calibration report into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    tables = report.tables()
    files = {
        "items.csv": tables["parameters"],
        "abilities.csv": tables["abilities"],
        "fit.csv": tables["item_fit"],
        "ctt.csv": tables["ctt"],
    }
    if compare:
        comparison = report.comparisons(_GROUPINGS, n_boot=n_boot)
        if not comparison.empty:
            files["comparison.csv"] = comparison
    written: list[Path] = []
    for name, table in files.items():
        table.to_csv(out / name, index=False)
        written.append(out / name)
    path = out / "calibration.json"
    path.write_text(json.dumps(report.calibration.to_dict(), indent=2) + "\n", encoding="utf-8")
    written.append(path)
    for name, chart in (
        ("icc.png", "icc"),
        ("information.png", "information"),
        ("wright.png", "wright_map"),
    ):
        report.charts[chart].save(str(out / name))
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
        cal, messages, frame = _fit(path, model.lower(), n_quadrature)
        for message in messages:
            typer.echo(f"warning: {message}", err=True)
        if out is not None:
            from edutools.irt.report import calibration_report

            report = calibration_report(frame, cal, warnings=messages, metadata=bank)
            written = write_outputs(report, out, compare=bank is not None)
            typer.echo(f"wrote {len(written)} files to {out}", err=as_json)
        elif bank is not None:
            typer.echo(
                "note: --items is used for the group comparison, which --out writes", err=True
            )
        if as_json:
            typer.echo(json.dumps(cal.to_dict()))
        else:
            typer.echo(_text_summary(cal))

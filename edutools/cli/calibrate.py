"""``edutools calibrate FILE --model 2pl [--method mml|cml]``: IRT calibration of a response file.

``--json`` prints exactly the object of the design contract::

    {"model", "n_persons", "n_items", "loglik", "aic", "bic",
     "items": [{"item", "a", "b", "d", "c", "se_a", "se_b", "se_d"}]}

Polytomous models (pcm, gpcm, grm, rsm; scores 0..K per cell) add per item ``thresholds``
and ``se_thresholds`` (the thresholds b_jk of :mod:`edutools.irt.result_poly`); their ``b``
is the item's mean threshold and ``d = -a b``. Under ``--method cml`` (rasch, pcm, rsm)
``loglik`` is the conditional log-likelihood (as psychotools and eRm report it), a = 1 and
the thresholds sum to zero over all items and categories (psychotools' ``threshpar``).

``--out DIR`` writes the item parameters, abilities, item fit, classical statistics and
(with ``--items``) the group comparison as CSV, plus the charts as PNG (category response
curves too for polytomous models).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from edutools.cli._common import handle_errors
from edutools.errors import CalibrationError, DataError

MODELS = ("rasch", "1pl", "2pl", "3pl", "pcm", "gpcm", "grm", "rsm")
POLYTOMOUS = ("pcm", "gpcm", "grm", "rsm")
CML_MODELS = ("rasch", "pcm", "rsm")
_MAX_SCORE = 99  # the reader's bound for 0..K scores; the estimators check categories
_GROUPINGS = ("source", "key_polarity")


def _read(path: Path, model: str) -> pd.DataFrame:
    from edutools import io

    if model in POLYTOMOUS:
        return io.read_responses(path, allow_constant=True, max_score=_MAX_SCORE)
    try:
        return io.read_responses(path, allow_constant=True)
    except DataError as exc:
        if "is not 0 or 1" not in str(exc):
            raise
        raise DataError(f"{exc}; for scores 0..K use --model pcm, gpcm, grm or rsm") from None


def _fit(
    path: Path, model: str, method: str, n_quadrature: int
) -> tuple[Any, tuple[str, ...], pd.DataFrame]:
    from edutools.irt.report import fit_with_warnings

    if model not in MODELS:
        raise CalibrationError(
            f"--model {model!r} is not a model; choose one of {', '.join(MODELS)}"
        )
    if method not in ("mml", "cml"):
        raise CalibrationError(f"--method {method!r} is not a method; choose mml or cml")
    if method == "cml" and model not in CML_MODELS:
        raise CalibrationError(
            f"--method cml fits the Rasch-family models {', '.join(CML_MODELS)}, not {model}; "
            "use --method mml"
        )
    frame = _read(path, model)
    cal, messages = fit_with_warnings(frame, model, method=method, n_quadrature=n_quadrature)
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
        ("categories.png", "categories"),
        ("information.png", "information"),
        ("wright.png", "wright_map"),
    ):
        if chart in report.charts:
            report.charts[chart].save(str(out / name))
            written.append(out / name)
    return written


def _text_summary(cal: Any) -> str:
    from edutools.irt.result_poly import PolyCalibration

    if isinstance(cal, PolyCalibration):
        kind = "conditional loglik" if cal.method == "CML" else "loglik"
        extra = ""
        if cal.method == "MML" and cal.model in ("pcm", "rsm"):
            extra = f", SD of θ {cal.sigma:.4f} (SE {cal.se_sigma:.4f})"
        head = (
            f"{cal.model} by {cal.method}: {cal.n_persons} persons, {cal.n_items} items, "
            f"{kind} {cal.loglik:.3f}, AIC {cal.aic:.2f}, BIC {cal.bic:.2f}{extra}"
        )
        table = cal.summary()
    else:
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
            ...,
            metavar="FILE",
            help="Responses: wide or long CSV/XLSX (0/1, or 0..K for polytomous models; "
            "blank = missing).",
        ),
        model: str = typer.Option(
            "2pl",
            "--model",
            "-m",
            help="rasch, 1pl, 2pl, 3pl, or for 0..K scores pcm, gpcm, grm, rsm (any case).",
        ),
        method: str = typer.Option(
            "mml",
            "--method",
            help="mml (marginal ML) or cml (conditional ML: rasch, pcm, rsm).",
        ),
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
            61, "--quadrature", help="Quadrature nodes (at least 41 recommended; MML only)."
        ),
    ) -> None:
        """Calibrate items (marginal or conditional ML) and report parameters with SEs."""
        from edutools import io

        bank = io.read_item_bank(items) if items is not None else None
        cal, messages, frame = _fit(
            path, model.strip().lower(), method.strip().lower(), n_quadrature
        )
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

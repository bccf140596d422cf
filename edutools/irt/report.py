"""Everything a calibration run reports, computed once for the CLI and the app alike.

:func:`calibration_report` fits a model and gathers the parameter table (with standard errors
and item metadata), item fit, classical item analysis, abilities with person fit, the
distractor analysis when raw option choices are given, and the ICC, information and Wright-map
charts. Polytomous calibrations (PCM, GPCM, GRM, RSM; MML or CML) get their thresholds in the
parameter table, infit/outfit as item fit (S-X² is for 0/1 items), expected-score ICCs and
category response curves; CML calibrations score persons by WLE.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from edutools.errors import DataError
from edutools.irt._data import CalibrationWarning
from edutools.irt.calibration import calibrate
from edutools.irt.compare import compare_groups, item_table
from edutools.irt.ctt import item_analysis
from edutools.irt.distractors import distractor_analysis
from edutools.irt.fit import infit_outfit, item_fit, person_fit
from edutools.irt.result import Calibration
from edutools.irt.result_poly import PolyCalibration
from edutools.irt.scoring import score

__all__ = ["CalibrationReport", "calibration_report", "fit_with_warnings"]


@dataclass(frozen=True)
class CalibrationReport:
    """A fitted calibration with its tables and charts.

    Attributes
    ----------
    calibration
        The fitted :class:`~edutools.irt.result.Calibration`.
    parameters
        One row per item: parameters, standard errors, and item metadata when given.
    fit
        S-X² with infit/outfit, or infit/outfit alone when no person answered every item.
    ctt
        Classical item analysis (``attrs["alpha"]`` holds KR-20/alpha).
    abilities
        EAP ability, posterior SD and the lz person-fit statistic per person.
    distractors
        Option-level analysis, when raw option choices and keys were given.
    warnings, notes
        Items excluded and why; how the optimum was reached.
    charts
        Altair charts by name: ``icc``, ``information``, ``wright_map`` and, for polytomous
        calibrations, ``categories`` (category response curves).
    """

    calibration: Calibration | PolyCalibration
    parameters: pd.DataFrame
    fit: pd.DataFrame
    ctt: pd.DataFrame
    abilities: pd.DataFrame
    distractors: pd.DataFrame | None = None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    alpha: float = math.nan
    charts: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (abilities with the person id as a column)."""
        out = {
            "parameters": self.parameters,
            "item_fit": self.fit,
            "ctt": self.ctt,
            "abilities": self.abilities.reset_index(),
        }
        if self.distractors is not None:
            out["distractors"] = self.distractors
        return out

    def comparisons(self, groupings: Sequence[str], *, n_boot: int = 2000) -> pd.DataFrame:
        """Group comparisons of a, b and p for each metadata column that has two or more groups.

        Returns one tidy table with a ``grouping`` column first (empty when no column qualifies).
        """
        parts = [
            compare_groups(self.parameters, g, n_boot=n_boot).assign(grouping=g)
            for g in groupings
            if g in self.parameters.columns and self.parameters[g].nunique() >= 2
        ]
        if not parts:
            return pd.DataFrame()
        merged = pd.concat(parts, ignore_index=True)
        return merged[["grouping", *[c for c in merged.columns if c != "grouping"]]]


def fit_with_warnings(
    data: pd.DataFrame, model: str, *, method: str = "mml", n_quadrature: int = 61
) -> tuple[Calibration | PolyCalibration, tuple[str, ...]]:
    """Fit ``model`` by ``method`` ("mml" or "cml") and collect its CalibrationWarnings
    (excluded items, non-convergence, extreme estimates) as messages instead of letting
    them print.

    Example
    -------
    >>> cal, messages = fit_with_warnings(X, "2pl")  # doctest: +SKIP
    >>> cal, messages = fit_with_warnings(X, "pcm", method="cml")  # doctest: +SKIP
    """
    kwargs = {} if str(method).lower() == "cml" else {"n_quadrature": n_quadrature}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalibrationWarning)
        cal = calibrate(data, model, method, **kwargs)
    return cal, tuple(str(w.message) for w in caught if issubclass(w.category, CalibrationWarning))


def calibration_report(
    data: pd.DataFrame,
    calibration: Calibration | PolyCalibration,
    *,
    warnings: Sequence[str] = (),
    metadata: Any = None,
    choices: pd.DataFrame | None = None,
    key: Mapping[str, str] | Any = None,
    icc_items: int | None = None,
) -> CalibrationReport:
    """Every table and chart of the report of a fitted calibration.

    Parameters
    ----------
    data : DataFrame
        The persons × items responses (0/1 or 0..K, NaN missing) the calibration was fitted to.
    calibration : Calibration or PolyCalibration
        From :func:`fit_with_warnings` (or any estimator's ``calibration_``).
    warnings : sequence of str
        The fit's warnings, kept in the report.
    metadata : ItemBank or DataFrame, optional
        Item metadata (source, form, key polarity) joined to the parameter table.
    choices, key : optional
        Raw selected options (persons × items) and the keys (a mapping or an ItemBank) for the
        distractor analysis.
    icc_items : int, optional
        Draw ICCs for the first this many items only (all by default).

    Returns
    -------
    CalibrationReport

    Example
    -------
    >>> import pandas as pd
    >>> X = pd.read_csv("tests/data/lsat7.csv")  # doctest: +SKIP
    >>> cal, messages = fit_with_warnings(X, "2pl")  # doctest: +SKIP
    >>> sorted(calibration_report(X, cal, warnings=messages).tables())  # doctest: +SKIP
    ['abilities', 'ctt', 'item_fit', 'parameters']
    """
    from edutools.irt.plots import category_chart, icc_chart, information_chart, wright_map

    cal = calibration
    frame = data[list(cal.items)]
    if isinstance(cal, PolyCalibration):  # S-X² is defined here for 0/1 items only
        fit = infit_outfit(cal, frame)
    else:
        try:
            fit = item_fit(cal, frame)
        except DataError:  # no complete response vector: S-X² is undefined, infit/outfit are not
            fit = infit_outfit(cal, frame)
    ctt = item_analysis(frame)
    method = "wle" if isinstance(cal, PolyCalibration) and cal.quadrature is None else "eap"
    abilities = score(cal, frame, method).join(  # type: ignore[arg-type]
        person_fit(cal, frame, method=method)[["lz"]]  # type: ignore[arg-type]
    )
    distractors = None
    if choices is not None and key is not None:
        distractors = distractor_analysis(choices[list(cal.items)], key)
    icc_subset = list(cal.items) if icc_items is None else list(cal.items)[:icc_items]
    charts = {
        "icc": icc_chart(cal, frame, items=icc_subset),
        "information": information_chart(cal),
        "wright_map": wright_map(cal, abilities["theta"]),
    }
    if isinstance(cal, PolyCalibration):
        charts["categories"] = category_chart(cal, frame, items=icc_subset)
    return CalibrationReport(
        calibration=cal,
        parameters=item_table(cal, frame, metadata),  # type: ignore[arg-type]
        fit=fit,
        ctt=ctt,
        abilities=abilities,
        distractors=distractors,
        warnings=tuple(warnings),
        notes=tuple(cal.notes),
        alpha=float(ctt.attrs.get("alpha", math.nan)),
        charts=charts,
    )

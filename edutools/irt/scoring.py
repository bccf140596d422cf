"""Person ability estimates: EAP (with posterior SD), MAP and ML, each with a standard error.

All three use the calibration's item parameters and, for EAP and MAP, its N(0, 1) prior:

- EAP: θ̂ = E[θ | x] over the quadrature grid, SE = posterior SD (Bock & Mislevy, 1982).
- MAP: the posterior mode, SE = 1 / sqrt(I(θ̂) + 1).
- ML: the likelihood maximum, SE = 1 / sqrt(I(θ̂)); ±inf for all-correct / all-wrong patterns.

I(θ) is the test information of the answered items. Missing responses are skipped.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from edutools.errors import DataError
from edutools.irt._data import prepare_responses
from edutools.irt._estep import iter_posterior, log_probabilities
from edutools.irt._summed import score_distribution
from edutools.irt.result import Calibration
from edutools.irt.result_poly import PolyCalibration

__all__ = ["align_responses", "score", "summed_score_table"]

Method = Literal["eap", "map", "ml", "wle"]
_BOUND = 30.0  # |θ| beyond this is reported as ±inf for ML
_ROWS = 50_000


def align_responses(calibration: Calibration, data: Any) -> pd.DataFrame:
    """The columns of ``data`` that belong to the calibration, in its item order.

    A DataFrame must contain every calibrated item (extra columns, such as excluded
    items, are dropped); an array must have one column per calibrated item, or as many
    columns as the calibration had before exclusions (named item1, item2, ...).
    """
    items = list(calibration.items)
    if isinstance(data, pd.DataFrame):
        cols = [str(c) for c in data.columns]
        missing = [i for i in items if i not in cols]
        if missing:
            raise DataError(
                f"responses lack calibrated item(s) {', '.join(missing[:5])}; expected columns {', '.join(items[:5])}..."
            )
        frame = data.copy()
        frame.columns = cols
        return frame[items]
    X = np.asarray(data, dtype=float)
    if X.ndim != 2:
        raise DataError(f"responses have {X.ndim} dimensions; expected a persons × items matrix")
    persons = pd.RangeIndex(X.shape[0], name="person")
    if X.shape[1] == len(items):
        return pd.DataFrame(X, index=persons, columns=items)
    positions = [int(i[4:]) - 1 for i in items if i.startswith("item") and i[4:].isdigit()]
    if len(positions) == len(items) and max(positions) < X.shape[1]:
        return pd.DataFrame(X[:, positions], index=persons, columns=items)
    raise DataError(f"responses have {X.shape[1]} columns; the calibration has {len(items)} items")


def _newton(
    cal: Calibration, ones: np.ndarray, obs: np.ndarray, start: np.ndarray, prior: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Fisher scoring for the ML or MAP θ of each row; returns θ and the information at θ."""
    a, d, c = cal.a, cal.d, cal.guessing
    th = start.copy()
    for _ in range(100):
        s = 1.0 / (1.0 + np.exp(-(th[:, None] * a + d)))
        P = c + (1 - c) * s
        g = (obs * a * (ones - P) * (P - c) / (P * (1 - c))).sum(axis=1)
        info = (obs * a**2 * (P - c) ** 2 * (1 - P) / ((1 - c) ** 2 * P)).sum(axis=1)
        if prior:
            g -= th
            info += 1.0
        step = g / np.maximum(info, 1e-12)
        step = np.clip(step, -1.0, 1.0)
        th = np.clip(th + step, -_BOUND, _BOUND)
        if np.abs(step).max() < 1e-10:
            break
    s = 1.0 / (1.0 + np.exp(-(th[:, None] * a + d)))
    P = c + (1 - c) * s
    info = (obs * a**2 * (P - c) ** 2 * (1 - P) / ((1 - c) ** 2 * P)).sum(axis=1)
    return th, info + (1.0 if prior else 0.0)


def score(
    calibration: Calibration | PolyCalibration, data: Any, method: Method = "eap"
) -> pd.DataFrame:
    """Ability estimates θ̂ and standard errors for every person in ``data``.

    Parameters
    ----------
    calibration : Calibration or PolyCalibration
        Item parameters (from a fitted estimator's ``calibration_``); a polytomous one is
        scored by :meth:`PolyCalibration.score <edutools.irt.result_poly.PolyCalibration.score>`,
        which also offers ``"wle"``.
    data : DataFrame or array
        Persons × items, 0/1 (or 0..K_j), NaN = missing.
    method : {"eap", "map", "ml"}
        See the module docstring for the formulas.

    Returns
    -------
    DataFrame
        Indexed by person, columns ``theta`` and ``se``. A person without responses gets the
        prior (θ = 0, SE = 1) for EAP and MAP and NaN for ML.

    Example
    -------
    >>> m = TwoPL().fit(X)  # doctest: +SKIP
    >>> score(m.calibration_, X, "eap").head()  # doctest: +SKIP
    """
    if isinstance(calibration, PolyCalibration):
        return calibration.score(data, method)
    if method not in ("eap", "map", "ml"):
        raise DataError(f"unknown scoring method {method!r}; expected 'eap', 'map' or 'ml'")
    frame = align_responses(calibration, data)
    n = len(frame)
    theta = np.full(n, np.nan if method == "ml" else 0.0)
    se = np.full(n, np.nan if method == "ml" else 1.0)
    if frame.notna().to_numpy().any():
        data_ = prepare_responses(frame, exclude_constant=False)
        quad = calibration.quadrature
        lp1, lp0 = log_probabilities(calibration.a, calibration.d, calibration.c, quad.nodes)
        eap = np.empty(data_.n_patterns)
        sd = np.empty(data_.n_patterns)
        for ch in iter_posterior(data_, lp1, lp0, quad.log_weights):
            m1 = ch.post @ quad.nodes
            eap[ch.start : ch.stop] = m1
            sd[ch.start : ch.stop] = np.sqrt(np.maximum(ch.post @ quad.nodes**2 - m1**2, 0.0))
        if method == "eap":
            t, s = eap, sd
        else:
            t = np.empty(data_.n_patterns)
            info = np.empty(data_.n_patterns)
            for start in range(0, data_.n_patterns, _ROWS):
                rows = slice(start, start + _ROWS)
                ones = data_.ones[rows].astype(float)
                obs = data_.observed[rows].astype(float)
                t[rows], info[rows] = _newton(
                    calibration, ones, obs, eap[rows], prior=method == "map"
                )
            with np.errstate(divide="ignore"):
                s = 1.0 / np.sqrt(info)
            if method == "ml":
                edge = np.abs(t) >= _BOUND - 1e-9
                t = np.where(edge, np.sign(t) * np.inf, t)
                s = np.where(edge, np.inf, s)
        idx = np.flatnonzero(data_.kept)
        theta[idx] = t[data_.inverse]
        se[idx] = s[data_.inverse]
    return pd.DataFrame({"theta": theta, "se": se}, index=frame.index)


def summed_score_table(calibration: Calibration, data: Any | None = None) -> pd.DataFrame:
    """EAP of θ for each summed score, with its SD and the model-implied score distribution.

    P(S = s) = Σ_q f_s(θ_q) w_q from the Lord–Wingersky recursion; E[θ | S = s] =
    Σ_q θ_q f_s(θ_q) w_q / P(S = s) (Thissen et al., 1995). With ``data`` (complete
    responses only) the observed and expected counts are added.

    Returns
    -------
    DataFrame
        Columns score, theta, se, probability (and observed, expected with data).

    Example
    -------
    >>> summed_score_table(m.calibration_, X)  # doctest: +SKIP
    """
    quad = calibration.quadrature
    P = calibration.probability(quad.nodes).T
    f = score_distribution(P) * quad.weights
    prob = f.sum(axis=1)
    mean = (f @ quad.nodes) / prob
    sd = np.sqrt(np.maximum((f @ quad.nodes**2) / prob - mean**2, 0.0))
    out = pd.DataFrame(
        {"score": np.arange(len(prob)), "theta": mean, "se": sd, "probability": prob}
    )
    if data is not None:
        X = align_responses(calibration, data).to_numpy(dtype=float)
        complete = ~np.isnan(X).any(axis=1)
        scores = X[complete].sum(axis=1).astype(int)
        out["observed"] = np.bincount(scores, minlength=len(prob))
        out["expected"] = prob * complete.sum()
    return out

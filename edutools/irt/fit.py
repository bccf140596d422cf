"""Item fit (S-X², infit, outfit) and person fit (lz).

S-X² (Orlando & Thissen, 2000) compares, within each summed-score group s = 1..J-1, the
observed proportion correct O_js with the model's

    E_js = Σ_q P_j(θ_q) f*_{s-1}(θ_q) w_q / Σ_q f_s(θ_q) w_q,

where f_s is the Lord–Wingersky score distribution and f* leaves item j out:
S-X² = Σ_s N_s (O_js - E_js)² / (E_js (1 - E_js)), on (groups - item parameters) df.
Groups whose expected counts fall below ``mincell`` are merged with their neighbours, from
the tails inwards, as mirt's ``itemfit`` does. Only complete response vectors enter.

Infit and outfit mean squares (Wright & Masters, 1982) use residuals z = (x - E) / sqrt(W)
with E the expected score and W its variance (E = P, W = P (1 - P) for 0/1 items; for
polytomous items E = Σ_k k P_k, W = Σ_k (k - E)² P_k): outfit = mean z²,
infit = Σ (x - E)² / Σ W; their t statistics use the Wilson–Hilferty cube-root
transformation with the variances of Wright & Masters (the fourth central moment C of
the score enters).

lz (Drasgow, Levine & Williams, 1985) standardises the log-likelihood of a response vector:
lz = (l0 - E[l0]) / sqrt(Var[l0]), l0 = Σ_j log P_j(x_j), also for polytomous items.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from edutools.errors import DataError
from edutools.irt._summed import score_distribution
from edutools.irt.result import Calibration
from edutools.irt.result_poly import PolyCalibration
from edutools.irt.scoring import Method, align_responses, score

__all__ = ["infit_outfit", "item_fit", "person_fit", "sx2"]

_ITEM_PARAMS = {"rasch": 1, "1pl": 1, "2pl": 2, "3pl": 3}


def _collapse(
    obs1: np.ndarray, n: np.ndarray, exp1: np.ndarray, mincell: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge adjacent score groups until every expected count (correct and incorrect) is >= mincell."""
    groups = [[float(o), float(k), float(e)] for o, k, e in zip(obs1, n, exp1, strict=True)]

    def small(g: list[float]) -> bool:
        return min(g[2], g[1] - g[2]) < mincell

    def merge(i: int, k: int) -> None:
        groups[k] = [groups[k][t] + groups[i][t] for t in range(3)]
        del groups[i]

    while len(groups) > 1 and small(groups[0]):
        merge(0, 1)
    while len(groups) > 1 and small(groups[-1]):
        merge(len(groups) - 1, len(groups) - 2)
    i = 1
    while i < len(groups) - 1:
        if small(groups[i]):
            k = i - 1 if groups[i - 1][1] <= groups[i + 1][1] else i + 1
            merge(i, k)
            i = max(1, i - 1)
        else:
            i += 1
    arr = np.array(groups)
    return arr[:, 0], arr[:, 1], arr[:, 2]


def sx2(calibration: Calibration, data: Any, *, mincell: float = 1.0) -> pd.DataFrame:
    """Orlando–Thissen S-X² item fit statistic with df, p-value and RMSEA.

    Parameters
    ----------
    calibration : Calibration
    data : DataFrame or array
        Persons × items; persons with a missing response are left out.
    mincell : float
        Smallest expected count per cell before neighbouring score groups are merged
        (mirt's default 1; 0 merges nothing).

    Returns
    -------
    DataFrame
        Columns item, S_X2, df, p_value, RMSEA, n.

    Example
    -------
    >>> sx2(TwoPL().fit(X).calibration_, X)  # doctest: +SKIP
    """
    X = align_responses(calibration, data).to_numpy(dtype=float)
    X = X[~np.isnan(X).any(axis=1)]
    N, J = X.shape
    if N == 0:
        raise DataError(
            "S-X² needs persons with complete responses; every person has a missing response"
        )
    quad = calibration.quadrature
    P = calibration.probability(quad.nodes).T  # items × nodes
    full = score_distribution(P) * quad.weights
    denom = full.sum(axis=1)
    total = X.sum(axis=1).astype(int)
    n_s = np.bincount(total, minlength=J + 1)[1:J]
    k = _ITEM_PARAMS.get(calibration.model, 2)
    rows = []
    for j in range(J):
        rest = score_distribution(np.delete(P, j, axis=0)) * quad.weights
        expected = (rest[:-1] * P[j]).sum(axis=1)[0 : J - 1] / denom[1:J]
        obs1 = np.bincount(total, weights=X[:, j], minlength=J + 1)[1:J]
        keep = n_s > 0
        o1, n, e1 = _collapse(obs1[keep], n_s[keep].astype(float), (expected * n_s)[keep], mincell)
        e = e1 / n
        stat = float((n * (o1 / n - e) ** 2 / (e * (1 - e))).sum())
        df = len(n) - k
        p = float(stats.chi2.sf(stat, df)) if df > 0 else np.nan
        rmsea = np.sqrt(max(0.0, (stat - df) / (df * (N - 1)))) if df > 0 else np.nan
        rows.append(
            {
                "item": calibration.items[j],
                "S_X2": stat,
                "df": df,
                "p_value": p,
                "RMSEA": rmsea,
                "n": N,
            }
        )
    return pd.DataFrame(rows)


AnyCalibration = Calibration | PolyCalibration


def _theta(
    calibration: AnyCalibration, frame: pd.DataFrame, theta: Any, method: Method
) -> np.ndarray:
    if theta is None:
        if isinstance(calibration, PolyCalibration) and calibration.quadrature is None:
            method = "wle"  # a CML calibration has no θ distribution for EAP
        return score(calibration, frame, method)["theta"].to_numpy()
    th = np.asarray(theta, dtype=float).reshape(-1)
    if th.size != len(frame):
        raise DataError(f"theta has {th.size} values for {len(frame)} persons")
    return th


def _score_moments(
    calibration: AnyCalibration, th: np.ndarray, X: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per person and item: expected score E, variance W, fourth central moment C and the
    log-probability of the observed score (persons × items; P clipped away from 0 and 1)."""
    if isinstance(calibration, PolyCalibration):
        probs = calibration.category_probabilities(th)
        shape = (th.size, len(probs))
        E, W, C, logp = (np.zeros(shape) for _ in range(4))
        x = np.nan_to_num(X).astype(int)
        for j, P in enumerate(probs):
            P = np.clip(P, 1e-12, 1.0)
            k = np.arange(P.shape[1])
            E[:, j] = P @ k
            dev = k[None, :] - E[:, j, None]
            W[:, j] = (P * dev**2).sum(axis=1)
            C[:, j] = (P * dev**4).sum(axis=1)
            logp[:, j] = np.log(P[np.arange(th.size), np.minimum(x[:, j], P.shape[1] - 1)])
        return E, np.maximum(W, 1e-24), C, logp
    # as in person_fit: P rounds to 0 or 1 for extreme estimates; keep W = P(1 - P) > 0
    P = np.clip(calibration.probability(th), 1e-12, 1.0 - 1e-12)
    x = np.nan_to_num(X)
    C = P * (1 - P) ** 4 + (1 - P) * P**4  # fourth central moment of a Bernoulli
    logp = x * np.log(P) + (1 - x) * np.log1p(-P)
    return P, P * (1 - P), C, logp


def infit_outfit(
    calibration: AnyCalibration, data: Any, theta: Any = None, *, method: Method = "eap"
) -> pd.DataFrame:
    """Infit and outfit mean squares with their t statistics, per item.

    Persons whose θ is not finite (ML for perfect scores) are left out. Polytomous
    calibrations use the expected score and its variance (module docstring); a CML
    calibration scores persons by WLE.

    Parameters
    ----------
    calibration : Calibration or PolyCalibration
    data : DataFrame or array
    theta : array-like, optional
        Person abilities; by default ``score(calibration, data, method)``.
    method : {"eap", "map", "ml"}

    Returns
    -------
    DataFrame
        Columns item, infit, infit_t, outfit, outfit_t, n.

    Example
    -------
    >>> infit_outfit(cal, X)  # doctest: +SKIP
    """
    frame = align_responses(calibration, data)  # type: ignore[arg-type]
    th = _theta(calibration, frame, theta, method)
    X = frame.to_numpy(dtype=float)
    ok = np.isfinite(th)
    X, th = X[ok], th[ok]
    E, W, C, _ = _score_moments(calibration, th, X)
    obs = ~np.isnan(X)
    R2 = np.where(obs, (np.nan_to_num(X) - E) ** 2, 0.0)
    n = obs.sum(axis=0)
    Wm = np.where(obs, W, 0.0)
    outfit = np.where(obs, R2 / W, 0.0).sum(axis=0) / n
    infit = R2.sum(axis=0) / Wm.sum(axis=0)
    q_out = np.sqrt(np.where(obs, C / W**2, 0.0).sum(axis=0) / n**2 - 1.0 / n)
    q_in = np.sqrt(np.where(obs, C - W**2, 0.0).sum(axis=0) / Wm.sum(axis=0) ** 2)
    return pd.DataFrame(
        {
            "item": list(calibration.items),
            "infit": infit,
            "infit_t": (np.cbrt(infit) - 1) * 3 / q_in + q_in / 3,
            "outfit": outfit,
            "outfit_t": (np.cbrt(outfit) - 1) * 3 / q_out + q_out / 3,
            "n": n,
        }
    )


def item_fit(
    calibration: Calibration, data: Any, *, mincell: float = 1.0, method: Method = "eap"
) -> pd.DataFrame:
    """S-X² and infit/outfit in one table (see :func:`sx2` and :func:`infit_outfit`).

    Example
    -------
    >>> item_fit(TwoPL().fit(X).calibration_, X)  # doctest: +SKIP
    """
    a = sx2(calibration, data, mincell=mincell).rename(columns={"n": "n_complete"})
    b = infit_outfit(calibration, data, method=method)
    return a.merge(b, on="item")


def person_fit(
    calibration: AnyCalibration, data: Any, theta: Any = None, *, method: Method = "eap"
) -> pd.DataFrame:
    """The lz person-fit statistic of every person (Drasgow, Levine & Williams, 1985).

    l0 = Σ_j log P_j(x_j), E[l0] = Σ_j Σ_k P_jk log P_jk, Var[l0] = Σ_j (Σ_k P_jk log² P_jk
    - (Σ_k P_jk log P_jk)²), over the answered items at θ̂ (for 0/1 items Var[l0] =
    Σ_j P (1 - P) log²(P / (1 - P))). Large negative values flag aberrant response vectors;
    lz is approximately N(0, 1) under the model.

    Returns
    -------
    DataFrame
        Indexed by person, columns theta, lz, n_items.

    Example
    -------
    >>> person_fit(cal, X).sort_values("lz").head()  # doctest: +SKIP
    """
    frame = align_responses(calibration, data)  # type: ignore[arg-type]
    th = _theta(calibration, frame, theta, method)
    X = frame.to_numpy(dtype=float)
    obs = ~np.isnan(X)
    lz = np.full(len(frame), np.nan)
    ok = np.isfinite(th)
    th0 = np.where(ok, th, 0.0)
    _, _, _, logp = _score_moments(calibration, th0, X)
    l0 = np.where(obs, logp, 0.0).sum(axis=1)
    # P can round to exactly 0 or 1 for extreme estimates; the terms' limits are finite
    # (P (1 - P) log²(P / (1 - P)) -> 0), so clip instead of letting inf * 0 make NaN.
    if isinstance(calibration, PolyCalibration):
        mean_j, var_j = [], []
        for P in calibration.category_probabilities(th0):
            P = np.clip(P, 1e-12, 1.0)
            lp = np.log(P)
            m = (P * lp).sum(axis=1)
            mean_j.append(m)
            var_j.append((P * lp**2).sum(axis=1) - m**2)
        mean_terms, var_terms = np.column_stack(mean_j), np.column_stack(var_j)
    else:
        P = np.clip(calibration.probability(th0), 1e-12, 1.0 - 1e-12)
        logP, log1P = np.log(P), np.log1p(-P)
        mean_terms = P * logP + (1 - P) * log1P
        var_terms = P * (1 - P) * (logP - log1P) ** 2
    mean = np.where(obs, mean_terms, 0.0).sum(axis=1)
    var = np.where(obs, var_terms, 0.0).sum(axis=1)
    good = ok & (var > 0)
    lz[good] = (l0[good] - mean[good]) / np.sqrt(var[good])
    return pd.DataFrame({"theta": th, "lz": lz, "n_items": obs.sum(axis=1)}, index=frame.index)

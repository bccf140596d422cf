"""Mantel–Haenszel differential item functioning between two groups of persons.

Persons are matched on their total score (studied item included, Holland & Thayer, 1988).
In each score stratum k with N_k ≥ 2 persons, the 2 × 2 table (reference / focal ×
correct / wrong) has cells A_k, B_k, C_k, D_k. Then

    α_MH = Σ A_k D_k / N_k  /  Σ B_k C_k / N_k,
    χ²_MH = (|Σ A_k - Σ E[A_k]| - 1/2)² / Σ Var[A_k],
    Δ_MH = -2.35 ln α_MH  (the ETS delta scale),

with E[A_k] = n_Rk m_1k / N_k and Var[A_k] = n_Rk n_Fk m_1k m_0k / (N_k² (N_k - 1)). The SE of
ln α_MH is the Robins–Breslow–Greenland estimate. ETS classes (Zwick, 2012): A when
|Δ| < 1 or χ²_MH is not significant; C when |Δ| ≥ 1.5 and |Δ| is significantly above 1;
B otherwise. Positive Δ favours the focal group. Matches R's ``mantelhaen.test``; see
tests/irt/r/reference.R.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from edutools.errors import DataError
from edutools.irt._data import response_matrix

__all__ = ["mantel_haenszel"]


def mantel_haenszel(
    data: Any, group: Any, *, reference: Any, focal: Any = None, alpha: float = 0.05
) -> pd.DataFrame:
    """Mantel–Haenszel DIF statistics of every item.

    Parameters
    ----------
    data : DataFrame or array
        Persons × items, 0/1; persons with a missing response are left out.
    group : array-like or str
        Group label of every person (or, with a DataFrame, the name of a column of
        ``data`` that holds it; that column is not treated as an item).
    reference : label
        The reference group.
    focal : label, optional
        The focal group; by default every person not in the reference group.
    alpha : float
        Level of the χ² test and of the ETS classification.

    Returns
    -------
    DataFrame
        Columns item, n_reference, n_focal, alpha_mh, delta_mh, se_delta, chi2, p_value,
        ets_class.

    Example
    -------
    >>> mantel_haenszel(X, groups, reference="boys")  # doctest: +SKIP
    """
    if isinstance(group, str) and isinstance(data, pd.DataFrame) and group in data.columns:
        labels = data[group].to_numpy()
        data = data.drop(columns=[group])
    else:
        labels = np.asarray(group)
    X, items, _ = response_matrix(data)
    if labels.shape != (X.shape[0],):
        raise DataError(f"group has {labels.size} labels for {X.shape[0]} persons")
    ref = labels == reference
    foc = ~ref if focal is None else labels == focal
    if not ref.any() or not foc.any():
        raise DataError(
            f"need persons in both groups; reference {reference!r}: {int(ref.sum())}, focal: {int(foc.sum())}"
        )
    keep = ~np.isnan(X).any(axis=1) & (ref | foc)
    X, ref = X[keep], ref[keep]
    total = X.sum(axis=1).astype(int)
    z = stats.norm.ppf(1 - alpha)
    rows = []
    for j, item in enumerate(items):
        x = X[:, j]
        A = np.bincount(total, weights=(x == 1) & ref)
        B = np.bincount(total, weights=(x == 0) & ref)
        C = np.bincount(total, weights=(x == 1) & ~ref)
        D = np.bincount(total, weights=(x == 0) & ~ref)
        N = A + B + C + D
        s = N >= 2
        A, B, C, D, N = A[s], B[s], C[s], D[s], N[s]
        nR, nF, m1, m0 = A + B, C + D, A + C, B + D
        EA = nR * m1 / N
        VA = nR * nF * m1 * m0 / (N**2 * (N - 1))
        R, S = A * D / N, B * C / N
        with np.errstate(divide="ignore", invalid="ignore"):
            a_mh = R.sum() / S.sum()
            chi2 = (abs(A.sum() - EA.sum()) - 0.5) ** 2 / VA.sum() if VA.sum() > 0 else np.nan
            Pk, Qk = (A + D) / N, (B + C) / N
            var_log = (
                (Pk * R).sum() / (2 * R.sum() ** 2)
                + (Pk * S + Qk * R).sum() / (2 * R.sum() * S.sum())
                + (Qk * S).sum() / (2 * S.sum() ** 2)
            )
            delta = -2.35 * np.log(a_mh)
        se_delta = 2.35 * np.sqrt(var_log)
        p = float(stats.chi2.sf(chi2, 1)) if np.isfinite(chi2) else np.nan
        if not np.isfinite(delta) or abs(delta) < 1 or not p < alpha:
            cls = "A"
        elif abs(delta) >= 1.5 and (abs(delta) - 1) / se_delta > z:
            cls = "C"
        else:
            cls = "B"
        rows.append(
            {
                "item": item,
                "n_reference": int(nR.sum()),
                "n_focal": int(nF.sum()),
                "alpha_mh": float(a_mh),
                "delta_mh": float(delta),
                "se_delta": float(se_delta),
                "chi2": float(chi2),
                "p_value": p,
                "ets_class": cls,
            }
        )
    return pd.DataFrame(rows)

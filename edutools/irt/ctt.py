"""Classical item analysis: difficulty, discrimination and reliability.

- p: proportion correct among persons who answered the item (for an item scored 0..K: the
  mean score over K, the proportion of the maximum).
- r_drop: corrected item-total (point-biserial) correlation, the item against the sum of
  the other items, from the covariance matrix as psych::alpha computes it (``r.drop``).
- D: upper-lower discrimination index, p in the top 27 % minus p in the bottom 27 % of
  total scores (Kelley, 1939); on the same 0..1 scale for items scored 0..K.
- alpha (KR-20 for 0/1 items): k / (k - 1) · (1 - Σ var_j / var_total), and alpha with each
  item deleted (psych's ``raw_alpha`` in ``alpha.drop``).

Covariances are pairwise over the persons who answered both items, as psych does by
default, so missing responses are handled the same way; for complete data every value
equals its textbook form. Matches R's psych::alpha; see tests/irt/r/reference.R.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from edutools.errors import DataError
from edutools.irt._data import response_matrix

__all__ = ["alpha", "item_analysis"]


def _pairwise_cov(X: np.ndarray) -> np.ndarray:
    obs = (~np.isnan(X)).astype(float)
    Z = np.nan_to_num(X)
    n = obs.T @ obs
    sx = Z.T @ obs  # sums of item j over persons who answered k
    sxy = Z.T @ Z
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sxy - sx * sx.T / n) / (n - 1)


def _share_correct(X: np.ndarray) -> np.ndarray:
    seen = (~np.isnan(X)).sum(axis=0)
    return np.where(seen > 0, np.nansum(X, axis=0) / np.maximum(seen, 1), np.nan)


def _alpha_from_cov(C: np.ndarray) -> float:
    k = C.shape[0]
    return float(k / (k - 1) * (1 - np.trace(C) / C.sum()))


def alpha(data: Any) -> float:
    """Cronbach's alpha (KR-20 for dichotomous items) from pairwise covariances.

    alpha = k / (k - 1) · (1 - tr(C) / Σ C), C the item covariance matrix (Cronbach, 1951).

    Example
    -------
    >>> import numpy as np
    >>> round(alpha(np.array([[1, 1], [0, 0], [1, 0], [1, 1]])), 3)
    0.727
    """
    X, _, _ = response_matrix(data)
    if X.shape[1] < 2:
        raise DataError(f"alpha needs at least 2 items, got {X.shape[1]}")
    return _alpha_from_cov(_pairwise_cov(X))


def item_analysis(data: Any, *, group_share: float = 0.27) -> pd.DataFrame:
    """Classical statistics of every item, as one tidy table.

    Parameters
    ----------
    data : DataFrame or array
        Persons × items, 0/1 (or 0..K), NaN = missing.
    group_share : float
        Share of persons in each of the upper and lower groups for D (default 27 %).

    Returns
    -------
    DataFrame
        Columns item, n, p, r_drop, D, alpha_if_deleted; ``DataFrame.attrs["alpha"]``
        holds the alpha of all items.

    Example
    -------
    >>> item_analysis(X).round(3)  # doctest: +SKIP
    """
    X, items, _ = response_matrix(data)
    if X.shape[1] < 3:
        raise DataError(f"item analysis needs at least 3 items, got {X.shape[1]}")
    if not 0 < group_share <= 0.5:
        raise DataError(f"group_share={group_share}; expected a share in (0, 0.5]")
    C = _pairwise_cov(X)
    k = len(items)
    obs = ~np.isnan(X)
    n = obs.sum(axis=0)
    top = np.maximum(np.nanmax(np.where(obs, X, 0.0), axis=0), 1.0)  # K of items scored 0..K
    p = np.nansum(X, axis=0) / n / top
    total_var = C.sum()
    r_drop = np.empty(k)
    a_drop = np.empty(k)
    for j in range(k):
        others = np.delete(np.arange(k), j)
        cov_rest = C[j, others].sum()
        var_rest = C[np.ix_(others, others)].sum()
        r_drop[j] = cov_rest / np.sqrt(C[j, j] * var_rest)
        a_drop[j] = _alpha_from_cov(C[np.ix_(others, others)])
    # rank by the share correct of the answered items, so that missing answers do not count as wrong
    answered = obs.sum(axis=1)
    score = np.where(answered > 0, np.nansum(X, axis=1) / np.maximum(answered, 1), np.nan)
    valid = np.flatnonzero(~np.isnan(score))
    order = valid[np.argsort(score[valid], kind="stable")]
    g = max(1, round(group_share * order.size))
    lower, upper = order[:g], order[-g:]
    D = (_share_correct(X[upper]) - _share_correct(X[lower])) / top
    out = pd.DataFrame(
        {"item": items, "n": n, "p": p, "r_drop": r_drop, "D": D, "alpha_if_deleted": a_drop}
    )
    out.attrs["alpha"] = float(k / (k - 1) * (1 - np.trace(C) / total_var))
    return out

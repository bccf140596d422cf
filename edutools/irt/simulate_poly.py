"""Seeded simulation of polytomous items and responses (PCM, GPCM, GRM, RSM).

Parameters are in the IRT form the estimators report: slopes ``a`` and per item the
thresholds b_j1..b_jK (step difficulties for the divide-by-total models, boundary locations
for the graded model), θ ~ N(0, sd²).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from edutools.errors import DataError

__all__ = ["category_probabilities", "simulate_poly_items", "simulate_polytomous"]

_MODELS = ("pcm", "gpcm", "grm", "rsm")


def category_probabilities(
    model: str, a: float, thresholds: Sequence[float], theta: Any
) -> np.ndarray:
    """P(X = k | θ) for k = 0..K of one item, rows θ.

    - divide-by-total (pcm, gpcm, rsm): P(X = k) ∝ exp(sum_{v<=k} a (θ - b_v));
    - graded (grm): P(X >= k) = 1 / (1 + exp(-a (θ - b_k))).

    Example
    -------
    >>> category_probabilities("gpcm", 1.0, [0.0], [0.0]).round(2).tolist()
    [[0.5, 0.5]]
    """
    th = np.atleast_1d(np.asarray(theta, dtype=float))
    b = np.asarray(thresholds, dtype=float)
    if model == "grm":
        star = 1.0 / (1.0 + np.exp(-a * (th[:, None] - b[None, :])))
        upper = np.concatenate([np.ones((th.size, 1)), star], axis=1)
        lower = np.concatenate([star, np.zeros((th.size, 1))], axis=1)
        return np.clip(upper - lower, 0.0, 1.0)
    z = np.concatenate(
        [np.zeros((th.size, 1)), np.cumsum(a * (th[:, None] - b[None, :]), axis=1)], 1
    )
    z -= z.max(axis=1, keepdims=True)
    P = np.exp(z)
    return P / P.sum(axis=1, keepdims=True)


def simulate_poly_items(
    n_items: int,
    model: str = "gpcm",
    *,
    n_categories: int | Sequence[int] = 4,
    seed: int,
    a_mean: float = 0.0,
    a_sd: float = 0.25,
    b_sd: float = 1.0,
    prefix: str = "item",
) -> pd.DataFrame:
    """Draw items: a ~ LogNormal(a_mean, a_sd) (1 for pcm/rsm), a location ~ N(0, b_sd²) and
    thresholds spread evenly around it (ordered, 0.8 apart on average, with noise).

    Returns
    -------
    DataFrame
        Columns item, a, thresholds (a list per item).

    Example
    -------
    >>> simulate_poly_items(2, "gpcm", n_categories=3, seed=1)["thresholds"].map(len).tolist()
    [2, 2]
    """
    if model not in _MODELS:
        raise DataError(f"unknown model {model!r}; expected one of {', '.join(_MODELS)}")
    rng = np.random.default_rng(seed)
    cats = np.broadcast_to(np.asarray(n_categories, dtype=int), (n_items,))
    if cats.min() < 2:
        raise DataError("every item needs at least 2 categories")
    if model == "rsm" and np.unique(cats).size > 1:
        raise DataError("the rating scale model needs the same number of categories for every item")
    a = rng.lognormal(a_mean, a_sd, n_items) if model in ("gpcm", "grm") else np.ones(n_items)
    loc = rng.normal(0.0, b_sd, n_items)
    steps_common = None
    if model == "rsm":
        K = int(cats[0]) - 1
        steps_common = np.sort(rng.normal(0, 0.15, K) + 0.8 * (np.arange(K) - (K - 1) / 2))
        steps_common -= steps_common.mean()
    thresholds = []
    for j in range(n_items):
        K = int(cats[j]) - 1
        if steps_common is not None:
            b = loc[j] + steps_common
        else:
            b = loc[j] + 0.8 * (np.arange(K) - (K - 1) / 2) + rng.normal(0, 0.15, K)
            b = np.sort(b)
        thresholds.append(b)
    return pd.DataFrame(
        {"item": [f"{prefix}{j + 1}" for j in range(n_items)], "a": a, "thresholds": thresholds}
    )


def simulate_polytomous(
    items: pd.DataFrame,
    n_persons: int,
    model: str = "gpcm",
    *,
    seed: int,
    theta_sd: float = 1.0,
    missing_rate: float = 0.0,
) -> tuple[pd.DataFrame, pd.Series]:
    """Draw θ ~ N(0, theta_sd²) and one score per person and item; MCAR missingness.

    Returns
    -------
    (DataFrame, Series)
        Responses (persons × items, floats, NaN missing) and the true θ.

    Example
    -------
    >>> items = simulate_poly_items(3, "grm", seed=1)
    >>> X, theta = simulate_polytomous(items, 10, "grm", seed=2)
    >>> X.shape
    (10, 3)
    """
    if model not in _MODELS:
        raise DataError(f"unknown model {model!r}; expected one of {', '.join(_MODELS)}")
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, theta_sd, n_persons)
    u = rng.random((n_persons, len(items)))
    X = np.empty((n_persons, len(items)))
    for j, (a, b) in enumerate(zip(items["a"], items["thresholds"], strict=True)):
        P = category_probabilities(model, float(a), b, theta)
        X[:, j] = (u[:, j, None] > np.cumsum(P, axis=1)[:, :-1]).sum(axis=1)
    if missing_rate > 0:
        X[rng.random(X.shape) < missing_rate] = np.nan
    persons = pd.RangeIndex(n_persons, name="person")
    frame = pd.DataFrame(X, index=persons, columns=list(items["item"]))
    return frame, pd.Series(theta, index=persons, name="theta")

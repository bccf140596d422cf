"""Scores 0..K_j per item turned into the compact form the polytomous E-step works on.

Each item j with categories 0..K_j becomes K_j indicator columns ``[x_ij = k]``, k = 1..K_j
(category 0 is the reference), so that the log-likelihood of a pattern at a node is one
matrix product, as for the dichotomous models::

    log L[i, q] = sum_j m_ij log P_j0(θ_q) + sum_{j, k>=1} [x_ij = k] (log P_jk - log P_j0)(θ_q)

With missing responses the indicators m_ij of the answered items follow as J more columns;
without, the first sum is the same for every pattern and goes into the bias. Identical
patterns are merged and counted.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from edutools.errors import CalibrationError, DataError
from edutools.irt._data import CalibrationWarning, _unique_rows, _worth_collapsing, response_matrix

__all__ = ["PolyData", "prepare_polytomous", "score_matrix"]

_MAX_CATEGORIES = 100


@dataclass(frozen=True)
class PolyData:
    """Distinct patterns of category scores with their frequencies.

    ``cats[p, j]`` is the score of pattern p on item j, or -1 when missing. ``design`` is the
    uint8 matrix ``[Y | M]`` described in the module docstring (``M`` only with missing
    responses); ``col_item`` and ``col_cat`` name the item and category of each Y column.
    """

    items: list[str]
    persons: pd.Index
    n_cat: np.ndarray  # K_j + 1 per item
    cats: np.ndarray  # int16, patterns × items, -1 = missing
    design: np.ndarray
    counts: np.ndarray
    inverse: np.ndarray
    kept: np.ndarray
    has_missing: bool
    excluded: dict[str, str] = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        """Calibrated items."""
        return len(self.items)

    @property
    def n_patterns(self) -> int:
        """Distinct response patterns."""
        return int(self.counts.size)

    @property
    def n_persons(self) -> int:
        """Persons with at least one response."""
        return int(self.counts.sum())

    @property
    def n_y(self) -> int:
        """Number of category-indicator columns, sum of K_j."""
        return int((self.n_cat - 1).sum())

    @property
    def col_item(self) -> np.ndarray:
        """Item of each indicator column."""
        return np.repeat(np.arange(self.n_items), self.n_cat - 1)

    @property
    def col_cat(self) -> np.ndarray:
        """Category (1..K_j) of each indicator column."""
        return np.concatenate([np.arange(1, k) for k in self.n_cat])

    @property
    def observed(self) -> np.ndarray:
        """1 where the pattern answered the item (uint8, patterns × items)."""
        return (self.cats >= 0).astype(np.uint8)

    def category_counts(self) -> np.ndarray:
        """Persons per item and category, items × (max K + 1), zero-padded."""
        out = np.zeros((self.n_items, int(self.n_cat.max())))
        for j in range(self.n_items):
            seen = self.cats[:, j] >= 0
            out[j] = np.bincount(
                self.cats[seen, j], weights=self.counts[seen], minlength=out.shape[1]
            )
        return out


def score_matrix(data: Any) -> tuple[np.ndarray, list[str], pd.Index]:
    """Validate integer scores 0..K (NaN = missing); returns floats, item names, person ids.

    A cell that is negative, not a whole number or above 100 raises :class:`DataError`
    naming the item, the person and the value.
    """
    X, items, persons = response_matrix(data)
    observed = ~np.isnan(X)
    bad = observed & ((X < 0) | (np.round(X) != X) | (X >= _MAX_CATEGORIES))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataError(
            f"item '{items[j]}', person {persons[i]}: value {float(X[i, j]):g} is not a whole "
            f"score 0, 1, 2, ... (below {_MAX_CATEGORIES}) or missing (NaN)"
        )
    return X, items, persons


def prepare_polytomous(
    data: Any,
    *,
    n_cat: np.ndarray | None = None,
    exclude_constant: bool = True,
    collapse: bool | None = None,
) -> PolyData:
    """Validate scores, exclude items with one category (with a warning), collapse patterns.

    Parameters
    ----------
    data : array-like or DataFrame
        Persons × items, whole scores 0..K_j, NaN = missing.
    n_cat : array of int, optional
        Categories per item of a fitted calibration (for scoring new responses); scores above
        them are an error. By default K_j is the highest observed score and every category
        0..K_j must occur.
    exclude_constant : bool
        Exclude items with a single observed category (for calibration).
    collapse : bool, optional
        Merge identical patterns (by default when it saves work).

    Returns
    -------
    PolyData
    """
    X, items, persons = score_matrix(data)
    observed = ~np.isnan(X)
    excluded: dict[str, str] = {}
    if n_cat is None:
        top = np.where(observed, X, -1).max(axis=0)
        for j, name in enumerate(items):
            if top[j] < 0:
                excluded[name] = "no responses"
                continue
            seen = np.unique(X[observed[:, j], j]).astype(int)
            if exclude_constant and seen.size == 1:
                excluded[name] = f"every response is {seen[0]}"
                continue
            empty = sorted(set(range(int(top[j]) + 1)) - set(seen.tolist()))
            if empty:
                raise CalibrationError(
                    f"item '{name}' has no response in score {empty[0]} of 0..{int(top[j])}; "
                    "recode its scores to consecutive categories 0..K (merge the empty one "
                    "with a neighbour)"
                )
        K = np.maximum(top, 0).astype(int)
    else:
        K = np.asarray(n_cat, dtype=int) - 1
        if K.size != len(items):
            raise DataError(f"responses have {len(items)} items; the calibration has {K.size}")
        over = observed & (K[None, :] < X)
        if over.any():
            i, j = np.argwhere(over)[0]
            raise DataError(
                f"item '{items[j]}', person {persons[i]}: score {float(X[i, j]):g} is above the "
                f"calibrated maximum {K[j]}"
            )
    if excluded:
        listed = "; ".join(f"{k}: {v}" for k, v in excluded.items())
        warnings.warn(
            f"excluded {len(excluded)} item(s) without variance from the calibration ({listed})",
            CalibrationWarning,
            stacklevel=3,
        )
        keep = np.array([name not in excluded for name in items])
        if keep.sum() < 2:
            raise CalibrationError(
                f"only {int(keep.sum())} item(s) have more than one observed score; "
                "a calibration needs at least 2"
            )
        X, K, observed = X[:, keep], K[keep], observed[:, keep]
        items = [i for i in items if i not in excluded]
    kept = observed.any(axis=1)
    cats = np.where(observed, X, -1)[kept].astype(np.int16)
    has_missing = not bool(observed[kept].all())
    n = cats.shape[0]
    packed = (cats + 1).astype(np.uint8)
    if collapse is None:
        collapse = n > 64 and _worth_collapsing(packed)
    if collapse:
        first, inverse, counts = _unique_rows(packed)
        if counts.size > 0.9 * n:
            first, inverse, counts = np.arange(n), np.arange(n), np.ones(n, dtype=np.int64)
    else:
        first, inverse, counts = np.arange(n), np.arange(n), np.ones(n, dtype=np.int64)
    cats = np.ascontiguousarray(cats[first])
    n_cat_arr = K + 1
    col_item = np.repeat(np.arange(len(items)), K)
    col_cat = np.concatenate([np.arange(1, k + 1) for k in K]) if K.sum() else np.zeros(0, int)
    Y = (cats[:, col_item] == col_cat[None, :]).astype(np.uint8)
    design = np.concatenate([Y, (cats >= 0).astype(np.uint8)], axis=1) if has_missing else Y
    return PolyData(
        items=items,
        persons=persons,
        n_cat=n_cat_arr,
        cats=cats,
        design=np.ascontiguousarray(design),
        counts=counts.astype(np.float64),
        inverse=inverse.astype(np.int64),
        kept=kept,
        has_missing=has_missing,
        excluded=excluded,
    )

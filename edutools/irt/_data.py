"""Turn a persons × items response matrix into the compact form the EM engine works on.

The engine needs, per distinct response pattern, which items were answered 1 and which
were answered 0 (so missing = neither), and how many persons share the pattern. Items
without variance are set aside here with a warning, never silently.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from edutools.errors import CalibrationError, DataError

__all__ = ["CalibrationWarning", "ResponseData", "prepare_responses", "response_matrix"]


class CalibrationWarning(UserWarning):
    """Something about a calibration the user should know: excluded items, no convergence."""


@dataclass(frozen=True)
class ResponseData:
    """Distinct response patterns of the calibrated items, with their frequencies.

    ``design`` is the uint8 matrix the E-step multiplies: ``[ones | zeros]`` (patterns ×
    2·items) when responses are missing, else just ``ones`` (patterns × items). ``ones[p, j]``
    is 1 when pattern ``p`` answered item ``j`` correctly and ``zeros[p, j]`` when it
    answered it incorrectly; both are 0 for a missing response. ``inverse`` maps each kept
    person to their pattern.
    """

    items: list[str]
    persons: pd.Index
    design: np.ndarray
    counts: np.ndarray  # float64, persons per pattern
    inverse: np.ndarray  # int64, kept person -> pattern
    kept: np.ndarray  # bool over the input persons: has at least one response
    has_missing: bool
    excluded: dict[str, str] = field(default_factory=dict)

    @property
    def ones(self) -> np.ndarray:
        """1 where the pattern answered the item correctly (uint8, patterns × items)."""
        return self.design[:, : len(self.items)]

    @property
    def zeros(self) -> np.ndarray:
        """1 where the pattern answered the item incorrectly (uint8, patterns × items)."""
        if self.has_missing:
            return self.design[:, len(self.items) :]
        return 1 - self.design

    @property
    def observed(self) -> np.ndarray:
        """1 where the pattern answered the item (uint8, patterns × items)."""
        if self.has_missing:
            return self.ones + self.zeros
        return np.ones_like(self.design)

    @property
    def n_persons(self) -> int:
        """Persons with at least one response to a calibrated item."""
        return int(self.counts.sum())

    @property
    def n_items(self) -> int:
        """Calibrated items."""
        return len(self.items)

    @property
    def n_patterns(self) -> int:
        """Distinct response patterns."""
        return int(self.counts.size)


def response_matrix(data: Any) -> tuple[np.ndarray, list[str], pd.Index]:
    """Validate ``data`` (array or DataFrame, persons × items) and return floats, item names, person ids.

    Cells must be 0, 1 or NaN (missing); anything else raises :class:`DataError` naming the
    item and the value. A float array is used as it is, without a copy.
    """
    if isinstance(data, pd.DataFrame):
        items = [str(c) for c in data.columns]
        persons = pd.Index(data.index)
        try:
            X = data.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            bad = next(c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c]))
            raise DataError(
                f"item '{bad}' holds non-numeric values; expected 0, 1 or NaN (missing)"
            ) from None
    else:
        try:
            X = np.asarray(data)
            if X.dtype.kind != "f":
                X = X.astype(float)
        except (TypeError, ValueError):
            raise DataError("responses must be numeric; expected 0, 1 or NaN (missing)") from None
        if X.ndim != 2:
            raise DataError(
                f"responses have {X.ndim} dimensions; expected a persons × items matrix"
            )
        items = [f"item{j + 1}" for j in range(X.shape[1])]
        persons = pd.RangeIndex(X.shape[0], name="person")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(
            f"responses are {X.shape[0]} × {X.shape[1]}; expected at least one person and one item"
        )
    if len(set(items)) != len(items):
        dup = next(i for i in items if items.count(i) > 1)
        raise DataError(f"item name '{dup}' appears twice; item names must be unique")
    return X, items, persons


def _masks(X: np.ndarray, items: list[str], persons: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Boolean (ones, observed) masks; raises DataError at the first cell that is not 0, 1 or NaN."""
    ones = X == 1
    observed = ~np.isnan(X)
    bad = observed & ~ones
    bad &= X != 0
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataError(
            f"item '{items[j]}', person {persons[i]}: value {float(X[i, j]):g} is not 0, 1 or missing (NaN)"
        )
    return ones, observed


def _unique_rows(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact unique rows of a uint8 matrix: (first index of each, inverse, counts).

    Hashing rows to 64 bits and sorting the hashes is far cheaper than sorting whole rows;
    rows are then compared byte by byte so that a hash collision can never merge two
    different patterns.
    """
    width = packed.shape[1]
    pad = (-width) % 8
    words = np.ascontiguousarray(np.pad(packed, ((0, 0), (0, pad)))).view(np.uint64)
    mult = np.random.default_rng(20240611).integers(
        1, 2**63, size=words.shape[1], dtype=np.uint64
    ) | np.uint64(1)
    with np.errstate(over="ignore"):
        h = (words * mult).sum(axis=1, dtype=np.uint64)
        h ^= h >> np.uint64(29)
    _, first, inverse, counts = np.unique(
        h, return_index=True, return_inverse=True, return_counts=True
    )
    if not np.array_equal(packed, packed[first[inverse]]):
        void = np.ascontiguousarray(packed).view(np.dtype((np.void, width)))[:, 0]
        _, first, inverse, counts = np.unique(
            void, return_index=True, return_inverse=True, return_counts=True
        )
    return first, inverse.reshape(-1), counts


def _worth_collapsing(packed: np.ndarray, sample: int = 20_000) -> bool:
    """Whether identical patterns are common enough to merge, judged on a seeded sample.

    Only speed depends on the answer: a long test's patterns are nearly all distinct, and
    sorting a million of them would be wasted.
    """
    n = packed.shape[0]
    if n <= sample:
        return True
    rows = np.random.default_rng(0).choice(n, size=sample, replace=False)
    _, _, counts = _unique_rows(packed[rows])
    return counts.size < 0.95 * sample


def prepare_responses(
    data: Any, *, collapse: bool | None = None, exclude_constant: bool = True
) -> ResponseData:
    """Validate responses, exclude items without variance (with a warning), collapse patterns.

    Parameters
    ----------
    data : array-like or DataFrame
        Persons × items, cells 0, 1 or NaN.
    collapse : bool, optional
        Merge identical response patterns. By default this is done when it saves work,
        judged on a sample of 20 000 persons.
    exclude_constant : bool
        Exclude items without variance (for calibration); scoring keeps every item.

    Returns
    -------
    ResponseData
    """
    X, items, persons = response_matrix(data)
    ones_b, observed = _masks(X, items, persons)
    del X
    n_obs = observed.sum(axis=0)
    n_one = ones_b.sum(axis=0)
    excluded: dict[str, str] = {}
    for j, name in enumerate(items if exclude_constant else []):
        if n_obs[j] == 0:
            excluded[name] = "no responses"
        elif n_one[j] == n_obs[j]:
            excluded[name] = f"all {int(n_obs[j])} responses are 1"
        elif n_one[j] == 0:
            excluded[name] = f"all {int(n_obs[j])} responses are 0"
    if excluded:
        listed = "; ".join(f"{k}: {v}" for k, v in excluded.items())
        warnings.warn(
            f"excluded {len(excluded)} item(s) without variance from the calibration ({listed})",
            CalibrationWarning,
            stacklevel=3,
        )
        keep_items = np.array([name not in excluded for name in items])
        if keep_items.sum() < 2:
            raise CalibrationError(
                f"only {int(keep_items.sum())} item(s) have both 0 and 1 responses; a calibration needs at least 2"
            )
        ones_b, observed = ones_b[:, keep_items], observed[:, keep_items]
    kept_items = [name for name in items if name not in excluded]
    kept = np.asarray(observed.any(axis=1))
    if not kept.all():
        ones_b, observed = ones_b[kept], observed[kept]
    has_missing = not bool(observed.all())
    ones = ones_b.view(np.uint8)
    n = ones.shape[0]
    if has_missing:
        zeros = (observed & ~ones_b).view(np.uint8)
        packed = np.packbits(np.concatenate([ones, (~observed).view(np.uint8)], axis=1), axis=1)
    else:
        packed = np.packbits(ones, axis=1)
    del observed, ones_b
    if collapse is None:
        collapse = n > 64 and _worth_collapsing(packed)
    first = inverse = np.arange(n)
    counts = np.ones(n, dtype=np.int64)
    if collapse:
        f, i, c = _unique_rows(packed)
        if c.size <= 0.9 * n:  # when nearly every pattern is unique, collapsing only costs memory
            first, inverse, counts = f, i, c
    del packed
    if counts.size < n:
        ones = ones[first]
        if has_missing:
            zeros = zeros[first]
    design = np.concatenate([ones, zeros], axis=1) if has_missing else np.ascontiguousarray(ones)
    return ResponseData(
        items=kept_items,
        persons=persons,
        design=design,
        counts=counts.astype(np.float64),
        inverse=inverse.astype(np.int64),
        kept=kept,
        has_missing=has_missing,
        excluded=excluded,
    )

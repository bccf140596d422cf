"""Seeded simulation of item parameters and response matrices, with missingness designs.

Every function takes a ``seed`` and draws from ``np.random.default_rng(seed)``, so the same
call always returns the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from edutools.errors import DataError
from edutools.irt.result import Calibration

__all__ = ["Simulation", "simulate_items", "simulate_responses"]

Missing = Literal["none", "mcar", "booklet", "not_reached"]
_MODELS = ("rasch", "1pl", "2pl", "3pl")
_ROWS_PER_DRAW = 65_536  # rows drawn at a time, so that memory stays bounded for huge N


@dataclass(frozen=True)
class Simulation:
    """Simulated responses (persons × items, NaN = missing), the true θ and the true items."""

    responses: pd.DataFrame
    theta: pd.Series
    items: pd.DataFrame


def simulate_items(
    n_items: int,
    model: str = "2pl",
    *,
    seed: int,
    a_mean: float = 0.0,
    a_sd: float = 0.25,
    b_sd: float = 1.0,
    common_a: float = 1.0,
    c_range: tuple[float, float] = (0.1, 0.3),
    prefix: str = "item",
) -> pd.DataFrame:
    """Draw item parameters: a ~ LogNormal(a_mean, a_sd), b ~ N(0, b_sd²), c ~ U(c_range).

    Parameters
    ----------
    n_items : int
    model : {"rasch", "1pl", "2pl", "3pl"}
        Rasch fixes a = 1, the 1PL uses ``common_a`` for all items, c is 0 except in the 3PL.
    seed : int
    a_mean, a_sd, b_sd, common_a, c_range
        Distribution parameters.
    prefix : str
        Items are named ``prefix1``, ``prefix2``, ...

    Returns
    -------
    DataFrame
        Columns item, a, b, d (= -a b), c.

    Example
    -------
    >>> simulate_items(3, "2pl", seed=1).columns.tolist()
    ['item', 'a', 'b', 'd', 'c']
    """
    if model not in _MODELS:
        raise DataError(f"unknown model {model!r}; expected one of {', '.join(_MODELS)}")
    if n_items < 1:
        raise DataError(f"n_items={n_items}; expected at least 1")
    rng = np.random.default_rng(seed)
    a = rng.lognormal(a_mean, a_sd, n_items)
    b = rng.normal(0.0, b_sd, n_items)
    c = rng.uniform(*c_range, n_items)
    if model == "rasch":
        a = np.ones(n_items)
    elif model == "1pl":
        a = np.full(n_items, float(common_a))
    if model != "3pl":
        c = np.zeros(n_items)
    return pd.DataFrame(
        {"item": [f"{prefix}{j + 1}" for j in range(n_items)], "a": a, "b": b, "d": -a * b, "c": c}
    )


def _item_arrays(items: Any) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(items, Calibration):
        return list(items.items), items.a, items.d, items.guessing
    if isinstance(items, pd.DataFrame):
        missing = {"a", "item"} - set(items.columns)
        if missing or not ({"b", "d"} & set(items.columns)):
            raise DataError("items need columns item, a and b or d (c optional)")
        a = items["a"].to_numpy(float)
        d = items["d"].to_numpy(float) if "d" in items else -a * items["b"].to_numpy(float)
        c = items["c"].to_numpy(float) if "c" in items else np.zeros_like(a)
        return [str(i) for i in items["item"]], a, d, c
    raise DataError(
        f"items must be a DataFrame from simulate_items or a Calibration, not {type(items).__name__}"
    )


def _missing_mask(
    kind: str, rate: float, n: int, J: int, rng: np.random.Generator, n_blocks: int
) -> np.ndarray:
    if kind == "mcar":
        return rng.random((n, J)) < rate
    if kind == "booklet":
        # A balanced incomplete block design: items in n_blocks consecutive blocks, each
        # booklet administers m consecutive blocks (cyclically), persons get a booklet at random.
        m = round(n_blocks * (1 - rate))
        if not 1 <= m <= n_blocks:
            raise DataError(
                f"missing_rate={rate} leaves no block to administer with n_blocks={n_blocks}"
            )
        block_of = np.repeat(
            np.arange(n_blocks), [len(b) for b in np.array_split(np.arange(J), n_blocks)]
        )
        booklet = rng.integers(0, n_blocks, n)
        offset = (block_of[None, :] - booklet[:, None]) % n_blocks
        return offset >= m
    if kind == "not_reached":
        # With probability 2·rate a person stops at a uniformly drawn position, so on
        # average half of the remaining items are not reached: an expected share ≈ rate.
        if rate > 0.5:
            raise DataError(
                f"missing_rate={rate} is too high for not_reached; expected at most 0.5"
            )
        stops = rng.random(n) < 2 * rate
        where = rng.integers(0, J, n)
        pos = np.arange(J)[None, :]
        return stops[:, None] & (pos >= where[:, None])
    raise DataError(f"unknown missingness {kind!r}; expected none, mcar, booklet or not_reached")


def simulate_responses(
    items: Any,
    n_persons: int,
    *,
    seed: int,
    theta: np.ndarray | None = None,
    missing: Missing = "none",
    missing_rate: float = 0.0,
    n_blocks: int = 10,
    dtype: type[np.floating] = np.float64,
) -> Simulation:
    """Draw 0/1 responses from P = c + (1 - c) / (1 + exp(-(a θ + d))) with θ ~ N(0, 1).

    Parameters
    ----------
    items : DataFrame or Calibration
        Item parameters (from :func:`simulate_items` or a fitted calibration).
    n_persons : int
    seed : int
    theta : ndarray, optional
        True abilities; drawn from N(0, 1) when omitted.
    missing : {"none", "mcar", "booklet", "not_reached"}
        Missingness design: completely at random; a balanced incomplete block (booklet)
        design with ``n_blocks`` blocks; or speededness, where persons stop early.
    missing_rate : float
        Expected share of missing responses.
    n_blocks : int
        Blocks of the booklet design.
    dtype : numpy float type
        float32 halves the memory of very large matrices.

    Returns
    -------
    Simulation

    Example
    -------
    >>> sim = simulate_responses(simulate_items(10, seed=1), 500, seed=2, missing="mcar", missing_rate=0.2)
    >>> sim.responses.shape
    (500, 10)
    """
    names, a, d, c = _item_arrays(items)
    if n_persons < 1:
        raise DataError(f"n_persons={n_persons}; expected at least 1")
    if not 0 <= missing_rate < 1:
        raise DataError(f"missing_rate={missing_rate}; expected a share in [0, 1)")
    if missing != "none" and missing_rate == 0:
        raise DataError(f"missing={missing!r} needs a positive missing_rate")
    rng = np.random.default_rng(seed)
    if theta is None:
        th = rng.standard_normal(n_persons)
    else:
        th = np.asarray(theta, dtype=float)
        if th.shape != (n_persons,):
            raise DataError(f"theta has shape {th.shape}; expected ({n_persons},)")
    J = len(names)
    X = np.empty((n_persons, J), dtype=dtype)
    for start in range(0, n_persons, _ROWS_PER_DRAW):
        stop = min(n_persons, start + _ROWS_PER_DRAW)
        P = c + (1 - c) / (1 + np.exp(-(th[start:stop, None] * a + d)))
        block = (rng.random(P.shape) < P).astype(dtype)
        if missing != "none":
            block[_missing_mask(missing, missing_rate, stop - start, J, rng, n_blocks)] = np.nan
        X[start:stop] = block
    persons = pd.Index([f"p{i + 1}" for i in range(n_persons)], name="person")
    frame = pd.DataFrame(X, index=persons, columns=pd.Index(names, name="item"), copy=False)
    truth = pd.DataFrame({"item": names, "a": a, "b": -d / a, "d": d, "c": c})
    return Simulation(
        responses=frame, theta=pd.Series(th, index=persons, name="theta"), items=truth
    )

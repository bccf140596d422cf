"""Scoring and reliability: reverse keys, subscale means, alpha, omega, Spearman-Brown, z-scores.

Pure numpy/pandas. Conventions (checked against R's psych in ``tests/survey/r/instruments``):

* reverse key: ``(min + max) - x`` on the instrument's response scale;
* subscale score: the mean of the answered, keyed items, or missing when fewer than
  ``ceil(min_fraction * n_items)`` items were answered;
* reliability statistics use complete cases (listwise deletion).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd

from edutools.errors import DataError, StudyError

if TYPE_CHECKING:
    from edutools.survey.instruments import Instrument

_Values = TypeVar("_Values", pd.Series, np.ndarray, float)

__all__ = [
    "cronbach_alpha",
    "mcdonald_omega",
    "reliability",
    "reverse_key",
    "score_instrument",
    "spearman_brown",
    "standardize",
    "to_wide",
]


def reverse_key(values: _Values, low: float, high: float) -> _Values:
    """Reverse-key responses on a ``low``..``high`` scale: ``(low + high) - x``.

    Example
    -------
    >>> reverse_key(np.array([1, 2, 5]), 1, 5)
    array([5, 4, 1])
    """
    return (low + high) - values


def to_wide(
    data: pd.DataFrame,
    *,
    subject: str = "participant_id",
    item: str = "item",
    value: str = "response",
    instrument: str | None = None,
) -> pd.DataFrame:
    """Long responses (subject, item, value[, instrument]) as a subjects x items frame.

    With ``instrument``, only rows whose ``instrument`` column equals it are kept. A subject
    who answered an item twice is an error (the store never writes that).

    Example
    -------
    >>> long = pd.DataFrame({"participant_id": ["a", "a", "b"], "item": ["q1", "q2", "q1"],
    ...                      "response": [4, 2, 5]})
    >>> to_wide(long).loc["b", "q1"]
    np.float64(5.0)
    """
    for col in (subject, item, value):
        if col not in data.columns:
            raise DataError(f"responses: no column {col!r}; columns are {list(data.columns)}")
    rows = data
    if instrument is not None:
        if "instrument" not in data.columns:
            raise DataError("responses: no column 'instrument' to select by")
        rows = data[data["instrument"] == instrument]
    dupes = rows.duplicated([subject, item], keep=False)
    if dupes.any():
        first = rows[dupes].iloc[0]
        raise DataError(
            f"responses: row {int(rows.index[dupes][0]) + 2}: {subject} {first[subject]!r} "
            f"answered item {first[item]!r} more than once"
        )
    wide = rows.pivot(index=subject, columns=item, values=value)
    wide.columns.name = None
    return wide.astype(float)


def _checked_items(instrument: Instrument, data: pd.DataFrame) -> pd.DataFrame:
    missing = [i for i in instrument.item_ids if i not in data.columns]
    if missing:
        raise DataError(
            f"{instrument.id}: no column for item(s) {', '.join(missing)}; "
            f"columns are {', '.join(map(str, data.columns))}"
        )
    items = data[instrument.item_ids].apply(pd.to_numeric, errors="coerce")
    bad = data[instrument.item_ids].notna() & items.isna()
    lo, hi = instrument.scale.min, instrument.scale.max
    bad |= items.notna() & ((items < lo) | (items > hi))
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise DataError(
            f"{instrument.id}: subject {data.index[r]!r}, item {instrument.item_ids[c]}: "
            f"{data.iloc[r][instrument.item_ids[c]]!r} is not a response on the {lo}..{hi} scale"
        )
    return items.astype(float)


def keyed_items(instrument: Instrument, data: pd.DataFrame, subscale: str) -> pd.DataFrame:
    """The subscale's item responses with its reverse-keyed items reversed."""
    s = instrument.subscale(subscale)
    items = _checked_items(instrument, data)[s.items].copy()
    for i in s.reverse:
        items[i] = reverse_key(items[i], instrument.scale.min, instrument.scale.max)
    return items


def score_instrument(
    instrument: Instrument,
    data: pd.DataFrame,
    *,
    min_fraction: float | None = None,
    subject: str = "participant_id",
) -> pd.DataFrame:
    """Subscale scores for each subject: the mean of the answered, reverse-keyed items.

    Parameters
    ----------
    instrument
        From :func:`edutools.survey.instruments.load_instrument`.
    data
        Subjects x items (index = subject, a column per item id; other columns are ignored;
        NaN = not answered). Long data go through :func:`to_wide` first.
    min_fraction
        Missing-item rule: a score needs at least ``ceil(min_fraction * n_items)`` answered
        items, else it is missing. Default: the instrument's ``min_fraction``.
    subject
        Name of the subject column in the result.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``subject, instrument, subscale, score, n_answered, n_items``.

    Example
    -------
    >>> from edutools.survey.instruments import load_instrument
    >>> tipi = load_instrument("tipi")
    >>> answers = pd.DataFrame([[5, 2, 6, 3, 7, 3, 6, 1, 5, 2]], index=["p1"],
    ...                        columns=tipi.item_ids)
    >>> float(score_instrument(tipi, answers).set_index("subscale")["score"]["extraversion"])
    5.0
    """
    fraction = instrument.min_fraction if min_fraction is None else min_fraction
    if not 0 < fraction <= 1:
        raise StudyError(f"min_fraction {fraction} must be in (0, 1]")
    frames = []
    for s in instrument.subscales:
        keyed = keyed_items(instrument, data, s.id)
        answered = keyed.notna().sum(axis=1)
        needed = math.ceil(fraction * len(s.items) - 1e-9)
        score = keyed.mean(axis=1).where(answered >= needed)
        frames.append(
            pd.DataFrame(
                {
                    subject: data.index,
                    "instrument": instrument.id,
                    "subscale": s.id,
                    "score": score.to_numpy(),
                    "n_answered": answered.to_numpy(),
                    "n_items": len(s.items),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _complete(data: pd.DataFrame | np.ndarray, least: int) -> np.ndarray:
    x = np.asarray(data, dtype=float)
    if x.ndim != 2 or x.shape[1] < least:
        raise StudyError(f"needs a subjects x items table with at least {least} items")
    x = x[~np.isnan(x).any(axis=1)]
    if x.shape[0] < 3:
        raise StudyError(f"needs at least 3 complete cases, got {x.shape[0]}")
    return x


def cronbach_alpha(data: pd.DataFrame | np.ndarray) -> float:
    """Cronbach's alpha of a subjects x items table (complete cases).

    ``alpha = k / (k - 1) * (1 - sum(var_i) / var_total)`` with sample variances (Cronbach,
    1951). Matches psych's ``alpha(x)$total$raw_alpha`` on complete data.

    Example
    -------
    >>> round(cronbach_alpha(np.array([[1, 2, 2], [2, 3, 3], [4, 4, 5], [3, 3, 3]])), 4)
    0.9618
    """
    x = _complete(data, 2)
    k = x.shape[1]
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var))


def _one_factor_minres(r: np.ndarray, tol: float = 1e-10, max_iter: int = 10_000) -> np.ndarray:
    """Loadings of one factor by minimum residuals (iterated principal axes from SMCs).

    At convergence the communalities are a stationary point of the unweighted least-squares
    (minres) criterion, the default of psych's ``fa``.
    """
    h2 = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
    loadings = np.zeros(len(r))
    for _ in range(max_iter):
        reduced = r.copy()
        np.fill_diagonal(reduced, h2)
        values, vectors = np.linalg.eigh(reduced)
        loadings = vectors[:, -1] * math.sqrt(max(values[-1], 0.0))
        new = np.minimum(loadings**2, 1.0)  # a Heywood case is held at 1
        if np.max(np.abs(new - h2)) < tol:
            break
        h2 = new
    return loadings if loadings.sum() >= 0 else -loadings


def mcdonald_omega(data: pd.DataFrame | np.ndarray) -> float:
    """McDonald's omega total from a one-factor model of the item correlations.

    ``omega_t = 1 - sum(u_i^2) / (1' R 1)``, with uniquenesses ``u_i^2 = 1 - lambda_i^2`` from a
    one-factor minres solution and ``1'R1`` the total variance of the standardized items
    (McDonald, 1999; Revelle & Zinbarg, 2009). Matches psych's
    ``omega(x, nfactors = 1)$omega.tot``. Needs at least three items.

    Example
    -------
    >>> x = np.array([[1, 2, 2, 1], [2, 3, 3, 2], [4, 4, 5, 4], [3, 3, 3, 4], [5, 4, 5, 5],
    ...               [2, 1, 2, 2]])
    >>> round(mcdonald_omega(x), 4)
    0.9652
    """
    x = _complete(data, 3)
    r = np.corrcoef(x, rowvar=False)
    loadings = _one_factor_minres(r)
    uniqueness = 1.0 - loadings**2
    return float(1.0 - uniqueness.sum() / r.sum())


def spearman_brown(data: pd.DataFrame | np.ndarray) -> float:
    """Spearman-Brown reliability of a two-item scale: ``2r / (1 + r)``.

    ``r`` is the Pearson correlation of the two items (complete cases); the formula is the
    Spearman-Brown prophecy for doubling one item, recommended for two-item scales over alpha
    (Eisinga, te Grotenhuis & Pelzer, 2013). Equals psych's standardized alpha for two items.

    Example
    -------
    >>> round(spearman_brown(np.array([[1, 2], [2, 3], [4, 4], [3, 3], [5, 4], [2, 1]])), 4)
    0.8853
    """
    x = _complete(data, 2)
    if x.shape[1] != 2:
        raise StudyError(f"Spearman-Brown here is for two-item scales; got {x.shape[1]} items")
    r = float(np.corrcoef(x, rowvar=False)[0, 1])
    return 2 * r / (1 + r)


def reliability(instrument: Instrument, data: pd.DataFrame) -> pd.DataFrame:
    """Reliability of every subscale: alpha, omega total (3+ items), Spearman-Brown (2 items).

    Returns a tidy frame ``instrument, subscale, n_items, n_complete, alpha, omega_total,
    spearman_brown`` on the reverse-keyed items; statistics that do not apply are NaN.

    Example
    -------
    >>> from edutools.survey.instruments import load_instrument
    >>> tipi = load_instrument("tipi")
    >>> rng = np.random.default_rng(0)
    >>> answers = pd.DataFrame(rng.integers(1, 8, (30, 10)), columns=tipi.item_ids)
    >>> list(reliability(tipi, answers)["subscale"])[:2]
    ['extraversion', 'agreeableness']
    """
    rows = []
    for s in instrument.subscales:
        keyed = keyed_items(instrument, data, s.id)
        k = len(s.items)
        rows.append(
            {
                "instrument": instrument.id,
                "subscale": s.id,
                "n_items": k,
                "n_complete": int(keyed.notna().all(axis=1).sum()),
                "alpha": cronbach_alpha(keyed) if k >= 2 else math.nan,
                "omega_total": mcdonald_omega(keyed) if k >= 3 else math.nan,
                "spearman_brown": spearman_brown(keyed) if k == 2 else math.nan,
            }
        )
    return pd.DataFrame(rows)


def standardize(
    scores: pd.DataFrame,
    *,
    value: str = "score",
    by: tuple[str, ...] = ("instrument", "subscale"),
) -> pd.DataFrame:
    """Add a ``z`` column: ``(x - mean) / sd`` within each group of ``by`` (sample SD).

    Missing scores stay missing and do not enter the mean or SD, as R's ``scale()``. A group
    whose scores do not vary gets NaN.

    Example
    -------
    >>> s = pd.DataFrame({"instrument": "tipi", "subscale": "openness",
    ...                   "score": [3.0, 5.0, None, 4.0]})
    >>> standardize(s)["z"].tolist()
    [-1.0, 1.0, nan, 0.0]
    """
    grouped = scores.groupby(list(by))[value]
    mean = grouped.transform("mean")
    sd = grouped.transform(lambda v: v.std(ddof=1))
    out = scores.copy()
    out["z"] = (scores[value] - mean) / sd.where(sd > 0)
    return out

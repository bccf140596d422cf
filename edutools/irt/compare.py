"""Compare item groups (source, key polarity, or any column) on a, b and p.

For each metric the groups are compared with a Kruskal–Wallis test (omnibus) and, pair by
pair, a two-sided Mann–Whitney U test whose p-values are Holm-adjusted within the metric.
Effect size is Cliff's delta, δ = P(X > Y) - P(X < Y) = 2U / (n₁ n₂) - 1 (Cliff, 1993),
with a percentile bootstrap interval (items resampled within each group, seeded) as for
the difference in medians. Equivalence is tested by TOST (Schuirmann, 1987): two one-sided
Welch t-tests of the mean difference against ±margin; the groups are declared equivalent
when both reject at α. The default margins are stated in ``DEFAULT_MARGINS``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from edutools.errors import DataError
from edutools.irt.ctt import item_analysis
from edutools.irt.result import Calibration
from edutools.schema import ItemBank

__all__ = ["DEFAULT_MARGINS", "bank_metadata", "compare_groups", "holm", "item_table"]

#: Equivalence margins of the TOST: slopes within 0.3, difficulties within half a
#: standard deviation of θ, proportions correct within 0.10.
DEFAULT_MARGINS: dict[str, float] = {"a": 0.3, "b": 0.5, "d": 0.5, "p": 0.10}


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of p-values (NaN stays NaN).

    Example
    -------
    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    arr = np.asarray(p, dtype=float)
    out = np.full_like(arr, np.nan)
    ok = np.flatnonzero(~np.isnan(arr))
    if ok.size == 0:
        return out
    order = ok[np.argsort(arr[ok], kind="stable")]
    m = order.size
    adj = np.maximum.accumulate((m - np.arange(m)) * arr[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def bank_metadata(bank: ItemBank) -> pd.DataFrame:
    """Item metadata from a bank: source, form, key polarity, concept and question.

    ``key_polarity`` is "correct" for correct-key items, "foil" for foil-key items
    ("which is incorrect") and "select_all" otherwise.
    """
    polarity = {"correct_key": "correct", "foil_key": "foil", "select_all": "select_all"}
    return pd.DataFrame(
        [
            {
                "item": it.id,
                "source": it.source,
                "form": it.form,
                "key_polarity": polarity[it.form],
                "concept_id": it.concept_id,
                "question_id": it.question_id,
            }
            for it in bank.items
        ]
    )


def item_table(
    calibration: Calibration, data: Any = None, metadata: pd.DataFrame | ItemBank | None = None
) -> pd.DataFrame:
    """Item parameters, proportion correct and metadata in one table, keyed by ``item``.

    Example
    -------
    >>> item_table(m.calibration_, X, bank)  # doctest: +SKIP
    """
    out = calibration.summary()
    if data is not None:
        ctt = item_analysis(data)[["item", "p"]]
        out = out.merge(ctt, on="item", how="left")
    if metadata is not None:
        meta = bank_metadata(metadata) if isinstance(metadata, ItemBank) else metadata.copy()
        if "item" not in meta.columns:
            meta = meta.reset_index().rename(columns={meta.index.name or "index": "item"})
        meta["item"] = meta["item"].astype(str)
        unknown = sorted(set(out["item"]) - set(meta["item"]))
        if unknown:
            raise DataError(
                f"no metadata for item(s) {', '.join(unknown[:5])}; the metadata must list every calibrated item"
            )
        out = out.merge(meta, on="item", how="left", suffixes=("", "_meta"))
    return out


def _cliffs_delta(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sign(x[:, None] - y[None, :]).mean())


def _bootstrap(
    x: np.ndarray, y: np.ndarray, n_boot: int, rng: np.random.Generator, level: float
) -> tuple[float, float, float, float]:
    """Percentile intervals of the median difference and of Cliff's delta."""
    ix = rng.integers(0, x.size, (n_boot, x.size))
    iy = rng.integers(0, y.size, (n_boot, y.size))
    med = np.median(x[ix], axis=1) - np.median(y[iy], axis=1)
    S = np.sign(x[:, None] - y[None, :])
    cx = np.zeros((n_boot, x.size))
    cy = np.zeros((n_boot, y.size))
    rows = np.arange(n_boot)[:, None]
    np.add.at(cx, (rows, ix), 1.0)
    np.add.at(cy, (rows, iy), 1.0)
    delta = ((cx @ S) * cy).sum(axis=1) / (x.size * y.size)
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    qm, qd = np.quantile(med, [lo, hi]), np.quantile(delta, [lo, hi])
    return float(qm[0]), float(qm[1]), float(qd[0]), float(qd[1])


def _tost(x: np.ndarray, y: np.ndarray, margin: float) -> float:
    """p-value of the TOST for |mean(x) - mean(y)| < margin with Welch's t."""
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = np.sqrt(vx + vy)
    if se == 0:
        return 0.0 if abs(x.mean() - y.mean()) < margin else 1.0
    df = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    diff = x.mean() - y.mean()
    p_lower = stats.t.sf((diff + margin) / se, df)
    p_upper = stats.t.cdf((diff - margin) / se, df)
    return float(max(p_lower, p_upper))


def compare_groups(
    items: pd.DataFrame,
    group: str,
    *,
    metrics: Sequence[str] = ("a", "b", "p"),
    alpha: float = 0.05,
    margins: Mapping[str, float] | None = None,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Compare item groups on each metric: one row per metric and pair of groups.

    Parameters
    ----------
    items : DataFrame
        One row per item with the metric columns and the grouping column (see
        :func:`item_table`).
    group : str
        The grouping column, e.g. "source" or "key_polarity".
    metrics : sequence of str
        Columns to compare (default a, b, p; missing columns are skipped).
    alpha : float
        Level of the tests and of the TOST.
    margins : mapping, optional
        TOST equivalence margin per metric; defaults in ``DEFAULT_MARGINS``.
    n_boot : int
        Bootstrap resamples for the intervals.
    confidence : float
        Level of the bootstrap intervals.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        Columns metric, group_1, group_2, n_1, n_2, median_1, median_2, mean_1, mean_2,
        median_diff, median_diff_low, median_diff_high, kruskal_H, kruskal_p,
        mannwhitney_U, p_value, p_holm, significant, cliffs_delta, delta_low, delta_high,
        margin, tost_p, equivalent.

    Example
    -------
    >>> compare_groups(item_table(cal, X, bank), "source")  # doctest: +SKIP
    """
    if group not in items.columns:
        raise DataError(
            f"no column {group!r} in the item table; columns: {', '.join(map(str, items.columns))}"
        )
    if not 0 < alpha < 1 or not 0 < confidence < 1:
        raise DataError("alpha and confidence must lie between 0 and 1")
    margin_of = {**DEFAULT_MARGINS, **(dict(margins) if margins else {})}
    present = [m for m in metrics if m in items.columns]
    if not present:
        raise DataError(f"none of the metrics {', '.join(metrics)} is a column of the item table")
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for metric in present:
        values = {
            str(g): sub[metric].to_numpy(dtype=float)[~np.isnan(sub[metric].to_numpy(dtype=float))]
            for g, sub in items.groupby(group, sort=True)
        }
        values = {g: v for g, v in values.items() if v.size > 0}
        if len(values) < 2:
            raise DataError(
                f"column {group!r} has {len(values)} group(s) with {metric} values; a comparison needs at least 2"
            )
        samples = list(values.values())
        try:
            kw = stats.kruskal(*samples)
            kw_h, kw_p = float(kw.statistic), float(kw.pvalue)
        except ValueError:  # every value identical
            kw_h, kw_p = 0.0, 1.0
        block = []
        for g1, g2 in combinations(values, 2):
            x, y = values[g1], values[g2]
            u = stats.mannwhitneyu(x, y, alternative="two-sided")
            mlo, mhi, dlo, dhi = _bootstrap(x, y, n_boot, rng, confidence)
            margin = float(margin_of.get(metric, np.nan))
            tost = (
                _tost(x, y, margin) if x.size > 1 and y.size > 1 and np.isfinite(margin) else np.nan
            )
            block.append(
                {
                    "metric": metric,
                    "group_1": g1,
                    "group_2": g2,
                    "n_1": x.size,
                    "n_2": y.size,
                    "median_1": float(np.median(x)),
                    "median_2": float(np.median(y)),
                    "mean_1": float(x.mean()),
                    "mean_2": float(y.mean()),
                    "median_diff": float(np.median(x) - np.median(y)),
                    "median_diff_low": mlo,
                    "median_diff_high": mhi,
                    "kruskal_H": kw_h,
                    "kruskal_p": kw_p,
                    "mannwhitney_U": float(u.statistic),
                    "p_value": float(u.pvalue),
                    "cliffs_delta": _cliffs_delta(x, y),
                    "delta_low": dlo,
                    "delta_high": dhi,
                    "margin": margin,
                    "tost_p": tost,
                    "equivalent": bool(tost < alpha) if np.isfinite(tost) else False,
                }
            )
        adjusted = holm([r["p_value"] for r in block])
        for r, p in zip(block, adjusted, strict=True):
            r["p_holm"] = float(p)
            r["significant"] = bool(p < alpha)
        rows.extend(block)
    cols = [
        "metric", "group_1", "group_2", "n_1", "n_2", "median_1", "median_2", "mean_1", "mean_2",
        "median_diff", "median_diff_low", "median_diff_high", "kruskal_H", "kruskal_p",
        "mannwhitney_U", "p_value", "p_holm", "significant", "cliffs_delta", "delta_low",
        "delta_high", "margin", "tost_p", "equivalent",
    ]  # fmt: skip
    return pd.DataFrame(rows)[cols]

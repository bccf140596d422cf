"""Altair charts of a calibration: ICCs with observed proportions, information, Wright map.

Each function returns an Altair chart; ``chart.save("x.png")`` renders it through
vl-convert and ``chart.save("x.html")`` writes a standalone page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from edutools.errors import DataError
from edutools.irt.information import information_curve, item_information
from edutools.irt.result import Calibration
from edutools.irt.scoring import align_responses, score

__all__ = ["icc_chart", "information_chart", "wright_map"]

_GRID = np.linspace(-4.0, 4.0, 81)


def _pick(calibration: Calibration, items: Sequence[str] | None) -> list[str]:
    if items is None:
        return list(calibration.items)
    unknown = [i for i in items if i not in calibration.items]
    if unknown:
        raise DataError(
            f"unknown item(s) {', '.join(unknown)}; calibrated items: {', '.join(calibration.items[:8])}..."
        )
    return list(items)


def observed_proportions(
    calibration: Calibration, data: Any, *, n_bins: int = 10, theta: Any = None
) -> pd.DataFrame:
    """Proportion correct per item within θ groups of equal size (θ = EAP by default).

    Returns
    -------
    DataFrame
        Columns item, theta (mean θ of the group), proportion, n.
    """
    frame = align_responses(calibration, data)
    th = (
        score(calibration, frame)["theta"].to_numpy()
        if theta is None
        else np.asarray(theta, dtype=float)
    )
    bins = pd.qcut(th, q=n_bins, labels=False, duplicates="drop")
    rows = []
    for item in calibration.items:
        x = frame[item].to_numpy(dtype=float)
        seen = ~np.isnan(x)
        grouped = pd.DataFrame({"bin": bins[seen], "theta": th[seen], "x": x[seen]}).groupby("bin")
        summary = grouped.agg(
            theta=("theta", "mean"), proportion=("x", "mean"), n=("x", "size")
        ).reset_index(drop=True)
        summary.insert(0, "item", item)
        rows.append(summary)
    return pd.concat(rows, ignore_index=True)


def icc_chart(
    calibration: Calibration,
    data: Any = None,
    *,
    items: Sequence[str] | None = None,
    n_bins: int = 10,
    columns: int = 4,
) -> alt.FacetChart | alt.LayerChart:
    """Item characteristic curves, one panel per item, with observed proportions as points.

    Parameters
    ----------
    calibration : Calibration
    data : DataFrame or array, optional
        Responses; when given, persons are grouped by EAP θ into ``n_bins`` groups of equal
        size and each group's proportion correct is drawn at its mean θ.
    items : sequence of str, optional
        Items to draw (default all).
    n_bins : int
    columns : int
        Panels per row.

    Example
    -------
    >>> icc_chart(m.calibration_, X).save("icc.png")  # doctest: +SKIP
    """
    names = _pick(calibration, items)
    P = calibration.probability(_GRID)
    idx = [calibration.items.index(i) for i in names]
    curves = pd.DataFrame(
        {
            "item": np.repeat(names, _GRID.size),
            "theta": np.tile(_GRID, len(names)),
            "probability": P[:, idx].T.reshape(-1),
        }
    )
    x = alt.X("theta:Q", title="θ", scale=alt.Scale(domain=[-4, 4]))
    y = alt.Y("probability:Q", title="P(correct)", scale=alt.Scale(domain=[0, 1]))
    line = alt.Chart().mark_line().encode(x=x, y=y)
    layers: list[alt.Chart] = [line]
    data_frames = [curves.assign(kind="model")]
    if data is not None:
        obs = observed_proportions(calibration, data, n_bins=n_bins)
        obs = obs[obs["item"].isin(names)].rename(columns={"proportion": "probability"})
        data_frames.append(obs.assign(kind="observed"))
        points = (
            alt.Chart()
            .mark_circle(size=40, color="black")
            .encode(x=x, y=y, tooltip=["item", "theta", "probability", "n"])
            .transform_filter(alt.datum.kind == "observed")
        )
        line = line.transform_filter(alt.datum.kind == "model")
        layers = [line, points]
    merged = pd.concat(data_frames, ignore_index=True)
    return (
        alt.layer(*layers, data=merged)
        .properties(width=160, height=120)
        .facet(facet=alt.Facet("item:N", title=None, sort=names), columns=columns)
        .properties(title=f"Item characteristic curves ({calibration.model})")
    )


def information_chart(
    calibration: Calibration, *, items: Sequence[str] | None = None
) -> alt.VConcatChart:
    """Item information curves above the test information function and its SE.

    Example
    -------
    >>> information_chart(m.calibration_).save("information.html")  # doctest: +SKIP
    """
    names = _pick(calibration, items)
    info = item_information(calibration, _GRID)[names].reset_index()
    long = info.melt(id_vars="theta", var_name="item", value_name="information")
    test = information_curve(calibration, _GRID).melt(
        id_vars="theta", var_name="measure", value_name="value"
    )
    item_chart = (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=alt.X("theta:Q", title="θ"),
            y=alt.Y("information:Q", title="item information"),
            color="item:N",
        )
        .properties(width=420, height=200, title="Item information")
    )
    test_chart = (
        alt.Chart(test)
        .mark_line()
        .encode(
            x=alt.X("theta:Q", title="θ"),
            y=alt.Y("value:Q", title=None),
            strokeDash=alt.StrokeDash("measure:N", title=None),
        )
        .properties(width=420, height=200, title="Test information and standard error")
    )
    return alt.vconcat(item_chart, test_chart)


def wright_map(calibration: Calibration, theta: Any, *, bins: int = 30) -> alt.HConcatChart:
    """Person–item map: a histogram of θ beside the item difficulties b on the same scale.

    Parameters
    ----------
    calibration : Calibration
    theta : array-like
        Person abilities (e.g. ``score(cal, X)["theta"]``); non-finite values are dropped.
    bins : int
        Histogram bins.

    Example
    -------
    >>> wright_map(cal, score(cal, X)["theta"]).save("wright.png")  # doctest: +SKIP
    """
    th = np.asarray(theta, dtype=float)
    th = th[np.isfinite(th)]
    if th.size == 0:
        raise DataError("a Wright map needs at least one finite ability estimate")
    b = calibration.b
    lo = float(np.floor(min(th.min(), np.nanmin(b), -3.0)))
    hi = float(np.ceil(max(th.max(), np.nanmax(b), 3.0)))
    counts, edges = np.histogram(th, bins=bins, range=(lo, hi))
    persons = pd.DataFrame({"low": edges[:-1], "high": edges[1:], "persons": counts})
    persons = persons[persons["persons"] > 0].assign(zero=0)
    items = pd.DataFrame({"item": list(calibration.items), "b": b, "slot": np.arange(len(b)) % 4})
    y_scale = alt.Scale(domain=[lo, hi])
    left = (
        alt.Chart(persons)
        .mark_rect()
        .encode(
            y=alt.Y("low:Q", title="θ / b", scale=y_scale),
            y2="high:Q",
            x=alt.X(
                "zero:Q",
                title="persons",
                scale=alt.Scale(reverse=True, domain=[0, int(counts.max())]),
            ),
            x2="persons:Q",
            tooltip=["low:Q", "high:Q", "persons:Q"],
        )
        .properties(width=220, height=420, title="Persons")
    )
    right = (
        alt.Chart(items)
        .mark_text(align="left")
        .encode(
            y=alt.Y("b:Q", title=None, scale=y_scale), x=alt.X("slot:O", axis=None), text="item:N"
        )
        .properties(width=220, height=420, title="Items (b)")
    )
    return alt.hconcat(left, right).resolve_scale(y="shared")

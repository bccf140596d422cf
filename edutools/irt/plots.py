"""Altair charts of a calibration: ICCs with observed proportions, category response curves,
information with the standard error on its own axis, and a Wright map whose labels do not
overlap.

Each function returns an Altair chart; ``chart.save("x.png")`` renders it through
vl-convert and ``chart.save("x.html")`` writes a standalone page. Polytomous calibrations
(:class:`~edutools.irt.result_poly.PolyCalibration`) draw expected-score curves as ICCs,
category curves with :func:`category_chart`, and their thresholds on the Wright map.
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
from edutools.irt.result_poly import PolyCalibration
from edutools.irt.scoring import align_responses, score

__all__ = ["category_chart", "icc_chart", "information_chart", "wright_map"]

_GRID = np.linspace(-4.0, 4.0, 81)
AnyCalibration = Calibration | PolyCalibration


def _pick(calibration: AnyCalibration, items: Sequence[str] | None) -> list[str]:
    if items is None:
        return list(calibration.items)
    unknown = [i for i in items if i not in calibration.items]
    if unknown:
        raise DataError(
            f"unknown item(s) {', '.join(unknown)}; calibrated items: {', '.join(calibration.items[:8])}..."
        )
    return list(items)


def _abilities(calibration: AnyCalibration, frame: pd.DataFrame, theta: Any) -> np.ndarray:
    if theta is not None:
        return np.asarray(theta, dtype=float)
    method = "wle" if getattr(calibration, "quadrature", True) is None else "eap"
    return score(calibration, frame, method)["theta"].to_numpy()  # type: ignore[arg-type]


def observed_proportions(
    calibration: AnyCalibration, data: Any, *, n_bins: int = 10, theta: Any = None
) -> pd.DataFrame:
    """Mean score per item within θ groups of equal size (θ = EAP by default, WLE for CML).

    For 0/1 items the mean score is the proportion correct.

    Returns
    -------
    DataFrame
        Columns item, theta (mean θ of the group), proportion (the mean score), n.
    """
    frame = align_responses(calibration, data)  # type: ignore[arg-type]
    th = _abilities(calibration, frame, theta)
    ok = np.isfinite(th)
    bins = np.full(th.size, -1)
    bins[ok] = pd.qcut(th[ok], q=n_bins, labels=False, duplicates="drop")
    rows = []
    for item in calibration.items:
        x = frame[item].to_numpy(dtype=float)
        seen = ~np.isnan(x) & ok
        grouped = pd.DataFrame({"bin": bins[seen], "theta": th[seen], "x": x[seen]}).groupby("bin")
        summary = grouped.agg(
            theta=("theta", "mean"), proportion=("x", "mean"), n=("x", "size")
        ).reset_index(drop=True)
        summary.insert(0, "item", item)
        rows.append(summary)
    return pd.concat(rows, ignore_index=True)


def icc_chart(
    calibration: AnyCalibration,
    data: Any = None,
    *,
    items: Sequence[str] | None = None,
    n_bins: int = 10,
    columns: int = 4,
) -> alt.FacetChart:
    """Item characteristic curves, one panel per item, with observed proportions as points.

    For polytomous items the curve is the expected score E[X | θ] (0..K_j) and the points
    are mean observed scores.

    Parameters
    ----------
    calibration : Calibration or PolyCalibration
    data : DataFrame or array, optional
        Responses; when given, persons are grouped by θ (EAP, or WLE for CML) into
        ``n_bins`` groups of equal size and each group's mean score is drawn at its mean θ.
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
    idx = [calibration.items.index(i) for i in names]
    poly = isinstance(calibration, PolyCalibration)
    if isinstance(calibration, PolyCalibration):
        E = calibration.expected_scores(_GRID)
    else:
        E = calibration.probability(_GRID)
    curves = pd.DataFrame(
        {
            "item": np.repeat(names, _GRID.size),
            "theta": np.tile(_GRID, len(names)),
            "probability": E[:, idx].T.reshape(-1),
        }
    )
    x = alt.X("theta:Q", title="θ", scale=alt.Scale(domain=[-4, 4]))
    if poly:
        y = alt.Y("probability:Q", title="expected score")
    else:
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
    if isinstance(calibration, PolyCalibration):  # every panel spans 0..K_j: invisible ends
        tops = [int(calibration.n_cat[i]) - 1 for i in idx]
        data_frames.append(
            pd.DataFrame(
                {"item": names * 2, "theta": 0.0, "probability": [0.0] * len(names) + tops}
            ).assign(kind="range")
        )
        layers.append(
            alt.Chart()
            .mark_point(opacity=0)
            .encode(x=x, y=y)
            .transform_filter(alt.datum.kind == "range")
        )
        layers[0] = layers[0].transform_filter(alt.datum.kind == "model")
    merged = pd.concat(data_frames, ignore_index=True)
    chart = (
        alt.layer(*layers, data=merged)
        .properties(width=160, height=120)
        .facet(facet=alt.Facet("item:N", title=None, sort=names), columns=columns)
        .properties(title=f"Item characteristic curves ({calibration.model})")
    )
    return chart.resolve_scale(y="independent") if poly else chart


def category_chart(
    calibration: PolyCalibration,
    data: Any = None,
    *,
    items: Sequence[str] | None = None,
    n_bins: int = 10,
    columns: int = 4,
) -> alt.FacetChart:
    """Category response curves P(X = k | θ), one panel per item, one line per score.

    Parameters
    ----------
    calibration : PolyCalibration
    data : DataFrame or array, optional
        Responses; persons are grouped by θ into ``n_bins`` groups of equal size and each
        group's share of every score is drawn as points in the score's colour.
    items : sequence of str, optional
        Items to draw (default all).
    n_bins, columns : int

    Example
    -------
    >>> category_chart(GPCM().fit(X).calibration_, X).save("categories.png")  # doctest: +SKIP
    """
    if not isinstance(calibration, PolyCalibration):
        raise DataError(
            "category curves need a polytomous calibration (pcm, gpcm, grm, rsm); "
            "use icc_chart for 0/1 items"
        )
    names = _pick(calibration, items)
    probs = calibration.category_probabilities(_GRID)
    frames = []
    for name in names:
        P = probs[calibration.items.index(name)]
        for k in range(P.shape[1]):
            frames.append(
                pd.DataFrame(
                    {"item": name, "theta": _GRID, "score": str(k), "probability": P[:, k]}
                ).assign(kind="model")
            )
    if data is not None:
        frame = align_responses(calibration, data)  # type: ignore[arg-type]
        th = _abilities(calibration, frame, None)
        ok = np.isfinite(th)
        bins = np.full(th.size, -1)
        bins[ok] = pd.qcut(th[ok], q=n_bins, labels=False, duplicates="drop")
        for name in names:
            x = frame[name].to_numpy(dtype=float)
            seen = ~np.isnan(x) & ok
            g = pd.DataFrame({"bin": bins[seen], "theta": th[seen], "x": x[seen]})
            K = int(calibration.n_cat[calibration.items.index(name)]) - 1
            for k in range(K + 1):
                part = g.assign(hit=(g["x"] == k).astype(float)).groupby("bin")
                summary = part.agg(
                    theta=("theta", "mean"), probability=("hit", "mean"), n=("hit", "size")
                )
                frames.append(summary.assign(item=name, score=str(k), kind="observed"))
    merged = pd.concat(frames, ignore_index=True)
    kmax = int(calibration.n_cat.max()) - 1
    color = alt.Color(
        "score:O",
        title="score",
        scale=alt.Scale(scheme="viridis", domain=[str(k) for k in range(kmax + 1)]),
        sort=[str(k) for k in range(kmax + 1)],
    )
    x = alt.X("theta:Q", title="θ", scale=alt.Scale(domain=[-4, 4]))
    y = alt.Y("probability:Q", title="P(score)", scale=alt.Scale(domain=[0, 1]))
    layers = [
        alt.Chart()
        .mark_line()
        .encode(x=x, y=y, color=color)
        .transform_filter(alt.datum.kind == "model")
    ]
    if data is not None:
        layers.append(
            alt.Chart()
            .mark_circle(size=30, opacity=0.8)
            .encode(x=x, y=y, color=color, tooltip=["item", "score", "theta", "probability", "n"])
            .transform_filter(alt.datum.kind == "observed")
        )
    return (
        alt.layer(*layers, data=merged)
        .properties(width=160, height=120)
        .facet(facet=alt.Facet("item:N", title=None, sort=names), columns=columns)
        .properties(title=f"Category response curves ({calibration.model})")
    )


def information_chart(
    calibration: AnyCalibration, *, items: Sequence[str] | None = None
) -> alt.VConcatChart:
    """Item information curves, the test information and its standard error, in three
    panels with their own y axes (the SE, on the scale of θ, would look flat on the
    information's).

    Example
    -------
    >>> information_chart(m.calibration_).save("information.html")  # doctest: +SKIP
    """
    names = _pick(calibration, items)
    info = item_information(calibration, _GRID)[names].reset_index()
    long = info.melt(id_vars="theta", var_name="item", value_name="information")
    test = information_curve(calibration, _GRID)
    x = alt.X("theta:Q", title="θ", scale=alt.Scale(domain=[-4, 4]))
    item_chart = (
        alt.Chart(long)
        .mark_line()
        .encode(x=x, y=alt.Y("information:Q", title="item information"), color="item:N")
        .properties(width=420, height=180, title="Item information")
    )
    test_chart = (
        alt.Chart(test)
        .mark_line()
        .encode(x=x, y=alt.Y("information:Q", title="test information"))
        .properties(width=420, height=150, title="Test information")
    )
    se_top = float(np.ceil(min(test["se"].max(), 4 * test["se"].min()) * 10) / 10)
    cut = bool(test["se"].max() > se_top)
    se_chart = (
        alt.Chart(test)
        .mark_line(color="#d62728")
        .encode(
            x=x,
            y=alt.Y(
                "se:Q",
                title="standard error of θ",
                scale=alt.Scale(domain=[0, se_top], clamp=True),
            ),
        )
        .properties(
            width=420,
            height=150,
            title=alt.TitleParams(
                "Standard error 1 / sqrt(information)",
                subtitle=f"axis cut at {se_top:g}, four times its smallest value" if cut else "",
            ),
        )
    )
    return alt.vconcat(item_chart, test_chart, se_chart)


def _label_columns(values: np.ndarray, gap: float) -> np.ndarray:
    """Column of each label so that labels in one column are at least ``gap`` apart.

    Greedy in the order of the values: a label goes to the first column whose last label
    is far enough below it.
    """
    order = np.argsort(values, kind="stable")
    last: list[float] = []
    col = np.zeros(values.size, dtype=int)
    for i in order:
        v = float(values[i])
        for c, top in enumerate(last):
            if v - top >= gap:
                col[i], last[c] = c, v
                break
        else:
            col[i] = len(last)
            last.append(v)
    return col


def wright_map(
    calibration: AnyCalibration, theta: Any, *, bins: int = 30, height: int = 420
) -> alt.HConcatChart:
    """Person–item map: a histogram of θ beside the item locations on the same scale.

    Items are points at their difficulty b (for polytomous items: one point per threshold,
    labelled ``item:k``), labelled to the right; labels are spread over as many columns as
    needed so that none overlaps another.

    Parameters
    ----------
    calibration : Calibration or PolyCalibration
    theta : array-like
        Person abilities (e.g. ``score(cal, X)["theta"]``); non-finite values are dropped.
    bins : int
        Histogram bins.
    height : int
        Height in pixels.

    Example
    -------
    >>> wright_map(cal, score(cal, X)["theta"]).save("wright.png")  # doctest: +SKIP
    """
    th = np.asarray(theta, dtype=float)
    th = th[np.isfinite(th)]
    if th.size == 0:
        raise DataError("a Wright map needs at least one finite ability estimate")
    if isinstance(calibration, PolyCalibration):
        labels, b = [], []
        for item, thr in zip(calibration.items, calibration.thresholds, strict=True):
            for k, v in enumerate(thr, start=1):
                labels.append(item if thr.size == 1 else f"{item}:{k}")
                b.append(float(v))
        locations = np.array(b)
        title = "Items (thresholds)"
    else:
        labels, locations, title = list(calibration.items), calibration.b, "Items (b)"
    finite = np.isfinite(locations)
    lo = float(np.floor(min(th.min(), np.min(locations[finite], initial=0.0), -3.0)))
    hi = float(np.ceil(max(th.max(), np.max(locations[finite], initial=0.0), 3.0)))
    counts, edges = np.histogram(th, bins=bins, range=(lo, hi))
    persons = pd.DataFrame({"low": edges[:-1], "high": edges[1:], "persons": counts})
    persons = persons[persons["persons"] > 0].assign(zero=0)
    y_scale = alt.Scale(domain=[lo, hi])
    # 13 px per label line, in units of the θ axis
    shown = np.clip(locations, lo, hi)
    cols = _label_columns(np.where(finite, shown, hi), 13.0 * (hi - lo) / height)
    width = max(1, int(cols.max()) + 1) * 7 * (max(len(x) for x in labels) + 3)
    items = pd.DataFrame({"item": labels, "b": locations, "shown": shown, "column": cols})[finite]
    left = (
        alt.Chart(persons)
        .mark_rect()
        .encode(
            y=alt.Y("low:Q", title="θ / item location", scale=y_scale),
            y2="high:Q",
            x=alt.X(
                "zero:Q",
                title="persons",
                scale=alt.Scale(reverse=True, domain=[0, int(counts.max())]),
            ),
            x2="persons:Q",
            tooltip=["low:Q", "high:Q", "persons:Q"],
        )
        .properties(width=220, height=height, title="Persons")
    )
    n_cols = int(cols.max()) + 1
    x_enc = alt.X("column:Q", axis=None, scale=alt.Scale(domain=[-0.1, n_cols]))
    base = alt.Chart(items).encode(
        y=alt.Y("shown:Q", title=None, scale=y_scale), x=x_enc, tooltip=["item:N", "b:Q"]
    )
    right = (
        base.mark_circle(size=30, color="#1f77b4")
        + base.mark_text(align="left", dx=6, fontSize=11).encode(text="item:N")
    ).properties(width=width, height=height, title=title)
    return alt.hconcat(left, right).resolve_scale(y="shared")

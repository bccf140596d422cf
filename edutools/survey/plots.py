"""Altair charts for style-preference analyses, saved as PNG through vl-convert.

Every function takes the tidy tables the models return and gives an ``alt.Chart``;
:func:`save_png` writes one to disk (offline: vl-convert renders without a browser).
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

__all__ = ["chain_trajectories", "effect_forest", "moderation_slopes", "save_png"]


def effect_forest(
    table: pd.DataFrame,
    *,
    label: str = "term",
    facet: str | None = None,
    title: str = "Effects with 95% confidence intervals",
    x_title: str = "estimate",
) -> alt.LayerChart | alt.FacetChart:
    """Forest plot: one row per term, the estimate as a point and its CI as a bar.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``estimate, ci_low, ci_high`` and ``label`` (and ``facet`` when given).
    label, facet : str
        Row label column; optional column that splits the plot into panels.
    title, x_title : str

    Returns
    -------
    altair.LayerChart or altair.FacetChart

    Example
    -------
    >>> t = pd.DataFrame({"term": ["a", "b"], "estimate": [0.5, -0.2],
    ...                   "ci_low": [0.3, -0.4], "ci_high": [0.7, 0.0]})
    >>> effect_forest(t).to_dict()["$schema"].startswith("https://vega.github.io")
    True
    """
    cols = [label, "estimate", "ci_low", "ci_high", *([facet] if facet else [])]
    data = table[cols].copy()
    y = alt.Y(f"{label}:N", sort=None, title=None, axis=alt.Axis(labelLimit=400))
    base = alt.Chart(data)
    bars = base.mark_rule(strokeWidth=2).encode(
        y=y, x=alt.X("ci_low:Q", title=x_title), x2="ci_high:Q"
    )
    points = base.mark_point(filled=True, size=60).encode(
        y=y,
        x="estimate:Q",
        tooltip=[alt.Tooltip(c, format=".3f") if c != label and c != facet else c for c in cols],
    )
    zero = (
        alt.Chart(pd.DataFrame({"x": [0.0]}))
        .mark_rule(strokeDash=[4, 4], color="gray")
        .encode(x="x:Q")
    )
    layered = alt.layer(zero, bars, points).properties(width=380)
    if facet:
        layered = layered.facet(row=alt.Row(f"{facet}:N", title=None)).resolve_scale(
            y="independent"
        )
    return layered.properties(title=title)


def chain_trajectories(
    nodes: pd.DataFrame,
    *,
    burn_in: int | None = None,
    max_chains: int = 24,
    title: str = "GSP chain trajectories",
) -> alt.FacetChart:
    """Each chain's value on every dimension across nodes, one panel per dimension.

    Parameters
    ----------
    nodes : pandas.DataFrame
        ``chain_id, node, dimension, value`` (``nodes.csv``).
    burn_in : int, optional
        Draws a vertical rule where the analysis starts using nodes.
    max_chains : int
        Plot at most this many chains (the first in sorted order) to keep the chart legible.
    title : str

    Returns
    -------
    altair.Chart
    """
    chains = set(sorted(nodes["chain_id"].unique())[:max_chains])
    data = nodes[["chain_id", "node", "dimension", "value"]].assign(
        shown=nodes["chain_id"].isin(chains)
    )
    # every layer reads the facet's data: a layer with its own data would ignore the facet
    lines = (
        alt.Chart()
        .transform_filter(alt.datum.shown)
        .mark_line(opacity=0.55, strokeWidth=1.2)
        .encode(
            x=alt.X("node:Q", title="node"),
            y=alt.Y("value:Q", title="style level", scale=alt.Scale(zero=False)),
            color=alt.Color("chain_id:N", legend=None),
            detail="chain_id:N",
        )
    )
    mean = (
        alt.Chart().mark_line(color="black", strokeWidth=2.5).encode(x="node:Q", y="mean(value):Q")
    )
    layers: list[alt.Chart] = [lines, mean]
    if burn_in:
        layers.append(
            alt.Chart().mark_rule(strokeDash=[4, 4], color="gray").encode(x=alt.datum(burn_in))
        )
    return (
        alt.layer(*layers, data=data)
        .properties(width=220, height=160)
        .facet(facet=alt.Facet("dimension:N", title=None), columns=2)
        .properties(title=title + " (black: mean over all chains)")
    )


def moderation_slopes(
    slopes: pd.DataFrame,
    *,
    design: str,
    title: str = "Moderation: simple slopes at -1, 0 and +1 SD",
) -> alt.FacetChart:
    """Simple slopes of a moderator.

    For ``pairwise`` (from :class:`~edutools.survey.models_pairwise.PreferenceResult`):
    each feature's effect on the log-odds of preference at moderator −1, 0, +1 SD. For ``gsp``
    (from :class:`~edutools.survey.models_gsp.TrialModel`): the predicted probability of
    choosing the upper half of each dimension at trait −1, 0, +1 SD.

    Returns
    -------
    altair.Chart
    """
    if design == "pairwise":
        data = slopes.rename(
            columns={"at_sd": "sd", "slope": "y", "feature": "series", "moderator": "panel"}
        )
        y_title = "feature effect (log-odds per SD)"
    else:
        long = slopes.melt(
            id_vars=["dimension", "trait"],
            value_vars=["prob_minus_1sd", "prob_mean", "prob_plus_1sd"],
            var_name="at",
            value_name="y",
        )
        long["sd"] = long["at"].map(
            {"prob_minus_1sd": -1.0, "prob_mean": 0.0, "prob_plus_1sd": 1.0}
        )
        data = long.rename(columns={"dimension": "series", "trait": "panel"})
        y_title = "P(upper half of the dimension)"
    chart = (
        alt.Chart(data[["series", "panel", "sd", "y"]])
        .mark_line(point=True)
        .encode(
            x=alt.X("sd:Q", title="moderator (SD from the mean)", scale=alt.Scale(domain=[-1, 1])),
            y=alt.Y("y:Q", title=y_title),
            color=alt.Color("series:N", title=None),
        )
        .properties(width=220, height=180)
    )
    return chart.facet(facet=alt.Facet("panel:N", title=None), columns=3).properties(title=title)


def save_png(
    chart: alt.Chart | alt.LayerChart | alt.FacetChart, path: str | Path, scale: float = 2.0
) -> Path:
    """Render ``chart`` to a PNG file with vl-convert (no browser needed)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    chart.save(str(out), format="png", scale_factor=scale)
    return out

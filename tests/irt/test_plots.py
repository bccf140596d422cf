"""Charts: the data they draw, and that they render to PNG through vl-convert."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from edutools.errors import DataError
from edutools.irt import Calibration, TwoPL, score
from edutools.irt.plots import icc_chart, information_chart, observed_proportions, wright_map


@pytest.fixture(scope="module")
def cal7(lsat7: pd.DataFrame) -> Calibration:
    return TwoPL().fit(lsat7).calibration_


def _datasets(spec: dict) -> list[list[dict]]:  # type: ignore[type-arg]
    return list(spec["datasets"].values())


def test_icc_chart_draws_model_curves_and_observed_points(
    cal7: Calibration, lsat7: pd.DataFrame
) -> None:
    spec = icc_chart(cal7, lsat7, n_bins=5).to_dict()
    rows = pd.DataFrame(_datasets(spec)[0])
    model = rows[rows["kind"] == "model"]
    observed = rows[rows["kind"] == "observed"]
    assert set(model["item"]) == set(cal7.items)
    q1 = model[model["item"] == "Q1"]
    at = q1.iloc[(q1["theta"] - 0.0).abs().argmin()]
    assert at["probability"] == pytest.approx(cal7.probability([at["theta"]])[0, 0])
    assert observed["n"].sum() == 5 * 1000
    assert spec["facet"]["field"] == "item"


def test_observed_proportions_use_equal_groups(cal7: Calibration, lsat7: pd.DataFrame) -> None:
    theta = np.linspace(-2, 2, 1000)
    obs = observed_proportions(cal7, lsat7, n_bins=4, theta=theta)
    assert obs.groupby("item")["n"].apply(list).iloc[0] == [250, 250, 250, 250]


def test_information_and_wright_map_render_to_png(
    cal7: Calibration, lsat7: pd.DataFrame, tmp_path: Path
) -> None:
    for name, chart in {
        "info": information_chart(cal7, items=["Q1", "Q3"]),
        "wright": wright_map(cal7, score(cal7, lsat7)["theta"]),
        "icc": icc_chart(cal7, items=["Q2"]),
    }.items():
        path = tmp_path / f"{name}.png"
        chart.save(str(path))
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_wright_map_counts_every_finite_person(cal7: Calibration) -> None:
    theta = np.r_[np.linspace(-2, 2, 97), np.inf, -np.inf, np.nan]
    spec = wright_map(cal7, theta).to_dict()
    persons = next(d for d in _datasets(spec) if d and "persons" in d[0])
    assert sum(r["persons"] for r in persons) == 97


@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(lambda c: icc_chart(c, items=["Q9"]), "unknown item", id="icc-item"),
        pytest.param(lambda c: wright_map(c, [np.inf]), "finite ability", id="wright-empty"),
    ],
)
def test_chart_errors(cal7: Calibration, call: object, match: str) -> None:
    with pytest.raises(DataError, match=match):
        call(cal7)  # type: ignore[operator]


def test_standard_error_has_its_own_panel_and_axis(cal7: Calibration) -> None:
    spec = information_chart(cal7).to_dict()
    panels = spec["vconcat"]
    assert len(panels) == 3
    fields = [p["encoding"]["y"]["field"] for p in panels]
    assert fields == ["information", "information", "se"]
    assert panels[2]["encoding"]["y"]["title"] == "standard error of θ"


def test_wright_map_labels_never_overlap() -> None:
    from edutools.irt import simulate_items, simulate_responses

    items = simulate_items(40, "2pl", seed=1)
    Y = simulate_responses(items, 500, seed=2).responses
    cal = TwoPL().fit(Y).calibration_
    spec = wright_map(cal, score(cal, Y)["theta"], height=420).to_dict()
    rows = pd.DataFrame(next(d for d in _datasets(spec) if d and "column" in d[0]))
    assert len(rows) == 40
    lo, hi = spec["hconcat"][0]["encoding"]["y"]["scale"]["domain"]
    gap = 13.0 * (hi - lo) / 420
    for _, col in rows.groupby("column"):
        assert np.all(np.diff(np.sort(col["shown"].to_numpy())) >= gap - 1e-12)
    assert rows["column"].max() >= 1  # 40 items on 420 px need more than one column


def test_category_curves_of_a_polytomous_calibration(tmp_path: Path) -> None:
    from edutools.irt import GPCM, simulate_poly_items, simulate_polytomous
    from edutools.irt.plots import category_chart

    items = simulate_poly_items(3, "gpcm", n_categories=[2, 3, 4], seed=1, b_sd=0.5)
    X, _ = simulate_polytomous(items, 400, "gpcm", seed=2)
    cal = GPCM().fit(X).calibration_
    chart = category_chart(cal, X, n_bins=4)
    rows = pd.DataFrame(_datasets(chart.to_dict())[0])
    model = rows[rows["kind"] == "model"]
    assert model.groupby("item")["score"].nunique().to_dict() == {
        "item1": 2,
        "item2": 3,
        "item3": 4,
    }
    np.testing.assert_allclose(model.groupby(["item", "theta"])["probability"].sum(), 1.0)
    observed = rows[rows["kind"] == "observed"]
    assert observed[observed["score"] == "0"].groupby("item")["n"].sum().tolist() == [400] * 3
    path = tmp_path / "categories.png"
    chart.save(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(DataError, match="polytomous"):
        category_chart(TwoPL().fit(X >= 1).calibration_)  # type: ignore[arg-type]
    wright = wright_map(cal, score(cal, X)["theta"]).to_dict()
    labels = next(d for d in _datasets(wright) if d and "column" in d[0])
    assert [r["item"] for r in labels if r["item"].startswith("item3")] == [
        "item3:1",
        "item3:2",
        "item3:3",
    ]

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

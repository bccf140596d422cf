"""Scoring, information and fit beyond the reference values: edge cases and properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from edutools.errors import DataError
from edutools.irt import (
    Calibration,
    TwoPL,
    information_curve,
    item_fit,
    item_information,
    person_fit,
    score,
    simulate_items,
    simulate_responses,
    sx2,
)
from edutools.irt.fit import _collapse


@pytest.fixture(scope="module")
def cal7(lsat7: pd.DataFrame) -> Calibration:
    return TwoPL().fit(lsat7).calibration_


def test_person_without_responses_gets_the_prior(cal7: Calibration, lsat7: pd.DataFrame) -> None:
    X = pd.DataFrame([[np.nan] * 5, [1, 0, np.nan, 1, 1]], columns=lsat7.columns)
    eap = score(cal7, X, "eap")
    assert eap.iloc[0].tolist() == [0.0, 1.0]
    assert score(cal7, X, "ml").iloc[0].isna().all()
    assert 0 < eap["se"].iloc[1] < 1


def test_map_lies_between_ml_and_the_prior_mean(cal7: Calibration, lsat7: pd.DataFrame) -> None:
    X = lsat7.iloc[:200]
    ml, mp = score(cal7, X, "ml")["theta"], score(cal7, X, "map")["theta"]
    finite = np.isfinite(ml)
    assert (np.abs(mp[finite]) <= np.abs(ml[finite]) + 1e-9).all()


def test_scores_keep_the_person_index(cal7: Calibration, lsat7: pd.DataFrame) -> None:
    X = lsat7.iloc[:5].set_axis([f"s{i}" for i in range(5)])
    assert score(cal7, X).index.tolist() == [f"s{i}" for i in range(5)]


@pytest.mark.parametrize(
    ("data", "method", "match"),
    [
        pytest.param(
            pd.DataFrame({"Q1": [1.0]}), "eap", "lack calibrated item", id="missing-columns"
        ),
        pytest.param(
            np.zeros((3, 7)), "eap", "have 7 columns; the calibration has 5", id="array-width"
        ),
        pytest.param(np.zeros(5), "eap", "1 dimensions", id="1-d"),
        pytest.param(np.zeros((2, 5)), "wle", "unknown scoring method 'wle'", id="method"),
    ],
)
def test_scoring_errors(cal7: Calibration, data: object, method: str, match: str) -> None:
    with pytest.raises(DataError, match=match):
        score(cal7, data, method)  # type: ignore[arg-type]


def test_arrays_are_aligned_when_items_were_excluded(lsat7: pd.DataFrame) -> None:
    X = lsat7.to_numpy(dtype=float)
    X = np.column_stack([X[:, :2], np.ones(len(X)), X[:, 2:]])
    with pytest.warns(UserWarning, match="item3"):
        cal = TwoPL().fit(X).calibration_
    assert "item3" not in cal.items
    pd.testing.assert_frame_equal(score(cal, X), score(cal, np.delete(X, 2, axis=1)))


def test_item_information_formula() -> None:
    cal = Calibration.from_parameters(
        ["A", "B"], [1.5, 1.2], b=[0.3, -0.5], c=[0.0, 0.2], model="3pl"
    )
    info = item_information(cal, [0.3, -0.5])
    assert info.loc[0.3, "A"] == pytest.approx(1.5**2 / 4)
    # the 3PL item peaks above b at θ = b + log((1 + sqrt(1 + 8c)) / 2) / a
    grid = np.linspace(-3, 3, 60001)
    peak = grid[item_information(cal, grid)["B"].to_numpy().argmax()]
    assert peak == pytest.approx(-0.5 + np.log((1 + np.sqrt(1 + 8 * 0.2)) / 2) / 1.2, abs=1e-3)
    curve = information_curve(cal, [0.0])
    assert curve["se"].iloc[0] == pytest.approx(1 / np.sqrt(curve["information"].iloc[0]))


def test_lz_is_standard_normal_under_the_model_and_flags_random_responders() -> None:
    items = simulate_items(40, seed=11)
    sim = simulate_responses(items, 3000, seed=12)
    cal = Calibration.from_parameters(list(items["item"]), items["a"], d=items["d"])
    fit = person_fit(cal, sim.responses, theta=sim.theta)
    assert fit["lz"].mean() == pytest.approx(0.0, abs=0.1)
    assert fit["lz"].std() == pytest.approx(1.0, abs=0.1)
    rng = np.random.default_rng(0)
    guessers = pd.DataFrame(
        (rng.random((200, 40)) < 0.5).astype(float), columns=sim.responses.columns
    )
    assert person_fit(cal, guessers)["lz"].mean() < -2


def test_sx2_holds_its_level_under_the_model_and_catches_a_misfitting_item() -> None:
    items = simulate_items(20, seed=13)
    sim = simulate_responses(items, 3000, seed=14)
    X = sim.responses.copy()
    # item20 is replaced by a 3PL item with a high floor: a 2PL cannot describe it
    rng = np.random.default_rng(15)
    p = 0.45 + 0.55 / (1 + np.exp(-2.5 * (sim.theta.to_numpy() - 1.0)))
    X["item20"] = (rng.random(len(X)) < p).astype(float)
    fit = sx2(TwoPL().fit(X).calibration_, X).set_index("item")
    assert fit.loc["item20", "p_value"] < 1e-3
    assert (fit.drop(index="item20")["p_value"] < 0.01).sum() <= 1


def test_item_fit_combines_the_statistics(cal7: Calibration, lsat7: pd.DataFrame) -> None:
    table = item_fit(cal7, lsat7)
    assert {"S_X2", "df", "p_value", "infit", "outfit", "infit_t", "outfit_t"} <= set(table.columns)
    assert len(table) == 5


def test_sx2_needs_complete_responses(cal7: Calibration, lsat7: pd.DataFrame) -> None:
    X = lsat7.astype(float).copy()
    X.iloc[:, 0] = np.nan
    with pytest.raises(DataError, match="complete responses"):
        sx2(cal7, X)


@pytest.mark.parametrize(
    ("n", "expected", "groups"),
    [
        pytest.param([10, 10, 10], [5, 5, 5], 3, id="nothing-small"),
        pytest.param([1, 10, 10, 1], [0.5, 5, 5, 0.5], 2, id="both-tails"),
        pytest.param([10, 1, 10], [5, 0.5, 5], 2, id="interior"),
    ],
)
def test_cells_are_collapsed_until_expected_counts_reach_mincell(
    n: list[float], expected: list[float], groups: int
) -> None:
    obs1 = np.asarray(expected)
    _, nn, ee = _collapse(obs1, np.asarray(n, dtype=float), np.asarray(expected), 1.0)
    assert len(nn) == groups
    assert nn.sum() == sum(n)
    assert np.all(np.minimum(ee, nn - ee) >= 1.0)

"""Seeded simulation: determinism, models, missingness designs and their errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from edutools.errors import DataError
from edutools.irt import TwoPL, simulate_items, simulate_responses


def test_same_seed_same_data() -> None:
    items = simulate_items(8, seed=1)
    a = simulate_responses(items, 200, seed=2, missing="mcar", missing_rate=0.2)
    b = simulate_responses(items, 200, seed=2, missing="mcar", missing_rate=0.2)
    pd.testing.assert_frame_equal(a.responses, b.responses)
    c = simulate_responses(items, 200, seed=3, missing="mcar", missing_rate=0.2)
    assert not a.responses.equals(c.responses)


@pytest.mark.parametrize(
    ("model", "check"),
    [
        pytest.param("rasch", lambda t: (t["a"] == 1).all() and (t["c"] == 0).all(), id="rasch"),
        pytest.param("1pl", lambda t: t["a"].nunique() == 1, id="1pl"),
        pytest.param("2pl", lambda t: t["a"].nunique() == len(t) and (t["c"] == 0).all(), id="2pl"),
        pytest.param("3pl", lambda t: t["c"].between(0.1, 0.3).all(), id="3pl"),
    ],
)
def test_item_models(model: str, check: object) -> None:
    items = simulate_items(12, model, seed=4)
    assert check(items)  # type: ignore[operator]
    np.testing.assert_allclose(items["d"], -items["a"] * items["b"])


@pytest.mark.parametrize(
    ("missing", "rate"),
    [
        pytest.param("mcar", 0.3, id="mcar"),
        pytest.param("booklet", 0.4, id="booklet"),
        pytest.param("not_reached", 0.1, id="not-reached"),
    ],
)
def test_missingness_designs_reach_their_rate(missing: str, rate: float) -> None:
    items = simulate_items(20, seed=5)
    sim = simulate_responses(items, 4000, seed=6, missing=missing, missing_rate=rate)  # type: ignore[arg-type]
    share = float(sim.responses.isna().to_numpy().mean())
    assert share == pytest.approx(rate, abs=0.02)


def test_booklet_design_has_few_patterns_of_missingness() -> None:
    sim = simulate_responses(
        simulate_items(20, seed=5), 1000, seed=6, missing="booklet", missing_rate=0.5, n_blocks=4
    )
    patterns = {tuple(r) for r in sim.responses.isna().to_numpy()}
    assert len(patterns) == 4


def test_not_reached_leaves_only_trailing_gaps() -> None:
    sim = simulate_responses(
        simulate_items(15, seed=5), 1000, seed=6, missing="not_reached", missing_rate=0.2
    )
    miss = sim.responses.isna().to_numpy()
    # once an item is not reached, no later item is answered
    assert np.all(np.diff(miss.astype(int), axis=1) >= 0)


def test_simulated_data_recover_the_generating_items() -> None:
    items = simulate_items(10, seed=8)
    sim = simulate_responses(items, 5000, seed=9)
    m = TwoPL().fit(sim.responses)
    assert np.corrcoef(m.b_, items["b"])[0, 1] > 0.98
    np.testing.assert_allclose(sim.theta.std(), 1.0, atol=0.05)


def test_calibration_can_drive_a_simulation(lsat7: pd.DataFrame) -> None:
    cal = TwoPL().fit(lsat7).calibration_
    sim = simulate_responses(cal, 300, seed=1)
    assert list(sim.responses.columns) == list(cal.items)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"n_persons": 0}, "n_persons=0", id="no-persons"),
        pytest.param({"missing_rate": 1.2}, "missing_rate=1.2", id="rate"),
        pytest.param({"missing": "mcar"}, "needs a positive missing_rate", id="rate-zero"),
        pytest.param(
            {"missing": "weird", "missing_rate": 0.1}, "unknown missingness 'weird'", id="kind"
        ),
        pytest.param(
            {"missing": "not_reached", "missing_rate": 0.7},
            "too high for not_reached",
            id="not-reached-rate",
        ),
        pytest.param({"theta": np.zeros(3)}, r"theta has shape \(3,\)", id="theta-shape"),
    ],
)
def test_simulation_errors(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"n_persons": 10, "seed": 1, **kwargs}
    with pytest.raises(DataError, match=match):
        simulate_responses(simulate_items(4, seed=1), **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        pytest.param((0, "2pl"), "n_items=0", id="no-items"),
        pytest.param((3, "4pl"), "unknown model '4pl'", id="model"),
    ],
)
def test_item_simulation_errors(args: tuple[int, str], match: str) -> None:
    with pytest.raises(DataError, match=match):
        simulate_items(*args, seed=1)

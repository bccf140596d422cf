"""Pattern collapsing: exact, reversible, and the same fit either way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from edutools.irt import normal_grid
from edutools.irt._data import ResponseData, _unique_rows, prepare_responses
from edutools.irt.estimators import TwoPL


def _rebuild(data: ResponseData) -> np.ndarray:
    ones = data.ones[data.inverse].astype(float)
    return np.where(data.observed[data.inverse] > 0, ones, np.nan)


@pytest.mark.parametrize(
    "missing", [pytest.param(0.0, id="complete"), pytest.param(0.3, id="missing")]
)
def test_collapsed_patterns_rebuild_the_data(lsat7: pd.DataFrame, missing: float) -> None:
    X = lsat7.to_numpy(dtype=float)
    X[np.random.default_rng(1).random(X.shape) < missing] = np.nan
    data = prepare_responses(X, collapse=True)
    assert data.n_patterns < 300
    # persons without any response carry no information and are left out
    assert data.counts.sum() == data.kept.sum() == (~np.isnan(X)).any(axis=1).sum()
    np.testing.assert_array_equal(_rebuild(data), X[data.kept])


def test_unique_rows_agree_with_numpy() -> None:
    packed = np.random.default_rng(2).integers(0, 4, (5000, 3)).astype(np.uint8)
    first, inverse, counts = _unique_rows(packed)
    _, ref_counts = np.unique(packed, axis=0, return_counts=True)
    assert sorted(counts.tolist()) == sorted(ref_counts.tolist())
    np.testing.assert_array_equal(packed[first][inverse], packed)


def test_fit_does_not_depend_on_collapsing(lsat7: pd.DataFrame) -> None:
    X = pd.concat([lsat7] * 3, ignore_index=True)
    grid = normal_grid(61)
    collapsed = TwoPL()._fit_data(prepare_responses(X, collapse=True), grid)
    plain = TwoPL()._fit_data(prepare_responses(X, collapse=False), grid)
    np.testing.assert_allclose(collapsed.a, plain.a, atol=1e-8)
    assert collapsed.loglik == pytest.approx(plain.loglik, abs=1e-6)

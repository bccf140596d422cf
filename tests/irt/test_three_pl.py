"""The 3PL on small samples: no bare numerical errors, a stated fallback, a usable prior."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from edutools.irt import CalibrationWarning, ThreePL, simulate_items, simulate_responses


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    """300 × 6 from the 3PL: without a slope prior item 4's slope grows without bound."""
    items = simulate_items(6, "3pl", seed=7)
    return simulate_responses(items, 300, seed=107).responses


def test_unstable_small_sample_refits_with_a_slope_prior(small: pd.DataFrame) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = ThreePL().fit(small)
    messages = [str(w.message) for w in caught if issubclass(w.category, CalibrationWarning)]
    assert any("refitted with a LogNormal(0, 0.5) prior on every slope" in s for s in messages)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert m.converged_
    assert any("LogNormal(0, 0.5)" in n for n in m.notes_)
    assert np.all(np.isfinite(m.se_[["a", "b", "c"]].to_numpy()))
    assert m.a_.max() < 3


def test_explicit_prior_equals_the_fallback(small: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        auto = ThreePL().fit(small)
    explicit = ThreePL(a_prior=(0.0, 0.5)).fit(small)
    np.testing.assert_allclose(explicit.a_, auto.a_, atol=1e-6)
    assert explicit.loglik_ == pytest.approx(auto.loglik_, abs=1e-6)


def test_without_a_prior_the_failure_is_a_warning_not_a_crash(small: pd.DataFrame) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = ThreePL(a_prior=None, max_iter=60).fit(small)
    assert not m.converged_
    assert any("did not converge" in str(w.message) for w in caught)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]


def test_stable_fits_keep_no_slope_prior(lsat7: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        auto = ThreePL().fit(lsat7)
    plain = ThreePL(a_prior=None).fit(lsat7)
    np.testing.assert_allclose(auto.a_, plain.a_, atol=1e-8)
    assert not any("LogNormal" in n for n in auto.notes_)


def test_slope_prior_derivatives_match_finite_differences() -> None:
    from edutools.irt._models import ModelSpec

    spec = ModelSpec("3pl", 3, (6.0, 16.0), (0.2, 0.4))
    phi = np.r_[0.6, 1.3, 2.2, 0.1, -0.4, 0.8, -1.0, -1.3, -0.7]
    grad, hess = spec.prior_derivatives(phi)
    h = 1e-5
    for i in range(3):
        e = np.zeros(9)
        e[i] = h
        up, dn = spec.log_prior(phi + e), spec.log_prior(phi - e)
        assert grad[i] == pytest.approx((up - dn) / (2 * h), rel=1e-6)
        e *= 100  # second differences need a wider step
        up, dn = spec.log_prior(phi + e), spec.log_prior(phi - e)
        assert hess[i] == pytest.approx(
            (up - 2 * spec.log_prior(phi) + dn) / (100 * h) ** 2, rel=1e-5
        )
    assert spec.log_prior(np.r_[-0.1, phi[1:]]) == -np.inf
    with pytest.raises(Exception, match="a_prior"):
        ThreePL(a_prior=(0.0, -1.0)).fit(pd.DataFrame(np.eye(4)[[0, 1, 2, 3] * 5]))

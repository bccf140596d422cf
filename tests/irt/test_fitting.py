"""The fitting strategies reach the same optimum: EM + Newton, subsample quasi-Newton, EM."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from edutools.irt import OnePL, ThreePL, TwoPL, _fitting, simulate_items, simulate_responses


@pytest.fixture(scope="module")
def medium() -> pd.DataFrame:
    items = simulate_items(20, seed=21)
    return simulate_responses(items, 12_000, seed=22, missing="mcar", missing_rate=0.2).responses


@pytest.fixture(scope="module")
def reference(medium: pd.DataFrame) -> TwoPL:
    return TwoPL(precision="double").fit(medium)


def test_quasi_newton_matches_em_and_newton(
    monkeypatch: pytest.MonkeyPatch, medium: pd.DataFrame, reference: TwoPL
) -> None:
    monkeypatch.setattr(_fitting, "_QUASI_NEWTON_ABOVE", 10**9)
    em = TwoPL(precision="double").fit(medium)
    np.testing.assert_allclose(em.a_, reference.a_, atol=1e-5)
    np.testing.assert_allclose(em.se_["b"], reference.se_["b"], rtol=1e-4)
    assert em.loglik_ == pytest.approx(reference.loglik_, abs=1e-6)


def test_single_precision_quasi_newton_without_a_full_hessian(
    monkeypatch: pytest.MonkeyPatch, medium: pd.DataFrame, reference: TwoPL
) -> None:
    # pretend the data are huge: no double-precision Hessian over all persons
    monkeypatch.setattr(_fitting, "_HESSIAN_BUDGET", 1e6)
    big = TwoPL(precision="single").fit(medium)
    assert big.converged_
    np.testing.assert_allclose(big.a_, reference.a_, atol=1e-4)
    np.testing.assert_allclose(big.se_["a"], reference.se_["a"], rtol=1e-3)
    assert big.loglik_ == pytest.approx(reference.loglik_, rel=1e-7)


def test_em_fallback_when_the_subsample_lacks_variance(
    medium: pd.DataFrame, reference: TwoPL
) -> None:
    X = medium.copy()
    X["rare"] = 0.0
    X.iloc[5, -1] = 1.0  # one correct answer in 12 000: a subsample will miss it
    m = OnePL().fit(X)
    assert m.converged_
    assert m.b_["rare"] > 3


@pytest.mark.slow
def test_3pl_quasi_newton_matches_em_and_newton(monkeypatch: pytest.MonkeyPatch) -> None:
    items = simulate_items(24, "3pl", seed=23)
    X = simulate_responses(items, 12_000, seed=24).responses
    assert len(X.drop_duplicates()) >= 10_000  # enough patterns for the quasi-Newton route
    qn = ThreePL().fit(X)
    monkeypatch.setattr(_fitting, "_QUASI_NEWTON_ABOVE", 10**9)
    em = ThreePL().fit(X)
    np.testing.assert_allclose(qn.c_, em.c_, atol=1e-5)
    assert qn.loglik_ == pytest.approx(em.loglik_, abs=1e-5)

"""Parameter recovery from seeded simulations, and the calibration of the standard errors.

Thresholds (stated here, checked below):

- 2PL, 20 000 persons × 100 items: RMSE(a) ≤ 0.03 and RMSE(b) ≤ 0.05 (the issue's).
- 3PL, 10 000 persons × 30 items, a ~ LogNormal(0.2, 0.2), b ~ N(0, 1), c ~ U(0.1, 0.3),
  Beta(6, 16) prior on c: RMSE(a) ≤ 0.15, RMSE(b) ≤ 0.15, RMSE(c) ≤ 0.06, and for each
  parameter the RMSE is within 1.5 × the root mean squared reported SE.
- 30 % of responses missing completely at random (same persons and items as the first
  fit): each answered item keeps 70 % of its responses, so its information shrinks to
  0.7 and SEs grow by sqrt(1 / 0.7) ≈ 1.195. Bound: the reported SEs grow by at most
  1.05 × that factor, the RMSE grows by at most 1.2 × that factor (sampling noise of an
  RMSE over 100 items is about 7 %), and the RMSE stays within 1.25 × the reported SEs.
- SEs: over 200 replications of 2 000 × 10 (2PL), the mean reported SE of every kind of
  parameter (a, b, d) is within 10 % of the empirical SD, averaged over the items; each
  single item's ratio, itself estimated to about ±5 %, lies within 20 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from edutools.irt import ThreePL, TwoPL, simulate_items, simulate_responses


def _rmse(est: object, true: object) -> float:
    return float(np.sqrt(np.mean((np.asarray(est) - np.asarray(true)) ** 2)))


def _rms(se: object) -> float:
    return float(np.sqrt(np.mean(np.asarray(se) ** 2)))


@pytest.fixture(scope="module")
def large_2pl() -> tuple:  # type: ignore[type-arg]
    items = simulate_items(100, "2pl", seed=0)
    X = simulate_responses(items, 20_000, seed=50).responses.to_numpy()
    return items, X


@pytest.mark.slow
def test_2pl_recovery_20000_by_100(large_2pl: tuple) -> None:  # type: ignore[type-arg]
    items, X = large_2pl
    m = TwoPL().fit(X)
    assert m.converged_
    assert _rmse(m.a_, items["a"]) <= 0.03
    assert _rmse(m.b_, items["b"]) <= 0.05


@pytest.mark.slow
def test_missing_completely_at_random_costs_only_the_lost_information(large_2pl: tuple) -> None:  # type: ignore[type-arg]
    items, X = large_2pl
    Xm = X.copy()
    Xm[np.random.default_rng(0).random(X.shape) < 0.3] = np.nan
    full, part = TwoPL().fit(X), TwoPL().fit(Xm)
    loss = np.sqrt(1 / 0.7)
    for k in ("a", "b"):
        est_full, est_part = getattr(full, f"{k}_"), getattr(part, f"{k}_")
        se_full, se_part = _rms(full.se_[k]), _rms(part.se_[k])
        assert se_part / se_full <= 1.05 * loss
        assert _rmse(est_part, items[k]) / _rmse(est_full, items[k]) <= 1.2 * loss
        assert _rmse(est_part, items[k]) <= 1.25 * se_part


@pytest.mark.slow
def test_3pl_recovery() -> None:
    items = simulate_items(30, "3pl", seed=0, a_mean=0.2, a_sd=0.2, c_range=(0.1, 0.3))
    X = simulate_responses(items, 10_000, seed=100).responses
    m = ThreePL(c_prior=(6, 16)).fit(X)
    for k, limit in (("a", 0.15), ("b", 0.15), ("c", 0.06)):
        err = _rmse(getattr(m, f"{k}_"), items[k])
        assert err <= limit
        assert err <= 1.5 * _rms(m.se_[k])


@pytest.mark.slow
def test_standard_errors_match_the_spread_over_200_replications() -> None:
    items = simulate_items(10, "2pl", seed=7)
    est, ses = [], []
    for rep in range(200):
        X = simulate_responses(items, 2000, seed=1000 + rep).responses.to_numpy()
        m = TwoPL().fit(X)
        est.append(np.r_[m.a_, m.b_, m.d_])
        ses.append(np.r_[m.se_["a"], m.se_["b"], m.se_["d"]])
    ratio = np.mean(ses, axis=0) / np.std(est, axis=0, ddof=1)
    for kind in range(3):
        block = ratio[kind * 10 : (kind + 1) * 10]
        assert 0.9 <= block.mean() <= 1.1
        assert np.all((block > 0.8) & (block < 1.2))

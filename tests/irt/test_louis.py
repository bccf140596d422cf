"""The exact marginal gradient and Hessian against finite differences of the log-likelihood."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from edutools.irt._data import prepare_responses
from edutools.irt._estep import estep, log_probabilities
from edutools.irt._louis import marginal_derivatives
from edutools.irt._models import ModelSpec
from edutools.irt._quadrature import normal_grid

QUAD = normal_grid(61)


def _logpost(data, spec, phi):  # type: ignore[no-untyped-def]
    a, d, c = spec.expand(phi)
    lp1, lp0 = log_probabilities(a, d, c, QUAD.nodes)
    return estep(data, lp1, lp0, QUAD.log_weights).loglik + spec.log_prior(phi)


def _finite_differences(data, spec, phi, h=1e-4):  # type: ignore[no-untyped-def]
    k = phi.size
    grad, hess = np.zeros(k), np.zeros((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = h
        grad[i] = (_logpost(data, spec, phi + e) - _logpost(data, spec, phi - e)) / (2 * h)
        for j in range(i, k):
            f = np.zeros(k)
            f[j] = h
            hess[i, j] = hess[j, i] = (
                _logpost(data, spec, phi + e + f)
                - _logpost(data, spec, phi + e - f)
                - _logpost(data, spec, phi - e + f)
                + _logpost(data, spec, phi - e - f)
            ) / (4 * h * h)
    return grad, hess


@pytest.mark.parametrize(
    "missing", [pytest.param(False, id="complete"), pytest.param(True, id="missing")]
)
@pytest.mark.parametrize("model", ["rasch", "1pl", "2pl", "3pl"])
def test_derivatives_match_finite_differences(
    lsat7: pd.DataFrame, model: str, missing: bool
) -> None:
    rng = np.random.default_rng(5)
    X = lsat7.to_numpy(dtype=float)
    if missing:
        X[rng.random(X.shape) < 0.2] = np.nan
    data = prepare_responses(X)
    spec = ModelSpec(model, 5, (6.0, 16.0) if model == "3pl" else None)  # type: ignore[arg-type]
    phi = spec.start(np.nanmean(X, axis=0), np.full(5, 0.4)) + rng.normal(0, 0.1, spec.n_params)
    exact = marginal_derivatives(data, spec, phi, QUAD)
    grad, hess = _finite_differences(data, spec, phi)
    assert exact.loglik + spec.log_prior(phi) == pytest.approx(_logpost(data, spec, phi), abs=1e-9)
    np.testing.assert_allclose(exact.grad, grad, atol=1e-5)
    np.testing.assert_allclose(exact.hess, hess, atol=1e-5 * np.abs(hess).max())
    # the collapsed routes (logistic models; items × items per node for the 3PL) equal the
    # node-by-node one
    dense = marginal_derivatives(data, spec, phi, QUAD, dense=True)
    np.testing.assert_allclose(exact.hess, dense.hess, atol=1e-10 * max(1.0, np.abs(hess).max()))
    np.testing.assert_allclose(exact.grad, dense.grad, atol=1e-10)


def test_3pl_hessian_stays_finite_where_p_rounds_to_one() -> None:
    """A steep item (a = 40) makes 1 - P round to 0 at high θ; the Hessian must stay finite."""
    from edutools.irt import simulate_items, simulate_responses

    items = simulate_items(6, "3pl", seed=7)
    X = simulate_responses(items, 300, seed=107).responses.to_numpy()
    data = prepare_responses(X)
    spec = ModelSpec("3pl", 6, (6.0, 16.0))
    phi = spec.contract(np.r_[40.0, np.ones(5)], np.zeros(6), np.full(6, 0.2))
    for dense in (False, True):
        deriv = marginal_derivatives(data, spec, phi, QUAD, dense=dense)
        assert np.all(np.isfinite(deriv.hess))


@pytest.mark.parametrize("model", ["rasch", "1pl", "2pl", "3pl"])
def test_m_step_maximises_the_expected_complete_data_log_posterior(
    lsat7: pd.DataFrame, model: str
) -> None:
    data = prepare_responses(lsat7)
    spec = ModelSpec(model, 5, (6.0, 16.0) if model == "3pl" else None)  # type: ignore[arg-type]
    phi = spec.start(lsat7.mean().to_numpy(), np.full(5, 0.4))
    a, d, c = spec.expand(phi)
    lp1, lp0 = log_probabilities(a, d, c, QUAD.nodes)
    e = estep(data, lp1, lp0, QUAD.log_weights)
    new = spec.mstep(phi, e.r, e.n, QUAD.nodes)
    # the gradient of the expected complete-data objective at the M-step's answer is zero
    np.testing.assert_allclose(spec.gradient(new, e.r, e.n, QUAD.nodes), 0.0, atol=1e-6)

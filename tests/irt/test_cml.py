"""Conditional ML: the symmetric functions, sufficiency, person estimates and errors.

The comparisons with psychotools and eRm are in test_reference_cml.py.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edutools.errors import CalibrationError
from edutools.irt import (
    PCMCML,
    RSMCML,
    RaschCML,
    calibrate,
    simulate_poly_items,
    simulate_polytomous,
)
from edutools.irt._esf import conditional_terms, elementary_symmetric_functions


def _brute_gamma(u: np.ndarray, K: np.ndarray) -> np.ndarray:
    gamma = np.zeros(int(K.sum()) + 1)
    for xs in itertools.product(*[range(k + 1) for k in K]):
        gamma[sum(xs)] += np.exp(sum(u[j, x] for j, x in enumerate(xs)))
    return gamma


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(st.integers(1, 3), min_size=1, max_size=5),
    st.integers(0, 2**31 - 1),
)
def test_summation_algorithm_equals_the_sum_over_patterns(cats: list[int], seed: int) -> None:
    K = np.array(cats)
    rng = np.random.default_rng(seed)
    u = np.full((K.size, K.max() + 1), -np.inf)
    u[:, 0] = 0
    for j, k in enumerate(K):
        u[j, 1 : k + 1] = rng.normal(0, 2, k)
    np.testing.assert_allclose(elementary_symmetric_functions(u), _brute_gamma(u, K), rtol=1e-10)


def test_derivatives_of_the_conditional_terms_match_finite_differences() -> None:
    rng = np.random.default_rng(0)
    K = np.array([1, 2, 3, 2])
    u = np.full((4, 4), -np.inf)
    u[:, 0] = 0
    for j, k in enumerate(K):
        u[j, 1 : k + 1] = rng.normal(size=k)
    obs = np.array([[1, 1, 1, 1], [1, 0, 1, 1], [0, 1, 1, 0]], dtype=bool)
    n = rng.integers(0, 5, size=(3, 9)).astype(float)
    for g in range(3):
        n[g, (K * obs[g]).sum() + 1 :] = 0
    idx = [(j, k) for j in range(4) for k in range(1, K[j] + 1)]

    def value(v: np.ndarray) -> float:
        uu = u.copy()
        for (j, k), x in zip(idx, v, strict=True):
            uu[j, k] = x
        return conditional_terms(uu, K, obs, n, hessian=False).log_gamma_sum

    t = conditional_terms(u, K, obs, n)
    v0 = np.array([u[j, k] for j, k in idx])
    h, eye = 1e-5, np.eye(v0.size)
    grad = [(value(v0 + h * e) - value(v0 - h * e)) / (2 * h) for e in eye]
    np.testing.assert_allclose([t.expected[j, k] for j, k in idx], grad, atol=1e-6)
    h = 1e-4
    hess = [
        [
            (
                value(v0 + h * (a + b))
                - value(v0 + h * (a - b))
                - value(v0 - h * (a - b))
                + value(v0 - h * (a + b))
            )
            / (4 * h * h)
            for b in eye
        ]
        for a in eye
    ]
    assert t.hessian is not None
    np.testing.assert_allclose(t.hessian, hess, atol=1e-4)


@pytest.fixture(scope="module")
def pcm_data() -> pd.DataFrame:
    items = simulate_poly_items(8, "pcm", n_categories=[2, 3, 4, 3, 2, 4, 3, 3], seed=5, b_sd=0.6)
    X, _ = simulate_polytomous(items, 700, "pcm", seed=6, missing_rate=0.1)
    return X


def test_the_fit_depends_on_sufficient_statistics_only(pcm_data: pd.DataFrame) -> None:
    m = PCMCML().fit(pcm_data)
    doubled = PCMCML().fit(pd.concat([pcm_data, pcm_data], ignore_index=True))
    for b1, b2 in zip(m.thresholds_, doubled.thresholds_, strict=True):
        np.testing.assert_allclose(b1, b2, atol=1e-8)
    assert doubled.loglik_ == pytest.approx(2 * m.loglik_, rel=1e-10)
    for s1, s2 in zip(m.se_thresholds_, doubled.se_thresholds_, strict=True):
        np.testing.assert_allclose(s2, s1 / np.sqrt(2), rtol=1e-6)
    assert sum(b.sum() for b in m.thresholds_) == pytest.approx(0.0, abs=1e-10)
    assert m.converged_
    assert m.calibration_.method == "CML"


def test_extreme_scores_carry_no_information(pcm_data: pd.DataFrame) -> None:
    m = PCMCML().fit(pcm_data)
    extra = pd.DataFrame([[0.0] * 8, [np.nan] * 7 + [0.0]], columns=pcm_data.columns)
    top = pd.DataFrame([[1, 2, 3, 2, 1, 3, 2, 2]], columns=pcm_data.columns, dtype=float)
    more = PCMCML().fit(pd.concat([pcm_data, extra, top], ignore_index=True))
    assert more.loglik_ == pytest.approx(m.loglik_, abs=1e-9)
    assert more.calibration_.n_persons == m.calibration_.n_persons + 3
    assert more.n_extreme_ == m.n_extreme_ + 3


def test_rsm_structure_and_rasch_on_binary_items() -> None:
    items = simulate_poly_items(6, "rsm", n_categories=4, seed=2, b_sd=0.6)
    X, _ = simulate_polytomous(items, 800, "rsm", seed=3)
    m = RSMCML().fit(X)
    assert isinstance(m, RSMCML)
    steps = np.vstack(m.thresholds_) - m.location_[:, None]
    np.testing.assert_allclose(steps, np.broadcast_to(m.tau_, steps.shape), atol=1e-8)
    assert m.tau_.sum() == pytest.approx(0.0, abs=1e-10)
    assert m.location_.sum() == pytest.approx(0.0, abs=1e-10)
    # the PCM nests the RSM
    assert PCMCML().fit(X).loglik_ >= m.loglik_
    binary = (X >= 2).astype(float)
    rasch, pcm = RaschCML().fit(binary), PCMCML().fit(binary)
    assert rasch.loglik_ == pytest.approx(pcm.loglik_, abs=1e-9)
    np.testing.assert_allclose(rasch.b_, np.concatenate(pcm.thresholds_), atol=1e-8)
    assert calibrate(binary, "Rasch", method="CML").loglik == pytest.approx(rasch.loglik_)


def test_wle_solves_warms_equation(pcm_data: pd.DataFrame) -> None:
    m = PCMCML().fit(pcm_data)
    rows = pcm_data.dropna().iloc[:20]
    est = m.person_estimates(rows)

    def weighted(grid: np.ndarray, x: pd.Series) -> np.ndarray:
        probs = m.category_probabilities(grid)
        ll = sum(np.log(p[:, int(v)]) for p, v in zip(probs, x, strict=True))
        return ll + 0.5 * np.log(m.information(grid))

    for i in range(3):
        coarse = np.linspace(-6, 6, 6001)
        top = coarse[np.argmax(weighted(coarse, rows.iloc[i]))]
        fine = np.linspace(top - 0.01, top + 0.01, 4001)
        best = fine[np.argmax(weighted(fine, rows.iloc[i]))]
        assert est["theta"].iloc[i] == pytest.approx(best, abs=2e-5)
    assert np.all(np.isfinite(est["theta"]))  # WLE is finite for extreme scores too
    zero = pd.DataFrame([[0.0] * 8], columns=pcm_data.columns)
    assert np.isfinite(m.person_estimates(zero)["theta"].iloc[0])
    assert m.person_estimates(zero, "ml")["theta"].iloc[0] == -np.inf
    with pytest.raises(CalibrationError, match="wle"):
        m.calibration_.score(rows, "eap")


@pytest.mark.parametrize(
    ("estimator", "frame", "match"),
    [
        pytest.param(RaschCML, [[0, 2], [1, 0], [1, 1], [0, 1]], "needs 0/1", id="rasch-poly"),
        pytest.param(
            RSMCML, [[0, 1], [1, 0], [2, 1], [0, 1], [2, 0]], "same scores", id="rsm-mixed"
        ),
        pytest.param(
            PCMCML,
            [[0, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [1, 0, 0]],
            "non-extreme raw score has score 0",
            id="no-information",
        ),
    ],
)
def test_cml_errors(estimator: type, frame: list, match: str) -> None:
    X = pd.DataFrame(frame, columns=[f"Q{i + 1}" for i in range(len(frame[0]))], dtype=float)
    with pytest.raises(CalibrationError, match=match):
        estimator().fit(X)


@pytest.mark.parametrize("spread", [1.0, 2.5], ids=["moderate", "extreme"])
def test_rasch_hessian_from_first_order_terms_equals_the_chains(spread: float) -> None:
    """The 0/1 shortcut (difference algorithm and the pair identity) against the general
    second-order computation, with 80 items, many answered-item groups, and two pairs of
    items of exactly and nearly equal difficulty."""
    import inspect

    import edutools.irt._esf as esf

    rng = np.random.default_rng(1)
    J = 80
    K = np.ones(J, dtype=int)
    u = np.zeros((J, 2))
    u[:, 1] = rng.normal(0, spread, J)
    u[3, 1] = u[5, 1]
    u[7, 1] = u[8, 1] + 1e-7
    obs = rng.random((30, J)) < 0.9
    n = np.zeros((30, J + 1))
    for g in range(30):
        n[g, : obs[g].sum() + 1] = rng.integers(0, 5, obs[g].sum() + 1)
    fast = conditional_terms(u, K, obs, n)
    source = inspect.getsource(esf.conditional_terms).replace(
        "if hessian and int(K.max()) == 1 else None", "if False else None"
    )
    namespace: dict = {}  # type: ignore[type-arg]
    exec(source, vars(esf), namespace)  # the same function with the shortcut switched off
    chains = namespace["conditional_terms"](u, K, obs, n)
    assert fast.hessian is not None
    assert chains.hessian is not None
    np.testing.assert_allclose(
        fast.hessian, chains.hessian, atol=1e-9 * np.abs(chains.hessian).max()
    )

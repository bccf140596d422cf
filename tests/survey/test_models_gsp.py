"""Study 2 models: preferred points, HC3 regression on traits, trial-level GLMM; seeded recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import gaussian_kde

from edutools.errors import DataError, StudyError
from edutools.survey.gsp import GSPDesign, GSPDimension
from edutools.survey.models_gsp import (
    fit_preferred_regression,
    fit_trial_glmm,
    gsp_trials,
    preferred_points,
)
from edutools.survey.simulate import simulate_pairwise
from edutools.survey.simulate_gsp import DEFAULT_GSP, simulate_gsp

TRAITS = list(DEFAULT_GSP.traits)


@pytest.fixture(scope="module")
def trials() -> pd.DataFrame:
    return gsp_trials(simulate_gsp(n_participants=80, seed=7).export)


def test_planted_trait_effects_are_covered_in_50_replications() -> None:
    """Acceptance: true moderation coefficients inside the 95 % CIs in >= 90 % of 50 replications."""
    hits = None
    dims = tuple(GSPDimension(n, lo, hi) for n, (lo, hi) in DEFAULT_GSP.dimensions.items())
    for seed in range(50):
        design = GSPDesign(
            dims, ("B1", "B2", "B3"), chains_per_participant=2, max_nodes_per_chain=9, seed=seed
        )
        sim = simulate_gsp(n_participants=40, design=design, seed=500 + seed)
        pts = preferred_points(gsp_trials(sim.export), burn_in=3, traits=TRAITS)
        reg = fit_preferred_regression(pts, TRAITS).set_index(["dimension", "term"])
        reg = reg.drop(index="(Intercept)", level="term")
        truth = sim.truth[reg.index]
        inside = ((reg["ci_low"] <= truth) & (truth <= reg["ci_high"])).astype(int)
        hits = inside if hits is None else hits + inside
    assert hits is not None
    coverage = hits / 50
    planted = [k for k in coverage.index if DEFAULT_GSP.moderation.get(k, 0.0) != 0.0]
    assert len(planted) == 2
    assert (coverage[planted] >= 0.90).all(), coverage.to_dict()
    assert coverage.mean() >= 0.90, coverage.to_dict()


def test_hc3_standard_errors_match_the_formula(trials: pd.DataFrame) -> None:
    pts = preferred_points(trials, burn_in=3, traits=TRAITS)
    reg = fit_preferred_regression(pts, TRAITS, correction="none")
    part = pts[pts["dimension"] == "certainty"]
    X = np.column_stack([np.ones(len(part)), part[TRAITS].to_numpy()])
    y = part["preferred"].to_numpy()
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ X.T @ y
    e = y - X @ beta
    h = np.einsum("ij,jk,ik->i", X, bread, X)
    V = bread @ (X.T * (e / (1 - h)) ** 2) @ X @ bread  # MacKinnon & White (1985) HC3
    got = reg[reg["dimension"] == "certainty"]
    np.testing.assert_allclose(got["estimate"], beta, rtol=1e-10)
    np.testing.assert_allclose(got["se"], np.sqrt(np.diag(V)), rtol=1e-10)


def test_preferred_points_mean_and_kde_mode() -> None:
    data = pd.DataFrame(
        {
            "participant_id": ["a"] * 6 + ["b"] * 6,
            "node": [0, 1, 2, 3, 4, 5] * 2,
            "dimension": ["x"] * 12,
            "response": [0.9, 0.1, 0.30, 0.32, 0.34, 0.8, 0.5, 0.5, 0.6, 0.6, 0.6, 0.7],
            "trust": [1.0] * 6 + [-1.0] * 6,
        }
    )
    mean = preferred_points(data, burn_in=2, traits=["trust"]).set_index("participant_id")
    assert mean.loc["a", "preferred"] == pytest.approx(np.mean([0.30, 0.32, 0.34, 0.8]))
    assert mean.loc["a", "n_responses"] == 4
    assert mean.loc["b", "trust"] == -1.0
    kde = preferred_points(data, burn_in=2, method="kde_mode").set_index("participant_id")
    xs = np.array([0.30, 0.32, 0.34, 0.8])
    grid = np.linspace(xs.min(), xs.max(), 501)
    assert kde.loc["a", "preferred"] == pytest.approx(grid[np.argmax(gaussian_kde(xs)(grid))])


def test_trial_glmm_recovers_planted_moderation(trials: pd.DataFrame) -> None:
    model = fit_trial_glmm(
        trials, TRAITS, {"authoritativeness": 0.5, "certainty": 0.5, "verbosity": 0.5}
    )
    fit = model.glmm
    assert fit.converged
    assert list(fit.random_effects_sd.index) == ["participant_id:dimension", "prompt_id"]
    slopes = model.simple_slopes.set_index(["dimension", "trait"])
    # planted: trust raises the preferred certainty, openness lowers the preferred verbosity
    assert slopes.loc[("certainty", "trust"), "ci_low"] > 0
    assert slopes.loc[("verbosity", "openness"), "ci_high"] < 0
    assert (
        slopes.loc[("certainty", "trust"), "prob_plus_1sd"]
        > slopes.loc[("certainty", "trust"), "prob_minus_1sd"]
    )
    for dim, trait in [("authoritativeness", "trust"), ("authoritativeness", "openness")]:
        assert slopes.loc[(dim, trait), "ci_low"] < 0 < slopes.loc[(dim, trait), "ci_high"]
    # the reference dimension's simple slope is the trait's main effect
    assert slopes.loc[("authoritativeness", "trust"), "slope"] == pytest.approx(fit.params["trust"])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        pytest.param(
            lambda d: preferred_points(d, burn_in=-1), StudyError, "negative", id="negative-burn-in"
        ),
        pytest.param(
            lambda d: preferred_points(d, burn_in=99),
            StudyError,
            "no responses at nodes >= 99",
            id="burn-in-too-long",
        ),
        pytest.param(
            lambda d: preferred_points(d, method="mode"),
            StudyError,
            "method 'mode'",
            id="bad-method",
        ),
        pytest.param(
            lambda d: preferred_points(d, traits=["iq"]),
            DataError,
            "no column 'iq'",
            id="unknown-trait",
        ),
        pytest.param(
            lambda d: fit_preferred_regression(preferred_points(d), ["iq"]),
            DataError,
            "no trait column 'iq'",
            id="regression-unknown-trait",
        ),
        pytest.param(
            lambda d: fit_trial_glmm(d, TRAITS, {"certainty": 0.5}),
            StudyError,
            "no threshold for dimension",
            id="missing-threshold",
        ),
    ],
)
def test_errors(trials: pd.DataFrame, call: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call(trials)  # type: ignore[operator]


def test_gsp_trials_needs_a_gsp_export() -> None:
    with pytest.raises(StudyError, match="needs a gsp export"):
        gsp_trials(simulate_pairwise(n_participants=10, seed=1).export)

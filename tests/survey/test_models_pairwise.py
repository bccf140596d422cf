"""Study 1 preference model: against statsmodels and choix, and seeded recovery of planted effects."""

from __future__ import annotations

import choix
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from edutools.errors import DataError, StudyError
from edutools.glmm.logit import auc
from edutools.survey.models_pairwise import fit_preference, pairwise_trials
from edutools.survey.simulate import DEFAULT_PAIRWISE, simulate_pairwise

FEATURES = list(DEFAULT_PAIRWISE.effects)
MODERATORS = list(DEFAULT_PAIRWISE.traits)


@pytest.fixture(scope="module")
def trials() -> pd.DataFrame:
    return pairwise_trials(simulate_pairwise(n_participants=150, seed=11).export)


def test_matches_statsmodels_logit_with_cluster_se(trials: pd.DataFrame) -> None:
    fit = fit_preference(trials, FEATURES, group="population", moderators=MODERATORS, n_boot=0)
    terms = fit.coefficients["term"].tolist()
    design = pd.DataFrame({"(Intercept)": 1.0}, index=trials.index)
    for f in FEATURES:
        design[f] = trials[f]
    for f in FEATURES:
        design[f"{f}:populationstudents"] = trials[f] * (trials["population"] == "students")
        for m in MODERATORS:
            design[f"{f}:{m}"] = trials[f] * trials[m]
    design = design[terms]
    ref = sm.Logit(trials["chose_a"], design).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(trials["participant_id"])[0]}
    )
    np.testing.assert_allclose(
        fit.coefficients["estimate"], ref.params.to_numpy(), rtol=1e-7, atol=1e-9
    )
    np.testing.assert_allclose(fit.coefficients["se"], ref.bse.to_numpy(), rtol=1e-6)


def test_bradley_terry_strengths_match_choix() -> None:
    """With response indicators as 'features' the model is Bradley–Terry; choix's ILSR is its MLE."""
    rng = np.random.default_rng(5)
    n_items, n_pairs = 8, 3000
    strength = rng.normal(0, 1, n_items)
    a = rng.integers(0, n_items, n_pairs)
    b = (a + rng.integers(1, n_items, n_pairs)) % n_items
    a_wins = rng.random(n_pairs) < 1 / (1 + np.exp(-(strength[a] - strength[b])))
    winners, losers = np.where(a_wins, a, b), np.where(a_wins, b, a)
    ref = choix.ilsr_pairwise(
        n_items, list(zip(winners, losers, strict=True)), alpha=0.0, tol=1e-12
    )
    data = pd.DataFrame(
        {"chose_a": a_wins.astype(int), "participant_id": np.arange(n_pairs), "weight": 1.0}
    )
    items = [f"item{k}" for k in range(1, n_items)]  # item0 is the reference, strength 0
    for k, name in enumerate(items, start=1):
        data[name] = (a == k).astype(float) - (b == k).astype(float)
    fit = fit_preference(data, items, position_bias=False, n_boot=0, cv_folds=0)
    np.testing.assert_allclose(fit.coefficients["estimate"].to_numpy(), ref[1:] - ref[0], atol=1e-6)


def test_bootstrap_intervals_agree_with_wald(trials: pd.DataFrame) -> None:
    fit = fit_preference(trials, FEATURES, moderators=MODERATORS, n_boot=400, seed=2)
    tab = fit.coefficients.set_index("term")
    assert fit.n_boot == 400
    width_wald = tab["ci_high"] - tab["ci_low"]
    width_boot = tab["boot_high"] - tab["boot_low"]
    np.testing.assert_allclose(width_boot, width_wald, rtol=0.25)
    assert (tab["boot_low"] < tab["estimate"]).all()
    assert (tab["estimate"] < tab["boot_high"]).all()


def test_holm_adjustment_and_simple_slopes(trials: pd.DataFrame) -> None:
    fit = fit_preference(trials, FEATURES, moderators=["trust"], n_boot=0)
    tab = fit.coefficients.set_index("term")
    tested = tab.drop(index="(Intercept)")
    assert (tested["p_adjusted"] >= tested["p"] - 1e-15).all()
    assert np.isnan(tab.loc["(Intercept)", "p_adjusted"])
    slopes = fit.simple_slopes.set_index(["feature", "moderator", "at_sd"])
    low, high = (
        slopes.loc[("certainty", "trust", -1.0), "slope"],
        slopes.loc[("certainty", "trust", 1.0), "slope"],
    )
    assert high - low == pytest.approx(2 * tab.loc["certainty:trust", "estimate"])
    assert 0.5 < fit.auc < 1
    assert 0.5 < fit.auc_cv <= fit.auc + 0.02


def test_planted_moderation_is_covered_in_50_replications() -> None:
    """Acceptance: true moderation coefficients inside the 95 % CIs in >= 90 % of 50 replications."""
    truth = simulate_pairwise(n_participants=20, seed=0).truth
    moderation = [t for t in truth.index if ":" in t]
    hits = pd.Series(0, index=moderation)
    for seed in range(50):
        sim = simulate_pairwise(n_participants=120, trials_per_participant=25, seed=1000 + seed)
        fit = fit_preference(
            pairwise_trials(sim.export),
            FEATURES,
            group="population",
            moderators=MODERATORS,
            n_boot=0,
            cv_folds=0,
        )
        tab = fit.coefficients.set_index("term")
        inside = (tab.loc[moderation, "ci_low"] <= sim.truth[moderation]) & (
            sim.truth[moderation] <= tab.loc[moderation, "ci_high"]
        )
        hits += inside.astype(int)
    coverage = hits / 50
    planted = [t for t in moderation if truth[t] != 0]
    assert len(planted) == 4
    assert (coverage[planted] >= 0.90).all(), coverage.to_dict()
    assert coverage.mean() >= 0.90, coverage.to_dict()


def test_ties_half_and_attention_exclusion() -> None:
    sim = simulate_pairwise(n_participants=60, tie_rate=0.2, attention_fail_rate=0.2, seed=4)
    ex = sim.export
    failed = set(
        ex.participants.loc[~ex.participants["attention_passed"].astype(bool), "participant_id"]
    )
    kept = ex.trials[~ex.trials["participant_id"].isin(failed)]
    n_ties = int((kept["choice"] == "tie").sum())
    dropped = pairwise_trials(ex, ties="drop")
    halved = pairwise_trials(ex, ties="half")
    assert failed
    assert not set(dropped["participant_id"]) & failed
    assert len(dropped) == len(kept) - n_ties
    assert len(halved) == len(kept) + n_ties
    assert halved["weight"].sum() == pytest.approx(len(kept))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param(
            {"features": ["nope"]}, DataError, "no column 'nope'", id="unknown-feature-column"
        ),
        pytest.param({"features": []}, StudyError, "no style features", id="no-features"),
        pytest.param(
            {"features": ["certainty"], "moderators": ["iq"]},
            DataError,
            "no column 'iq'",
            id="unknown-moderator",
        ),
        pytest.param(
            {"features": ["certainty"], "correction": "bonferonni"},
            StudyError,
            "correction 'bonferonni'",
            id="bad-correction",
        ),
    ],
)
def test_fit_errors(trials: pd.DataFrame, kwargs: dict, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        fit_preference(trials, n_boot=0, **kwargs)


def test_separation_is_reported() -> None:
    data = pd.DataFrame(
        {
            "chose_a": [1, 1, 0, 0] * 5,
            "x": [1.0, 2.0, -1.0, -2.0] * 5,
            "participant_id": range(20),
            "weight": 1.0,
        }
    )
    with pytest.raises(StudyError, match="perfect separation"):
        fit_preference(data, ["x"], n_boot=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param(
            {"features": ["tone"]}, DataError, "styles.csv: no feature 'tone'", id="unknown-feature"
        ),
        pytest.param(
            {"traits": ["iq"]}, DataError, "traits.csv: no trait 'iq'", id="unknown-trait"
        ),
        pytest.param({"ties": "count"}, StudyError, "ties 'count'", id="bad-ties"),
    ],
)
def test_pairwise_trials_errors(kwargs: dict, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        pairwise_trials(simulate_pairwise(n_participants=10, seed=1).export, **kwargs)


@pytest.mark.parametrize(
    ("y", "score", "weights", "expected"),
    [
        pytest.param([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4], None, 1.0, id="perfect"),
        pytest.param([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5], None, 0.5, id="all-tied"),
        pytest.param([1, 0, 1, 0], [0.1, 0.2, 0.3, 0.4], None, 0.25, id="one-pair-of-four"),
        pytest.param(
            [1, 0, 1, 0], [0.1, 0.2, 0.3, 0.4], [2.0, 2.0, 2.0, 2.0], 0.25, id="equal-weights"
        ),
        pytest.param([1, 1], [0.1, 0.2], None, float("nan"), id="one-class"),
    ],
)
def test_auc(
    y: list[int], score: list[float], weights: list[float] | None, expected: float
) -> None:
    w = None if weights is None else np.array(weights)
    assert auc(np.array(y), np.array(score), w) == pytest.approx(expected, nan_ok=True)

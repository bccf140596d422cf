"""PCM, GPCM, GRM and RSM by MML: the public contract, exact derivatives, scoring and errors."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from edutools.errors import CalibrationError, DataError
from edutools.irt import (
    GPCM,
    GRM,
    PCM,
    RSM,
    PolyCalibration,
    calibrate,
    score,
    simulate_poly_items,
    simulate_polytomous,
)
from edutools.irt._polydata import prepare_polytomous
from edutools.irt._polyfit import estep, gradient, marginal_derivatives
from edutools.irt._polymodels import PolySpec
from edutools.irt._quadrature import normal_grid
from edutools.irt.information import information_curve, item_information
from edutools.irt.result_poly import ScoreMethod

MIXED = [2, 3, 4, 5, 3, 4]  # a 0/1 item among polytomous ones


def _data(model: str, n: int = 800, missing: float = 0.0, seed: int = 3) -> pd.DataFrame:
    cats = 4 if model == "rsm" else MIXED
    items = simulate_poly_items(6, model, n_categories=cats, seed=seed, b_sd=0.6)
    sd = 1.3 if model in ("pcm", "rsm") else 1.0
    X, _ = simulate_polytomous(items, n, model, seed=seed + 1, theta_sd=sd, missing_rate=missing)
    return X


@pytest.fixture(scope="module")
def gpcm_fit() -> tuple[GPCM, pd.DataFrame]:
    X = _data("gpcm", missing=0.1)
    return GPCM().fit(X), X


def test_fitted_attributes_follow_the_contract(gpcm_fit: tuple[GPCM, pd.DataFrame]) -> None:
    m, _ = gpcm_fit
    assert isinstance(m.a_, np.ndarray)
    assert m.a_.shape == (6,)
    assert m.n_categories_ == MIXED
    assert [b.size for b in m.thresholds_] == [k - 1 for k in MIXED]
    assert [s.shape for s in m.se_thresholds_] == [b.shape for b in m.thresholds_]
    assert m.se_a_.shape == (6,)
    assert np.all(m.se_a_ > 0)
    assert m.aic_ == pytest.approx(-2 * m.loglik_ + 2 * (6 + sum(k - 1 for k in MIXED)))
    assert m.bic_ > m.aic_
    table = m.summary()
    assert list(table.columns[:3]) == ["item", "a", "se_a"]
    assert [c for c in table.columns if c.startswith("threshold_")] == [
        f"threshold_{v}" for v in range(1, 5)
    ]
    assert np.isnan(table.loc[0, "threshold_2"])  # the 0/1 item has one threshold
    probs = m.category_probabilities([-1.0, 0.0, 2.0])
    assert [p.shape for p in probs] == [(3, k) for k in MIXED]
    for p in probs:
        np.testing.assert_allclose(p.sum(axis=1), 1.0)
    info = m.item_information(np.linspace(-3, 3, 7))
    assert info.shape == (7, 6)
    assert np.all(info > 0)
    np.testing.assert_allclose(m.information([0.0, 1.0]), m.item_information([0.0, 1.0]).sum(1))


@pytest.mark.parametrize("method", ["eap", "map", "wle", "ml"])
def test_scores_are_ordered_by_the_raw_score(
    gpcm_fit: tuple[GPCM, pd.DataFrame], method: ScoreMethod
) -> None:
    m, X = gpcm_fit
    complete = X.dropna().iloc[:300]
    out = m.score(complete, method)
    assert list(out.columns) == ["theta", "se"]
    assert out.index.equals(complete.index)
    finite = np.isfinite(out["theta"])
    assert finite.mean() > 0.95
    rho = pd.Series(complete.sum(axis=1))[finite].corr(out["theta"][finite], method="spearman")
    assert rho > 0.9
    assert np.all(out["se"][finite] > 0)
    assert score(m.calibration_, complete, method).equals(out)


def test_map_and_wle_against_a_brute_force_grid(gpcm_fit: tuple[GPCM, pd.DataFrame]) -> None:
    m, X = gpcm_fit
    row = X.dropna().iloc[7]

    def loglik(grid: np.ndarray) -> np.ndarray:
        probs = m.category_probabilities(grid)
        return sum(np.log(p[:, int(x)]) for p, x in zip(probs, row, strict=True))

    def argmax(f: Callable[[np.ndarray], np.ndarray]) -> float:
        coarse = np.linspace(-5, 5, 5001)
        top = coarse[np.argmax(f(coarse))]
        fine = np.linspace(top - 0.01, top + 0.01, 4001)
        return float(fine[np.argmax(f(fine))])

    frame = row.to_frame().T
    map_grid = argmax(lambda g: loglik(g) - g**2 / 2)
    assert m.score(frame, "map")["theta"].iloc[0] == pytest.approx(map_grid, abs=2e-5)
    wle_grid = argmax(lambda g: loglik(g) + 0.5 * np.log(m.information(g)))
    assert m.score(frame, "wle")["theta"].iloc[0] == pytest.approx(wle_grid, abs=2e-5)
    grid = np.linspace(-8, 8, 16001)
    post = np.exp(loglik(grid) - grid**2 / 2)
    eap = float((post * grid).sum() / post.sum())
    assert m.score(frame, "eap")["theta"].iloc[0] == pytest.approx(eap, abs=1e-3)


@pytest.mark.parametrize("model", ["pcm", "gpcm", "grm", "rsm"])
def test_exact_hessian_matches_finite_differences_of_the_gradient(model: str) -> None:
    X = _data(model, n=300, missing=0.2)
    data = prepare_polytomous(X)
    spec = PolySpec(model, tuple(int(k) for k in data.n_cat))  # type: ignore[arg-type]
    quad = normal_grid(41)
    props = data.category_counts()
    phi = spec.start(props / props.sum(1, keepdims=True), np.full(6, 0.5))
    deriv = marginal_derivatives(data, spec, phi, quad)
    h = 1e-5

    def grad(p: np.ndarray) -> np.ndarray:
        return gradient(spec, p, estep(data, spec, p, quad)[1], quad.nodes)

    eye = np.eye(phi.size)
    numeric = np.array([(grad(phi + h * e) - grad(phi - h * e)) / (2 * h) for e in eye])
    np.testing.assert_allclose(deriv.hess, numeric, atol=1e-5 * np.abs(numeric).max())
    ll = lambda p: estep(data, spec, p, quad)[0]  # noqa: E731
    num_grad = np.array([(ll(phi + h * e) - ll(phi - h * e)) / (2 * h) for e in eye[:5]])
    np.testing.assert_allclose(deriv.grad[:5], num_grad, atol=1e-4)
    if spec.divide_by_total:  # the collapsed route against the node-by-node one
        dense = marginal_derivatives(data, spec, phi, quad, dense=True)
        np.testing.assert_allclose(deriv.hess, dense.hess, atol=1e-8 * np.abs(dense.hess).max())


@pytest.mark.parametrize(
    ("estimator", "model"),
    [(PCM, "pcm"), (GPCM, "gpcm"), (GRM, "grm"), (RSM, "rsm")],
    ids=["pcm", "gpcm", "grm", "rsm"],
)
def test_every_model_fits_mixed_items_with_missing_responses(estimator: type, model: str) -> None:
    X = _data(model, n=600, missing=0.15)
    m = estimator().fit(X)
    assert m.converged_
    cal = m.calibration_
    assert isinstance(cal, PolyCalibration)
    assert cal.model == model
    if model in ("pcm", "rsm"):
        np.testing.assert_array_equal(m.a_, 1.0)
        assert np.all(np.isnan(m.se_a_))
        assert 1.0 < m.sigma_ < 1.6
        assert m.se_sigma_ > 0
    else:
        assert m.sigma_ == 1.0
    if model == "grm":
        assert all(np.all(np.diff(b) > 0) for b in m.thresholds_)
    if model == "rsm":
        steps = np.vstack(m.thresholds_) - m.b_[:, None]
        np.testing.assert_allclose(steps - steps[0], 0.0, atol=1e-8)  # one common τ
        np.testing.assert_allclose(steps[0].sum(), 0.0, atol=1e-8)
    # the gradient vanishes at the optimum
    assert np.isfinite(m.loglik_)
    assert calibrate(X, model.upper()).loglik == pytest.approx(m.loglik_, abs=1e-6)


def test_pcm_on_binary_items_is_the_one_parameter_model() -> None:
    # mirt's "Rasch" itemtype: slopes 1 and a free SD of θ = the 1PL with a common slope
    from edutools.irt import OnePL

    X = pd.read_csv("tests/data/lsat6.csv")
    pcm, onepl = PCM().fit(X), OnePL().fit(X)
    assert pcm.loglik_ == pytest.approx(onepl.loglik_, abs=1e-6)
    assert pcm.sigma_ == pytest.approx(onepl.a_.iloc[0], abs=1e-5)
    np.testing.assert_allclose(
        np.concatenate(pcm.thresholds_), onepl.b_.to_numpy() * onepl.a_.iloc[0], atol=1e-5
    )


def test_gpcm_and_grm_on_binary_items_are_the_2pl(lsat7: pd.DataFrame) -> None:
    from edutools.irt import TwoPL

    two = TwoPL().fit(lsat7)
    for m in (GPCM().fit(lsat7), GRM().fit(lsat7)):
        assert m.loglik_ == pytest.approx(two.loglik_, abs=1e-6)
        np.testing.assert_allclose(m.a_, two.a_, atol=1e-4)
        np.testing.assert_allclose(m.se_a_, two.se_["a"], rtol=1e-3)
        np.testing.assert_allclose(np.concatenate(m.thresholds_), two.b_, atol=1e-4)
        np.testing.assert_allclose(np.concatenate(m.se_thresholds_), two.se_["b"], rtol=1e-3)


def test_information_and_score_functions_accept_polytomous_calibrations(
    gpcm_fit: tuple[GPCM, pd.DataFrame],
) -> None:
    m, _ = gpcm_fit
    table = item_information(m.calibration_, [0.0, 1.0])
    assert list(table.columns) == m.items_
    curve = information_curve(m.calibration_, [0.0])
    assert curve["information"].iloc[0] == pytest.approx(m.information([0.0])[0])


def test_information_is_the_variance_of_the_score_function() -> None:
    # Fisher information = E[(∂ log P / ∂θ)²], checked numerically for both families
    for model in ("gpcm", "grm"):
        cal = PolyCalibration.from_parameters(["Q"], model, [1.4], [[-1.0, 0.2, 1.1]])
        th, h = np.array([-0.7, 0.4]), 1e-5
        P = cal.category_probabilities(th)[0]
        dlog = (
            np.log(cal.category_probabilities(th + h)[0])
            - np.log(cal.category_probabilities(th - h)[0])
        ) / (2 * h)
        np.testing.assert_allclose(cal.information(th), (P * dlog**2).sum(axis=1), rtol=1e-6)


@pytest.mark.parametrize(
    ("cells", "error", "match"),
    [
        pytest.param(
            [[0, 2], [2, 1], [0, 1]], CalibrationError, "no response in score 1", id="gap"
        ),
        pytest.param([[0, 1.5], [1, 0], [0, 1]], DataError, "not a whole score", id="fraction"),
        pytest.param([[0, -1], [1, 0], [0, 1]], DataError, "not a whole score", id="negative"),
    ],
)
def test_bad_scores_are_named(cells: list, error: type, match: str) -> None:
    X = pd.DataFrame(cells, columns=["Q1", "Q2"])
    with pytest.raises(error, match=match):
        GPCM().fit(X)


def test_rating_scale_model_needs_equal_categories() -> None:
    X = _data("gpcm", n=200)
    with pytest.raises(CalibrationError, match="same scores 0"):
        RSM().fit(X)


def test_single_category_items_are_excluded_with_a_warning() -> None:
    X = _data("gpcm", n=300).assign(Q7=2.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = GPCM().fit(X)
    assert "Q7" in m.excluded_
    assert "Q7" not in m.items_
    assert any("excluded" in str(w.message) for w in caught)


def test_model_names_in_any_case_and_unknown_ones() -> None:
    X = _data("gpcm", n=300)
    assert calibrate(X, "GpCm").model == "gpcm"
    assert calibrate(X >= 1, "2PL").model == "2pl"
    with pytest.raises(CalibrationError, match="unknown model"):
        calibrate(X, "4pl")
    with pytest.raises(CalibrationError, match="Rasch-family"):
        calibrate(X, "gpcm", method="cml")
    with pytest.raises(CalibrationError, match="unknown method"):
        calibrate(X, "pcm", method="bayes")


def test_not_fitted_estimator_says_so() -> None:
    with pytest.raises(CalibrationError, match="not fitted"):
        GPCM().summary()


def test_select_all_items_score_as_partial_credit_or_per_option() -> None:
    from edutools.irt import score_select_all
    from edutools.schema import Item, ItemBank, Option, Provenance

    ticks = pd.DataFrame(
        {"S1": ["A;C", "A, B", None, "none"], "S2": ["B", "A B", "-", ""]},
        index=pd.Index(["p1", "p2", "p3", "p4"], name="person"),
    )
    key = {"S1": ("AC", "ABCD"), "S2": ("B", "ABC")}
    pc = score_select_all(ticks, key)
    np.testing.assert_array_equal(pc["S1"], [4.0, 2.0, np.nan, 2.0])
    np.testing.assert_array_equal(pc["S2"], [3.0, 2.0, 2.0, np.nan])
    per = score_select_all(ticks, key, scoring="per_option")
    assert list(per.columns) == ["S1_A", "S1_B", "S1_C", "S1_D", "S2_A", "S2_B", "S2_C"]
    np.testing.assert_array_equal(per.loc["p2", ["S1_A", "S1_B", "S1_C", "S1_D"]], [1, 0, 0, 1])
    np.testing.assert_allclose(per.filter(like="S1_").sum(axis=1, min_count=1), pc["S1"])
    # the keys can come from an item bank's select_all items
    items = [
        Item(
            id="S1",
            source="local",
            concept_id="c",
            form="select_all",
            stem="Which are true?",
            options=[Option(text=f"s{k}", is_key=k in (0, 2)) for k in range(4)],
        )
    ]
    bank = ItemBank(course_id="c", items=items, run=Provenance(engine="test"))
    np.testing.assert_array_equal(score_select_all(ticks[["S1"]], bank)["S1"], pc["S1"])
    with pytest.raises(DataError, match="option 'E' is not one of"):
        score_select_all(pd.DataFrame({"S1": ["E"]}), key)
    with pytest.raises(DataError, match="no select-all key"):
        score_select_all(pd.DataFrame({"S9": ["A"]}), key)


def test_classical_difficulty_of_partial_credit_items_is_the_share_of_the_maximum() -> None:
    from edutools.irt import item_analysis

    X = _data("gpcm", n=300, missing=0.1)
    table = item_analysis(X)
    top = X.max()
    np.testing.assert_allclose(table["p"], (X.mean() / top).to_numpy())
    assert table["p"].between(0, 1).all()
    assert table["D"].between(-1, 1).all()

"""Invariants of the item response function, checked by hypothesis (derandomized, so
every run draws the same examples)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from edutools.irt import Calibration
from edutools.irt._estep import log_probabilities

finite = {"allow_nan": False, "allow_infinity": False}
slopes = st.floats(-6, 6, **finite)
positive_slopes = st.floats(0.05, 6, **finite)
intercepts = st.floats(-12, 12, **finite)
guessing = st.floats(0.0, 0.5, **finite)
thetas = st.lists(st.floats(-10, 10, **finite), min_size=1, max_size=30)


def _cal(a: float, d: float, c: float) -> Calibration:
    return Calibration.from_parameters(["Q"], [a], d=[d], c=[c], model="3pl")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(slopes, intercepts, guessing, thetas)
def test_probabilities_stay_in_the_unit_interval(
    a: float, d: float, c: float, theta: list[float]
) -> None:
    P = _cal(a, d, c).probability(theta)
    assert np.all((P >= 0) & (P <= 1))
    assert np.all(c - 1e-12 <= P)
    lp1, lp0 = log_probabilities(
        np.array([a]), np.array([d]), np.array([c]) if c > 0 else None, np.asarray(theta)
    )
    assert np.all(lp1 <= 0)
    assert np.all(lp0 <= 0)
    np.testing.assert_allclose(np.exp(lp1) + np.exp(lp0), 1.0, rtol=1e-9)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(positive_slopes, intercepts, guessing, thetas)
def test_probabilities_increase_with_theta(
    a: float, d: float, c: float, theta: list[float]
) -> None:
    th = np.sort(np.asarray(theta))
    P = _cal(a, d, c).probability(th)[:, 0]
    assert np.all(np.diff(P) >= -1e-12)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    slopes,
    st.floats(-4, 4, **finite),
    guessing,
    thetas,
    st.floats(0.2, 5, **finite),
    st.floats(-3, 3, **finite),
)
def test_linear_rescaling_of_theta_leaves_probabilities_unchanged(
    a: float, b: float, c: float, theta: list[float], scale: float, shift: float
) -> None:
    # θ* = s θ + t with a* = a / s and b* = s b + t describes the same item
    th = np.asarray(theta)
    before = Calibration.from_parameters(["Q"], [a], b=[b], c=[c], model="3pl").probability(th)
    after = Calibration.from_parameters(
        ["Q"], [a / scale], b=[scale * b + shift], c=[c], model="3pl"
    )
    np.testing.assert_allclose(after.probability(scale * th + shift), before, rtol=1e-9, atol=1e-12)


threshold_lists = st.lists(st.floats(-4, 4, **finite), min_size=1, max_size=5)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.sampled_from(["gpcm", "grm"]), positive_slopes, threshold_lists, thetas)
def test_category_probabilities_are_a_distribution_whose_mean_rises_with_theta(
    model: str, a: float, thresholds: list[float], theta: list[float]
) -> None:
    from edutools.irt import PolyCalibration

    b = np.sort(thresholds) if model == "grm" else np.asarray(thresholds)
    if model == "grm" and np.any(np.diff(b) <= 1e-6):
        b = b + 1e-3 * np.arange(b.size)  # the graded model needs increasing thresholds
    cal = PolyCalibration.from_parameters(["Q"], model, [a], [b])
    th = np.sort(np.asarray(theta))
    P = cal.category_probabilities(th)[0]
    assert P.shape == (th.size, b.size + 1)
    assert np.all((P >= 0) & (P <= 1))
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(np.diff(cal.expected_scores(th)[:, 0]) >= -1e-9)
    assert np.all(cal.information(th) >= 0)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.sampled_from(["gpcm", "grm"]),
    positive_slopes,
    st.lists(st.floats(-3, 3, **finite), min_size=1, max_size=4, unique=True),
    thetas,
    st.floats(0.2, 5, **finite),
    st.floats(-3, 3, **finite),
)
def test_linear_rescaling_of_theta_leaves_category_probabilities_unchanged(
    model: str, a: float, thresholds: list[float], theta: list[float], scale: float, shift: float
) -> None:
    # θ* = s θ + t with a* = a / s and b*_k = s b_k + t describes the same item
    from edutools.irt import PolyCalibration

    b = np.sort(thresholds)
    before = PolyCalibration.from_parameters(["Q"], model, [a], [b])
    after = PolyCalibration.from_parameters(["Q"], model, [a / scale], [scale * b + shift])
    th = np.asarray(theta)
    np.testing.assert_allclose(
        after.category_probabilities(scale * th + shift)[0],
        before.category_probabilities(th)[0],
        rtol=1e-9,
        atol=1e-12,
    )

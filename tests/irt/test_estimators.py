"""Estimator behaviour: input checks, excluded items, convergence, the scikit-learn protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from edutools.errors import CalibrationError, DataError
from edutools.irt import CalibrationWarning, OnePL, Rasch, ThreePL, TwoPL, calibrate, lr_test


def test_constant_items_are_excluded_with_a_warning(lsat7: pd.DataFrame) -> None:
    X = lsat7.assign(ALL1=1.0, ALL0=0.0)
    with pytest.warns(
        CalibrationWarning, match=r"excluded 2 item\(s\).*ALL1: all 1000 responses are 1.*ALL0"
    ):
        m = TwoPL().fit(X)
    assert m.items_ == list(lsat7.columns)
    assert set(m.excluded_) == {"ALL1", "ALL0"}
    assert any("ALL1 excluded" in n for n in m.notes_)
    np.testing.assert_allclose(m.a_, TwoPL().fit(lsat7).a_, atol=1e-8)


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        pytest.param(
            pd.DataFrame({"Q1": [0, 1, 2], "Q2": [0, 1, 1]}),
            DataError,
            r"item .Q1., person 2: value 2 is not 0, 1",
            id="value-2",
        ),
        pytest.param(
            pd.DataFrame({"Q1": ["a", "b"], "Q2": [0, 1]}),
            DataError,
            "item 'Q1' holds non-numeric",
            id="text",
        ),
        pytest.param(np.array([0.0, 1.0, 1.0]), DataError, "1 dimensions", id="1-d"),
        pytest.param(np.empty((0, 3)), DataError, r"0 × 3", id="empty"),
        pytest.param(
            pd.DataFrame({"Q1": [0.0, 1.0], "Q2": [1.0, 1.0]}),
            CalibrationError,
            r"only 1 item\(s\)",
            id="one-variable-item",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore::edutools.irt.CalibrationWarning")
def test_bad_input_raises(data: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        TwoPL().fit(data)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"precision": "half"}, "precision='half'", id="precision"),
        pytest.param({"max_iter": 0}, "max_iter=0", id="max-iter"),
        pytest.param({"tol": 2.0}, "tol=2.0", id="tol"),
        pytest.param({"n_quadrature": 3}, "n_quadrature=3 is too small", id="grid"),
        pytest.param({"theta_limit": -1.0}, "quadrature limit -1.0", id="limit"),
    ],
)
def test_bad_hyperparameters_raise(
    lsat7: pd.DataFrame, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(CalibrationError, match=match):
        TwoPL(**kwargs).fit(lsat7)  # type: ignore[arg-type]


def test_coarse_grid_warns(lsat7: pd.DataFrame) -> None:
    with pytest.warns(CalibrationWarning, match="below 41"):
        TwoPL(n_quadrature=21).fit(lsat7)


def test_no_convergence_warns_and_is_recorded(lsat7: pd.DataFrame) -> None:
    with pytest.warns(CalibrationWarning, match="did not converge"):
        m = TwoPL(max_iter=2).fit(lsat7)
    assert not m.converged_
    assert any("without converging" in n for n in m.notes_)


@pytest.mark.parametrize(
    "prior",
    [pytest.param((0.5, 2.0), id="alpha-below-1"), pytest.param((1.0,), id="one-number")],
)
def test_bad_c_prior_raises(lsat7: pd.DataFrame, prior: tuple[float, ...]) -> None:
    with pytest.raises(CalibrationError, match="c_prior"):
        ThreePL(c_prior=prior).fit(lsat7)  # type: ignore[arg-type]


def test_summary_before_fit_raises() -> None:
    with pytest.raises(CalibrationError, match="not fitted yet"):
        TwoPL().summary()


def test_unknown_model_raises(lsat7: pd.DataFrame) -> None:
    with pytest.raises(CalibrationError, match="unknown model '4pl'"):
        calibrate(lsat7, "4pl")


def test_sklearn_protocol(lsat7: pd.DataFrame) -> None:
    m = TwoPL(n_quadrature=41)
    assert m.get_params()["n_quadrature"] == 41
    assert m.set_params(n_quadrature=61) is m
    assert m.fit(lsat7) is m
    assert "TwoPL(n_quadrature=61" in repr(m)
    with pytest.raises(CalibrationError, match="unknown parameter 'bogus'"):
        m.set_params(bogus=1)
    table = m.summary()
    assert list(table.columns) == ["item", "a", "se_a", "b", "se_b", "d", "se_d", "c", "se_c"]
    assert table["c"].isna().all()


def test_array_input_names_items(lsat7: pd.DataFrame) -> None:
    m = Rasch().fit(lsat7.to_numpy())
    assert m.items_ == [f"item{j}" for j in range(1, 6)]
    np.testing.assert_allclose(m.b_, Rasch().fit(lsat7).b_, atol=1e-10)


def test_persons_without_responses_are_left_out(lsat7: pd.DataFrame) -> None:
    X = pd.concat([lsat7, pd.DataFrame(np.nan, index=[9001, 9002], columns=lsat7.columns)])
    m = TwoPL().fit(X)
    assert m.calibration_.n_persons == 1000
    np.testing.assert_allclose(m.a_, TwoPL().fit(lsat7).a_, atol=1e-8)


def test_duplicating_every_person_keeps_estimates_and_shrinks_se(lsat7: pd.DataFrame) -> None:
    once = TwoPL().fit(lsat7)
    twice = TwoPL().fit(pd.concat([lsat7, lsat7], ignore_index=True))
    np.testing.assert_allclose(twice.a_, once.a_, atol=1e-7)
    np.testing.assert_allclose(twice.se_["a"] * np.sqrt(2), once.se_["a"], rtol=1e-6)
    assert twice.loglik_ == pytest.approx(2 * once.loglik_)


def test_item_order_does_not_matter(lsat7: pd.DataFrame) -> None:
    m = TwoPL().fit(lsat7)
    r = TwoPL().fit(lsat7[lsat7.columns[::-1]])
    np.testing.assert_allclose(r.a_.loc[m.items_], m.a_, atol=1e-8)
    np.testing.assert_allclose(r.se_.loc[m.items_, "b"], m.se_["b"], atol=1e-8)


@pytest.mark.parametrize(
    ("restricted", "general", "match"),
    [
        pytest.param(TwoPL, Rasch, "not nested", id="wrong-order"),
        pytest.param(TwoPL, ThreePL, "3pl", id="3pl"),
        pytest.param(Rasch, Rasch, "not nested", id="same-model"),
    ],
)
def test_lr_test_refuses_invalid_comparisons(
    lsat7: pd.DataFrame, restricted: type, general: type, match: str
) -> None:
    with pytest.raises(CalibrationError, match=match):
        lr_test(restricted().fit(lsat7), general().fit(lsat7))


def test_lr_test_refuses_different_data(lsat6: pd.DataFrame, lsat7: pd.DataFrame) -> None:
    with pytest.raises(CalibrationError, match="different data"):
        lr_test(Rasch().fit(lsat6), OnePL().fit(lsat7))


def test_single_and_double_precision_agree(lsat7: pd.DataFrame) -> None:
    from edutools.irt.simulate import simulate_items, simulate_responses

    items = simulate_items(20, seed=3)
    X = simulate_responses(items, 3000, seed=4, missing="mcar", missing_rate=0.2).responses
    single = TwoPL(precision="single").fit(X)
    double = TwoPL(precision="double").fit(X)
    # float32 products move the estimates by a tiny fraction of their standard errors
    assert (np.abs(single.a_ - double.a_) / double.se_["a"]).max() < 0.01
    assert single.loglik_ == pytest.approx(double.loglik_, abs=1e-6)

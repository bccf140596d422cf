"""The py-irt backend: same result type as MML, explicit priors that act, seeds that hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from edutools.errors import CalibrationError
from edutools.irt import Calibration, TwoPL
from edutools.irt.bayes import BayesIRT

pytest.importorskip("py_irt")
EPOCHS = 300


@pytest.fixture(scope="module")
def fits(lsat7: pd.DataFrame) -> tuple[BayesIRT, BayesIRT, TwoPL]:
    first = BayesIRT("2pl", epochs=EPOCHS, seed=3).fit(lsat7)
    again = BayesIRT("2pl", epochs=EPOCHS, seed=3).fit(lsat7)
    return first, again, TwoPL().fit(lsat7)


@pytest.mark.slow
def test_returns_a_calibration_close_to_mml(fits: tuple[BayesIRT, BayesIRT, TwoPL]) -> None:
    bayes, _, mml = fits
    cal = bayes.calibration_
    assert isinstance(cal, Calibration)
    assert cal.method == "VI (py-irt)"
    assert list(cal.summary().columns) == list(mml.summary().columns)
    assert np.abs(bayes.b_ - mml.b_).max() < 0.3
    assert np.abs(bayes.a_ - mml.a_).max() < 0.5
    # MML maximises the marginal likelihood: any other point, the posterior mean included, is lower
    assert bayes.loglik_ <= mml.loglik_
    assert bayes.loglik_ > mml.loglik_ - 10
    # a mean-field posterior understates the uncertainty of the slopes (see the module docstring)
    assert (bayes.se_["a"] < mml.se_["a"]).all()


@pytest.mark.slow
def test_same_seed_same_estimates(fits: tuple[BayesIRT, BayesIRT, TwoPL]) -> None:
    first, again, _ = fits
    np.testing.assert_array_equal(first.a_, again.a_)
    np.testing.assert_array_equal(first.b_, again.b_)


@pytest.mark.slow
def test_a_tight_prior_shrinks_the_difficulties(
    lsat7: pd.DataFrame, fits: tuple[BayesIRT, BayesIRT, TwoPL]
) -> None:
    # py-irt's own default prior, b ~ N(0, 0.1²), pulls every difficulty more than
    # halfway to zero even with 1000 persons; hence the explicit weak default here
    tight = BayesIRT("1pl", b_prior=(0.0, 0.1), epochs=EPOCHS, seed=3).fit(lsat7)
    weak = fits[0]
    assert (np.abs(tight.b_) < 0.6 * np.abs(weak.b_)).all()
    assert tight.a_.nunique() == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"model": "3pl"}, "fits '1pl' or '2pl'", id="model"),
        pytest.param({"b_prior": (0.0, 0.0)}, "b_prior SD is 0.0", id="prior-sd"),
        pytest.param({"epochs": 0}, "epochs=0", id="epochs"),
    ],
)
def test_bad_settings_raise(lsat7: pd.DataFrame, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(CalibrationError, match=match):
        BayesIRT(**kwargs).fit(lsat7)  # type: ignore[arg-type]

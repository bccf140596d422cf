"""LSAT7 against R's mirt: standard errors, ability scores, summed scores and S-X².

Values from mirt's own test suite (philchalmers/mirt, inst/tests/test-01-mirtOne.R: the
SE.type = "BL" fit, fscores and itemfit of ``mirt(expand.table(LSAT7), 1)``) and from the
S-X² test of jMetrik's psychometrics library (meyerjp3/psychometrics,
ItemFitSX2Test.java), which quotes mirt's itemfit at mirt's printed parameters. That
version of mirt scored on 40 nodes over [-4, 4] and computed S-X² on 41 nodes over
±0.8·sqrt(41); the tests use the same grids. mirt stops EM at a parameter change of 1e-4,
so its estimates (and everything computed from them) differ from the exact MLE in the
third decimal: hence tolerances of a few thousandths.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from edutools.irt import Calibration, OnePL, TwoPL, normal_grid
from edutools.irt.fit import sx2
from edutools.irt.scoring import score, summed_score_table

BL_SE_A = [0.1772, 0.1688, 0.3207, 0.1341, 0.1511]
BL_SE_D = [0.1315, 0.0913, 0.2046, 0.0749, 0.1144]
EAP_FIRST_SIX = [-1.8665957, -1.5266920, -1.5134024, -1.1852276, -1.0946830, -0.7666992]
MAP_FIRST_SIX = [-1.8165552, -1.4946906, -1.4822982, -1.1789899, -1.0958928, -0.7951026]
EAPSUM_THETA = [
    -1.86658192945326,
    -1.43145812172939,
    -0.948768946608248,
    -0.413197495468693,
    0.151688441471554,
    0.726983431734596,
]
EAPSUM_SD = [
    0.687274771185597,
    0.683151658641026,
    0.694186119529085,
    0.721086634187972,
    0.758750386799023,
    0.800462035386804,
]
EAPSUM_OBSERVED = [12, 40, 114, 205, 321, 308]
EAPSUM_EXPECTED = [
    10.07773181541,
    44.6534534093701,
    109.776473457804,
    207.75299446646,
    319.192972299934,
    308.546374551022,
]
SX2_AT_MLE = [4.749440, 14.451071, 1.270381, 5.237400, 0.941125]
SX2_AT_PRINTED = [4.7492191, 14.4528980, 1.2703374, 5.2373430, 0.9407036]


@pytest.fixture(scope="module")
def fitted(lsat7: pd.DataFrame) -> TwoPL:
    return TwoPL().fit(lsat7)


def _first_six_patterns(columns: pd.Index) -> pd.DataFrame:
    patterns = list(itertools.product([0, 1], repeat=5))[:6]
    return pd.DataFrame(patterns, columns=columns, dtype=float)


def test_standard_errors_match_mirt_observed_information(fitted: TwoPL) -> None:
    np.testing.assert_allclose(fitted.se_["a"], BL_SE_A, atol=0.001)
    np.testing.assert_allclose(fitted.se_["d"], BL_SE_D, atol=0.001)


@pytest.mark.parametrize(
    ("method", "expected"),
    [pytest.param("eap", EAP_FIRST_SIX, id="eap"), pytest.param("map", MAP_FIRST_SIX, id="map")],
)
def test_scores_match_mirt(
    fitted: TwoPL, lsat7: pd.DataFrame, method: str, expected: list[float]
) -> None:
    cal = replace(fitted.calibration_, quadrature=normal_grid(40, 4.0))
    out = score(cal, _first_six_patterns(lsat7.columns), method)  # type: ignore[arg-type]
    np.testing.assert_allclose(out["theta"], expected, atol=0.002)


def test_summed_score_table_matches_mirt_eapsum(fitted: TwoPL, lsat7: pd.DataFrame) -> None:
    cal = replace(fitted.calibration_, quadrature=normal_grid(40, 4.0))
    table = summed_score_table(cal, lsat7)
    np.testing.assert_allclose(table["theta"], EAPSUM_THETA, atol=0.002)
    np.testing.assert_allclose(table["se"], EAPSUM_SD, atol=0.002)
    np.testing.assert_array_equal(table["observed"], EAPSUM_OBSERVED)
    np.testing.assert_allclose(table["expected"], EAPSUM_EXPECTED, atol=0.1)
    assert table["probability"].sum() == pytest.approx(1.0)


def test_ml_scores_of_the_1pl_match_mirt(lsat7: pd.DataFrame) -> None:
    # mirt: persons 13, 34 and 40 of expand.table(LSAT7) answer 00001, 00011, 00100
    cal = OnePL().fit(lsat7).calibration_
    patterns = pd.DataFrame(
        [[0, 0, 0, 0, 1], [0, 0, 0, 1, 1], [0, 0, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]],
        columns=lsat7.columns,
        dtype=float,
    )
    out = score(cal, patterns, "ml")
    np.testing.assert_allclose(out["theta"].iloc[:3], [-2.783489, -1.750890, -2.783489], atol=0.005)
    assert out["theta"].iloc[3] == np.inf
    assert out["theta"].iloc[4] == -np.inf


def test_sx2_matches_mirt_at_its_printed_parameters(lsat7: pd.DataFrame) -> None:
    cal = Calibration.from_parameters(
        list(lsat7.columns),
        [0.988, 1.081, 1.706, 0.765, 0.736],
        b=[-1.879, -0.748, -1.058, -0.635, -2.520],
        quadrature=normal_grid(41, 0.8 * np.sqrt(41)),
    )
    out = sx2(cal, lsat7, mincell=0)
    np.testing.assert_allclose(out["S_X2"], SX2_AT_PRINTED, atol=0.01)
    assert out["df"].tolist() == [2, 2, 2, 2, 2]


def test_sx2_matches_mirt_at_the_mle(fitted: TwoPL, lsat7: pd.DataFrame) -> None:
    out = sx2(fitted.calibration_, lsat7)
    np.testing.assert_allclose(out["S_X2"], SX2_AT_MLE, atol=0.005)
    assert out["df"].tolist() == [2, 2, 2, 2, 2]
    assert out.loc[1, "p_value"] < 0.001 < out.loc[0, "p_value"]

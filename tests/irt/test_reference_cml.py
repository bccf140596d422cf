"""Conditional ML against psychotools and eRm on their own example data.

Values and data sets from tests/irt/r/polytomous_reference.R. Changes of parameterisation
(see edutools.irt.cml): our thresholds sum to zero over all items and categories, as
psychotools' ``threshpar``; eRm's ``betapar`` of the Rasch model are -b; eRm's thresholds
have their own origin, so both sides are centred before comparing. The issue asks for 0.01.
R's optimisers stop earlier than our Newton iterations (psychotools' and eRm's estimates
are up to 2e-4 from the maximum; our log-likelihood is never lower), so parameters are
compared to 1e-3; the WLE and ML person estimates are compared at R's own thresholds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from edutools.irt import PCMCML, RSMCML, PolyCalibration, RaschCML

R_DIR = Path(__file__).parent / "r"
REF = json.loads((R_DIR / "cml_reference.json").read_text())
ESTIMATORS = {"rasch": RaschCML, "pcm": PCMCML, "rsm": RSMCML}


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(R_DIR / f"{name}.csv")


@pytest.mark.parametrize(
    ("key", "model", "data"),
    [
        pytest.param("rasch_verbal_binary", "rasch", "verbal_aggression_binary", id="rasch-va"),
        pytest.param("rasch_raschdat1", "rasch", "raschdat1", id="rasch-raschdat1"),
        pytest.param("pcm_verbal", "pcm", "verbal_aggression", id="pcm-va"),
        pytest.param("pcm_verbal_na", "pcm", "verbal_aggression_na", id="pcm-va-missing"),
        pytest.param("pcm_pcmdat", "pcm", "pcmdat", id="pcm-pcmdat"),
        pytest.param("rsm_verbal", "rsm", "verbal_aggression", id="rsm-va"),
    ],
)
def test_matches_psychotools(key: str, model: str, data: str) -> None:
    ref = REF["psychotools"][key]
    m = ESTIMATORS[model]().fit(_data(data))
    assert m.loglik_ == pytest.approx(ref["loglik"], abs=1e-6)
    assert m.calibration_.n_params == ref["df"]
    assert m.calibration_.n_persons == ref["nobs"]
    assert m.loglik_ >= ref["loglik"] - 1e-9
    ours = np.concatenate(m.thresholds_)
    theirs = np.hstack([np.atleast_1d(b) for b in ref["thresholds"]])
    np.testing.assert_allclose(ours, theirs, atol=1e-3)
    np.testing.assert_allclose(np.concatenate(m.se_thresholds_), ref["se_thresholds"], rtol=1e-3)
    # psychotools' item parameters are the item means of the thresholds, centred again
    np.testing.assert_allclose(m.b_ - m.b_.mean(), ref["itempar"], atol=1e-3)
    if len({b.size for b in m.thresholds_}) == 1:  # then the item means already sum to zero
        np.testing.assert_allclose(m.se_b_, ref["se_itempar"], rtol=1e-3)


@pytest.mark.parametrize(
    ("key", "model", "data"),
    [
        pytest.param("rm_raschdat1", "rasch", "raschdat1", id="RM"),
        pytest.param("pcm_pcmdat2", "pcm", "pcmdat2", id="PCM"),
        pytest.param("rsm_rsmdat", "rsm", "rsmdat", id="RSM"),
        pytest.param("pcm_verbal", "pcm", "verbal_aggression", id="PCM-va"),
    ],
)
def test_matches_erm(key: str, model: str, data: str) -> None:
    ref = REF["erm"][key]
    m = ESTIMATORS[model]().fit(_data(data))
    assert m.loglik_ == pytest.approx(ref["loglik"], abs=1e-6)
    assert m.loglik_ >= ref["loglik"] - 1e-9
    if model == "rasch":
        np.testing.assert_allclose(m.b_, -np.asarray(ref["betapar"]), atol=1e-3)
        np.testing.assert_allclose(m.se_b_, ref["se_beta"], rtol=1e-3)
        return
    theirs = np.concatenate(ref["thresholds"])
    np.testing.assert_allclose(np.concatenate(m.thresholds_), theirs - theirs.mean(), atol=1e-3)


def _at_r_thresholds(X: pd.DataFrame) -> PolyCalibration:
    ref = REF["psychotools"]["pcm_verbal"]["thresholds"]
    return PolyCalibration.from_parameters(list(X.columns), "pcm", 1.0, ref)


def test_ml_person_parameters_match_psychotools() -> None:
    ref = REF["psychotools"]["pcm_verbal"]["personpar"]
    X = _data("verbal_aggression")
    score = X.sum(axis=1)
    ml = _at_r_thresholds(X).score(X, "ml")
    for r, theta in zip(ref["score"], ref["theta"], strict=True):
        rows = np.flatnonzero(score == r)
        if rows.size:
            assert ml["theta"].iloc[rows[0]] == pytest.approx(theta, abs=1e-6)


def test_wle_matches_warms_equation_solved_in_r() -> None:
    ref = REF["wle_pcm_verbal"]
    X = _data("verbal_aggression")
    # one response vector per raw score 0..48: k items at 2, one at the remainder
    patterns = []
    for r in ref["score"]:
        row = np.zeros(X.shape[1])
        row[: r // 2] = 2
        if r % 2:
            row[r // 2] = 1
        patterns.append(row)
    frame = pd.DataFrame(patterns, columns=X.columns)
    wle = _at_r_thresholds(X).score(frame, "wle")
    np.testing.assert_allclose(wle["theta"], ref["theta"], atol=1e-7)
    np.testing.assert_allclose(wle["se"], ref["se"], rtol=1e-7)
    # and with our own thresholds, within their distance from psychotools'
    ours = PCMCML().fit(X).person_estimates(frame)
    np.testing.assert_allclose(ours["theta"], ref["theta"], atol=1e-4)

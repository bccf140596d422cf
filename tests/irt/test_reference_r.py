"""Statistics against R: psych::alpha, lme4::glmer (nAGQ = 25), eRm::itemfit, mantelhaen.test.

The values and the simulated data sets were produced by tests/irt/r/reference.R.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from edutools.irt import Calibration, OnePL
from edutools.irt.ctt import alpha, item_analysis
from edutools.irt.dif import mantel_haenszel
from edutools.irt.fit import infit_outfit

R_DIR = Path(__file__).parent / "r"
DATA = Path(__file__).parents[1] / "data"
REF = json.loads((R_DIR / "reference.json").read_text())


@pytest.mark.parametrize(
    ("key", "path"),
    [
        pytest.param("ctt_lsat6", DATA / "lsat6.csv", id="lsat6"),
        pytest.param("ctt_lsat7", DATA / "lsat7.csv", id="lsat7"),
        pytest.param("ctt_onepl_missing", R_DIR / "onepl_missing.csv", id="missing-pairwise"),
    ],
)
def test_classical_statistics_match_psych(key: str, path: Path) -> None:
    X = pd.read_csv(path)
    ref = REF[key]
    table = item_analysis(X)
    np.testing.assert_allclose(table.attrs["alpha"], ref["alpha"], atol=1e-12)
    np.testing.assert_allclose(alpha(X), ref["alpha"], atol=1e-12)
    np.testing.assert_allclose(table["alpha_if_deleted"], ref["alpha_if_deleted"], atol=1e-12)
    np.testing.assert_allclose(table["r_drop"], ref["r_drop"], atol=1e-12)
    np.testing.assert_allclose(table["p"], ref["p"], atol=1e-12)


def test_onepl_with_missing_responses_matches_glmer() -> None:
    # glmer(y ~ 0 + item + (1 | person), nAGQ = 25): intercepts are d, the random-effect SD is a.
    X = pd.read_csv(R_DIR / "onepl_missing.csv")
    ref = REF["glmer_1pl"]
    m = OnePL().fit(X)
    assert m.loglik_ == pytest.approx(ref["loglik"], abs=1e-4)
    assert m.a_.iloc[0] == pytest.approx(ref["a"], abs=1e-4)
    np.testing.assert_allclose(m.d_, ref["d"], atol=1e-4)
    np.testing.assert_allclose(m.se_["d"], ref["se_d"], rtol=1e-3)


def test_infit_outfit_match_erm() -> None:
    # eRm parameterises P = exp(θ + β) / (1 + exp(θ + β)): a = 1 and d = β in our convention.
    X = pd.read_csv(R_DIR / "rasch_sim.csv")
    ref = REF["erm_rasch"]
    cal = Calibration.from_parameters(list(X.columns), 1.0, d=ref["beta"], model="rasch")
    rows = np.asarray(ref["persons"]) - 1  # eRm leaves out persons with extreme scores
    fit = infit_outfit(cal, X.iloc[rows], theta=ref["theta"])
    np.testing.assert_allclose(fit["infit"], ref["infit"], atol=1e-10)
    np.testing.assert_allclose(fit["outfit"], ref["outfit"], atol=1e-10)
    np.testing.assert_allclose(fit["infit_t"], ref["infit_z"], atol=1e-10)
    np.testing.assert_allclose(fit["outfit_t"], ref["outfit_z"], atol=1e-10)


def test_mantel_haenszel_matches_r() -> None:
    data = pd.read_csv(R_DIR / "dif_sim.csv")
    ref = pd.DataFrame(REF["mantel_haenszel"])
    out = mantel_haenszel(data, "group", reference="ref")
    np.testing.assert_allclose(out["chi2"], ref["chi2"], rtol=1e-10)
    np.testing.assert_allclose(out["p_value"], ref["p"], rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(out["alpha_mh"], ref["alpha_mh"], rtol=1e-10)
    # R's interval is exp(ln α ± z SE) with the Robins-Breslow-Greenland SE
    se_log = (np.log(ref["conf_high"]) - np.log(ref["conf_low"])) / (2 * 1.959963984540054)
    np.testing.assert_allclose(out["se_delta"], 2.35 * se_log, rtol=1e-8)
    # the two planted DIF items, and only those, are flagged
    flagged = out.loc[out["ets_class"] != "A", "item"].tolist()
    assert flagged == ["I3", "I9"]
    assert out.set_index("item").loc["I3", "delta_mh"] < 0  # harder for the focal group

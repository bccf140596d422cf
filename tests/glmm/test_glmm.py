"""fit_glmer against lme4::glmer (tests/glmm/r/glmer_reference.R), formula handling, recovery.

The fixed-effect part of a formula goes through formulaic, so its syntax errors are formulaic's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from edutools.errors import DataError, StudyError
from edutools.glmm import fit_glmer
from edutools.glmm.formula import build_model_frame, parse_formula
from edutools.glmm.laplace import RandomInterceptGLMM

R_DIR = Path(__file__).parent / "r"
REFERENCE = json.loads((R_DIR / "glmer_reference.json").read_text())


@pytest.mark.parametrize(
    "case",
    [
        pytest.param("one_factor", id="one-grouping-factor"),
        pytest.param("crossed", id="two-crossed-factors"),
        pytest.param("crossed_large", id="crossed-24000-rows"),
    ],
)
def test_matches_lme4_glmer(case: str) -> None:
    ref = REFERENCE[case]
    data = pd.read_csv(R_DIR / ref["file"])
    fit = fit_glmer(ref["formula"], data)
    assert fit.converged
    assert list(fit.params.index) == ref["terms"]
    np.testing.assert_allclose(fit.params.to_numpy(), ref["fixef"], atol=0.01, rtol=0)
    np.testing.assert_allclose(fit.bse.to_numpy(), ref["se"], rtol=0.05)
    np.testing.assert_allclose(
        fit.random_effects_sd.to_numpy(), np.atleast_1d(ref["re_sd"]), atol=0.01
    )
    assert list(fit.random_effects_sd.index) == list(np.atleast_1d(ref["re_groups"]))
    assert fit.loglik == pytest.approx(ref["loglik"], abs=0.05)
    assert fit.aic == pytest.approx(ref["aic"], abs=0.1)
    assert fit.n_obs == ref["n_obs"]


def test_summary_and_contrast_are_consistent() -> None:
    ref = REFERENCE["one_factor"]
    fit = fit_glmer(ref["formula"], pd.read_csv(R_DIR / ref["file"]))
    table = fit.summary()
    assert list(table.columns) == ["term", "estimate", "se", "z", "p", "ci_low", "ci_high"]
    row = table.set_index("term").loc["x"]
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    # slope of x within the 'hedged' style = x + x:stylehedged
    est, se = fit.contrast({"x": 1.0, "x:stylehedged": 1.0})
    assert est == pytest.approx(fit.params["x"] + fit.params["x:stylehedged"])
    cov = fit.cov_params
    expected = np.sqrt(
        cov.loc["x", "x"]
        + cov.loc["x:stylehedged", "x:stylehedged"]
        + 2 * cov.loc["x", "x:stylehedged"]
    )
    assert se == pytest.approx(expected)
    assert len(fit.random_effects["participant"]) == 60
    with pytest.raises(StudyError, match="unknown term 'nope'"):
        fit.contrast({"nope": 1.0})


def test_gradient_is_exact() -> None:
    data = pd.read_csv(R_DIR / "glmm_crossed.csv").iloc[:900]
    mf = build_model_frame(parse_formula("y ~ level * trait + (1|participant) + (1|item)"), data)
    model = RandomInterceptGLMM(mf.y, mf.X, mf.groups, tuple(len(lv) for lv in mf.group_levels))
    phi = np.array([0.6, 0.3, -0.2, 0.7, 0.1, 0.3])
    grad = model.evaluate(phi).gradient
    numeric = np.empty_like(phi)
    for j in range(len(phi)):
        e = np.zeros_like(phi)
        e[j] = 1e-5
        numeric[j] = (
            model.evaluate(phi + e, gradient=False).deviance
            - model.evaluate(phi - e, gradient=False).deviance
        ) / 2e-5
    np.testing.assert_allclose(grad, numeric, atol=1e-4)


@pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed-{s}") for s in (1, 2)])
def test_recovers_planted_effects(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_p, n_i = 150, 40
    pi, ii = np.repeat(np.arange(n_p), n_i), np.tile(np.arange(n_i), n_p)
    trait = rng.normal(size=n_p)[pi]
    style = rng.normal(size=n_p * n_i)
    eta = 0.3 + 0.7 * style - 0.2 * trait + 0.5 * style * trait
    eta += rng.normal(0, 0.8, n_p)[pi] + rng.normal(0, 0.4, n_i)[ii]
    data = pd.DataFrame(
        {
            "y": rng.random(n_p * n_i) < 1 / (1 + np.exp(-eta)),
            "style": style,
            "trait": trait,
            "p": pi,
            "i": ii,
        }
    )
    fit = fit_glmer("y ~ style * trait + (1 | p) + (1 | i)", data)
    truth = pd.Series([0.3, 0.7, -0.2, 0.5], index=["(Intercept)", "style", "trait", "style:trait"])
    assert (np.abs(fit.params - truth) < 3.5 * fit.bse).all()
    assert fit.random_effects_sd["p"] == pytest.approx(0.8, abs=0.2)
    assert fit.random_effects_sd["i"] == pytest.approx(0.4, abs=0.2)


@pytest.mark.parametrize(
    ("formula", "terms", "intercept", "groups"),
    [
        pytest.param(
            "y ~ a * b + (1|g)", (("a",), ("b",), ("a", "b")), True, (("g",),), id="crossing"
        ),
        pytest.param(
            "y ~ b:a + a + (1|g)", (("a",), ("b", "a")), True, (("g",),), id="r-term-order"
        ),
        pytest.param(
            "y ~ (a + b) * c",
            (("a",), ("b",), ("c",), ("a", "c"), ("b", "c")),
            True,
            (),
            id="parentheses",
        ),
        pytest.param("y ~ x - 1 + (1 | g)", (("x",),), False, (("g",),), id="no-intercept"),
        pytest.param(
            "y ~ 0 + x + (1|s/c)", (("x",),), False, (("s",), ("s", "c")), id="nested-groups"
        ),
        pytest.param("y ~ 1 + (1|a:b)", (), True, (("a", "b"),), id="interaction-group"),
    ],
)
def test_parse_formula(formula: str, terms: tuple, intercept: bool, groups: tuple) -> None:
    parsed = parse_formula(formula)
    assert parsed.response == "y"
    assert parsed.terms == terms
    assert parsed.intercept is intercept
    assert parsed.groups == groups


@pytest.mark.parametrize(
    ("formula", "columns"),
    [
        pytest.param(
            "y ~ x * f", ["(Intercept)", "x", "fb", "fc", "x:fb", "x:fc"], id="treatment-coding"
        ),
        pytest.param("y ~ 0 + f", ["fa", "fb", "fc"], id="indicator-coding-without-intercept"),
        pytest.param(
            "y ~ x + x:f", ["(Intercept)", "x", "x:fb", "x:fc"], id="contrasts-when-margin-present"
        ),
        pytest.param(
            "y ~ x:f", ["(Intercept)", "x:fa", "x:fb", "x:fc"], id="indicators-without-margin"
        ),
        pytest.param("y ~ 0 + f:x", ["fa:x", "fb:x", "fc:x"], id="variable-order-of-appearance"),
        pytest.param("y ~ flag", ["(Intercept)", "flagTRUE"], id="boolean-factor"),
    ],
)
def test_model_matrix_names_follow_r(formula: str, columns: list[str]) -> None:
    data = pd.DataFrame(
        {
            "y": [0, 1, 1, 0, 1, 0],
            "x": np.arange(6.0),
            "f": list("abcabc"),
            "flag": [True, False] * 3,
        }
    )
    mf = build_model_frame(parse_formula(formula), data)
    assert list(mf.columns) == columns
    assert mf.X.shape == (6, len(columns))


_DATA = pd.DataFrame(
    {
        "y": [0, 1] * 10,
        "x": np.arange(20.0),
        "x2": 2 * np.arange(20.0),
        "g": list("ab") * 10,
        "one": ["k"] * 20,
    }
)


@pytest.mark.parametrize(
    ("formula", "data", "error", "match"),
    [
        pytest.param("y x", _DATA, StudyError, "expected one '~'", id="no-tilde"),
        pytest.param(
            "y ~ x + (x | g)", _DATA, StudyError, "only random intercepts", id="random-slope"
        ),
        pytest.param("y ~ 2 + x", _DATA, StudyError, "only 0 and 1", id="bad-number"),
        pytest.param("y ~ x + $", _DATA, StudyError, "Unknown operator '\\$'", id="bad-character"),
        pytest.param("y ~ x +", _DATA, StudyError, "Operator `\\+` has insuf", id="dangling-plus"),
        pytest.param("y ~ x", _DATA, StudyError, "no random intercept", id="no-random-effect"),
        pytest.param("y ~ z + (1|g)", _DATA, DataError, "no column 'z'", id="missing-column"),
        pytest.param("y ~ one + (1|g)", _DATA, DataError, "single level", id="single-level-factor"),
        pytest.param("y ~ x + x2 + (1|g)", _DATA, DataError, "'x2' is collinear", id="collinear"),
        pytest.param(
            "x ~ y + (1|g)",
            _DATA,
            DataError,
            "column 'x'.*not a binary outcome",
            id="non-binary-response",
        ),
        pytest.param(
            "y ~ x + (1|g)", [1, 2], DataError, "expected a pandas DataFrame", id="not-a-frame"
        ),
    ],
)
def test_errors(formula: str, data: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        fit_glmer(formula, data)  # type: ignore[arg-type]


def test_rows_with_missing_values_are_dropped_like_na_omit() -> None:
    ref = REFERENCE["one_factor"]
    data = pd.read_csv(R_DIR / ref["file"])
    data.loc[[3, 7], "x"] = np.nan
    fit = fit_glmer(ref["formula"], data)
    assert fit.n_obs == ref["n_obs"] - 2
    assert fit.n_dropped == 2


def test_fit_glmer_is_one_function_under_three_names() -> None:
    import edutools
    import edutools.glmm
    import edutools.survey

    assert edutools.survey.fit_glmer is edutools.glmm.fit_glmer
    assert edutools.fit_glmer is edutools.glmm.fit_glmer
    assert edutools.survey.GLMMResult is edutools.glmm.GLMMResult

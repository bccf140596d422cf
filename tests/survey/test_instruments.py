"""Instruments: the shipped files, hand-scored examples, and R psych reference values.

The reference values in tests/survey/r/instruments/ come from reference.R (psych 2.2.9,
scoreItems / alpha / omega / scale) on responses.csv (make_data.py).
"""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import edutools.survey.instruments as instruments_module
import edutools.survey.instruments.scoring as scoring_module
from edutools.errors import DataError, StudyError
from edutools.survey.instruments import (
    cronbach_alpha,
    list_instruments,
    load_instrument,
    mcdonald_omega,
    reliability,
    reverse_key,
    score_instrument,
    spearman_brown,
    standardize,
    to_wide,
)

R_DIR = Path(__file__).parent / "r" / "instruments"


def test_doctests() -> None:
    for module in (instruments_module, scoring_module):
        result = doctest.testmod(module)
        assert result.failed == 0, module.__name__


# --------------------------------------------------------------------------- the files


@pytest.mark.parametrize(
    ("name", "n_items", "scale", "reversed_items"),
    [
        pytest.param("bfi10", 10, (1, 5), {"bfi10_01", "bfi10_03", "bfi10_04", "bfi10_05", "bfi10_07"},
                     id="bfi10"),
        pytest.param("tipi", 10, (1, 7), {"tipi_02", "tipi_04", "tipi_06", "tipi_08", "tipi_10"},
                     id="tipi"),
        pytest.param("trust_automation", 12, (1, 7), {f"tia_0{i}" for i in range(1, 6)},
                     id="trust_automation"),
    ],
)  # fmt: skip
def test_shipped_instruments(
    name: str, n_items: int, scale: tuple[int, int], reversed_items: set[str]
) -> None:
    inst = load_instrument(name)
    assert len(inst.items) == n_items
    assert (inst.scale.min, inst.scale.max) == scale
    assert {i for s in inst.subscales for i in s.reverse} == reversed_items
    assert {i for s in inst.subscales for i in s.items} == set(inst.item_ids)
    assert inst.citation
    assert inst.doi.startswith("10.")
    assert inst.terms
    assert "checked" in inst.terms_source
    assert name in list_instruments()


def test_placeholders() -> None:
    tia = load_instrument("trust_automation")
    default = tia.texts()
    assert default["tia_01"] == "The system is deceptive."
    assert default["tia_03"] == "I am suspicious of the system's intent, action, or outputs."
    custom = tia.texts({"system": "the AI assistant"})
    assert (
        custom["tia_05"] == "The AI assistant's actions will have a harmful or injurious outcome."
    )
    assert custom["tia_11"] == "I can trust the AI assistant."
    assert tia.instructions_for({"system": "the AI assistant"}).endswith(
        "your impression of the AI assistant."
    )
    with pytest.raises(StudyError, match=r"no placeholder\(s\) \['robot'\]"):
        tia.texts({"robot": "x"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("id: x\n", "name: Field required", id="incomplete"),
        pytest.param(": :\n", "cannot be read as YAML", id="bad-yaml"),
    ],
)
def test_invalid_instrument_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StudyError, match=message):
        load_instrument(path)


def test_subscale_naming_unknown_item(tmp_path: Path) -> None:
    text = (Path(instruments_module.__file__).parent / "tipi.yaml").read_text(encoding="utf-8")
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace("items: [tipi_01, tipi_06]", "items: [tipi_01, tipi_99]"))
    with pytest.raises(
        StudyError, match=r"subscale 'extraversion' names unknown items \['tipi_99'\]"
    ):
        load_instrument(path)


def test_unknown_instrument() -> None:
    with pytest.raises(StudyError, match="unknown instrument 'neo'; available: bfi10, tipi"):
        load_instrument("neo")


# --------------------------------------------------------------------------- hand-scored


def _scores(name: str, answers: list[float | None], **kw: float) -> dict[str, float]:
    inst = load_instrument(name)
    frame = pd.DataFrame([answers], index=["p1"], columns=inst.item_ids, dtype=float)
    out = score_instrument(inst, frame, **kw)
    return dict(zip(out["subscale"], out["score"], strict=True))


@pytest.mark.parametrize(
    ("name", "answers", "expected"),
    [
        # TIPI: reverse = 8 - x. E = (5 + (8-3))/2, A = ((8-2) + 6)/2, C = (6 + (8-1))/2, ...
        pytest.param("tipi", [5, 2, 6, 3, 7, 3, 6, 1, 5, 2],
                     {"extraversion": 5.0, "agreeableness": 6.0, "conscientiousness": 6.5,
                      "emotional_stability": 5.0, "openness": 6.5}, id="tipi"),
        # BFI-10 (columns in questionnaire order 1..10): reverse = 6 - x.
        pytest.param("bfi10", [4, 4, 2, 2, 1, 5, 1, 4, 3, 4],
                     {"extraversion": 3.5, "agreeableness": 4.5, "conscientiousness": 4.0,
                      "neuroticism": 3.5, "openness": 4.5}, id="bfi10"),
        # Trust: distrust items 1-5 reversed (8 - x) for the total: 72 / 12.
        pytest.param("trust_automation", [1, 2, 1, 3, 1, 6, 5, 6, 7, 6, 6, 4],
                     {"trust_total": 6.0, "trust": 40 / 7, "distrust": 1.6}, id="trust"),
        # Missing-item rule (default: at least half): one of two items is enough ...
        pytest.param("bfi10", [None, 4, 2, 2, 1, 5, 1, 4, 3, 4],
                     {"extraversion": 5.0, "agreeableness": 4.5, "conscientiousness": 4.0,
                      "neuroticism": 3.5, "openness": 4.5}, id="one-of-two-missing"),
        # ... none of two is not; 6 of 12 is enough, 5 of 7 is (needs 4), 2 of 5 is not (needs 3).
        pytest.param("trust_automation", [None, None, None, 3, 1, 6, 5, None, None, 6, 6, 4],
                     {"trust_total": (5 + 7 + 6 + 5 + 6 + 6 + 4) / 7, "trust": 27 / 5,
                      "distrust": math.nan}, id="trust-missing"),
        pytest.param("trust_automation", [None, None, None, None, 1, 6, 5, None, None, 6, 6, 4],
                     {"trust_total": 34 / 6, "trust": 5.4, "distrust": math.nan}, id="trust-6-of-12"),
        pytest.param("trust_automation", [None, None, None, None, 1, 6, None, None, None, 6, 6, 4],
                     {"trust_total": math.nan, "trust": 5.5, "distrust": math.nan}, id="trust-5-of-12"),
    ],
)  # fmt: skip
def test_hand_scored(name: str, answers: list[float | None], expected: dict[str, float]) -> None:
    got = _scores(name, answers)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        if math.isnan(value):
            assert math.isnan(got[key]), key
        else:
            assert got[key] == pytest.approx(value, abs=1e-12), key


def test_stricter_missing_rule() -> None:
    got = _scores("bfi10", [None, 4, 2, 2, 1, 5, 1, 4, 3, 4], min_fraction=1.0)
    assert math.isnan(got["extraversion"])
    assert got["openness"] == 4.5


def test_reverse_key() -> None:
    assert list(reverse_key(np.array([1, 3, 7]), 1, 7)) == [7, 5, 1]
    assert reverse_key(2.0, 1, 5) == 4.0


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        pytest.param(6, r"bfi10: subject 'p1', item bfi10_03: 6 is not a response on the 1..5 scale", id="range"),
        pytest.param(0, r"item bfi10_03: 0 is not a response", id="below"),
        pytest.param("often", r"item bfi10_03: 'often' is not a response", id="text"),
    ],
)  # fmt: skip
def test_invalid_responses(cell: object, message: str) -> None:
    inst = load_instrument("bfi10")
    frame = pd.DataFrame([[4, 4, 2, 2, 1, 5, 1, 4, 3, 4]], index=["p1"], columns=inst.item_ids)
    frame = frame.astype(object)
    frame.loc["p1", "bfi10_03"] = cell
    with pytest.raises(DataError, match=message):
        score_instrument(inst, frame)


def test_missing_item_column_and_bad_rule() -> None:
    inst = load_instrument("tipi")
    frame = pd.DataFrame([[4] * 9], index=["p1"], columns=inst.item_ids[:9])
    with pytest.raises(DataError, match="no column for item\\(s\\) tipi_10"):
        score_instrument(inst, frame)
    full = pd.DataFrame([[4] * 10], index=["p1"], columns=inst.item_ids)
    with pytest.raises(StudyError, match="min_fraction 0 must be in"):
        score_instrument(inst, full, min_fraction=0)


def test_long_to_wide() -> None:
    long = pd.DataFrame(
        {
            "participant_id": ["a", "a", "b", "b", "a"],
            "instrument": ["tipi", "tipi", "tipi", "tipi", "bfi10"],
            "item": ["tipi_01", "tipi_06", "tipi_01", "tipi_06", "bfi10_01"],
            "response": [5, 3, 2, 6, 4],
        }
    )
    wide = to_wide(long, instrument="tipi")
    assert wide.loc["a", "tipi_06"] == 3.0
    assert list(wide.columns) == ["tipi_01", "tipi_06"]
    with pytest.raises(DataError, match="answered item 'tipi_01' more than once"):
        to_wide(pd.concat([long, long.iloc[:1]], ignore_index=True))
    with pytest.raises(DataError, match="no column 'value'"):
        to_wide(long, value="value")


@pytest.mark.parametrize(
    ("func", "data", "message"),
    [
        pytest.param(mcdonald_omega, np.ones((10, 2)), "at least 3 items", id="omega-2-items"),
        pytest.param(spearman_brown, np.random.default_rng(0).normal(size=(9, 3)), "two-item",
                     id="sb-3-items"),
        pytest.param(cronbach_alpha, np.array([[1.0, 2.0], [np.nan, 1.0], [2.0, 3.0]]),
                     "at least 3 complete cases", id="too-few-cases"),
    ],
)  # fmt: skip
def test_reliability_input_errors(func: object, data: np.ndarray, message: str) -> None:
    with pytest.raises(StudyError, match=message):
        func(data)  # type: ignore[operator]


# --------------------------------------------------------------------------- against R psych


@pytest.fixture(scope="module")
def responses() -> pd.DataFrame:
    return pd.read_csv(R_DIR / "responses.csv", index_col="id")


def test_scores_match_psych_score_items(responses: pd.DataFrame) -> None:
    reference = pd.read_csv(R_DIR / "reference_scores.csv")
    ours = pd.concat(
        [
            score_instrument(load_instrument(n), responses, subject="id")
            for n in ("bfi10", "tipi", "trust_automation")
        ]
    )
    merged = reference.merge(ours, on=["id", "instrument", "subscale"], suffixes=("_r", ""))
    assert len(merged) == len(reference) == 300 * 13
    # psych averages whatever is answered; our rule only adds NaN where too little was.
    too_few = merged["n_answered"] < np.ceil(0.5 * merged["n_items"])
    assert merged.loc[too_few, "score"].isna().all()
    kept = merged[~too_few]
    np.testing.assert_allclose(kept["score"], kept["score_r"], rtol=0, atol=1e-12)


def test_reliability_matches_psych(responses: pd.DataFrame) -> None:
    reference = pd.read_csv(R_DIR / "reference_reliability.csv")
    ours = pd.concat(
        [reliability(load_instrument(n), responses) for n in ("bfi10", "tipi", "trust_automation")]
    )
    merged = reference.merge(ours, on=["instrument", "subscale"], suffixes=("_r", ""))
    assert len(merged) == 13
    assert (merged["n_complete"] == merged["n_complete_r"]).all()
    np.testing.assert_allclose(merged["alpha"], merged["alpha_r"], atol=1e-10)
    np.testing.assert_allclose(merged["spearman_brown"], merged["spearman_brown_r"], atol=1e-10)
    # psych's minres optimiser and our fixed-point iteration stop at slightly different
    # points (observed difference ~1e-8).
    np.testing.assert_allclose(merged["omega_total"], merged["omega_total_r"], atol=1e-6)


def test_zscores_match_r_scale(responses: pd.DataFrame) -> None:
    reference = pd.read_csv(R_DIR / "reference_z.csv")
    scores = pd.concat(
        [
            score_instrument(load_instrument(n), responses, subject="id", min_fraction=1e-9)
            for n in ("bfi10", "tipi", "trust_automation")
        ]
    )
    z = standardize(scores)
    merged = reference.merge(z, on=["id", "instrument", "subscale"], suffixes=("_r", ""))
    np.testing.assert_allclose(merged["z"], merged["z_r"], atol=1e-10)


# --------------------------------------------------------------------------- recovery


def test_alpha_and_omega_recover_a_known_reliability() -> None:
    """Parallel items with loading 0.7 on one factor: population alpha = omega = 6*0.49/(1+5*0.49)."""
    rng = np.random.default_rng(11)
    n, k, lam = 20_000, 6, 0.7
    f = rng.normal(size=(n, 1))
    x = lam * f + np.sqrt(1 - lam**2) * rng.normal(size=(n, k))
    truth = k * lam**2 / (1 + (k - 1) * lam**2)
    assert cronbach_alpha(x) == pytest.approx(truth, abs=0.01)
    assert mcdonald_omega(x) == pytest.approx(truth, abs=0.01)
    two = x[:, :2]
    assert spearman_brown(two) == pytest.approx(2 * lam**2 / (1 + lam**2), abs=0.01)

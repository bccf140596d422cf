"""``edutools calibrate`` with polytomous models and ``--method cml``: JSON, outputs, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from _cli import cli_runner

from edutools.cli import app
from edutools.irt import GRM, PCMCML, RaschCML, simulate_poly_items, simulate_polytomous

ITEM_KEYS = ["item", "a", "b", "d", "c", "se_a", "se_b", "se_d"]
CATEGORIES = [2, 3, 4, 4, 3, 3]


def _run(*args: str) -> tuple[int, str, str]:
    result = cli_runner().invoke(app, ["calibrate", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def scores() -> pd.DataFrame:
    items = simulate_poly_items(6, "gpcm", n_categories=CATEGORIES, seed=3, b_sd=0.6)
    X, _ = simulate_polytomous(items, 500, "gpcm", seed=4, missing_rate=0.05)
    X.index = pd.Index([f"s{i}" for i in range(len(X))], name="person")
    return X


@pytest.fixture
def path(scores: pd.DataFrame, tmp_path: Path) -> Path:
    p = tmp_path / "scores.csv"
    scores.to_csv(p)
    return p


@pytest.mark.parametrize("model", ["GPCM", "grm", "Pcm"])
def test_json_grows_thresholds_per_item(path: Path, model: str) -> None:
    code, out, err = _run(str(path), "--model", model, "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert list(obj) == ["model", "n_persons", "n_items", "loglik", "aic", "bic", "items"]
    assert obj["model"] == model.lower()
    for row, k in zip(obj["items"], CATEGORIES, strict=True):
        assert list(row) == [*ITEM_KEYS, "thresholds", "se_thresholds"]
        assert len(row["thresholds"]) == len(row["se_thresholds"]) == k - 1
        assert row["b"] == pytest.approx(sum(row["thresholds"]) / (k - 1))
        assert row["d"] == pytest.approx(-row["a"] * row["b"])
        assert row["c"] is None


def test_json_matches_the_python_fit(path: Path, scores: pd.DataFrame) -> None:
    _, out, _ = _run(str(path), "--model", "grm", "--json")
    obj = json.loads(out)
    m = GRM().fit(scores)
    assert obj["loglik"] == pytest.approx(m.loglik_, abs=1e-8)
    assert obj["items"][2]["thresholds"] == pytest.approx(m.thresholds_[2].tolist(), abs=1e-8)
    assert obj["items"][2]["se_a"] == pytest.approx(m.se_a_[2], abs=1e-8)


def test_cml_reports_the_conditional_loglik(path: Path, scores: pd.DataFrame) -> None:
    code, out, err = _run(str(path), "--model", "PCM", "--method", "CML", "--json")
    assert code == 0, err
    obj = json.loads(out)
    m = PCMCML().fit(scores)
    assert obj["loglik"] == pytest.approx(m.loglik_, abs=1e-8)
    assert obj["n_persons"] == m.calibration_.n_persons
    assert all(row["a"] == 1.0 and row["se_a"] is None for row in obj["items"])
    total = sum(sum(row["thresholds"]) for row in obj["items"])
    assert total == pytest.approx(0.0, abs=1e-8)


def test_rasch_by_cml_keeps_the_dichotomous_contract(scores: pd.DataFrame, tmp_path: Path) -> None:
    binary = (scores >= 1).astype(float).where(scores.notna())
    p = tmp_path / "binary.csv"
    binary.to_csv(p)
    code, out, err = _run(str(p), "--model", "rasch", "--method", "cml", "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert [list(r) for r in obj["items"]] == [ITEM_KEYS] * 6
    m = RaschCML().fit(binary)
    assert obj["loglik"] == pytest.approx(m.loglik_, abs=1e-8)
    assert [r["b"] for r in obj["items"]] == pytest.approx(m.b_.tolist(), abs=1e-8)


def test_text_summary_and_out_folder(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    code, stdout, err = _run(str(path), "--model", "rsm", "--out", str(out))
    assert code == 2  # mixed categories: the rating scale model refuses them
    assert "same scores 0..K on every item" in err
    code, stdout, err = _run(str(path), "--model", "pcm", "--out", str(out))
    assert code == 0, err
    assert "\npcm by MML: 500 persons, 6 items" in stdout
    assert "SD of θ" in stdout
    names = {p.name for p in out.iterdir()}
    assert {"categories.png", "icc.png", "information.png", "wright.png", "fit.csv"} <= names
    assert (out / "categories.png").read_bytes()[:4] == b"\x89PNG"
    fit = pd.read_csv(out / "fit.csv")
    assert list(fit.columns) == ["item", "infit", "infit_t", "outfit", "outfit_t", "n"]
    items = pd.read_csv(out / "items.csv")
    assert {"threshold_1", "threshold_3", "se_threshold_3"} <= set(items.columns)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--model", "2pl"],
            "error: scores.csv, row 4, column 'item2': score '2.0' is not 0 or 1",
            id="polytomous-scores-for-2pl",
        ),
        pytest.param(
            ["--model", "gpcm", "--method", "cml"],
            "error: --method cml fits the Rasch-family models rasch, pcm, rsm, not gpcm",
            id="cml-gpcm",
        ),
        pytest.param(
            ["--model", "pcm", "--method", "bayes"],
            "error: --method 'bayes' is not a method",
            id="method",
        ),
    ],
)
def test_errors_are_one_line_with_exit_code_2(path: Path, args: list[str], message: str) -> None:
    code, _, err = _run(str(path), *args)
    assert code == 2
    assert err.startswith(message), err
    assert err.count("\n") == 1
    if "not 0 or 1" in message:
        assert err.rstrip().endswith("for scores 0..K use --model pcm, gpcm, grm or rsm")

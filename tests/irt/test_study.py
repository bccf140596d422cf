"""The AnaQuest validation study: its design functions and one end-to-end run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from edutools.errors import StudyError

STUDY = Path(__file__).parents[2] / "studies" / "anaquest_validation"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(STUDY))
    try:
        spec = importlib.util.spec_from_file_location(f"anaquest_{name}", STUDY / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # pydantic resolves the config's annotations through it
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(STUDY))


design = _load("design")


def _meta(n: int = 400) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item": [f"i{k}" for k in range(n)],
            "source": np.where(np.arange(n) % 2 == 0, "human", "local"),
            "key_polarity": np.where(np.arange(n) % 4 < 2, "correct", "foil"),
        }
    )


def test_planted_shifts_and_scales_are_applied() -> None:
    cfg = design.load_config(STUDY / "study.yaml")
    scenario = cfg.scenario("planted_source_effect")
    truth = design.true_parameters(_meta(), scenario, seed=1)
    base = design.true_parameters(
        _meta(), scenario.model_copy(update={"shift_b": {}, "scale_a": {}}), seed=1
    )
    meta = _meta()
    shift = truth["b"] - base["b"]
    assert np.allclose(shift[(meta["source"] == "human") & (meta["key_polarity"] == "foil")], 0.1)
    assert np.allclose(
        shift[(meta["source"] == "local") & (meta["key_polarity"] == "correct")], 0.0
    )
    assert np.allclose((truth["a"] / base["a"])[meta["source"] == "local"], 0.7)


def test_booklet_administration_keeps_every_item_and_the_missing_share() -> None:
    cfg = design.load_config(STUDY / "study.yaml")
    truth = design.true_parameters(_meta(40), cfg.scenarios[0], seed=2)
    sim = design.administer(truth, 800, cfg, seed=3)
    assert list(sim.responses.columns) == list(truth["item"])
    assert sim.responses.isna().to_numpy().mean() == pytest.approx(
        cfg.booklet.missing_rate, abs=0.03
    )


@pytest.mark.parametrize(
    ("text", "match"),
    [
        pytest.param("seed: x\n", "seed", id="bad-seed"),
        pytest.param("- not a mapping\n", "Input should be", id="not-a-mapping"),
    ],
)
def test_bad_study_definitions_raise(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "study.yaml"
    path.write_text(text)
    with pytest.raises(StudyError, match=match):
        design.load_config(path)


def test_unknown_scenario_and_column_raise() -> None:
    cfg = design.load_config(STUDY / "study.yaml")
    with pytest.raises(StudyError, match="no scenario 'x'"):
        cfg.scenario("x")
    bad = cfg.scenarios[0].model_copy(update={"shift_b": {"colour": {"red": 1.0}}})
    with pytest.raises(StudyError, match="unknown column 'colour'"):
        design.true_parameters(_meta(), bad, seed=1)


@pytest.mark.slow
def test_the_study_regenerates_its_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = _load("run")
    monkeypatch.setattr(sys, "argv", ["run.py", "--out", str(tmp_path / "report")])
    assert run.main() == 0
    report = tmp_path / "report"
    assert "not run: no LLM provider configured" in (report / "README.md").read_text()
    for scenario in ("null_sources", "planted_source_effect"):
        tables = report / scenario / "tables"
        recovery = pd.read_csv(tables / "recovery.csv").set_index("source")
        assert recovery.loc["all", "rmse_b"] < 0.15
        assert 0.85 <= recovery.loc["all", "coverage_b"] <= 1.0
        assert (report / scenario / "figures" / "recovery_b.png").exists()
    slopes = pd.read_csv(
        report / "planted_source_effect" / "tables" / "comparison_source.csv"
    ).set_index("metric")
    assert slopes.loc["a", "significant"]  # the planted flatter slopes of the local engine

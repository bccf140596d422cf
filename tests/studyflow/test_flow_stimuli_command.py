"""edutools study stimuli: style transfer through the stub server into a stimuli.csv the app reads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from _cli import cli_runner
from studyflow_fixtures import small_study_dict

from edutools.cli import app
from edutools.llm.stubserver import StubServer
from edutools.studyflow import read_stimuli
from edutools.survey.config import load_study

runner = cli_runner()


def _study(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(small_study_dict(), sort_keys=False), encoding="utf-8")
    return path


def test_stimuli_are_written_and_the_app_can_read_them(
    stub_server: StubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study_path = _study(tmp_path / "study")
    monkeypatch.setenv("OPENAI_BASE_URL", stub_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    result = runner.invoke(app, ["study", "stimuli", str(study_path)])
    assert result.exit_code == 0, result.stderr
    study = load_study(study_path)
    stimuli = read_stimuli(study_path.parent / "stimuli.csv", study)
    # every level combination (3 x 3) of both base items, each from one LLM call
    assert len(stimuli.stimuli) == 2 * 3 * 3
    assert len(stub_server.requests) == 18
    report = study_path.parent / "stimuli_validation.md"
    assert report.read_text().startswith("# Style-transfer validation")
    assert result.stdout.startswith("wrote 18 of 18 rewrites")
    again = runner.invoke(app, ["study", "stimuli", str(study_path)])
    assert again.exit_code == 0
    assert len(stub_server.requests) == 18, "a repeated run is served from the cache"
    assert "0 calls, 18 cached" in again.stdout


def test_the_llm_engine_without_a_provider_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["study", "stimuli", str(_study(tmp_path)), "--engine", "llm"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no LLM provider configured: set OPENAI_API_KEY")
    assert result.stderr.count("\n") == 1


def test_without_a_provider_the_local_engine_writes_a_runnable_study(tmp_path: Path) -> None:
    study_path = _study(tmp_path / "s")
    before = runner.invoke(app, ["study", "check", str(study_path)])
    assert before.exit_code == 2
    assert before.stderr.count("\n") == 1
    assert "stimuli.csv is missing" in before.stderr
    assert "--engine local" in before.stderr
    result = runner.invoke(app, ["study", "stimuli", str(study_path)])
    assert result.exit_code == 0, result.stderr
    assert "local engine, no LLM calls" in result.stdout
    assert "2 of 2 dimensions' measures rise with every level" in result.stdout
    after = runner.invoke(app, ["study", "check", str(study_path)])
    assert after.exit_code == 0, after.stderr
    assert after.stdout.startswith("ok: ")
    assert "runs offline (2 base items, 18 rewrites in stimuli.csv" in after.stdout
    frame = pd.read_csv(study_path.parent / "stimuli.csv")
    assert set(frame["model"]) == {"local-1"}
    assert frame["text"].nunique() == len(frame)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        pytest.param(
            "plan.yaml",
            "seed: 1\npersons: 30\n",
            "is not a participant study file",
            id="not-a-study",
        ),
        pytest.param(
            "broken.yaml", "design: gsp\ndimensions: [unclosed\n", "invalid YAML", id="bad-yaml"
        ),
        pytest.param(
            "invalid.yaml", "design: gsp\ndimensions: []\n", "required key is missing", id="invalid"
        ),
    ],
)
def test_check_names_what_is_wrong(tmp_path: Path, name: str, content: str, problem: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = runner.invoke(app, ["study", "check", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: ")
    assert problem in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("name", ["study.yaml", "pairwise.yaml"])
def test_every_shipped_study_runs_offline(name: str) -> None:
    path = Path(__file__).parents[2] / "studies" / "style_preference" / name
    result = runner.invoke(app, ["study", "check", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "runs offline" in result.stdout

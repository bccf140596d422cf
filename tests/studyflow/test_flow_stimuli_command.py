"""edutools study stimuli: style transfer through the stub server into a stimuli.csv the app reads."""

from __future__ import annotations

from pathlib import Path

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
    assert (
        (study_path.parent / "validation.md").read_text().startswith("# Style-transfer validation")
    )
    assert result.stdout.startswith("wrote 18 of 18 rewrites")
    again = runner.invoke(app, ["study", "stimuli", str(study_path)])
    assert again.exit_code == 0
    assert len(stub_server.requests) == 18, "a repeated run is served from the cache"
    assert "0 calls, 18 cached" in again.stdout


def test_without_a_provider_the_error_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["study", "stimuli", str(_study(tmp_path))])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: no LLM provider configured: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL "
        "(an OpenAI-compatible server such as vLLM, Ollama or llama.cpp)\n"
    )

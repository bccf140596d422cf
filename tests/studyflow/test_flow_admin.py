"""Study administration: finding study files, participant links, progress and downloads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from studyflow_fixtures import run_participant

from edutools.store import Store
from edutools.studyflow import StudyRuntime
from edutools.studyflow.admin import (
    export_zip,
    find_studies,
    participant_link,
    progress,
    raw_zip,
)

ROOT = Path(__file__).parents[2]


def test_find_studies_reports_what_is_missing(study_path: Path) -> None:
    shipped = {f.path.name: f for f in find_studies(ROOT / "studies")}
    assert "analysis only" in (shipped["pairwise.yaml"].problem or "")
    gsp = shipped["study.yaml"]
    assert gsp.study_id == "style-preference-gsp-v1"
    if not (ROOT / "studies" / "style_preference" / "stimuli.csv").exists():
        assert "stimuli.csv" in (gsp.problem or "")
    ours = find_studies(study_path.parents[1])
    assert [(f.study_id, f.ready) for f in ours] == [("test-gsp-v1", True)]
    (study_path.parent / "broken.yaml").write_text("id: [unclosed\n")
    broken = {f.path.name: f for f in find_studies(study_path.parents[1])}["broken.yaml"]
    assert not broken.ready
    assert "invalid YAML" in (broken.problem or "")


@pytest.mark.parametrize(
    ("url", "prolific", "expected"),
    [
        pytest.param(
            "http://127.0.0.1:8501/study_admin?x=1",
            False,
            "http://127.0.0.1:8501/?study=s-1",
            id="plain",
        ),
        pytest.param(
            "https://study.example.org/",
            True,
            "https://study.example.org/?study=s-1&PROLIFIC_PID={{%PROLIFIC_PID%}}"
            "&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}",
            id="prolific",
        ),
    ],
)
def test_participant_link(url: str, prolific: bool, expected: str) -> None:
    assert participant_link(url, "s-1", prolific=prolific) == expected


def test_progress_and_downloads(store: Store, runtime: StudyRuntime) -> None:
    run_participant(store, runtime, "A1")
    run_participant(store, runtime, "A2", ok=False)
    run_participant(store, runtime, "A3", steps=4)
    p = progress(store, runtime)
    assert (p.started, p.completed, p.excluded, p.in_progress) == (3, 1, 1, 1)
    raw = zipfile.ZipFile(io.BytesIO(raw_zip(store, runtime)))
    assert {"participants.csv", "trials.csv", "gsp_trials.csv", "events.csv"} <= set(raw.namelist())
    people = pd.read_csv(raw.open("participants.csv"))
    assert sorted(people["prolific_pid"]) == ["A1", "A2", "A3"]
    exported = zipfile.ZipFile(io.BytesIO(export_zip(store, runtime)))
    assert "manifest.json" in exported.namelist()
    assert "A1" not in exported.read("participants.csv").decode()

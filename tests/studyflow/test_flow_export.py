"""Stored study data → the analysis export format, readable by the survey analysis."""

from __future__ import annotations

from pathlib import Path

import pytest
from studyflow_fixtures import run_participant

from edutools.errors import StudyError
from edutools.store import Store
from edutools.studyflow import StudyRuntime
from edutools.studyflow.export import export_study, raw_tables
from edutools.survey.data import read_export, write_export
from edutools.survey.report import AnalysisOptions, analyze_export


def test_nothing_to_export_yet(store: Store, runtime: StudyRuntime) -> None:
    with pytest.raises(StudyError, match="no participant has finished yet"):
        export_study(store, runtime)
    run_participant(store, runtime, "busy", steps=3)
    with pytest.raises(StudyError, match="no participant has finished yet"):
        export_study(store, runtime)


def test_export_round_trip_and_analysis(
    store: Store, runtime: StudyRuntime, tmp_path: Path
) -> None:
    for i in range(10):
        run_participant(store, runtime, f"PROLIFIC{i}", seed=i)
    run_participant(store, runtime, "BAD", ok=False)
    run_participant(store, runtime, "UNFINISHED", steps=4)
    export = export_study(store, runtime)
    folder = write_export(export, tmp_path / "export")
    back = read_export(folder, "gsp")
    people = back.participants
    assert list(people["participant_id"]) == [f"P{i:04d}" for i in range(1, 12)]
    assert people["attention_passed"].tolist() == [True] * 10 + [False]
    text = "".join(p.read_text() for p in folder.iterdir())
    assert "PROLIFIC" not in text, "no Prolific id in the export"
    assert "BAD" not in text
    assert len(back.trials) == 10 * 3 + 2  # the excluded participant stopped after two trials
    assert set(back.questionnaires["participant_id"]) == {f"P{i:04d}" for i in range(1, 11)}
    assert len(back.questionnaires) == 100
    assert set(back.nodes["chain_id"]) == set(back.trials["chain_id"])
    raw = raw_tables(store, runtime)
    assert {"PROLIFIC0", "BAD", "UNFINISHED"} <= set(raw["participants"]["prolific_pid"])
    report = analyze_export(
        back,
        tmp_path / "report",
        options=AnalysisOptions.from_study(runtime.study, n_bootstrap=0),
    )
    assert report.report.read_text().startswith("# Style-preference analysis: test-gsp-v1")

"""Study administration: finding study files, participant links, progress and downloads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from studyflow_fixtures import answer_current, run_participant

from edutools.errors import DataError
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


def test_find_studies_offers_studies_only_and_says_what_is_missing(study_path: Path) -> None:
    shipped = {(f.path.parent.name, f.path.name): f for f in find_studies(ROOT / "studies")}
    # the IRT validation study's settings file is not a participant study: not offered
    assert set(shipped) == {
        ("style_preference", "study.yaml"),
        ("style_preference", "pairwise.yaml"),
    }
    assert all(f.ready for f in shipped.values()), [f.problem for f in shipped.values()]
    assert shipped[("style_preference", "study.yaml")].study_id == "style-preference-gsp-v1"
    (study_path.parent / "stimuli.csv").rename(study_path.parent / "elsewhere.csv")
    missing = find_studies(study_path.parents[1])[0]
    assert not missing.ready
    assert "stimuli.csv is missing" in (missing.problem or "")
    (study_path.parent / "elsewhere.csv").rename(study_path.parent / "stimuli.csv")
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


def test_completion_codes_are_verified(store: Store, tmp_path: Path) -> None:
    import yaml
    from studyflow_fixtures import write_small_study

    from edutools.studyflow import load_bundle, load_runtime, register_study
    from edutools.studyflow.admin import verify_code_list

    path = write_small_study(tmp_path / "personal", design="pairwise")
    data = yaml.safe_load(path.read_text())
    del data["completion"]  # no Prolific code: every participant gets a personal code
    data["id"] = "personal-codes"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    study, stimuli = load_bundle(path)
    register_study(store, study, stimuli)
    runtime = load_runtime(store, study.id)
    assert runtime is not None
    run_participant(store, runtime, "DONE")
    run_participant(store, runtime, "HALF", steps=3)
    done = store.get_participant(runtime.study_id, "DONE")
    assert done is not None
    code = done.completion_code
    assert code is not None
    assert len(code) == 10
    # not the old sha256(study id + participant id): nobody can compute it without the secret
    import hashlib

    assert code != hashlib.sha256(f"{study.id}\x1fDONE".encode()).hexdigest()[:10].upper()
    rows = [
        ("DONE", code),
        ("DONE", code.lower()),  # codes are compared without case
        ("DONE", "ABCDEFGHIJ"),  # forged
        ("HALF", runtime.completion_code("HALF")),  # the right code, but never finished
        ("NOBODY", code),
    ]
    csv = "PROLIFIC_PID,entered_code\n" + "".join(f"{p},{c}\n" for p, c in rows)
    verdicts = verify_code_list(store, runtime, "codes.csv", csv.encode())
    assert verdicts["verdict"].tolist() == [
        "valid", "valid", "invalid code", "not completed", "unknown participant",
    ]  # fmt: skip
    assert verdicts["row"].tolist() == [2, 3, 4, 5, 6]
    with pytest.raises(DataError, match=r"codes.csv, row 1 \(header\): no code column"):
        verify_code_list(store, runtime, "codes.csv", b"participant_id,x\nA,1\n")


def test_the_preview_stores_nothing(store: Store, runtime: StudyRuntime) -> None:
    from edutools.studyflow import Identity, ParticipantFlow
    from edutools.studyflow.admin import preview_runtime

    copy, preview = preview_runtime(store, runtime.key)
    flow = ParticipantFlow.enter(copy, preview, Identity("preview"))
    while (pos := flow.position()).state == "step":
        answer_current(flow, pos)
    assert pos.state == "complete"
    tables = store.study_tables(runtime.study_id)
    assert tables["participants"].empty
    assert tables["trials"].empty
    assert tables["events"].empty
    assert runtime.gsp is not None
    assert runtime.gsp.trials_frame().empty

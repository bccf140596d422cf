"""50 simulated participants in 4 processes against a new SQLite file: nothing raw, lost or doubled.

The four processes start together on a database file that does not exist yet, so they race
to create the schema and to register the study; then each takes its participants through
every step, reloading before each step and answering each one twice.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from studyflow_fixtures import load_worker, write_small_study

from edutools.store import Store
from edutools.studyflow import load_runtime

N_PARTICIPANTS = 50
N_PROCESSES = 4


@pytest.mark.slow
def test_fifty_participants_in_four_processes(tmp_path: Path) -> None:
    study_path = write_small_study(tmp_path / "study", nodes=3)
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    assert not (tmp_path / "new.sqlite3").exists()
    keys = [f"L{i:02d}" for i in range(N_PARTICIPANTS)]
    batches = [keys[i::N_PROCESSES] for i in range(N_PROCESSES)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(N_PROCESSES) as pool:
        results = pool.starmap(
            load_worker, [(url, str(study_path), batch, i) for i, batch in enumerate(batches)]
        )
    problems = [p for r in results for p in r]
    assert problems == [], problems[0]

    store = Store.from_url(url)
    runtime = load_runtime(store, "test-gsp-v1")
    assert runtime is not None
    assert runtime.gsp is not None
    tables = store.study_tables(runtime.study_id)
    people = tables["participants"]
    assert sorted(people["participant_key"]) == keys
    assert (people["status"] == "completed").all(), people["status"].value_counts()
    # every non-GSP step once per participant: consent, instructions, practice, attention,
    # BFI-10, debrief
    trials = tables["trials"]
    assert len(trials) == N_PARTICIPANTS * 6
    assert not trials.duplicated(["participant_id", "trial_index"]).any()
    assert trials.groupby("participant_id").size().eq(6).all()
    assert len(tables["questionnaires"]) == N_PARTICIPANTS * 10
    gsp = runtime.gsp.trials_frame()
    assert len(gsp) == N_PARTICIPANTS * 3
    assert gsp.groupby("participant").size().eq(3).all()
    assert not gsp.duplicated(["chain", "node", "slot"]).any()
    events = tables["events"]
    assert (events["kind"] == "participant_assigned").sum() == N_PARTICIPANTS
    assert (events["kind"] == "participant_completed").sum() == N_PARTICIPANTS
    store.close()

"""The participant step machine: assignment, resuming, answering once, exclusion, completion."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from studyflow_fixtures import answer_current

from edutools.errors import StudyError
from edutools.store import Store
from edutools.studyflow import (
    Identity,
    ParticipantFlow,
    StudyRuntime,
    build_plan,
    load_bundle,
)


def _tables(store: Store, runtime: StudyRuntime) -> dict[str, pd.DataFrame]:
    return store.study_tables(runtime.study_id)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param(
            {"PROLIFIC_PID": "5f0c", "STUDY_ID": "s1", "SESSION_ID": "x9"},
            Identity("5f0c", "5f0c", "s1", "x9"),
            id="prolific",
        ),
        pytest.param({"pid": "anna-1"}, Identity("anna-1"), id="pid"),
        pytest.param({"study": "x"}, None, id="none"),
    ],
)
def test_identity_from_link(params: dict[str, str], expected: Identity | None) -> None:
    assert Identity.from_params(params) == expected


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"pid": "<script>"}, id="markup"),
        pytest.param({"pid": "a" * 65}, id="too-long"),
        pytest.param({"PROLIFIC_PID": "ok", "SESSION_ID": "a b"}, id="session-space"),
    ],
)
def test_identity_rejects_bad_ids(params: dict[str, str]) -> None:
    with pytest.raises(StudyError, match="is not valid; expected 1-64 letters"):
        Identity.from_params(params)


def test_plan_is_seeded_by_participant(study_path: Path) -> None:
    study, stimuli = load_bundle(study_path)
    a1, a2 = build_plan(study, stimuli, "a"), build_plan(study, stimuli, "a")
    assert a1 == a2
    kinds = [s.kind for s in a1]
    assert kinds == [
        "consent", "instructions", "practice", "gsp", "gsp", "attention", "gsp",
        "questionnaire", "debrief",
    ]  # fmt: skip
    others = [build_plan(study, stimuli, f"p{i}")[2].data for i in range(8)]
    assert len({str(o) for o in others}) > 1, "practice trials vary between participants"


@pytest.mark.parametrize(
    ("after", "position"),
    [pytest.param(0, 3, id="before-task"), pytest.param(99, 6, id="clamped-to-end")],
)
def test_attention_check_placement(tmp_path: Path, after: int, position: int) -> None:
    from studyflow_fixtures import write_small_study

    study, stimuli = load_bundle(write_small_study(tmp_path / "s", attention_after=after))
    kinds = [s.kind for s in build_plan(study, stimuli, "a")]
    assert kinds.index("attention") == position


def test_complete_session_with_repeats_and_reloads(store: Store, runtime: StudyRuntime) -> None:
    ident = Identity("P1", "P1", "S", "X")
    token = ParticipantFlow.enter(store, runtime, ident).token
    ident = Identity("P1", "P1", "S", "X", token=token)  # the page puts it into the URL
    seen = []
    while True:
        # every iteration is a "reload": a fresh flow object from the link's identity
        flow = ParticipantFlow.enter(store, runtime, ident)
        pos = flow.position()
        if pos.state == "complete":
            break
        assert pos.state == "step"
        assert pos.step is not None
        seen.append(pos.step.kind)
        assert answer_current(flow, pos) is True
        # a double click / rerun repeats the same write: nothing new is stored
        if pos.step.kind == "gsp":
            assert pos.trial is not None
            assert flow.answer_gsp(pos.trial, pos.trial.levels[0]) is False
        elif pos.step.kind != "debrief":
            assert answer_current(flow, pos) is False
    assert seen == [s.kind for s in flow.steps]
    assert pos.participant.status == "completed"
    assert pos.participant.completion_code == "STYLEPREF1"
    tables = _tables(store, runtime)
    non_gsp = [s for s in flow.steps if s.kind != "gsp"]
    assert len(tables["trials"]) == len(non_gsp)
    assert sorted(tables["trials"]["trial_index"]) == [s.index for s in non_gsp]
    assert len(tables["questionnaires"]) == 10
    assert runtime.gsp is not None
    gsp_trials = runtime.gsp.trials_frame()
    assert len(gsp_trials) == 3
    assert gsp_trials["participant"].tolist() == [str(flow.pid)] * 3
    # the stored plan came back on every reload: one assignment event only
    events = tables["events"]
    assert (events["kind"] == "participant_assigned").sum() == 1
    assert (events["kind"] == "participant_completed").sum() == 1


def test_failed_attention_check_excludes(store: Store, runtime: StudyRuntime) -> None:
    flow = ParticipantFlow.enter(store, runtime, Identity("P2"))
    while (pos := flow.position()).state == "step":
        assert pos.step is not None
        answer_current(flow, pos, attention_ok=False)
    assert pos.state == "excluded"
    assert pos.participant.status == "excluded"
    assert pos.participant.completion_code == "STYLEOUT1"
    progress = store.study_progress(runtime.study_id)
    assert (progress.started, progress.completed, progress.excluded) == (1, 0, 1)


def test_unreached_and_wrong_answers_are_refused(store: Store, runtime: StudyRuntime) -> None:
    flow = ParticipantFlow.enter(store, runtime, Identity("P3"))
    debrief = flow.steps[-1].index
    with pytest.raises(StudyError, match="not reached yet: step 0 \\(consent\\) has no answer"):
        flow.answer(debrief, {})
    with pytest.raises(StudyError, match="only when the participant agrees"):
        flow.answer(0, {"agree": False})
    flow.decline()
    assert flow.position().step == flow.steps[0], "declining stores no answer"
    flow.answer(0, {"agree": True})
    flow.answer(1, {})
    practice = flow.steps[2]
    with pytest.raises(StudyError, match="outside \\[1, 5\\]"):
        flow.answer(practice.index, {"value": 9})
    with pytest.raises(StudyError, match="is not a attention step"):
        flow.answer_attention(practice.index, "Purple")
    q = next(s for s in flow.steps if s.kind == "questionnaire")
    with pytest.raises(StudyError, match="not reached yet"):
        flow.answer_questionnaire(q.index, {})


def test_concurrent_participants_with_duplicate_submits(
    store: Store, runtime: StudyRuntime
) -> None:
    """Eight participants at once, each submitting every answer twice in parallel."""

    def run(key: str) -> str:
        flow = ParticipantFlow.enter(store, runtime, Identity(key))
        while (pos := flow.position()).state == "step":
            with ThreadPoolExecutor(2) as pool:
                results = list(pool.map(lambda _: answer_current(flow, pos), range(2)))
            assert sorted(results) == [False, True] or pos.step.kind == "debrief"  # type: ignore[union-attr]
        return pos.state

    with ThreadPoolExecutor(8) as pool:
        states = list(pool.map(run, [f"C{i}" for i in range(8)]))
    assert states == ["complete"] * 8
    tables = _tables(store, runtime)
    assert not tables["trials"].duplicated(["participant_id", "trial_index"]).any()
    assert len(tables["trials"]) == 8 * 6
    assert runtime.gsp is not None
    assert len(runtime.gsp.trials_frame()) == 8 * 3


def test_pairwise_study_end_to_end(store: Store, tmp_path: Path) -> None:
    """A pairwise study: pairs drawn at assignment, choices stored once, a readable export."""
    from studyflow_fixtures import write_small_study

    from edutools.studyflow import load_runtime, register_study
    from edutools.studyflow.export import export_study
    from edutools.survey.data import read_export, write_export

    study, stimuli = load_bundle(write_small_study(tmp_path / "pw", design="pairwise"))
    register_study(store, study, stimuli)
    runtime = load_runtime(store, study.id)
    assert runtime is not None
    assert runtime.gsp is None
    flow = ParticipantFlow.enter(store, runtime, Identity("PW1"))
    kinds = [s.kind for s in flow.steps]
    assert kinds.count("pair") == 2 * 2  # two base items, two pairs each
    assert flow.steps[2].is_pair, "the practice of a pairwise study is a pair"
    while (pos := flow.position()).state == "step":
        assert pos.step is not None
        assert answer_current(flow, pos) is True
        if pos.step.kind == "pair":
            assert flow.answer(pos.step.index, {"choice": "B"}) is False, "a repeat is a no-op"
    assert pos.state == "complete"
    with pytest.raises(StudyError, match="is not one of"):
        flow.answer(flow.steps[3].index, {"choice": "C"})
    export = read_export(write_export(export_study(store, runtime), tmp_path / "export"))
    assert export.design == "pairwise"
    assert len(export.trials) == 4
    assert list(export.trials["choice"]) == ["B", "A", "B", "A"]
    assert set(export.styles["feature"]) >= {"n_words", "hedge_rate", "booster_rate"}


def test_another_id_without_its_token_never_resumes_a_session(
    store: Store, runtime: StudyRuntime
) -> None:
    from edutools.studyflow import SessionTakenError

    owner = ParticipantFlow.enter(store, runtime, Identity("OWNER", "OWNER"))
    while (pos := owner.position()).state == "step":
        answer_current(owner, pos)
    assert pos.participant.completion_code == "STYLEPREF1"
    other = ParticipantFlow.enter(store, runtime, Identity("VISITOR")).token
    for token in (None, other, "a" * 20):
        with pytest.raises(SessionTakenError, match="already started the study"):
            ParticipantFlow.enter(store, runtime, Identity("OWNER", "OWNER", token=token))
    again = ParticipantFlow.enter(store, runtime, Identity("OWNER", "OWNER", token=owner.token))
    assert again.position().state == "complete"
    refused = store.study_tables(runtime.study_id)["events"]
    assert (refused["kind"] == "session_refused").sum() == 3


def test_forged_tokens_in_the_link_are_refused() -> None:
    with pytest.raises(StudyError, match="session token is not valid"):
        Identity.from_params({"pid": "p1", "token": "<script>"})
    assert Identity.from_params({"pid": "p1", "token": "a" * 20}) == Identity("p1", token="a" * 20)


def test_the_participant_cap_holds_under_concurrent_arrivals(
    store: Store, study_path: Path
) -> None:
    import yaml

    from edutools.studyflow import StudyFullError, load_runtime, register_study

    data = yaml.safe_load(study_path.read_text())
    data["max_participants"] = 5
    data["id"] = "capped"
    study_path.write_text(yaml.safe_dump(data, sort_keys=False))
    study, stimuli = load_bundle(study_path)
    register_study(store, study, stimuli)
    runtime = load_runtime(store, "capped")
    assert runtime is not None

    def arrive(key: str) -> str:
        try:
            ParticipantFlow.enter(store, runtime, Identity(key))
        except StudyFullError:
            return "full"
        return "in"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(arrive, [f"N{i}" for i in range(20)]))
    assert outcomes.count("in") == 5
    assert store.count_participants(runtime.study_id) == 5

"""AppTest of the participant page: a whole session through the UI, reloads and repeats."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from edutools.settings import Settings
from edutools.store import Store
from edutools.studyflow import load_bundle, register_study
from edutools.studyflow.plan import FlowOptions

sys.path.insert(0, str(Path(__file__).parents[1] / "studyflow"))
from studyflow_fixtures import write_small_study


@pytest.fixture
def study_store(tmp_path: Path) -> Store:
    """The app's own store (from the environment) with the small study registered."""
    store = Store.from_settings(Settings.from_env())
    study, stimuli = load_bundle(write_small_study(tmp_path / "study"))
    # No minimum reading time: AppTest clicks faster than any participant.
    register_study(store, study, stimuli, FlowOptions(min_response_seconds=0))
    return store


def _open(app: Callable[..., AppTest], pid: str, **extra: str) -> AppTest:
    return app(
        study="test-gsp-v1", PROLIFIC_PID=pid, STUDY_ID="abc", SESSION_ID="s1", **extra
    ).run()


def _reload(app: Callable[..., AppTest], at: AppTest) -> AppTest:
    """A page reload: a new session on the address the browser shows now (with the token)."""
    return app(**{k: str(v) for k, v in at.query_params.items()}).run()


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def _answer(at: AppTest) -> AppTest:
    """Answer whatever step is shown."""
    labels = [b.label for b in at.button]
    if any(b.label.startswith("I have read") for b in at.button):
        return _click(at, next(x for x in labels if x.startswith("I have read")))
    if "Start" in labels:
        return _click(at, "Start")
    if "A is better" in labels:
        return _click(at, "A is better")
    if at.select_slider:
        slider = at.select_slider[0]
        slider.set_value(len(slider.options) - 1)  # the rightmost position
        at.run()
        return _click(at, "Submit")
    if at.radio and "Purple" in at.radio[0].options:
        at.radio[0].set_value("Purple")
        return _click(at, "Continue")
    if at.radio:
        for r in at.radio:
            r.set_value(3)
        at.button[0].click()  # the form's submit button
        return at.run()
    if "Finish" in labels:
        return _click(at, "Finish")
    raise AssertionError(
        f"unknown step: {[(e.type, str(getattr(e, 'value', ''))[:80]) for e in at.main]}"
    )


def test_no_navigation_and_unknown_study(app: Callable[..., AppTest], study_store: Store) -> None:
    at = app(study="no-such-study", PROLIFIC_PID="x").run()
    assert not at.exception
    assert at.error[0].value.startswith("This study link is not valid")
    assert not at.sidebar.children  # navigation hidden


def test_bad_participant_id_is_refused(app: Callable[..., AppTest], study_store: Store) -> None:
    at = app(study="test-gsp-v1", PROLIFIC_PID="<b>x</b>").run()
    assert "is not valid; expected 1-64 letters" in at.error[0].value


def test_link_without_id_gets_one_in_the_url(
    app: Callable[..., AppTest], study_store: Store
) -> None:
    at = app(study="test-gsp-v1").run()
    assert not at.exception
    assert len(at.query_params["pid"]) == 16
    assert at.subheader[0].value == "Information and consent"


def test_whole_session_with_reloads(app: Callable[..., AppTest], study_store: Store) -> None:
    at = _open(app, "PPP1")
    assert at.title[0].value.startswith("A small GSP test study")
    steps = 0
    while not any(h.value == "Thank you!" for h in at.header):
        assert not at.exception, at.exception
        before = at.progress[0].value if at.progress else None
        at = _answer(at)
        steps += 1
        if steps % 3 == 0:
            at = _reload(app, at)  # a new session on the same address
        assert steps < 30
        assert before is None or not at.progress or at.progress[0].value >= before
    assert at.code[0].value == "STYLEPREF1"
    assert at.link_button[0].value == "Return to Prolific"
    study = study_store.get_study("test-gsp-v1")
    assert study is not None
    tables = study_store.study_tables(study.study_id)
    assert len(tables["trials"]) == 6  # consent, instructions, practice, attention, bfi10, debrief
    assert len(tables["questionnaires"]) == 10
    p = tables["participants"].iloc[0]
    assert (p["prolific_pid"], p["prolific_study_id"], p["session_id"]) == ("PPP1", "abc", "s1")
    # another participant's link shows a fresh session, never this one
    other = _open(app, "PPP2")
    assert other.subheader[0].value == "Information and consent"


@pytest.mark.parametrize(
    "token",
    [pytest.param(None, id="no-token"), pytest.param("a" * 20, id="forged-token")],
)
def test_another_browser_with_the_id_but_not_the_token_is_refused(
    app: Callable[..., AppTest], study_store: Store, token: str | None
) -> None:
    owner = _open(app, "VICTIM")
    owner = _answer(owner)  # consent
    for _ in range(30):  # the owner finishes: their code is on their screen only
        if any(h.value == "Thank you!" for h in owner.header):
            break
        owner = _answer(owner)
    assert owner.code[0].value == "STYLEPREF1"
    visitor = _open(app, "VICTIM", **({"token": token} if token else {}))
    assert not visitor.exception
    assert visitor.error[0].value.startswith("This study link is already in use")
    assert not visitor.code, "no completion code for a visitor without the session's token"
    assert not visitor.button, "nothing to answer"
    assert visitor.query_params.get("token") == token, "the visitor is given no token"


def test_the_answer_follows_the_slider(app: Callable[..., AppTest], study_store: Store) -> None:
    at = _answer(_answer(_open(app, "MOVER")))  # consent, instructions: the practice trial
    assert at.select_slider
    seen = set()
    for position in range(len(at.select_slider[0].options)):
        at.select_slider[0].set_value(position)
        at.run()
        answer = next(m.value for m in at.markdown if m.value.startswith("\\["))
        seen.add(answer.split("]")[0])
    assert len(seen) == 3, seen  # three levels, three different rewrites


def test_new_participants_beyond_the_cap_are_turned_away(
    app: Callable[..., AppTest], tmp_path: Path
) -> None:
    import yaml

    path = write_small_study(tmp_path / "capped")
    data = yaml.safe_load(path.read_text())
    data["max_participants"] = 1
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    store = Store.from_settings(Settings.from_env())
    study, stimuli = load_bundle(path)
    register_study(store, study, stimuli, FlowOptions(min_response_seconds=0))
    first = _open(app, "FIRST")
    assert first.subheader[0].value == "Information and consent"
    second = _open(app, "SECOND")
    assert "cannot take new ones" in second.info[0].value
    assert _reload(app, first).subheader[0].value == "Information and consent", "FIRST goes on"


def test_answer_too_fast_is_not_recorded(app: Callable[..., AppTest], tmp_path: Path) -> None:
    store = Store.from_settings(Settings.from_env())
    study, stimuli = load_bundle(write_small_study(tmp_path / "study"))
    register_study(store, study, stimuli, FlowOptions(min_response_seconds=60))
    at = _open(app, "FAST")
    at = _answer(at)  # consent (no minimum time)
    at = _answer(at)  # instructions
    at = _click(at, "Submit")  # the practice trial, at once
    assert at.warning[0].value == "Please take a moment to read before you continue."
    assert at.select_slider, "still on the practice trial"
    info = store.get_study(study.id)
    assert info is not None
    assert len(store.study_tables(info.study_id)["trials"]) == 2


def test_late_second_click_of_a_double_click_is_ignored(study_store: Store) -> None:
    """The callback of a slider trial that is no longer on screen records nothing."""
    from edutools.studyflow import Identity, ParticipantFlow, load_runtime

    runtime = load_runtime(study_store, "test-gsp-v1")
    assert runtime is not None
    flow = ParticipantFlow.enter(study_store, runtime, Identity("LATE"))
    flow.answer(0, {"agree": True})
    flow.answer(1, {})
    practice = flow.steps[2]

    def script(flow: object, step: object) -> None:
        from edutools.app.pages import participant
        from edutools.survey.gsp import Trial

        trial = Trial.from_dict(step.data)  # type: ignore[attr-defined]
        participant._on_slider(flow, step, trial, "slider-gone")  # type: ignore[arg-type]

    at = AppTest.from_function(script, args=(flow, practice), default_timeout=30).run()
    assert not at.exception
    assert study_store.answered_trials(flow.pid) == [0, 1]


def test_pairwise_session(app: Callable[..., AppTest], tmp_path: Path) -> None:
    store = Store.from_settings(Settings.from_env())
    study, stimuli = load_bundle(write_small_study(tmp_path / "pw", design="pairwise"))
    register_study(store, study, stimuli, FlowOptions(min_response_seconds=0))
    at = app(study="test-pairwise-v1", PROLIFIC_PID="PAIR1").run()
    seen_pair = False
    for _ in range(20):
        if any(h.value == "Thank you!" for h in at.header):
            break
        if any(b.label == "A is better" for b in at.button):
            seen_pair = True
            assert {b.label for b in at.button} == {"A is better", "No preference", "B is better"}
            assert [m.value for m in at.markdown if m.value.startswith("**Answer")] == [
                "**Answer A**",
                "**Answer B**",
            ]
        at = _answer(at)
        assert not at.exception
    assert seen_pair
    assert at.code[0].value == "STYLEPREF1"
    info = store.get_study("test-pairwise-v1")
    assert info is not None
    trials = store.study_tables(info.study_id)["trials"]
    assert (trials["kind"] == "pair").sum() == 4
    assert set(trials.loc[trials["kind"] == "pair", "response"].map(lambda r: r["choice"])) == {"A"}


def test_failed_attention_check_ends_the_session(
    app: Callable[..., AppTest], study_store: Store
) -> None:
    at = _open(app, "INATTENTIVE")
    for _ in range(10):
        if at.radio and "Purple" in at.radio[0].options:
            at.radio[0].set_value("Red")
            at = _click(at, "Continue")
            break
        at = _answer(at)
    assert at.header[0].value == "Thank you for your time"
    assert "attention check" in at.warning[0].value
    assert at.code[0].value == "STYLEOUT1"
    at = _reload(app, at)  # a reload does not reopen the study
    assert at.header[0].value == "Thank you for your time"

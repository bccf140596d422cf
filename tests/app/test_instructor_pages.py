"""AppTests of the Generate, Review and Export pages (local engine; LLM engines on the stub server)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from edutools import io
from edutools.llm.stubserver import StubServer
from edutools.schema import Course
from edutools.settings import Settings
from edutools.store import Store


def _course(n: int) -> Course:
    course = io.read_course(io.example_course_dir())
    keep = course.questions[:n]
    ids = {q.id for q in keep}
    return course.model_copy(
        update={
            "id": f"bio{n}",
            "title": f"Biology, {n} questions",
            "questions": keep,
            "concepts": [c for c in course.concepts if c.id in {q.concept_id for q in keep}],
            "answers": [a for a in course.answers if a.question_id in ids],
        }
    )


def _store() -> Store:
    return Store.from_settings(Settings.from_env())


def _generate(at: AppTest, timeout: float = 60) -> AppTest:
    next(b for b in at.button if b.label == "Generate").click()
    at.run()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        if at.success:
            return at
        time.sleep(0.2)
    raise AssertionError("generation did not finish")


def test_generate_with_the_local_engine(app: Callable[..., AppTest]) -> None:
    _store().save_course(_course(3))
    at = app(page="generate").run()
    assert not at.exception
    assert at.radio[0].options == ["Local (no LLM, runs on this computer)"]
    assert "need an LLM provider" in at.caption[1].value
    at = _generate(at)
    assert at.progress[0].value == 100
    table = at.dataframe[0].value
    assert list(table["status"]) == ["generated"] * 3
    assert (table["items"] > 0).all()
    assert at.success[0].value.startswith("Finished in")
    runs = _store().list_runs("bio3")
    assert [(r.engine, r.n_questions_done, r.status) for r in runs] == [("local", 3, "complete")]
    # the same configuration again resumes the stored run instead of redoing it
    at = _generate(at)
    assert list(at.dataframe[0].value["status"]) == ["resumed"] * 3
    assert len(_store().list_runs("bio3")) == 1


@pytest.fixture
def llm_env(stub_server: StubServer, monkeypatch: pytest.MonkeyPatch) -> StubServer:
    """The app's settings point at the stub server."""
    monkeypatch.setenv("OPENAI_BASE_URL", stub_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "stub-key")
    monkeypatch.setenv("EDUTOOLS_MAX_RETRIES", "1")
    return stub_server


def test_generate_with_anaquest_on_the_stub_server(
    app: Callable[..., AppTest], llm_env: StubServer
) -> None:
    _store().save_course(_course(2))
    at = app(page="generate").run()
    at.radio[0].set_value("anaquest").run()
    assert at.text_input[0].value == Settings.from_env().model
    at = _generate(at)
    assert list(at.dataframe[0].value["status"]) == ["generated"] * 2
    assert "LLM calls" in at.success[0].value
    assert llm_env.requests, "the engine talked to the stub server"
    assert {r.stage for r in llm_env.requests} >= {"analyse", "judge", "rewrite"}
    bank = _store().load_bank(_store().list_runs("bio2")[0].run_id)
    assert bank.run.engine == "anaquest"
    assert bank.items


def test_stop_keeps_finished_questions(
    app: Callable[..., AppTest], llm_env: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store().save_course(_course(4))
    llm_env.latency = 0.3
    monkeypatch.setenv("EDUTOOLS_MAX_CONCURRENCY", "1")  # two questions in flight at a time
    at = app(page="generate").run()
    at.radio[0].set_value("baseline").run()
    next(b for b in at.button if b.label == "Generate").click()
    at.run()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        at.run()
        done = at.dataframe and (at.dataframe[0].value["status"] == "generated").any()
        if done:
            break
        time.sleep(0.05)
    stop = next(b for b in at.button if b.label == "Stop")
    stop.click()
    at.run()
    while not at.success and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    statuses = list(at.dataframe[0].value["status"])
    finished = statuses.count("generated")
    assert 1 <= finished < 4, statuses
    run = _store().list_runs("bio4")[0]
    assert (run.status, run.n_questions_done) == ("partial", finished)
    # starting again does only what is missing
    llm_env.latency = 0.0
    at = _generate(at)
    statuses = list(at.dataframe[0].value["status"])
    assert statuses.count("resumed") == finished
    assert statuses.count("generated") == 4 - finished


def _with_local_run(n: int = 2) -> tuple[Store, int]:
    from edutools.generate import run

    store = _store()
    course = _course(n)
    store.save_course(course)
    run(course, "local", Settings.from_env(), store=store)
    return store, store.list_runs(course.id)[0].run_id


def test_review_edits_are_saved_as_made(app: Callable[..., AppTest]) -> None:
    store, run_id = _with_local_run()
    bank = store.load_bank(run_id)
    first = bank.items[0]
    at = app(page="review").run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Items"] == str(len(bank.items))
    assert at.selectbox(key="review_item").value == first.id
    prefix = f"{run_id}-{first.id}"
    at.text_area(key=f"stem-{prefix}").input("Which statement about cells is correct?").run()
    saved = store.load_bank(run_id).items[0]
    assert saved.stem == "Which statement about cells is correct?"
    # an edit that breaks a rule is refused with a message, nothing saved
    at.text_input(key=f"opt-{prefix}-1").input(first.options[0].text).run()
    assert "options 1 and 2 are the same text" in at.error[0].value
    assert store.load_bank(run_id).items[0].options[1].text == first.options[1].text
    at.text_input(key=f"opt-{prefix}-1").input(first.options[1].text).run()
    at.radio(key=f"status-{prefix}").set_value("accepted").run()
    assert store.load_bank(run_id).items[0].status == "accepted"
    # foils show the student answers behind them
    foil = next(i for i, o in enumerate(first.options) if not o.is_key)
    support = bank.assertion(first.options[foil].assertion_id or "").support
    if support:
        label = f"Student answers behind option {'ABCDEF'[foil]} ({len(support)})"
        assert any(e.label == label for e in at.expander)


def test_review_table_callback_saves_status(app: Callable[..., AppTest]) -> None:
    """The table's on_change callback (AppTest cannot click into a data editor's cells)."""
    store, run_id = _with_local_run()

    def script(run_id: int) -> None:
        import streamlit as st

        from edutools.app import resources
        from edutools.app.pages import review

        store = resources.store()
        bank = store.load_bank(run_id)
        course = store.get_course(bank.course_id)
        key = "items-test"
        st.session_state[key] = {"edited_rows": {1: {"status": "rejected", "stem": "New stem?"}}}
        review._on_table(run_id, bank, course, key, [i.id for i in bank.items])

    at = AppTest.from_function(script, args=(run_id,), default_timeout=60).run()
    assert not at.exception
    edited = store.load_bank(run_id).items[1]
    assert (edited.status, edited.stem) == ("rejected", "New stem?")


def test_review_and_export_without_runs(app: Callable[..., AppTest]) -> None:
    for page in ("review", "export"):
        at = app(page=page).run()
        assert not at.exception
        assert at.info[-1].value == "No items yet: generate them on the Generate page."


def test_export_offers_every_format(app: Callable[..., AppTest]) -> None:
    store, run_id = _with_local_run()
    bank = store.load_bank(run_id)
    store.save_item(run_id, bank.items[0].model_copy(update={"status": "rejected"}))
    at = app(page="export").run()
    assert not at.exception
    labels = [b.label for b in at.download_button]
    assert labels == ["GIFT", "Moodle XML", "QTI 1.2 (Canvas, zip)", "CSV"]
    assert f"{len(bank.items) - 1} items will be exported" in at.caption[0].value
    at.toggle[0].set_value(True).run()
    assert f"{len(bank.items)} items will be exported" in at.caption[0].value

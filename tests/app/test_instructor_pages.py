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
    assert not [t for t in at.text_input if t.label == "Model"], "no Model box for the local engine"
    at = _generate(at)
    assert at.progress[0].value == 100
    table = at.dataframe[0].value
    assert list(table["status"]) == ["generated"] * 3
    assert (table["items"].astype(int) > 0).all()
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
    assert not [t for t in at.text_input if t.label == "Model"]
    at.radio[0].set_value("anaquest").run()
    assert at.text_input[0].label == "Model"
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
    at.radio(key=f"status-{prefix}-draft").set_value("accepted").run()
    assert store.load_bank(run_id).items[0].status == "accepted"
    assert at.radio(key=f"status-{prefix}-accepted").value == "accepted"
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
        assert course is not None
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


def test_review_table_callback_does_not_replay_old_edits(app: Callable[..., AppTest]) -> None:
    """An edit already saved (and changed since elsewhere) is not written again."""
    store, run_id = _with_local_run()

    def script(run_id: int) -> None:
        import streamlit as st

        from edutools.app import resources
        from edutools.app.pages import review

        store = resources.store()
        bank = store.load_bank(run_id)
        course = store.get_course(bank.course_id)
        assert course is not None
        key = "items-test"
        # row 0 asks for the status it has already: nothing to write
        st.session_state[key] = {"edited_rows": {0: {"status": bank.items[0].status}}}
        review._on_table(run_id, bank, course, key, [i.id for i in bank.items])

    at = AppTest.from_function(script, args=(run_id,), default_timeout=60).run()
    assert not at.exception
    with store.engine.connect() as conn:
        import sqlalchemy as sa

        from edutools.store.tables import items

        revisions = conn.execute(
            sa.select(items.c.revision).where(items.c.run_id == run_id)
        ).scalars()
        assert set(revisions) == {1}


def _editor_key(at: AppTest) -> str:
    key = at.data_editor[0].key
    assert key is not None
    assert key.startswith("items-")
    return key


def test_review_bulk_accept_and_reject_selected(app: Callable[..., AppTest]) -> None:
    store, run_id = _with_local_run()
    bank = store.load_bank(run_id)
    at = app(page="review").run()
    assert not at.exception
    assert at.data_editor[0].value["select"].tolist() == [False] * len(bank.items)
    key = _editor_key(at)
    # ticking rows is the data editor's state (AppTest seeds it; a browser clicks it)
    at.session_state[key] = {
        "edited_rows": {0: {"select": True}, 2: {"select": True}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    accept = next(b for b in at.button if b.label == "Accept selected (2)")
    accept.click().run()
    assert not at.exception
    saved = store.load_bank(run_id)
    assert [i.status for i in saved.items[:3]] == ["accepted", "draft", "accepted"]
    assert {m.label: m.value for m in at.metric}["Accepted"] == "2"
    # the table is fresh after the save: no ticks left
    assert _editor_key(at) != key
    assert next(b for b in at.button if b.label.startswith("Reject selected")).disabled
    at.session_state[_editor_key(at)] = {
        "edited_rows": {2: {"select": True}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    next(b for b in at.button if b.label == "Reject selected (1)").click().run()
    assert store.load_bank(run_id).items[2].status == "rejected"


def test_review_accept_all_without_warnings_asks_first(app: Callable[..., AppTest]) -> None:
    store, run_id = _with_local_run(3)
    bank = store.load_bank(run_id)
    clean = [
        i.id for i in bank.items if not any(f.severity in ("warning", "error") for f in i.flags)
    ]
    warned = [i.id for i in bank.items if i.id not in clean]
    assert clean, "the example course gives items without warnings"
    assert warned, "and items with warnings"
    at = app(page="review").run()
    button = next(b for b in at.button if b.label.startswith("Accept all without warnings"))
    assert button.label == f"Accept all without warnings ({len(clean)})"
    button.click().run()
    assert {i.status for i in store.load_bank(run_id).items} == {"draft"}, "nothing yet"

    def asking() -> list[str]:
        return [w.value for w in at.warning if w.value.startswith("Accept ")]

    assert asking() == [
        f"Accept {len(clean)} items that are not reviewed yet and carry no warning? You can "
        "still reject any of them later."
    ]
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert not asking()
    next(b for b in at.button if b.label.startswith("Accept all without warnings")).click().run()
    next(b for b in at.button if b.label == f"Yes, accept {len(clean)} items").click().run()
    assert not at.exception
    statuses = {i.id: i.status for i in store.load_bank(run_id).items}
    assert {statuses[i] for i in clean} == {"accepted"}
    assert {statuses[i] for i in warned} == {"draft"}
    # a second confirmation finds nothing left to accept
    assert next(b for b in at.button if b.label.startswith("Accept all without warnings")).disabled


def test_review_filter_by_flag_shows_option_letters(app: Callable[..., AppTest]) -> None:
    store, run_id = _with_local_run(3)
    bank = store.load_bank(run_id)
    lettered = next(f for i in bank.items for f in i.flags if f.options)
    at = app(page="review").run()
    names = at.selectbox(key="review_flag").options
    assert names[0] == "All items"
    assert any(n.startswith("Without flags (") for n in names)
    at.selectbox(key="review_flag").set_value(lettered.check).run()
    table = at.data_editor[0].value
    expected = [i.id for i in bank.items if lettered.check in {f.check for f in i.flags}]
    assert list(table["id"]) == expected
    letters = ", ".join("ABCDEF"[i] for i in lettered.options)
    assert any(f"{lettered.check} ({letters})" in f for f in table["flags"])
    # the item's detail names the options a flag concerns
    at.selectbox(key="review_item").set_value(expected[0]).run()
    notes = [w.value for w in at.warning] + [i.value for i in at.info] + [e.value for e in at.error]
    assert any(n.startswith(lettered.check.replace("_", "\\_")) for n in notes), notes
    at.selectbox(key="review_flag").set_value("(no flags)").run()
    unflagged = [i.id for i in bank.items if not i.flags]
    assert list(at.data_editor[0].value["id"]) == unflagged
    assert set(at.data_editor[0].value["flags"]) <= {""}


def test_review_answers_show_blank_grades(app: Callable[..., AppTest]) -> None:
    _with_local_run(3)
    at = app(page="review").run()
    tables = [t.value for t in at.table]
    assert tables, "the answers behind the options are listed"
    for table in tables:
        assert list(table.columns) == ["answer", "grade", "text"]
        assert not {"None", "nan"} & set(table["grade"])


def test_export_accepted_by_default_with_counts(app: Callable[..., AppTest]) -> None:
    store, run_id = _with_local_run()
    bank = store.load_bank(run_id)
    at = app(page="export").run()
    assert not at.exception
    assert at.radio(key="export_status").value == "accepted"
    assert at.radio(key="export_status").options == [
        "Accepted items only (0)",
        f"Accepted and not yet reviewed ({len(bank.items)})",
        f"All items, rejected ones too ({len(bank.items)})",
    ]
    # nothing accepted: no download, a message that says how to accept items
    assert not at.download_button
    assert at.warning[0].value == (
        f"No accepted items to export yet ({len(bank.items)} not yet reviewed, 0 rejected)."
    )
    assert "Accept selected" in at.markdown[0].value
    store.save_item(run_id, bank.items[0].model_copy(update={"status": "accepted"}))
    store.save_item(run_id, bank.items[1].model_copy(update={"status": "accepted"}))
    store.save_item(run_id, bank.items[2].model_copy(update={"status": "rejected"}))
    at = app(page="export").run()
    labels = [b.label for b in at.download_button]
    assert labels == ["GIFT", "Moodle XML", "QTI 1.2 (Canvas, zip)", "CSV"]
    assert "**2 items will be exported.**" in [m.value for m in at.markdown]
    assert list(at.dataframe[0].value["item"]) == [bank.items[0].id, bank.items[1].id]
    at.radio(key="export_status").set_value("reviewed").run()
    assert f"**{len(bank.items) - 1} items will be exported.**" in [m.value for m in at.markdown]
    at.radio(key="export_status").set_value("all").run()
    assert f"**{len(bank.items)} items will be exported.**" in [m.value for m in at.markdown]

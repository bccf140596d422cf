"""Storage: the same tests on SQLite and (when EDUTOOLS_TEST_PG_URL is set) PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from edutools.errors import ConfigError, StudyError
from edutools.schema import (
    Assertion,
    Concept,
    Course,
    Item,
    Option,
    Provenance,
    Question,
    StudentAnswer,
    Usage,
)
from edutools.store import Store, make_engine
from edutools.store.tables import events, items, participants, questionnaire_responses, trials


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store.from_url(database_url)
    yield s
    s.close()


def _course(answer_text: str = "Plants make sugar from CO2 and water using light.") -> Course:
    return Course(
        id="bio",
        title="Biology",
        concepts=[Concept(id="C1", name="Photosynthesis")],
        questions=[
            Question(
                id="Q1",
                concept_id="C1",
                text="Where does plant mass come from?",
                reference_answer="From CO2.",
            ),
            Question(
                id="Q2",
                concept_id="C1",
                text="What does chlorophyll do?",
                reference_answer="Absorbs light.",
            ),
        ],
        answers=[StudentAnswer(id="A1", student_id="s1", question_id="Q1", text=answer_text)],
    )


def _question_output(qid: str) -> tuple[list[Assertion], list[Item]]:
    a = [
        Assertion(
            id=f"{qid}-a1",
            question_id=qid,
            text="Most plant mass comes from carbon dioxide.",
            truth="correct",
        ),
        Assertion(
            id=f"{qid}-a2",
            question_id=qid,
            text="Most plant mass comes from the soil.",
            truth="foil",
            support=["A1"],
        ),
    ]
    item = Item(
        id=f"local-{qid}-01",
        source="local",
        concept_id="C1",
        question_id=qid,
        form="correct_key",
        stem="Which statement is correct?",
        options=[
            Option(text=a[0].text, is_key=True, assertion_id=a[0].id),
            Option(text=a[1].text, is_key=False, assertion_id=a[1].id),
        ],
    )
    return a, [item]


def _count(store: Store, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


# --------------------------------------------------------------------------- courses


def test_course_revisions(store: Store) -> None:
    assert store.save_course(_course()) == 1
    assert store.save_course(_course()) == 1, "unchanged content must keep its revision"
    assert store.save_course(_course("Mass comes from carbon dioxide.")) == 2
    loaded = store.get_course("bio")
    assert loaded is not None
    assert loaded.answers[0].text == "Mass comes from carbon dioxide."
    assert [c.course_id for c in store.list_courses()] == ["bio"]
    assert store.get_course("nope") is None


# --------------------------------------------------------------------------- generation runs


def test_run_is_resumable_and_question_writes_are_idempotent(store: Store) -> None:
    course = _course()
    prov = Provenance(engine="local", parameters={"k": 2})
    run = store.start_run(course, prov)
    assert store.start_run(course, prov) == run, "the same configuration resumes the same run"
    assert store.start_run(course, Provenance(engine="local", parameters={"k": 3})) != run
    changed_code = Provenance(engine="local", parameters={"k": 2}, code_hash="0" * 64)
    assert store.start_run(course, changed_code) != run, "a changed engine starts a new run"

    a, it = _question_output("Q1")
    assert store.save_question(run, "Q1", a, it, Usage(calls=2)) is True
    assert store.save_question(run, "Q1", a, it, Usage(calls=2)) is False, (
        "a repeated save writes nothing"
    )
    assert store.completed_questions(run) == {"Q1"}
    a2, it2 = _question_output("Q2")
    store.save_question(run, "Q2", a2, it2)
    assert _count(store, items) == 2

    bank = store.load_bank(run)
    assert [i.id for i in bank.items] == ["local-Q1-01", "local-Q2-01"]
    assert bank.items[0] == it[0]
    assert bank.k == 2
    store.finish_run(run, Usage(calls=4, prompt_tokens=10))
    assert store.load_bank(run).run.usage == Usage(calls=4, prompt_tokens=10)
    info = store.list_runs("bio")
    assert (info[-1].n_questions_done, info[-1].n_items, info[-1].status) == (2, 2, "complete")


def test_item_edit_creates_revision_not_a_second_row(store: Store) -> None:
    run = store.start_run(_course(), Provenance(engine="local"))
    a, it = _question_output("Q1")
    store.save_question(run, "Q1", a, it)
    edited = it[0].model_copy(
        update={"stem": "Which statement about plant mass is correct?", "status": "accepted"}
    )
    assert store.save_item(run, edited) == 2
    assert store.save_item(run, edited) == 3
    assert _count(store, items) == 1
    bank = store.load_bank(run)
    assert bank.items[0].stem == "Which statement about plant mass is correct?"
    assert bank.items[0].status == "accepted"


# --------------------------------------------------------------------------- responses


def test_datasets_and_calibrations_are_stored_once(store: Store) -> None:
    frame = pd.DataFrame(
        [[1, 0, np.nan], [0, 1, 1]],
        index=pd.Index(["p1", "p2"], name="person"),
        columns=pd.Index(["i1", "i2", "i3"], name="item"),
    ).astype(float)
    ds = store.save_dataset("toy", frame)
    assert store.save_dataset("toy again", frame) == ds
    pd.testing.assert_frame_equal(store.load_dataset(ds), frame)
    cal = store.save_calibration(ds, "2pl", {"n_quadrature": 61}, {"loglik": -1.5})
    assert store.save_calibration(ds, "2pl", {"n_quadrature": 61}, {"loglik": -9.9}) == cal
    assert store.get_calibration(ds, "2pl", {"n_quadrature": 61}) == {"loglik": -1.5}
    assert store.get_calibration(ds, "2pl", {"n_quadrature": 41}) is None


# --------------------------------------------------------------------------- studies


def test_double_write_of_a_trial_leaves_exactly_one_row(store: Store) -> None:
    study = store.create_study("s1", "Style study", {"design": "pairwise"})
    p = store.assign_participant(study, "PID1", {"order": [2, 0, 1]})
    assert (
        store.record_trial(
            p.participant_id, 0, "pairwise", {"pair": [1, 2]}, {"choice": "A"}, 812.0
        )
        is True
    )
    assert (
        store.record_trial(p.participant_id, 0, "pairwise", {"pair": [1, 2]}, {"choice": "B"}, 95.0)
        is False
    )
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(trials.c.response)).all()
    assert rows == [({"choice": "A"},)], "the first answer is kept, the repeat is dropped"
    assert store.answered_trials(p.participant_id) == [0]
    store.record_trial(p.participant_id, 1, "attention", {}, {"correct": False})
    assert store.trial_responses(p.participant_id) == {0: {"choice": "A"}, 1: {"correct": False}}
    assert store.trial_responses(p.participant_id, "attention") == {1: {"correct": False}}


def test_concurrent_double_submit_keeps_one_row(store: Store) -> None:
    study = store.create_study("s1", "Style study", {"design": "pairwise"})
    p = store.assign_participant(study, "PID1", {"order": [0, 1]})
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def submit() -> None:
        barrier.wait()
        results.append(store.record_trial(p.participant_id, 1, "pairwise", {}, {"choice": "A"}))

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert _count(store, trials) == 1


def test_participant_assignment_is_stable_across_reloads(store: Store) -> None:
    study = store.create_study("s1", "Style study", {"design": "gsp"})
    first = store.assign_participant(
        study, "PID1", {"order": [0, 1, 2]}, prolific_pid="PID1", session_id="S1"
    )
    again = store.assign_participant(study, "PID1", {"order": [2, 1, 0]})
    assert again.plan == {"order": [0, 1, 2]}
    assert again.participant_id == first.participant_id
    assert again.session_id == "S1"
    assert _count(store, participants) == 1


def test_questionnaire_and_completion_are_idempotent(store: Store) -> None:
    study = store.create_study("s1", "Style study", {"design": "gsp"})
    p = store.assign_participant(study, "PID1", {})
    assert store.record_questionnaire(p.participant_id, "bfi10", {"1": 4, "2": 2}) == 2
    assert store.record_questionnaire(p.participant_id, "bfi10", {"1": 5, "3": 1}) == 1
    assert _count(store, questionnaire_responses) == 3
    done = store.finish_participant(p.participant_id, "completed", "C0DE")
    assert (done.status, done.completion_code) == ("completed", "C0DE")
    again = store.finish_participant(p.participant_id, "excluded", "OTHER")
    assert (again.status, again.completion_code) == ("completed", "C0DE")
    progress = store.study_progress(study)
    assert (progress.started, progress.completed, progress.excluded) == (1, 1, 0)
    tables = store.study_tables(study)
    assert len(tables["questionnaires"]) == 3
    assert list(tables["events"]["kind"]) == ["participant_assigned", "participant_completed"]


def test_changed_study_definition_is_refused(store: Store) -> None:
    store.create_study("s1", "Style study", {"design": "gsp"})
    assert (
        store.create_study("s1", "Style study", {"design": "gsp"}) == store.get_study("s1").study_id
    )  # type: ignore[union-attr]
    with pytest.raises(StudyError, match="already exists with a different definition"):
        store.create_study("s1", "Style study", {"design": "pairwise"})


@pytest.mark.parametrize(
    "statement", ["UPDATE events SET kind = 'x'", "DELETE FROM events"], ids=["update", "delete"]
)
def test_event_log_is_append_only(store: Store, statement: str) -> None:
    store.log_event("app_started", {"version": 1})
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), store.engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert _count(store, events) == 1


# --------------------------------------------------------------------------- engines


def test_sqlite_pragmas(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/sub/dir/db.sqlite3")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        store.record_trial(999, 0, "pairwise", {}, {})


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("not a url", "is not a database URL", id="garbage"),
        pytest.param("mysql://u@h/db", "unsupported database 'mysql'", id="mysql"),
    ],
)
def test_bad_database_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_engine(url)

"""GSP on a database: atomic head claims under concurrency, timeouts, and parity with memory.

Runs on SQLite, and on PostgreSQL too when EDUTOOLS_TEST_PG_URL is set
(``eval "$(.ci/postgres.sh)"``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pandas as pd
import pytest

from edutools.errors import StudyError
from edutools.store import Store
from edutools.studyflow.gsp import DatabaseGSP
from edutools.survey.gsp import (
    GSPDesign,
    GSPDimension,
    InMemoryGSP,
    UtilityResponder,
    next_vector,
)

LEVELS = (1.0, 2.0, 3.0, 4.0, 5.0)
DIMS = tuple(GSPDimension(f"d{i}", 1.0, 5.0, LEVELS) for i in range(3))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store.from_url(database_url)
    yield s
    s.close()


def _setup(store: Store, n_participants: int, key: str = "gsp") -> tuple[int, list[int]]:
    study_id = store.create_study(key, "GSP test", {"design": "gsp"})
    ids = [
        store.assign_participant(study_id, f"p{i}", {}).participant_id
        for i in range(n_participants)
    ]
    return study_id, ids


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_only_one_of_many_racing_participants_claims_a_chain(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    design = GSPDesign(DIMS, ("b1",), chain_type="across", chains_per_experiment=1)
    study_id, ids = _setup(store, 8)
    gsp = DatabaseGSP(store.engine, study_id, design)
    # Force the worst interleaving: every participant reads the chain as free, then all of
    # them try to claim it at once. Only the conditional UPDATE can keep this to one winner.
    read = DatabaseGSP._candidates
    local = threading.local()
    barrier = threading.Barrier(len(ids))

    def read_then_wait(self: DatabaseGSP, pid: int) -> object:
        found = read(self, pid)
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait(timeout=30)
        return found

    monkeypatch.setattr(DatabaseGSP, "_candidates", read_then_wait)
    for round_ in range(3):
        barrier.reset()
        won: list[int] = []
        errors: list[BaseException] = []

        def claim(pid: int, won: list[int] = won, errors: list[BaseException] = errors) -> None:
            local.waited = False
            try:
                if gsp.next_trial(pid) is not None:
                    won.append(pid)
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=claim, args=(pid,)) for pid in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert len(won) == 1, f"round {round_}: {len(won)} participants claimed the same head"
        gsp.release(won[0])


def test_concurrent_participants_keep_every_chain_consistent(store: Store) -> None:
    design = GSPDesign(
        DIMS, ("b1", "b2"), chain_type="across", chains_per_experiment=4,
        max_nodes_per_chain=5, trials_per_node=2, allow_revisiting_chains=True, seed=3,
    )  # fmt: skip
    study_id, ids = _setup(store, 6)
    gsp = DatabaseGSP(store.engine, study_id, design)
    errors: list[BaseException] = []

    def participate(pid: int) -> None:
        respond = UtilityResponder((2.0, 4.0, 3.0), temperature=0.2, seed=pid)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                trial = gsp.next_trial(pid)
                if trial is None:
                    if gsp.is_finished(pid):
                        return
                    time.sleep(0.005)
                    continue
                gsp.submit(pid, trial, respond(trial))
            raise TimeoutError(f"participant {pid} did not finish")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=participate, args=(pid,)) for pid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    nodes, trials = gsp.nodes_frame(), gsp.trials_frame()
    assert (nodes.groupby("chain")["node"].max() == 5).all()
    assert len(nodes) == 4 * 6
    assert len(trials) == 4 * 5 * 2
    per_node = trials.groupby(["chain", "node"])
    assert (per_node.size() == 2).all()
    assert (per_node["participant"].nunique() == 2).all()  # never the same node twice
    assert sorted(trials.groupby(["chain", "node"])["slot"].apply(list).map(tuple).unique()) == [
        (0, 1)
    ]
    # Each node's vector is the aggregate of the previous node's trials.
    for (chain, node), grp in per_node:
        before = nodes[(nodes.chain == chain) & (nodes.node == node)].iloc[0]
        after = nodes[(nodes.chain == chain) & (nodes.node == node + 1)].iloc[0]
        active = design.names.index(grp["dimension"].iloc[0])
        expected = next_vector(
            design,
            tuple(before[list(design.names)]),
            active,
            grp.sort_values("slot")["response"].tolist(),
        )
        assert tuple(after[list(design.names)]) == expected


def test_claim_timeout_and_takeover(store: Store) -> None:
    clock = _Clock()
    design = GSPDesign(
        DIMS, ("b1",), chain_type="across", chains_per_experiment=1, claim_timeout_seconds=30
    )
    study_id, (p1, p2) = _setup(store, 2)
    gsp = DatabaseGSP(store.engine, study_id, design, clock=clock)
    t1 = gsp.next_trial(p1)
    assert t1 is not None
    assert gsp.next_trial(p1) == t1  # a reload gets the same trial back
    clock.now += 29
    assert gsp.next_trial(p2) is None
    assert not gsp.is_finished(p2)
    clock.now += 31  # the claim was renewed at the reload; now it has lapsed
    t2 = gsp.next_trial(p2)
    assert t2 is not None
    assert t2.token != t1.token
    assert (t2.chain, t2.node, t2.slot, t2.vector) == (t1.chain, t1.node, t1.slot, t1.vector)
    with pytest.raises(StudyError, match="no longer claimed"):
        gsp.submit(p1, t1, 3.0)
    assert gsp.submit(p2, t2, 3.0) is True
    assert gsp.submit(p2, t2, 3.0) is False  # a double click writes nothing
    assert len(gsp.trials_frame()) == 1


def test_out_of_range_response_is_refused(store: Store) -> None:
    study_id, (p1,) = _setup(store, 1)
    gsp = DatabaseGSP(store.engine, study_id, GSPDesign(DIMS, ("b1",)))
    trial = gsp.next_trial(p1)
    assert trial is not None
    with pytest.raises(StudyError, match=r"outside its range \[1.0, 5.0\]"):
        gsp.submit(p1, trial, 7.0)


def test_store_and_memory_run_the_same_chains(store: Store) -> None:
    design = GSPDesign(
        DIMS, ("b1", "b2", "b3"), chains_per_participant=2, max_nodes_per_chain=6,
        randomize_dimension_order=True, seed=5,
    )  # fmt: skip
    study_id, ids = _setup(store, 3)
    db = DatabaseGSP(store.engine, study_id, design)
    mem = InMemoryGSP(design)
    for pid in ids:
        db.join(pid)
        db.join(pid)  # idempotent
        mem.join(f"p{pid}")
    for pid in ids:
        respond = UtilityResponder((4.0, 2.0, 3.0), temperature=0.1, seed=pid)
        while (t := db.next_trial(pid)) is not None:
            db.submit(pid, t, respond(t), rt_ms=1500.0)
        while (m := mem.next_trial(f"p{pid}")) is not None:
            mem.submit(f"p{pid}", m, respond(m), rt_ms=1500.0)
        assert db.is_finished(pid)
    cols = ["chain", "base_item", "node", "active_dimension", "complete", *design.names]
    pd.testing.assert_frame_equal(db.nodes_frame()[cols], mem.nodes_frame()[cols])
    tcols = [c for c in db.trials_frame().columns if c != "participant"]
    assert len(db.trials_frame()) == len(mem.trials_frame()) == 3 * 2 * 6
    db_sorted = db.trials_frame().sort_values(["chain", "node"]).reset_index(drop=True)
    mem_sorted = mem.trials_frame().sort_values(["chain", "node"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(db_sorted[tcols], mem_sorted[tcols])
    per_item = db.nodes_frame().drop_duplicates("chain")["base_item"].value_counts()
    assert per_item.max() - per_item.min() <= 1


def test_the_same_trial_submitted_from_two_tabs_at_once_is_written_once(store: Store) -> None:
    study_id, (p1,) = _setup(store, 1)
    gsp = DatabaseGSP(store.engine, study_id, GSPDesign(DIMS, ("b1",), max_nodes_per_chain=3))
    trial = gsp.next_trial(p1)
    assert trial is not None
    barrier = threading.Barrier(4)
    results: list[object] = []

    def submit() -> None:
        barrier.wait()
        try:
            results.append(gsp.submit(p1, trial, 4.0))
        except BaseException as exc:
            results.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(repr, results)) == ["False", "False", "False", "True"]
    assert len(gsp.trials_frame()) == 1


def _locked() -> Exception:
    import sqlite3

    import sqlalchemy as sa

    return sa.exc.OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))


def test_a_busy_database_is_retried_then_named_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    import sqlalchemy as sa

    from edutools.store import engine as store_engine

    monkeypatch.setattr(store_engine, "BUSY_PAUSE_S", 0.0)
    calls = {"n": 0}

    @store_engine.retry_busy
    def flaky(fail: int) -> str:
        calls["n"] += 1
        if calls["n"] <= fail:
            raise _locked()
        return "done"

    assert flaky(store_engine.BUSY_ATTEMPTS - 1) == "done"
    calls["n"] = 0
    with pytest.raises(store_engine.StorageError) as info:
        flaky(99)
    assert calls["n"] == store_engine.BUSY_ATTEMPTS
    assert str(info.value) == (
        f"the database stayed busy through {store_engine.BUSY_ATTEMPTS} attempts; "
        "wait a moment and try again"
    )

    @store_engine.retry_busy
    def broken() -> None:
        raise sa.exc.IntegrityError("INSERT ...", {}, sqlite3.IntegrityError("UNIQUE failed"))

    with pytest.raises(sa.exc.IntegrityError):  # a caller's bug is not hidden as "busy"
        broken()


def test_the_schema_is_created_once_per_process(tmp_path: object) -> None:
    import sqlalchemy as sa

    from edutools.store import Store

    url = f"sqlite:///{tmp_path}/once.sqlite3"
    created: list[str] = []
    first = Store.from_url(url)
    sa.event.listen(first.engine, "before_cursor_execute", lambda *a: created.append(a[2]))
    again = Store(first.engine)  # another study load, another store on the same database
    again.get_study("none")
    assert not any("CREATE" in s or "PRAGMA main.table_info" in s for s in created)
    first.close()

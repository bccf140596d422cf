"""generate.run: faults, resume after an outage / Ctrl-C / cancel, cache, usage, arguments."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _llm_helpers import FAST_RETRY, example_course, signature

from edutools.errors import ConfigError, DataError, GenerationError
from edutools.generate import QuestionProgress, run
from edutools.llm.stubserver import StubServer
from edutools.schema import Course, Usage
from edutools.settings import Settings
from edutools.store import Store

OPTIONS: dict[str, Any] = {"max_items": 4, "retry": FAST_RETRY}
ANSWERED = {None, "malformed_json", "schema_invalid", "truncated"}  # faults that still bill a reply


@pytest.fixture(scope="module")
def course() -> Course:
    return example_course(3)


@pytest.fixture(scope="module")
def clean(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The bank of a fault-free run, to compare every faulty run with."""
    data = tmp_path_factory.mktemp("clean")
    with StubServer() as stub:
        settings = stub.settings(Settings.from_env({"EDUTOOLS_DATA_DIR": str(data)}))
        return signature(run(course, "anaquest", settings, **OPTIONS))


@pytest.fixture
def llm_settings(stub_server: StubServer, settings: Settings) -> Settings:
    return stub_server.settings(settings, timeout=0.5)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    db = Store.from_settings(settings)
    yield db
    db.close()


def billed(stub: StubServer) -> int:
    return sum(r.fault in ANSWERED for r in stub.requests)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param("rate_limit", id="429"),
        pytest.param("server_error", id="500"),
        pytest.param("timeout", id="timeout"),
        pytest.param("malformed_json", id="malformed-json"),
        pytest.param("schema_invalid", id="schema-invalid"),
        pytest.param("truncated", id="truncated"),
    ],
)
def test_a_run_with_faults_completes_with_nothing_lost_or_duplicated(
    stub_server: StubServer,
    llm_settings: Settings,
    course: Course,
    clean: dict[str, Any],
    fault: Any,
) -> None:
    # a stalled reply takes 4 s, the client waits 1.5 s: far apart, so a busy machine's slow
    # but normal replies are never taken for timeouts
    settings = llm_settings.with_(timeout=1.5) if fault == "timeout" else llm_settings
    for after in (0, 4, 9):
        stub_server.inject(fault, after=after, delay=4.0)
    bank = run(course, "anaquest", settings, **OPTIONS)
    assert [r.fault for r in stub_server.requests].count(fault) == 3
    assert signature(bank) == clean
    assert bank.run.usage is not None
    assert bank.run.usage.calls == billed(stub_server)
    assert not stub_server.errors


def test_outage_then_resume_does_only_the_missing_question(
    stub_server: StubServer, llm_settings: Settings, course: Course, clean: dict[str, Any]
) -> None:
    third = course.questions[2].text
    stub_server.inject("server_error", count=10**6, when=lambda body: third in str(body))
    events: list[QuestionProgress] = []
    with pytest.raises(
        GenerationError, match=r"1 of 3 question\(s\) failed \(Q03: the LLM provider kept failing"
    ):
        run(course, "anaquest", llm_settings, progress=events.append, **OPTIONS)
    assert sorted((e.question_id, e.status) for e in events) == [
        ("Q01", "generated"),
        ("Q02", "generated"),
        ("Q03", "failed"),
    ]
    stub_server.clear_faults()
    before = len(stub_server.requests)
    events.clear()
    bank = run(course, "anaquest", llm_settings, progress=events.append, **OPTIONS)
    assert sorted((e.question_id, e.status) for e in events) == [
        ("Q01", "resumed"),
        ("Q02", "resumed"),
        ("Q03", "generated"),
    ]
    assert all(third in r.text for r in stub_server.requests[before:])
    assert signature(bank) == clean


def test_ctrl_c_then_resume(llm_settings: Settings, course: Course, clean: dict[str, Any]) -> None:
    def interrupt(event: QuestionProgress) -> None:
        if event.status == "generated":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(course, "anaquest", llm_settings, progress=interrupt, **OPTIONS)
    events: list[QuestionProgress] = []
    bank = run(course, "anaquest", llm_settings, progress=events.append, **OPTIONS)
    # the question reported before the interrupt is saved; questions whose save was under
    # way finish it (a transaction), the rest are generated now
    statuses = {e.question_id: e.status for e in events}
    assert len(statuses) == 3
    assert "resumed" in statuses.values()
    assert signature(bank) == clean


def test_cancel_keeps_what_is_done(llm_settings: Settings) -> None:
    # six questions and one call slot: three questions are in flight at a time, so the last
    # three cannot have started when the first finished question sets the cancel
    course = example_course(6)
    stop = threading.Event()
    events: list[QuestionProgress] = []

    def on_progress(event: QuestionProgress) -> None:
        events.append(event)
        if event.status == "generated":
            stop.set()

    partial = run(
        course,
        "anaquest",
        llm_settings.with_(max_concurrency=1),
        progress=on_progress,
        cancel=stop,
        **OPTIONS,
    )
    done = {e.question_id for e in events if e.status == "generated"}
    assert 1 <= len(done) <= 3
    assert {e.question_id for e in events if e.status == "cancelled"} == {
        q.id for q in course.questions
    } - done
    assert {i.question_id for i in partial.items} == done
    events.clear()
    bank = run(course, "anaquest", llm_settings, progress=events.append, **OPTIONS)
    assert {e.question_id for e in events if e.status == "resumed"} == done
    assert {i.question_id for i in bank.items} == {q.id for q in course.questions}
    kept = bank.model_copy(
        update={
            "items": [i for i in bank.items if i.question_id in done],
            "assertions": [a for a in bank.assertions if a.question_id in done],
        }
    )
    assert signature(kept) == signature(partial)


class _CancelDuringSave(Store):
    """A store whose first save sets the cancel event and then commits slowly."""

    def __init__(self, url: str, stop: threading.Event) -> None:
        super().__init__(Store.from_url(url).engine)
        self.stop = stop
        self.first: str | None = None

    def save_question(self, *args: Any, **kwargs: Any) -> bool:
        if not self.stop.is_set():
            self.first = args[1]  # (run_id, question_id, ...)
            self.stop.set()
            time.sleep(0.3)  # the runner's watcher cancels the task while this thread writes
        return super().save_question(*args, **kwargs)


def test_a_cancel_during_a_save_keeps_and_reports_that_question(
    llm_settings: Settings, tmp_path: Path
) -> None:
    # six questions and one call slot: three are in flight at a time, so three have not
    # started when the first save sets the cancel (the two others in flight may finish)
    course = example_course(6)
    stop = threading.Event()
    db = _CancelDuringSave(f"sqlite:///{tmp_path / 'db.sqlite3'}", stop)
    events: list[QuestionProgress] = []
    bank = run(
        course,
        "anaquest",
        llm_settings.with_(max_concurrency=1),
        store=db,
        progress=events.append,
        cancel=stop,
        **OPTIONS,
    )
    generated = {e.question_id for e in events if e.status == "generated"}
    cancelled = {e.question_id for e in events if e.status == "cancelled"}
    assert db.first in generated, "the question whose save was under way is kept"
    assert cancelled, "questions not yet started are cancelled"
    assert generated | cancelled == {q.id for q in course.questions}
    assert not generated & cancelled
    assert {i.question_id for i in bank.items} == generated
    run_id = db.list_runs()[0].run_id
    assert db.completed_questions(run_id) == generated
    db.close()


def test_a_cached_rerun_makes_no_http_call(
    stub_server: StubServer,
    llm_settings: Settings,
    course: Course,
    clean: dict[str, Any],
    tmp_path: Path,
) -> None:
    first = run(course, "anaquest", llm_settings, **OPTIONS)
    sent = len(stub_server.requests)
    fresh = Store.from_url(f"sqlite:///{tmp_path / 'other.sqlite3'}")  # nothing to resume from
    second = run(course, "anaquest", llm_settings, store=fresh, **OPTIONS)
    fresh.close()
    assert len(stub_server.requests) == sent
    assert first.run.usage is not None
    assert second.run.usage == Usage(cached_calls=first.run.usage.calls)
    assert signature(second) == signature(first) == clean


def test_a_repeated_run_resumes_everything(
    stub_server: StubServer, llm_settings: Settings, course: Course
) -> None:
    run(course, "anaquest", llm_settings, **OPTIONS)
    sent = len(stub_server.requests)
    again = run(course, "anaquest", llm_settings, **OPTIONS)
    assert len(stub_server.requests) == sent
    assert again.run.usage == Usage()


def test_usage_is_the_sum_over_questions(
    stub_server: StubServer, llm_settings: Settings, course: Course
) -> None:
    events: list[QuestionProgress] = []
    bank = run(course, "anaquest", llm_settings, progress=events.append, **OPTIONS)
    assert bank.run.usage is not None
    assert bank.run.usage.calls == sum(e.usage.calls for e in events) == len(stub_server.requests)
    assert bank.run.usage.prompt_tokens == sum(e.usage.prompt_tokens for e in events)


def test_stored_run_keeps_the_total_over_resumes(
    stub_server: StubServer, llm_settings: Settings, course: Course, store: Store
) -> None:
    run(course, "anaquest", llm_settings, store=store, question_ids=["Q01"], **OPTIONS)
    run(course, "anaquest", llm_settings, store=store, **OPTIONS)
    (info,) = store.list_runs(course.id)
    assert info.status == "complete"
    total = store.load_bank(info.run_id).run.usage
    assert total is not None
    assert total.calls == len(stub_server.requests)


def test_subset_of_questions(llm_settings: Settings, course: Course) -> None:
    events: list[QuestionProgress] = []
    bank = run(
        course, "anaquest", llm_settings, progress=events.append, question_ids=["Q02"], **OPTIONS
    )
    assert {i.question_id for i in bank.items} == {"Q02"}
    assert [(e.question_id, e.done, e.total) for e in events] == [("Q02", 1, 1)]


def test_local_engine_needs_no_provider(settings: Settings, course: Course) -> None:
    events: list[QuestionProgress] = []
    bank = run(course, "local", settings, progress=events.append)
    assert bank.run.engine == "local"
    assert bank.items
    assert all(e.status == "generated" for e in events)
    assert bank.run.usage == Usage()
    events.clear()
    assert signature(run(course, "local", settings, progress=events.append)) == signature(bank)
    assert all(e.status == "resumed" for e in events)


def test_rejected_key_stops_the_run(
    stub_server: StubServer, llm_settings: Settings, course: Course
) -> None:
    stub_server.inject("server_error", status=401, count=10**6)
    with pytest.raises(ConfigError, match="rejected the API key"):
        run(course, "anaquest", llm_settings, **OPTIONS)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"engine": "gpt"}, ConfigError, "unknown engine 'gpt'", id="engine"),
        pytest.param(
            {"engine": "anaquest"}, ConfigError, "no LLM provider configured", id="no-provider"
        ),
        pytest.param(
            {"engine": "baseline"},
            ConfigError,
            "no LLM provider configured",
            id="no-provider-baseline",
        ),
        pytest.param(
            {"question_ids": ["Q99"]},
            DataError,
            "question id 'Q99' is not in course",
            id="question",
        ),
    ],
)
def test_bad_arguments(
    settings: Settings, course: Course, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        run(course, settings=settings, **kwargs)


def test_api_key_is_written_nowhere(llm_settings: Settings, course: Course, tmp_path: Path) -> None:
    out = tmp_path / "bank.json"
    bank = run(course, "anaquest", llm_settings, **OPTIONS)
    out.write_text(bank.model_dump_json())
    key = llm_settings.openai_api_key
    assert key
    files = [p for p in [*llm_settings.data_dir.rglob("*"), out] if p.is_file()]
    assert any(p.suffix == ".sqlite3" for p in files)
    for path in files:
        assert key.encode() not in path.read_bytes(), path

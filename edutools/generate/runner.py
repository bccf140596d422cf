"""Run an engine over a course, saving question by question so an interrupted run resumes.

:func:`run` starts (or finds) the stored run for this course and configuration, skips the
questions already saved, generates the rest (LLM engines: several questions at a time,
their calls bounded by ``Settings.max_concurrency``) and saves each question's assertions
and items as soon as it completes. A Ctrl-C, a crash, a provider outage or a cancel event
loses only the questions in flight; running again does only what is missing, and the LLM
cache makes even those cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from edutools.errors import ConfigError, DataError, GenerationError
from edutools.generate._llm_engine import LLMEngine
from edutools.generate.anaquest import AnaQuestEngine
from edutools.generate.assemble import FormMix, QuestionResult
from edutools.generate.baseline import BaselineEngine
from edutools.generate.claims import ClaimReview
from edutools.generate.local import LocalEngine
from edutools.llm import LLMClient, RetryPolicy, run_async
from edutools.llm.client import CALL_PRIORITY, ChainPriority
from edutools.schema import Course, ItemBank, Question, Usage
from edutools.settings import Settings
from edutools.store import Store

__all__ = ["ENGINES", "QuestionProgress", "add_usage", "run"]

ENGINES = ("anaquest", "baseline", "local")
Status = Literal["generated", "resumed", "failed", "cancelled"]


@dataclass(frozen=True)
class QuestionProgress:
    """One question finished (or skipped, failed, cancelled), for a progress display.

    ``done`` counts the questions settled so far out of ``total``; ``usage`` is what this
    question's generation cost now (zero when ``resumed`` from storage).
    """

    question_id: str
    status: Status
    done: int
    total: int
    items: int = 0
    usage: Usage = field(default_factory=Usage)
    message: str = ""


Progress = Callable[[QuestionProgress], None]


def run(
    course: Course,
    engine: str = "local",
    settings: Settings | None = None,
    k: int = 4,
    mix: FormMix = FormMix(),  # noqa: B008 - frozen dataclass, safe as a default
    store: Store | None = None,
    progress: Progress | None = None,
    question_ids: Sequence[str] | None = None,
    *,
    model: str | None = None,
    seed: int = 0,
    max_items: int | None = None,
    self_check: bool = True,
    token_budget: int = 6000,
    cancel: threading.Event | None = None,
    retry: RetryPolicy | None = None,
    batch: bool = False,
    on_batch: Callable[[str], None] | None = None,
    reviews: Mapping[str, ClaimReview] | None = None,
    confirmed_only: bool = False,
) -> ItemBank:
    """Generate an item bank for ``course`` with one engine, resuming a stored run.

    Parameters
    ----------
    course : Course
        Concepts, questions with reference answers, student answers.
    engine : {"anaquest", "baseline", "local"}
        ``local`` needs no LLM; the others need ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL``.
    settings : Settings, optional
        Provider, model, concurrency, cache, database; default ``Settings.from_env()``.
    k : int
        Options per item.
    mix : FormMix
        Shares of ``correct_key``, ``foil_key`` and ``select_all`` items.
    store : Store, optional
        Where results are saved as each question completes; default the database of
        ``settings``.
    progress : callable, optional
        Called with a :class:`QuestionProgress` whenever a question is settled.
    question_ids : sequence of str, optional
        Only these questions (default all).
    model : str, optional
        Overrides ``settings.model`` (LLM engines).
    seed : int
        Seeds option order.
    max_items : int, optional
        Upper bound on items per question.
    self_check : bool
        LLM engines: let the model review every item (adds ``llm_self_check`` flags).
    token_budget : int
        LLM engines: most estimated prompt tokens per request; answers are batched to fit.
    cancel : threading.Event, optional
        Set it (from any thread) to stop: finished questions stay saved, questions in
        flight are dropped, and the bank of what is done is returned.
    retry : RetryPolicy, optional
        Backoff for 429/5xx/timeouts (default from ``settings.max_retries``).
    batch : bool
        LLM engines: send each stage's requests for every question as one batch through
        OpenAI's Batch API (half the price; see :mod:`edutools.llm.batch`). A run stopped
        mid-batch picks its batches up again when started again.
    on_batch : callable, optional
        ``on_batch(line)`` for each batch submitted, picked up again or finished.
    reviews : mapping of question id to ClaimReview, optional
        The local engine: the instructor's claim labels, edits and merges (see
        :mod:`edutools.generate.claims`); they settle truth over the engine's predictions.
    confirmed_only : bool
        The local engine: only claims the instructor labelled (and the reference answers)
        become options.

    Returns
    -------
    ItemBank
        Items and assertions of the requested questions, in course order. ``run.usage`` is
        what this call spent: real HTTP calls and their tokens and cost, and cache hits
        apart (a resumed or repeated run reports only its own calls).

    Raises
    ------
    ConfigError
        Unknown engine, no LLM provider for an LLM engine, or a provider that rejects the
        key, the model or the structured-output method.
    DataError
        A requested question id is not in the course.
    GenerationError
        Some questions failed after retries and re-asks; the others are saved, and
        running again resumes.

    Example
    -------
    >>> from edutools import io
    >>> course = io.read_course(io.example_course_dir())
    >>> bank = run(course, "local", Settings.from_env({"EDUTOOLS_DATA_DIR": "/tmp/edutools-doc"}))
    >>> bank.run.engine, len({i.question_id for i in bank.items}) == len(course.questions)
    ('local', True)
    """
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    settings = settings or Settings.from_env()
    if engine != "local":
        settings.require_api_access()
    targets = _targets(course, question_ids)
    own_store = store is None
    db = Store.from_settings(settings) if store is None else store
    options = {"k": k, "mix": mix, "seed": seed, "max_items": max_items}
    llm_options = {"self_check": self_check, "token_budget": token_budget}
    local_options = {"reviews": dict(reviews or {}), "confirmed_only": confirmed_only}
    client_options = {"model": model, "retry": retry, "batch": batch, "batch_notify": on_batch}
    try:
        return run_async(
            lambda: _Run(course, targets, db, progress, cancel).go(
                engine, settings, options, {**llm_options, **local_options}, client_options
            )
        )
    finally:
        if own_store:
            db.close()


def add_usage(a: Usage | None, b: Usage) -> Usage:
    """The sum of two usages (``a`` may be None)."""
    if a is None:
        return b
    return Usage(
        calls=a.calls + b.calls,
        cached_calls=a.cached_calls + b.cached_calls,
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
        cost_usd=round(a.cost_usd + b.cost_usd, 8),
    )


def _targets(course: Course, question_ids: Sequence[str] | None) -> list[Question]:
    if question_ids is None:
        return list(course.questions)
    known = {q.id for q in course.questions}
    unknown = [q for q in question_ids if q not in known]
    if unknown:
        raise DataError(
            f"question id {unknown[0]!r} is not in course {course.id!r}; its questions are "
            f"{', '.join(sorted(known))}"
        )
    wanted = set(question_ids)
    return [q for q in course.questions if q.id in wanted]


@contextlib.asynccontextmanager
async def _engine(
    engine: str,
    settings: Settings,
    options: dict[str, Any],
    llm_options: dict[str, Any],
    client_options: dict[str, Any],
) -> AsyncIterator[LocalEngine | LLMEngine]:
    local_keys = ("reviews", "confirmed_only")
    if engine == "local":
        yield LocalEngine(**options, **{k: v for k, v in llm_options.items() if k in local_keys})
        return
    async with LLMClient(settings, **client_options) as client:
        cls = AnaQuestEngine if engine == "anaquest" else BaselineEngine
        yield cls(
            client, **options, **{k: v for k, v in llm_options.items() if k not in local_keys}
        )


class _Run:
    """One call of :func:`run`: the bookkeeping between engine, store and progress."""

    def __init__(
        self,
        course: Course,
        targets: list[Question],
        store: Store,
        progress: Progress | None,
        cancel: threading.Event | None,
    ) -> None:
        self.course = course
        self.targets = targets
        self.store = store
        self.progress = progress
        self.cancel = cancel
        self.done = 0

    def _report(self, question: Question, status: Status, **fields: Any) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(
                QuestionProgress(question.id, status, self.done, len(self.targets), **fields)
            )

    async def go(
        self,
        engine: str,
        settings: Settings,
        options: dict[str, Any],
        llm_options: dict[str, Any],
        client_options: dict[str, Any],
    ) -> ItemBank:
        async with _engine(engine, settings, options, llm_options, client_options) as eng:
            provenance = eng.provenance(self.course)
            run_id = self.store.start_run(self.course, provenance)
            saved = self.store.completed_questions(run_id)
            for q in self.targets:
                if q.id in saved:
                    self._report(q, "resumed")
            pending = [q for q in self.targets if q.id not in saved]
            # LLM engines keep three times as many questions going as there are call slots,
            # and the client hands a free slot to the question with the most calls still to
            # make (see ChainPriority): the later questions' calls fill the slots an earlier
            # question's chain leaves idle while it waits for its next stage, and no question
            # is left to run its chain alone at the end
            width = 1 if isinstance(eng, LocalEngine) else 3 * settings.max_concurrency
            if client_options["batch"]:
                width = max(1, len(pending))  # every question's stage in one batch
            failures = await self._generate(eng, run_id, pending, width)
            usage = eng.client.usage() if isinstance(eng, LLMEngine) else Usage()
        complete = not failures and set(self.store.completed_questions(run_id)) >= {
            q.id for q in self.course.questions
        }
        bank = self.store.load_bank(run_id)
        # the stored run keeps the total over every call that worked on it
        self.store.finish_run(
            run_id, add_usage(bank.run.usage, usage), status="complete" if complete else "partial"
        )
        wanted = {q.id for q in self.targets}
        bank = bank.model_copy(
            update={
                "items": [i for i in bank.items if i.question_id in wanted],
                "assertions": [a for a in bank.assertions if a.question_id in wanted],
                "run": bank.run.model_copy(update={"usage": usage}),
                "answer_ids": {
                    q.id: [a.id for a in self.course.answers_to(q.id)] for q in self.targets
                },
            }
        )
        if failures:
            first_id, first_error = next(iter(failures.items()))
            raise GenerationError(
                f"{len(failures)} of {len(self.targets)} question(s) failed ({first_id}: {first_error}); "
                f"the {len(self.targets) - len(failures)} finished question(s) are saved; run the same "
                "command again to resume",
                [f"{q}: {e}" for q, e in failures.items()],
            )
        return bank

    async def _generate(
        self, eng: LocalEngine | LLMEngine, run_id: int, pending: list[Question], width: int
    ) -> dict[str, str]:
        slots = asyncio.Semaphore(width)
        failures: dict[str, str] = {}

        async def one(q: Question, priority: int) -> None:
            CALL_PRIORITY.set(ChainPriority(priority))  # this question's calls only
            async with slots:
                if self.cancel is not None and self.cancel.is_set():
                    raise asyncio.CancelledError
                try:
                    if isinstance(eng, LocalEngine):
                        result: QuestionResult = await asyncio.to_thread(
                            eng.process, self.course, q
                        )
                    else:
                        result = await eng.aprocess(self.course, q)
                except GenerationError:
                    raise  # this question only; the others go on
                except Exception:
                    # a bad key, model or setting fails every question alike: stop them all
                    stop_all()
                    raise
                save = asyncio.ensure_future(
                    asyncio.to_thread(
                        self.store.save_question,
                        run_id,
                        q.id,
                        result.assertions,
                        result.items,
                        usage=result.usage,
                        notes=result.notes,
                    )
                )
                # A finished question is kept: a cancel that arrives while its save runs (in a
                # thread, which a cancel cannot stop) waits for the save and reports it as
                # generated, so the progress events always match what storage holds.
                while not save.done():
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.shield(save)
                save.result()
                self._report(
                    q,
                    "generated",
                    items=len(result.items),
                    usage=result.usage,
                    message="; ".join(result.notes),
                )
                if self.cancel is not None and self.cancel.is_set():
                    # set by the progress callback, or meanwhile: stop the others now, not
                    # at the watcher's next look (other questions may finish in between)
                    stop_all()

        tasks: dict[asyncio.Task[None], Question] = {}
        halted = False

        def stop_all() -> None:
            nonlocal halted
            halted = True
            for t in tasks:
                if t is not asyncio.current_task():
                    t.cancel()

        if not pending:
            return failures
        watcher = asyncio.create_task(self._watch(tasks, stop_all))
        try:
            for i, q in enumerate(pending):
                if halted:
                    break
                tasks[asyncio.create_task(one(q, i))] = q
                # let each question get going before the next one starts: its CPU work before
                # its first call (masking, rendering) then runs while earlier calls are in
                # flight, instead of all questions' at once delaying the first call
                await asyncio.sleep(0)
            if tasks:
                await asyncio.wait(tasks)
        finally:
            watcher.cancel()
            for t in tasks:
                t.cancel()
            # let the cancelled questions unwind (their requests close their connections)
            # before the caller closes the client; a Ctrl-C lands here while calls are in flight
            await asyncio.gather(watcher, *tasks, return_exceptions=True)
        for q in pending[len(tasks) :]:
            self._report(q, "cancelled")  # never started: the run was stopped first
        fatal: BaseException | None = None
        for task, q in tasks.items():
            if task.cancelled():
                self._report(q, "cancelled")
                continue
            exc = task.exception()
            if isinstance(exc, GenerationError):
                failures[q.id] = str(exc)
                self._report(q, "failed", message=str(exc))
            elif exc is not None and fatal is None:
                fatal = exc
        if fatal is not None:
            raise fatal
        return failures

    async def _watch(
        self, tasks: Mapping[asyncio.Task[None], Question], stop_all: Callable[[], None]
    ) -> None:
        """Stop the questions in flight (and those not yet started) once the cancel event is set."""
        if self.cancel is None:
            return
        while not self.cancel.is_set():
            await asyncio.sleep(0.05)
        stop_all()

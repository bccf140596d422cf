"""Benchmark: the anaquest engine against the stub server, at several concurrencies.

Every request to the stub takes a fixed latency, so the best possible wall time with
``C`` calls in flight is ``calls x latency / C`` (the "ideal"). The benchmark reports the
wall time against it, the number of calls and tokens per item, and then repeats the run on
a fresh database with the same LLM cache: that second run must make 0 HTTP calls.

Each question is a chain of dependent calls (analyse, judge, rewrite, merge, self-check: 5 x
latency at least), so the ideal is reachable only when there are many more questions than
call slots. The workload is therefore a department-sized course: the example course's 12
questions repeated ``--copies`` times (default 8: 96 questions, ~490 calls), each copy's
question text marked "(section k)" so that no request repeats another. ``--copies 1`` is the
example course alone (at 16 slots its 12 chains cannot fill them: about 45 % of ideal).

The stub runs in its own process (``python -m edutools.llm.stubserver``), as a provider
would: in-process, its threads would compete with the client for the GIL.

Run: ``.venv/bin/python benchmarks/bench_generate.py [--latency 0.5] [--concurrency 4 8 16]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from edutools import io
from edutools.generate import run
from edutools.llm.stubserver import STUB_API_KEY
from edutools.schema import Course, ItemBank
from edutools.settings import Settings
from edutools.store import Store


@contextmanager
def stub_process(latency: float) -> Iterator[str]:
    """A stub server in a child process; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "edutools.llm.stubserver", "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def stats(base_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base_url}/stub/stats", timeout=5) as resp:
        return dict(json.loads(resp.read()))


def course_copies(copies: int) -> Course:
    """The example course with its questions (and their answers) repeated ``copies`` times."""
    course = io.read_course(io.example_course_dir())
    if copies == 1:
        return course
    questions, answers = [], []
    for k in range(1, copies + 1):
        for q in course.questions:
            questions.append(
                q.model_copy(update={"id": f"{q.id}s{k}", "text": f"{q.text} (section {k})"})
            )
        for a in course.answers:
            answers.append(
                a.model_copy(update={"id": f"{a.id}s{k}", "question_id": f"{a.question_id}s{k}"})
            )
    return course.model_copy(update={"questions": questions, "answers": answers})


def one_run(
    settings: Settings, db: Path, max_items: int | None, course: Course
) -> tuple[ItemBank, float]:
    store = Store.from_url(f"sqlite:///{db}")
    try:
        start = time.perf_counter()
        bank = run(course, "anaquest", settings, store=store, max_items=max_items)
        return bank, time.perf_counter() - start
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per stub request")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[4, 8, 16], help="max concurrent calls"
    )
    parser.add_argument(
        "--copies", type=int, default=8, help="copies of the example course's 12 questions"
    )
    parser.add_argument("--goal", type=float, default=0.9, help="required share of the ideal")
    parser.add_argument(
        "--max-items", type=int, default=10, help="items per question (0: no limit)"
    )
    args = parser.parse_args(argv)
    max_items = args.max_items or None
    course = course_copies(args.copies)
    print(
        f"anaquest over {len(course.questions)} questions ({args.copies} x the example course), "
        f"stub latency {args.latency:.3f} s per call, at most {max_items or 'unlimited'} items "
        "per question"
    )
    print(
        f"{'conc':>4} {'calls':>6} {'items':>6} {'tok/item':>9} {'wall s':>8} {'ideal s':>8} "
        f"{'share':>6} {'peak':>5} | {'cached run: http calls':>22} {'cached calls':>13} {'wall s':>7}"
    )
    worst = 1.0
    cache_ok = True
    for concurrency in args.concurrency:
        with tempfile.TemporaryDirectory() as tmp, stub_process(args.latency) as url:
            base = Settings.from_env({"EDUTOOLS_DATA_DIR": tmp})
            settings = base.with_(
                openai_base_url=url, openai_api_key=STUB_API_KEY, max_concurrency=concurrency
            )
            bank, wall = one_run(settings, Path(tmp) / "first.sqlite3", max_items, course)
            usage = bank.run.usage
            assert usage is not None
            seen = stats(url)
            if seen["requests"] != usage.calls:
                print(
                    f"usage counted {usage.calls} calls, the stub saw {seen['requests']}",
                    file=sys.stderr,
                )
                cache_ok = False
            ideal = usage.calls * args.latency / concurrency
            share = ideal / wall
            tokens = (usage.prompt_tokens + usage.completion_tokens) / max(1, len(bank.items))
            again, wall2 = one_run(settings, Path(tmp) / "second.sqlite3", max_items, course)
            http2 = stats(url)["requests"] - seen["requests"]
            cached = again.run.usage.cached_calls if again.run.usage else 0
            print(
                f"{concurrency:>4} {usage.calls:>6} {len(bank.items):>6} {tokens:>9.0f} {wall:>8.2f} "
                f"{ideal:>8.2f} {share:>6.0%} {seen['max_in_flight']:>5} | {http2:>22} {cached:>13} {wall2:>7.2f}"
            )
            worst = min(worst, share)
            cache_ok = cache_ok and http2 == 0 and seen["max_in_flight"] <= concurrency
    met = worst >= args.goal and cache_ok
    print(
        f"lowest share of ideal {worst:.0%} (goal {args.goal:.0%} at every concurrency); cached re-runs made "
        f"{'0 HTTP calls' if cache_ok else 'HTTP calls or miscounted'}: {'goal met' if met else 'goal NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())

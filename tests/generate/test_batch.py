"""`edutools generate --batch`: one batch per stage, a restart mid-batch, the same bank as online.

The stub server answers OpenAI's files and batches endpoints. The first process is killed
(SIGKILL: nothing of it runs on) while its first batch is held in progress at the stub; the
second process must pick that batch up instead of paying for its requests again, and end
with the bank the online path writes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _llm_helpers import FAST_RETRY, example_course, signature

from edutools import io
from edutools.generate import run
from edutools.llm.stub_responder import request_stage
from edutools.llm.stubserver import STUB_API_KEY, StubServer
from edutools.settings import Settings

EXE = str(Path(sys.executable).parent / "edutools")
QUESTIONS = ("Q01", "Q02")


def _env(stub: StubServer, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EDUTOOLS_"))}
    env.update(
        OPENAI_BASE_URL=stub.base_url,
        OPENAI_API_KEY=STUB_API_KEY,
        EDUTOOLS_DATA_DIR=str(data_dir),
        EDUTOOLS_BATCH_POLL_SECONDS="0.05",
        EDUTOOLS_MAX_RETRIES="2",
    )
    return env


def _command(out: Path, *extra: str) -> list[str]:
    args = [EXE, "generate", str(io.example_course_dir()), "--engine", "anaquest"]
    for q in QUESTIONS:
        args += ["--question", q]
    return [*args, "--max-items", "3", "--out", str(out), *extra]


def test_restart_mid_batch_ends_with_the_online_bank(
    stub_server: StubServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    out = tmp_path / "batch.json"
    stub_server.batches.hold()
    first = subprocess.Popen(
        _command(out, "--batch"),
        env=_env(stub_server, data),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not stub_server.batches.created and time.monotonic() < deadline:
            assert first.poll() is None, first.communicate()
            time.sleep(0.05)
        assert stub_server.batches.created, "no batch was submitted"
        held = stub_server.batches.created[0]
        assert stub_server.batches.status(held) == "in_progress"
        time.sleep(0.3)  # the process is now polling the held batch
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    assert not out.exists()
    analysed = [r for r in stub_server.requests if r.path == f"batch:{held}"]
    assert [r.stage for r in analysed] == ["analyse"] * len(QUESTIONS)

    stub_server.batches.release()
    again = subprocess.run(
        _command(out, "--batch"),
        env=_env(stub_server, data),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert f"picking up batch {held} ({len(QUESTIONS)} requests)" in again.stderr
    assert "at the Batch API's price (half the standard one)" in again.stdout
    # the held batch was not paid for twice: every analyse request went out once
    stages = [r.stage for r in stub_server.requests]
    assert stages.count("analyse") == len(QUESTIONS)
    assert len(stub_server.batches.created) >= 5  # analyse, judge, rewrite, merge, self-check
    assert all(r.path.startswith("batch:") for r in stub_server.requests)
    batch_requests = len(stub_server.requests)

    # the online path, in this process, with its own database and cache
    online = run(
        io.read_course(io.example_course_dir()),
        "anaquest",
        stub_server.settings(Settings.from_env({"EDUTOOLS_DATA_DIR": str(tmp_path / "online")})),
        question_ids=QUESTIONS,
        max_items=3,
        retry=FAST_RETRY,
    )
    assert all(not r.path.startswith("batch:") for r in stub_server.requests[batch_requests:])
    assert signature(io.read_item_bank(out)) == signature(online)


def test_batch_usage_is_billed_at_half_price(stub_server: StubServer, tmp_path: Path) -> None:
    course = example_course(2)
    online_settings = Settings.from_env({"EDUTOOLS_DATA_DIR": str(tmp_path / "online")})
    online = run(
        course, "anaquest", stub_server.settings(online_settings, cache=False), retry=FAST_RETRY
    )
    lines: list[str] = []
    batch_settings = Settings.from_env({"EDUTOOLS_DATA_DIR": str(tmp_path / "batch")})
    batched = run(
        course,
        "anaquest",
        stub_server.settings(batch_settings, cache=False, batch_poll_seconds=0.02),
        retry=FAST_RETRY,
        batch=True,
        on_batch=lines.append,
    )
    assert signature(batched) == signature(online)
    assert online.run.usage is not None
    assert batched.run.usage is not None
    assert batched.run.usage.calls == online.run.usage.calls
    assert batched.run.usage.cost_usd == pytest.approx(online.run.usage.cost_usd / 2, rel=1e-6)
    assert any(line.startswith("submitted batch ") for line in lines)


def test_failed_batch_lines_go_again_in_a_later_batch(
    stub_server: StubServer, settings: Settings
) -> None:
    stub_server.inject("server_error", count=1, when=lambda body: request_stage(body) == "analyse")
    stub_server.inject("rate_limit", count=1, when=lambda body: request_stage(body) == "judge")
    bank = run(
        example_course(1),
        "anaquest",
        stub_server.settings(settings, cache=False, batch_poll_seconds=0.02),
        retry=FAST_RETRY,
        batch=True,
    )
    assert bank.items
    faults = [r.fault for r in stub_server.requests if r.fault]
    assert faults == ["server_error", "rate_limit"]
    assert [r.stage for r in stub_server.requests].count("analyse") == 2  # one retry
    assert len({r.path for r in stub_server.requests if r.fault}) == 2  # in two batches


def test_batch_needs_openai(settings: Settings) -> None:
    from edutools.errors import ConfigError

    with pytest.raises(ConfigError, match="--batch works with OpenAI"):
        run(
            example_course(1),
            "anaquest",
            settings.with_(model="anthropic:claude-x", anthropic_api_key="k"),
            batch=True,
        )

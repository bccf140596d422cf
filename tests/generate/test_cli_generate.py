"""`edutools generate`: the local default, an LLM engine against the stub, resume, errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _cli import cli_runner

from edutools import io
from edutools.cli import app
from edutools.cli.generate import parse_mix
from edutools.errors import ConfigError
from edutools.llm.stubserver import STUB_API_KEY, StubServer

COURSE = str(io.example_course_dir())


def invoke(*args: str) -> tuple[int, str, str]:
    result = cli_runner().invoke(app, ["generate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_local_is_the_default_without_a_provider(tmp_path: Path) -> None:
    out = tmp_path / "bank.json"
    code, stdout, stderr = invoke(COURSE, "--out", str(out))
    assert code == 0, stderr
    assert "using the local engine" in stderr
    bank = io.read_item_bank(out)
    assert bank.run.engine == "local"
    assert {i.question_id for i in bank.items} == {q.id for q in io.read_course(COURSE).questions}
    assert all(a.support for a in bank.assertions if a.truth == "foil")
    lines = stdout.splitlines()
    assert lines[0].startswith(
        f"wrote {out}: {len(bank.items)} items from 12 questions (correct_key "
    )
    assert lines[1] == "local: no LLM calls"
    assert lines[2].startswith("time ")


def test_anaquest_against_the_stub_then_resume(
    stub_server: StubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", stub_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", STUB_API_KEY)
    out = tmp_path / "bank.json"
    args = (
        COURSE,
        "--out",
        str(out),
        "-q",
        "Q01",
        "-q",
        "Q02",
        "--max-items",
        "3",
        "--mix",
        "1,1,0",
    )
    code, stdout, stderr = invoke(*args)
    assert code == 0, stderr
    calls = len(stub_server.requests)
    assert f"anaquest (gpt-4o-mini): {calls} calls, 0 cached calls" in stdout
    assert "$" in stdout
    bank = io.read_item_bank(out)
    assert {i.question_id for i in bank.items} == {"Q01", "Q02"}
    assert {i.form for i in bank.items} <= {"correct_key", "foil_key"}
    code, stdout, _ = invoke(*args)
    assert code == 0
    assert len(stub_server.requests) == calls
    assert "anaquest (gpt-4o-mini): 0 calls, 0 cached calls" in stdout
    store = str(Path(os.environ["EDUTOOLS_DATA_DIR"]) / "edutools.sqlite3")
    assert (
        f"2 question(s) resumed from {store}, saved by an earlier run with the same course "
        "content and settings; to start afresh, set EDUTOOLS_DATABASE_URL (or "
        "EDUTOOLS_DATA_DIR) to another database"
    ) in " ".join(stdout.split())


def test_unpriced_model_says_so(
    stub_server: StubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", stub_server.base_url)
    code, stdout, stderr = invoke(
        COURSE,
        "--engine",
        "baseline",
        "--model",
        "llama3.1:8b",
        "-q",
        "Q03",
        "--out",
        str(tmp_path / "b.json"),
    )
    assert code == 0, stderr
    assert "cost unknown (no price for llama3.1:8b)" in stdout
    assert {r.body["model"] for r in stub_server.requests} == {"llama3.1:8b"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--engine", "anaquest"], "error: no LLM provider configured", id="no-provider"
        ),
        pytest.param(["-q", "Q99"], "error: question id 'Q99' is not in course", id="question"),
        pytest.param(["--mix", "1,2"], "error: --mix '1,2' is not valid", id="mix-count"),
        pytest.param(
            ["--mix", "sideways=1"], "error: --mix names unknown form 'sideways'", id="mix-form"
        ),
        pytest.param(["--mix", "0,0,0"], "error: form mix shares are all 0", id="mix-zero"),
    ],
)
def test_errors_are_one_line_with_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, stderr = invoke(COURSE, "--out", str(tmp_path / "bank.json"), *args)
    assert code == 2
    assert stderr.strip().splitlines()[-1].startswith(message)
    assert "Traceback" not in stderr


def test_missing_output_folder(tmp_path: Path) -> None:
    code, _, stderr = invoke(COURSE, "--out", str(tmp_path / "nowhere" / "bank.json"))
    assert code == 2
    assert "does not exist" in stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "0.5,0.3,0.2", {"correct_key": 0.5, "foil_key": 0.3, "select_all": 0.2}, id="positional"
        ),
        pytest.param(
            "select_all=1", {"correct_key": 0.0, "foil_key": 0.0, "select_all": 1.0}, id="named"
        ),
    ],
)
def test_parse_mix(text: str, expected: dict[str, float]) -> None:
    assert parse_mix(text) == expected


def test_parse_mix_rejects_words() -> None:
    with pytest.raises(ConfigError, match="--mix 'a,b,c' is not valid"):
        parse_mix("a,b,c")

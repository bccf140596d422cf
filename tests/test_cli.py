"""The console script: every error, usage errors included, is one line on stderr with exit 2.

CI runs this module twice: in the development venv (typer < 0.15 with click 8.1, as py-irt
needs) and in a fresh venv with the newest typer, click, rich and pandas (``make test-fresh``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import edutools

EXE = str(Path(sys.executable).parent / "edutools")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("export", "bank.json", "--format", "bogus", "--out", "x"),
            "error: Invalid value for '--format' / '-f': 'bogus' is not one of 'gift', 'moodle', 'qti', 'csv'; see 'edutools export --help'",
            id="bad-choice",
        ),
        pytest.param(
            ("validate",),
            "error: Missing argument 'path'; see 'edutools validate --help'",
            id="missing-argument",
        ),
        pytest.param(
            ("nosuch",),
            "error: No such command 'nosuch'; see 'edutools --help'",
            id="unknown-command",
        ),
        pytest.param(("calibrate", "nofile.csv", "--model", "4pl"), None, id="calibrate-bad-model"),
    ],
)
def test_usage_errors_are_one_line(args: tuple[str, ...], message: str | None) -> None:
    done = _run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr
    if message is not None:
        # the same words under click 8.1 and the click inside typer >= 0.15 (which writes
        # the argument's name in lower case)
        assert done.stderr.strip().casefold() == message.casefold()


def test_version() -> None:
    done = _run("--version")
    assert (done.returncode, done.stdout) == (0, f"edutools {edutools.__version__}\n")


def test_help_lists_only_working_commands() -> None:
    done = _run("--help")
    assert done.returncode == 0
    for command in ("validate", "generate", "export", "calibrate", "study"):
        assert command in done.stdout

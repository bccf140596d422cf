"""Every code block of the README runs, offline, as a reader would run it.

- ``sh`` (and ``bash``/``shell``) blocks run with bash, one block per test, line by line with
  ``set -e``, in one temporary folder shared by the whole module (so a later block finds what
  an earlier one wrote). The folder holds what the README's commands name: ``COURSE`` and
  ``PATH`` (the example course), ``labels.csv`` (its per-answer labels), ``responses.csv`` and
  ``items.json`` (the example responses and their item bank), ``studies/`` and ``tests/`` (the
  checkout's). No provider is configured.
- ``python`` blocks run in a fresh interpreter in the same folder.
- Other blocks (``text``, ``yaml``, ...) show output or files: not run.

A README line whose comment says ``needs an LLM provider`` or ``needs your labels`` (claims the
instructor has labelled, which no script can fill in for them) is not run (the test reports
each one as skipped); a block preceded by ``<!-- readme-test: skip: REASON -->`` is skipped whole
with that reason. Nothing else is left out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from edutools import io

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
SHELLS = ("sh", "bash", "shell")
PROVIDER_MARK = "needs an LLM provider"
MARKS = (PROVIDER_MARK, "needs your labels")
_BLOCK = re.compile(r"^```(?P<lang>[\w+-]*)[^\n]*\n(?P<code>.*?)^```", re.DOTALL | re.MULTILINE)
_SKIP = re.compile(r"<!--\s*readme-test:\s*skip:\s*(?P<reason>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    line: int
    lang: str
    code: str
    skip: str | None


def blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    out = []
    for m in _BLOCK.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = _SKIP.search(before)
        out.append(Block(line, m.group("lang"), m.group("code"), skip["reason"] if skip else None))
    return out


def _param(block: Block) -> object:
    return pytest.param(block, id=f"line-{block.line}-{block.lang or 'plain'}")


RUNNABLE = [b for b in blocks() if b.lang in (*SHELLS, "python")]
MARKED = [
    (b.line + offset, line.split("#")[0].strip())
    for b in RUNNABLE
    if b.lang in SHELLS and not b.skip
    for offset, line in enumerate(b.code.splitlines(), start=1)
    if any(mark in line for mark in MARKS)
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    (folder / "COURSE").symlink_to(io.example_course_dir(), target_is_directory=True)
    (folder / "PATH").symlink_to(io.example_course_dir(), target_is_directory=True)
    responses = io.example_course_dir().parent / "example_responses"
    for name in ("responses.csv", "items.json"):
        (folder / name).write_bytes((responses / name).read_bytes())
    labels = io.example_course_dir() / "answer_labels.csv"
    (folder / "labels.csv").write_bytes(labels.read_bytes())
    for name in ("studies", "tests"):
        (folder / name).symlink_to(ROOT / name, target_is_directory=True)
    return folder


def _env(folder: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "AZURE_OPENAI_", "ANTHROPIC_", "GOOGLE_", "EDUTOOLS_"))
    }
    env["EDUTOOLS_DATA_DIR"] = str(folder / ".edutools-data")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    return env


def test_readme_has_runnable_blocks() -> None:
    langs = [b.lang for b in RUNNABLE]
    assert "python" in langs
    assert any(lang in SHELLS for lang in langs)


@pytest.mark.parametrize("block", [_param(b) for b in RUNNABLE])
def test_block_runs(block: Block, workdir: Path) -> None:
    if block.skip:
        pytest.skip(f"README line {block.line}: {block.skip}")
    if block.lang == "python":
        done = subprocess.run(
            [sys.executable, "-c", block.code],
            cwd=workdir,
            env=_env(workdir),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"README line {block.line}:\n{done.stderr[-3000:]}"
        return
    script = ["set -euo pipefail"]
    script += [line for line in block.code.splitlines() if not any(mark in line for mark in MARKS)]
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=workdir,
        env=_env(workdir),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, (
        f"README block at line {block.line} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    )


@pytest.mark.parametrize(
    "command", [pytest.param(c, id=f"line-{n}-needs-provider-or-labels") for n, c in MARKED]
)
def test_commands_that_need_a_provider_or_labels_are_marked(command: str) -> None:
    pytest.skip(f"needs an LLM provider or the instructor's labels, as the README says: {command}")

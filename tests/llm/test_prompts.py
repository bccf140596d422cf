"""Prompt files: strict rendering, hashes, and shipping inside the wheel."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from edutools.errors import ConfigError, GenerationError
from edutools.llm import load_prompt, prompt_names, prompts_dir

ROOT = Path(__file__).resolve().parents[2]
STAGE_PROMPTS = {"analyse", "judge", "rewrite", "merge", "baseline", "self_check", "reask"}


def test_every_stage_has_a_prompt_file() -> None:
    assert set(prompt_names()) >= STAGE_PROMPTS


def test_hash_is_sha256_of_the_file() -> None:
    p = load_prompt("judge")
    assert p.sha256 == hashlib.sha256((prompts_dir() / "judge.j2").read_bytes()).hexdigest()


def test_render_gives_system_then_user() -> None:
    messages = load_prompt("judge").render(
        concept="Enzymes",
        question="Why?",
        reference="Because.",
        nonce="0123456789ab",
        claims=[{"n": 1, "text": "X is Y."}],
    )
    assert [role for role, _ in messages] == ["system", "user"]
    assert '<claim-0123456789ab n="1">\nX is Y.\n</claim-0123456789ab>' in messages[1][1]


def test_missing_variable_is_an_error() -> None:
    with pytest.raises(GenerationError, match="prompt 'judge' needs a variable"):
        load_prompt("judge").render(question="Why?")


@pytest.mark.parametrize(
    ("files", "name", "message"),
    [
        pytest.param({}, "nope", "no prompt named 'nope'", id="unknown"),
        pytest.param(
            {"x.j2": "{% block system %}s{% endblock %}"}, "x", "has no", id="no-user-block"
        ),
        pytest.param(
            {"y.j2": "{% block user %}{{ x }{% endblock %}"}, "y", "prompt 'y' line 1", id="syntax"
        ),
    ],
)
def test_bad_prompt_files(tmp_path: Path, files: dict[str, str], name: str, message: str) -> None:
    for fname, text in {"ok.j2": "{% block user %}u{% endblock %}", **files}.items():
        (tmp_path / fname).write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_prompt(name, folder=tmp_path)


def test_prompts_ship_in_the_wheel_and_load_from_it(tmp_path: Path) -> None:
    """Build the wheel, check the prompts are inside, and load them from the installed copy."""
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            ".",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("edutools-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    assert {f"edutools/prompts/{n}.j2" for n in STAGE_PROMPTS} <= names
    probe = (
        "import edutools, edutools.llm as l; "
        "print(edutools.__file__); print(l.prompts_dir()); "
        "print(l.load_prompt('analyse').sha256)"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    module_file, folder, digest = out.stdout.split()
    assert module_file.startswith(str(tmp_path / "site"))
    assert Path(folder) == tmp_path / "site" / "edutools" / "prompts"
    assert digest == load_prompt("analyse").sha256

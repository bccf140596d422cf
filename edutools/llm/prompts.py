"""Prompt templates: files in ``prompts/``, rendered strictly, hashed for provenance.

A prompt file is a Jinja2 template with two blocks, ``system`` and ``user``::

    {% block system %}You extract claims ...{% endblock %}
    {% block user %}Question: {{ question }} ...{% endblock %}

Undefined variables are errors (``StrictUndefined``). The SHA-256 of the file's bytes goes
into the provenance of everything the prompt produced, so a changed prompt is a new run.

The files live in the top-level ``prompts/`` folder of a checkout (found from an editable
install) and inside the package as ``edutools/prompts`` in a built wheel.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from edutools.errors import ConfigError, GenerationError

__all__ = ["Prompt", "load_prompt", "prompt_hashes", "prompt_names", "prompts_dir"]

_BLOCKS = ("system", "user")


def prompts_dir() -> Path:
    """The folder holding the prompt files (inside the package first, then the checkout).

    Returns
    -------
    pathlib.Path

    Example
    -------
    >>> (prompts_dir() / "analyse.j2").is_file()
    True
    """
    package = Path(str(importlib.resources.files("edutools")))
    for candidate in (package / "prompts", package.parent / "prompts"):
        if candidate.is_dir() and any(candidate.glob("*.j2")):
            return candidate
    raise ConfigError(
        f"no prompt files found in {package / 'prompts'} or {package.parent / 'prompts'}; "
        "reinstall edutools (pip install .) or run from a checkout that has the prompts/ folder"
    )


def prompt_names() -> list[str]:
    """Names of every prompt file (without ``.j2``), sorted."""
    return sorted(p.stem for p in prompts_dir().glob("*.j2"))


def _environment(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # prompts are plain text, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


@dataclass(frozen=True)
class Prompt:
    """One prompt file, parsed: its name, source text and content hash.

    Example
    -------
    >>> p = load_prompt("reask")
    >>> len(p.sha256)
    64
    """

    name: str
    source: str
    sha256: str
    _template: jinja2.Template = field(repr=False, compare=False)

    def render(self, **variables: Any) -> list[tuple[str, str]]:
        """The messages as ``(role, text)`` pairs: the system block, then the user block.

        Parameters
        ----------
        **variables
            Every variable the template uses; a missing one raises GenerationError.

        Returns
        -------
        list of (str, str)
            ``[("system", ...), ("user", ...)]``; an empty block is left out.
        """
        try:
            context = self._template.new_context(dict(variables))
            texts = {
                block: "".join(self._template.blocks[block](context)).strip()
                for block in _BLOCKS
                if block in self._template.blocks
            }
        except jinja2.UndefinedError as exc:
            raise GenerationError(
                f"prompt {self.name!r} needs a variable that was not given: {exc.message}"
            ) from None
        return [(role, texts[role]) for role in _BLOCKS if texts.get(role)]


@lru_cache(maxsize=64)
def _load(folder: str, name: str) -> Prompt:
    path = Path(folder) / f"{name}.j2"
    if not path.is_file():
        known = ", ".join(p.stem for p in sorted(Path(folder).glob("*.j2")))
        raise ConfigError(f"no prompt named {name!r} in {folder}; known prompts: {known}")
    raw = path.read_bytes()
    env = _environment(Path(folder))
    try:
        template = env.get_template(f"{name}.j2")
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"prompt {name!r} line {exc.lineno}: {exc.message}") from None
    if "user" not in template.blocks:
        raise ConfigError(f"prompt {name!r} has no {{% block user %}}; add one")
    return Prompt(
        name=name,
        source=raw.decode("utf-8"),
        sha256=hashlib.sha256(raw).hexdigest(),
        _template=template,
    )


def load_prompt(name: str, folder: Path | None = None) -> Prompt:
    """Load the prompt file ``<name>.j2``.

    Parameters
    ----------
    name : str
        File name without ``.j2`` (e.g. ``"analyse"``).
    folder : pathlib.Path, optional
        Where to look instead of :func:`prompts_dir` (for tests and custom prompt sets).

    Returns
    -------
    Prompt

    Example
    -------
    >>> load_prompt("reask").render(error="bad", schema_name="x")[0][0]
    'user'
    """
    return _load(str(folder or prompts_dir()), name)


def prompt_hashes(prompts: Mapping[str, Prompt]) -> dict[str, str]:
    """``{name: sha256}`` for provenance."""
    return {name: p.sha256 for name, p in sorted(prompts.items())}

"""Item generation: the anaquest, baseline and local engines, assembly and item-writing checks.

The entry point is :func:`run`::

    bank = run(course, engine="anaquest", settings=Settings.from_env())

``run`` and its companions load on first use, so importing a light module of this package
(``edutools.generate.quality``, ``.assemble``) does not pull in the LLM stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edutools.generate.assemble import FormMix
    from edutools.generate.runner import ENGINES, QuestionProgress, run

__all__ = ["ENGINES", "FormMix", "QuestionProgress", "run"]

_HOME = {"ENGINES": "runner", "QuestionProgress": "runner", "run": "runner", "FormMix": "assemble"}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"edutools.generate.{_HOME[name]}"), name)
    raise AttributeError(f"module 'edutools.generate' has no attribute {name!r}")

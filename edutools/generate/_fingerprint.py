"""A fingerprint of the code that produced a run, so a changed engine never resumes old output."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]

#: The modules whose code shapes each engine's output (relative to the edutools package).
ENGINE_MODULES: dict[str, tuple[str, ...]] = {
    "local": (
        "generate/local.py",
        "generate/claims.py",
        "generate/_evidence.py",
        "generate/_clean.py",
        "generate/options.py",
        "generate/finish.py",
        "generate/assemble.py",
        "generate/quality.py",
        "generate/privacy.py",
        "text.py",
    ),
    "llm": (
        "generate/_llm_engine.py",
        "generate/finish.py",
        "generate/options.py",
        "generate/anaquest.py",
        "generate/baseline.py",
        "generate/stages.py",
        "generate/assemble.py",
        "generate/quality.py",
        "generate/privacy.py",
        "text.py",
    ),
}


@functools.cache
def code_hash(kind: str) -> str:
    """SHA-256 over the source of the modules that shape an engine's output.

    Example
    -------
    >>> len(code_hash("local"))
    64
    """
    digest = hashlib.sha256()
    for rel in ENGINE_MODULES[kind]:
        digest.update(rel.encode())
        digest.update((_PACKAGE / rel).read_bytes())
    return digest.hexdigest()

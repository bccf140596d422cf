"""Shared base of the repositories: the engine and JSON helpers."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.engine import Engine


def canonical_hash(payload: Any) -> str:
    """SHA-256 of canonical JSON (sorted keys), for natural keys."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class _Repo:
    engine: Engine

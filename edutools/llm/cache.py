"""A persistent SQLite cache of LLM calls, so a repeated run makes no HTTP calls.

The key is the SHA-256 of the canonical JSON of what determines a reply: provider (base
URL), model, sampling parameters, output schema and the rendered messages. The value is the
validated reply. The API key is never part of a key or a value, and nothing else about the
caller is stored.

Written here rather than using langchain's ``SQLiteCache`` because that one stores raw
generations before they are validated (a reply that failed the schema would be served again)
and its hits still go through the usage callbacks, which would count tokens that cost nothing.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from edutools.errors import ConfigError
from edutools.settings import Settings

__all__ = ["LLMCache", "cache_key"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_calls (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    stage TEXT NOT NULL,
    reply TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created_at REAL NOT NULL
)
"""


def cache_key(request: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``request`` (sorted keys, no spaces).

    Example
    -------
    >>> cache_key({"b": 1, "a": [2]}) == cache_key({"a": [2], "b": 1})
    True
    """
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class LLMCache:
    """Validated LLM replies on disk, keyed by :func:`cache_key`.

    Safe to share between threads and between processes (SQLite WAL, one short
    transaction per write).

    Parameters
    ----------
    path : pathlib.Path
        The SQLite file; its folder is created when missing.

    Example
    -------
    >>> import tempfile, pathlib
    >>> with LLMCache(pathlib.Path(tempfile.mkdtemp()) / "c.sqlite3") as c:
    ...     c.put("k", model="m", stage="s", reply='{"a": 1}', prompt_tokens=3, completion_tokens=2)
    ...     c.get("k")
    '{"a": 1}'
    """

    FILE_NAME = "llm_cache.sqlite3"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: no fsync per write; a crash can lose the last replies, never
            # corrupt the file, and a lost reply is only asked again
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
            self._conn.commit()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the LLM cache at {self.path}: {exc}; set EDUTOOLS_DATA_DIR to a "
                "writable folder or EDUTOOLS_CACHE=0"
            ) from None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMCache | None:
        """The cache in ``settings.data_dir``, or None when ``settings.cache`` is off."""
        if not settings.cache:
            return None
        return cls(settings.data_dir / cls.FILE_NAME)

    def get(self, key: str) -> str | None:
        """The stored reply for ``key``, or None."""
        with self._lock:
            row = self._conn.execute("SELECT reply FROM llm_calls WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(
        self,
        key: str,
        *,
        model: str,
        stage: str,
        reply: str,
        prompt_tokens: int,
        completion_tokens: int,
    ) -> None:
        """Store a validated reply (the first one stored for a key wins)."""
        with self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO llm_calls VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, model, stage, reply, prompt_tokens, completion_tokens, time.time()),
            )
            self._conn.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM llm_calls").fetchone()[0])

    def clear(self) -> None:
        """Delete every stored reply."""
        with self._lock:
            self._conn.execute("DELETE FROM llm_calls")
            self._conn.commit()

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> LLMCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

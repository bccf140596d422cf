"""OpenAI's Batch API: the same requests, sent as batches at half the price.

With ``LLMClient(settings, batch=True)`` every request that the cache cannot answer waits in a
:class:`BatchQueue` instead of going out on its own. When no new request has arrived for
``window`` seconds (every question in flight is waiting for its next stage), the waiting
requests go out as one batch: a JSONL file uploaded to ``/v1/files`` and a batch created at
``/v1/batches``. The queue polls the batch until it ends, downloads its output and hands each
reply to the call that asked for it; re-asks and retries join the next batch. A question's
stages therefore run stage by stage across all questions: one batch per stage (and per round
of re-asks).

Before it waits, the queue writes each batch's id and the hash of every request in it to
``llm_batches.sqlite3`` in the data directory. A process that is stopped mid-batch (Ctrl-C,
a crash, a reboot) and started again builds the same requests, finds them there and waits for
the batch it already paid for instead of submitting them again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import openai

from edutools.errors import ConfigError

__all__ = ["BatchQueue", "BatchRegistry", "BatchResult", "request_hash"]

log = logging.getLogger("edutools.llm.batch")

_TERMINAL = ("completed", "failed", "expired", "cancelled")
_ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"


def request_hash(body: dict[str, Any]) -> str:
    """SHA-256 of a request body's canonical JSON (it holds no key)."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class BatchResult:
    """One request's outcome: an HTTP status and the response body (a chat completion or an error)."""

    status: int
    body: dict[str, Any]

    @property
    def message(self) -> str:
        error = self.body.get("error")
        if isinstance(error, dict):
            return str(error.get("message", error))
        return str(error or self.body)[:300]


class BatchRegistry:
    """Which batch holds which request: a small SQLite file that survives the process.

    Parameters
    ----------
    path : pathlib.Path
        The SQLite file; its folder is created when missing.
    """

    FILE_NAME = "llm_batches.sqlite3"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(
                """
                CREATE TABLE IF NOT EXISTS batches (
                    batch_id TEXT PRIMARY KEY,
                    status TEXT NOT NULL,
                    n_requests INTEGER NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE IF NOT EXISTS batch_requests (
                    request_hash TEXT NOT NULL,
                    batch_id TEXT NOT NULL REFERENCES batches(batch_id),
                    custom_id TEXT NOT NULL,
                    PRIMARY KEY (request_hash, batch_id)
                );
                """
            )
            self._conn.commit()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the batch registry at {self.path}: {exc}; set EDUTOOLS_DATA_DIR "
                "to a writable folder"
            ) from None
        self._lock = threading.Lock()

    def add(self, batch_id: str, requests: list[tuple[str, str]]) -> None:
        """Record a submitted batch and its ``(request_hash, custom_id)`` pairs, durably."""
        with self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO batches VALUES (?, 'submitted', ?, ?)",
                (batch_id, len(requests), time.time()),
            )
            self._conn.executemany(
                "INSERT OR IGNORE INTO batch_requests VALUES (?, ?, ?)",
                [(h, batch_id, c) for h, c in requests],
            )
            self._conn.commit()

    def find(self, request_hashes: list[str]) -> dict[str, tuple[str, str]]:
        """``{request_hash: (batch_id, custom_id)}`` in the newest live batch holding each."""
        found: dict[str, tuple[str, str]] = {}
        with self._lock:
            for h in request_hashes:
                row = self._conn.execute(
                    "SELECT r.batch_id, r.custom_id FROM batch_requests r "
                    "JOIN batches b ON b.batch_id = r.batch_id "
                    "WHERE r.request_hash = ? AND b.status NOT IN ('failed', 'expired', 'cancelled') "
                    "ORDER BY b.created_at DESC LIMIT 1",
                    (h,),
                ).fetchone()
                if row is not None:
                    found[h] = (str(row[0]), str(row[1]))
        return found

    def set_status(self, batch_id: str, status: str) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE batches SET status = ? WHERE batch_id = ?", (status, batch_id)
            )
            self._conn.commit()

    def batches(self) -> list[tuple[str, str, int]]:
        """Every recorded batch as ``(batch_id, status, n_requests)``, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT batch_id, status, n_requests FROM batches ORDER BY created_at"
            ).fetchall()
        return [(str(a), str(b), int(c)) for a, b, c in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class BatchQueue:
    """Collects requests and sends them as batches; see the module docstring.

    Parameters
    ----------
    client : openai.AsyncOpenAI
        Talks to the files and batches endpoints.
    registry : BatchRegistry
        Where submitted batches are recorded.
    poll_seconds : float
        Time between two looks at a running batch.
    window : float
        Quiet time after the last new request before a batch goes out.
    notify : callable, optional
        ``notify(line)`` for each batch submitted, picked up again or finished.
    """

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        registry: BatchRegistry,
        *,
        poll_seconds: float = 30.0,
        window: float = 0.5,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.registry = registry
        self.poll_seconds = poll_seconds
        self.window = window
        self.notify = notify or (lambda line: log.info("%s", line))
        self._waiting: dict[str, tuple[dict[str, Any], asyncio.Future[BatchResult]]] = {}
        self._last_arrival = 0.0
        self._flusher: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        #: ids of the batches this queue submitted or picked up, in order
        self.batch_ids: list[str] = []

    async def call(self, body: dict[str, Any], retry: int = 0) -> BatchResult:
        """Send ``body`` (a chat-completions request) in the next batch; its result.

        ``retry`` numbers the tries of one request: a retry is a new line in a new batch,
        and a restarted process finds each try in the batch that holds it.
        """
        key = request_hash({"body": body, "retry": retry}) if retry else request_hash(body)
        entry = self._waiting.get(key)
        if entry is None:
            future: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
            self._waiting[key] = (body, future)
        else:
            future = entry[1]
        self._last_arrival = time.monotonic()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_when_quiet())
        return await asyncio.shield(future)

    async def aclose(self) -> None:
        """Stop waiting (batches already submitted go on at the provider)."""
        tasks = [t for t in (self._flusher, *self._running) if t is not None]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _flush_when_quiet(self) -> None:
        while self._waiting:
            quiet = time.monotonic() - self._last_arrival
            if quiet < self.window:
                await asyncio.sleep(self.window - quiet)
                continue
            waiting, self._waiting = self._waiting, {}
            task = asyncio.create_task(self._dispatch(waiting))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _dispatch(
        self, waiting: dict[str, tuple[dict[str, Any], asyncio.Future[BatchResult]]]
    ) -> None:
        try:
            known = await asyncio.to_thread(self.registry.find, list(waiting))
            groups: dict[str, dict[str, str]] = {}  # batch id -> {custom id: request hash}
            for key, (batch_id, custom_id) in known.items():
                groups.setdefault(batch_id, {})[custom_id] = key
            for batch_id, members in groups.items():
                self.notify(f"picking up batch {batch_id} ({len(members)} requests)")
            fresh = {k: v[0] for k, v in waiting.items() if k not in known}
            if fresh:
                batch_id, members = await self._submit(fresh)
                groups[batch_id] = members
            results = await asyncio.gather(*(self._collect(b, m) for b, m in groups.items()))
            merged = {k: r for part in results for k, r in part.items()}
        except Exception as exc:
            for _, future in waiting.values():
                if not future.done():
                    future.set_exception(exc)
            return
        for key, (_, future) in waiting.items():
            if not future.done():
                future.set_result(
                    merged.get(
                        key,
                        BatchResult(
                            500, {"error": {"message": "the batch returned no result for it"}}
                        ),
                    )
                )

    async def _submit(self, bodies: dict[str, dict[str, Any]]) -> tuple[str, dict[str, str]]:
        members = {key[:48]: key for key in bodies}
        lines = "".join(
            json.dumps(
                {"custom_id": key[:48], "method": "POST", "url": _ENDPOINT, "body": body},
                ensure_ascii=False,
            )
            + "\n"
            for key, body in bodies.items()
        )
        upload = await self.client.files.create(
            file=("edutools-batch.jsonl", lines.encode("utf-8")), purpose="batch"
        )
        batch = await self.client.batches.create(
            input_file_id=upload.id,
            endpoint=_ENDPOINT,
            completion_window="24h",
            metadata={"created_by": "edutools"},
        )
        # recorded before anything waits: a restarted process finds these requests here
        await asyncio.to_thread(
            self.registry.add, batch.id, [(key, cid) for cid, key in members.items()]
        )
        self.batch_ids.append(batch.id)
        self.notify(
            f"submitted batch {batch.id} ({len(bodies)} requests); Ctrl-C is safe: the same "
            "command picks it up again"
        )
        return batch.id, members

    async def _collect(self, batch_id: str, members: dict[str, str]) -> dict[str, BatchResult]:
        if batch_id not in self.batch_ids:
            self.batch_ids.append(batch_id)
        while True:
            batch = await self.client.batches.retrieve(batch_id)
            if batch.status in _TERMINAL:
                break
            await asyncio.sleep(self.poll_seconds)
        await asyncio.to_thread(self.registry.set_status, batch_id, batch.status)
        counts = batch.request_counts
        self.notify(
            f"batch {batch_id} {batch.status}"
            + (f": {counts.completed} done, {counts.failed} failed" if counts else "")
        )
        results: dict[str, BatchResult] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await self.client.files.content(file_id)
            for line in content.text.splitlines():
                if not line.strip():
                    continue
                record = json.loads(line)
                key = members.get(str(record.get("custom_id")))
                if key is None:
                    continue
                response = record.get("response") or {}
                if record.get("error") and not response:
                    results[key] = BatchResult(500, {"error": record["error"]})
                else:
                    results[key] = BatchResult(
                        int(response.get("status_code", 500)), dict(response.get("body") or {})
                    )
        for key in members.values():
            if key not in results:
                results[key] = BatchResult(
                    503, {"error": {"message": f"batch {batch_id} ended {batch.status}"}}
                )
        return results

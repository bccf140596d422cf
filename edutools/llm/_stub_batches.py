"""The stub server's files and batches endpoints: OpenAI's Batch API, answered locally.

An uploaded JSONL file of chat-completion requests becomes a batch that a background thread
answers line by line with the stub's replies (queued replies, the responder, injected faults:
a ``rate_limit`` or ``server_error`` fault gives that line an error response). Each line is
recorded in :attr:`StubServer.requests` like an online request, under the path
``batch:<batch id>``. Tests hold batches (:meth:`StubBatches.hold`) to stop a client
mid-batch, then :meth:`StubBatches.release` them.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import TYPE_CHECKING, Any

from edutools.llm._stub_http import NOTHING, StubReply, completion, encode

if TYPE_CHECKING:
    from edutools.llm.stubserver import StubServer

__all__ = ["StubBatches"]

_TERMINAL = ("completed", "failed", "expired", "cancelled")


class StubBatches:
    """Files and batches kept in memory; see the module docstring.

    Attributes
    ----------
    latency : float
        Seconds a batch takes once released (after its lines are answered).
    created : list of str
        Ids of the batches created, in order.
    """

    def __init__(self, stub: StubServer) -> None:
        self._stub = stub
        self._lock = threading.Lock()
        self._files: dict[str, dict[str, Any]] = {}
        self._data: dict[str, bytes] = {}
        self._batches: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._released = threading.Event()
        self._released.set()
        self.latency = 0.0
        self.created: list[str] = []

    # ------------------------------------------------------------------ control

    def hold(self) -> None:
        """Keep new and running batches ``in_progress`` until :meth:`release`."""
        self._released.clear()

    def release(self) -> None:
        """Let held batches finish."""
        self._released.set()

    def status(self, batch_id: str) -> str | None:
        """The status of a batch (None when unknown)."""
        with self._lock:
            batch = self._batches.get(batch_id)
            return None if batch is None else str(batch["status"])

    def requests_in(self, batch_id: str) -> int:
        """How many requests the batch's input file holds."""
        with self._lock:
            return int(self._batches[batch_id]["request_counts"]["total"])

    # ------------------------------------------------------------------ files

    def add_file(self, filename: str, purpose: str, data: bytes) -> dict[str, Any]:
        """Store an upload; returns its file object."""
        with self._lock:
            file_id = f"file-stub-{next(self._ids)}"
            info = {
                "id": file_id,
                "object": "file",
                "bytes": len(data),
                "created_at": int(time.time()),
                "filename": filename,
                "purpose": purpose,
                "status": "processed",
            }
            self._files[file_id] = info
            self._data[file_id] = data
            return dict(info)

    def file_info(self, file_id: str) -> dict[str, Any] | None:
        with self._lock:
            info = self._files.get(file_id)
            return None if info is None else dict(info)

    def file_content(self, file_id: str) -> bytes | None:
        with self._lock:
            return self._data.get(file_id)

    # ------------------------------------------------------------------ batches

    def create(
        self, input_file_id: str, endpoint: str, metadata: dict[str, str] | None
    ) -> dict[str, Any]:
        """Start a batch over an uploaded file; it is answered in a background thread."""
        data = self.file_content(input_file_id)
        if data is None:
            raise ValueError(f"no file {input_file_id}")
        if endpoint != "/v1/chat/completions":
            raise ValueError(f"endpoint {endpoint} is not served; use /v1/chat/completions")
        lines = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
        now = int(time.time())
        with self._lock:
            batch_id = f"batch_stub_{next(self._ids)}"
            batch = {
                "id": batch_id,
                "object": "batch",
                "endpoint": endpoint,
                "errors": None,
                "input_file_id": input_file_id,
                "completion_window": "24h",
                "status": "in_progress",
                "output_file_id": None,
                "error_file_id": None,
                "created_at": now,
                "in_progress_at": now,
                "expires_at": now + 86400,
                "completed_at": None,
                "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                "metadata": metadata or {},
            }
            self._batches[batch_id] = batch
            self.created.append(batch_id)
        threading.Thread(
            target=self._answer, args=(batch_id, lines), name=f"stub-{batch_id}", daemon=True
        ).start()
        return dict(batch)

    def get(self, batch_id: str) -> dict[str, Any] | None:
        with self._lock:
            batch = self._batches.get(batch_id)
            return None if batch is None else json.loads(json.dumps(batch))

    def cancel(self, batch_id: str) -> dict[str, Any] | None:
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None:
                return None
            if batch["status"] not in _TERMINAL:
                batch["status"] = "cancelled"
                batch["cancelled_at"] = int(time.time())
            return dict(batch)

    def _answer(self, batch_id: str, lines: list[dict[str, Any]]) -> None:
        stub = self._stub
        out: list[str] = []
        errors: list[str] = []
        for line in lines:
            body = dict(line.get("body") or {})
            custom_id = line.get("custom_id")
            index, fault, queued = stub._admit(f"batch:{batch_id}", {}, body)
            try:
                response = self._response(index, body, fault, queued)
            finally:
                stub._done()
            record = {"id": f"batch_req_{index}", "custom_id": custom_id, "error": None}
            if response[0] == 200:
                record["response"] = {
                    "status_code": 200,
                    "request_id": f"req_{index}",
                    "body": response[1],
                }
                out.append(json.dumps(record))
            else:
                record["response"] = {
                    "status_code": response[0],
                    "request_id": f"req_{index}",
                    "body": response[1],
                }
                errors.append(json.dumps(record))
        while not self._released.wait(0.02):
            if stub._stop.is_set() or self.status(batch_id) == "cancelled":
                return
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            batch = self._batches[batch_id]
            if batch["status"] == "cancelled":
                return
        output = self.add_file(f"{batch_id}_output.jsonl", "batch_output", _jsonl(out))
        failed = self.add_file(f"{batch_id}_errors.jsonl", "batch_output", _jsonl(errors))
        with self._lock:
            batch.update(
                status="completed",
                output_file_id=output["id"],
                error_file_id=failed["id"] if errors else None,
                completed_at=int(time.time()),
                request_counts={"total": len(lines), "completed": len(out), "failed": len(errors)},
            )

    def _response(
        self, index: int, body: dict[str, Any], fault: Any, queued: Any
    ) -> tuple[int, dict[str, Any]]:
        stub = self._stub
        if fault is not None and fault.kind == "rate_limit":
            return 429, {"error": {"message": "rate limit reached (stub)", "type": "rate_limit"}}
        if fault is not None and fault.kind == "server_error":
            return fault.status, {"error": {"message": fault.message, "type": "server_error"}}
        try:
            reply = stub._reply_for(body, queued)
        except Exception as exc:
            stub.errors.append(f"{type(exc).__name__}: {exc}")
            return 500, {"error": {"message": f"stub responder failed: {exc}", "type": "server"}}
        if fault is not None and fault.kind == "malformed_json":
            reply = '{"this is": not JSON at all'
        elif fault is not None and fault.kind == "schema_invalid":
            reply = {"unexpected_field": "this object does not match the schema"}
        elif fault is not None and fault.kind == "truncated":
            text = encode(reply.content if isinstance(reply, StubReply) else reply)
            reply = StubReply(text[: max(1, len(text) // 2)], finish_reason="length")
        if reply is NOTHING:  # pragma: no cover - _reply_for never returns it
            reply = {}
        return 200, completion(index, body, stub.model, reply)


def _jsonl(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode("utf-8")

"""The stub server's wire format: the HTTP handler and the chat-completion replies.

Routes: ``POST .../chat/completions`` (OpenAI and compatible servers, Azure's deployment
paths too), ``POST /v1/messages`` (Anthropic), ``POST /v1[beta]/models/MODEL:generateContent``
(Google's Gemini API), ``POST /api/chat`` (Ollama's native API), and the Batch API's files and
batches (see ``_stub_batches``).
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from edutools.llm._stub_dialects import (
    error_body,
    from_anthropic,
    from_gemini,
    from_ollama,
    to_anthropic,
    to_gemini,
    to_ollama,
)
from edutools.llm.tokens import estimate_tokens

if TYPE_CHECKING:
    from edutools.llm.stubserver import StubServer

__all__ = ["NOTHING", "Fault", "StubHandler", "StubReply", "completion", "content_text", "encode"]

NOTHING = object()  # "no queued reply" (None is a valid reply)


@dataclass(frozen=True)
class StubReply:
    """A reply with control over ``finish_reason`` and the reported token counts."""

    content: Any
    finish_reason: str = "stop"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass
class Fault:
    kind: str
    remaining: int
    skip: int
    when: Callable[[dict[str, Any]], bool] | None
    retry_after: float
    status: int
    delay: float
    message: str


def content_text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return "" if content is None else str(content)


def encode(value: Any) -> str:
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def completion(index: int, body: dict[str, Any], model: str, reply: Any) -> dict[str, Any]:
    finish = "stop"
    prompt_tokens = completion_tokens = None
    if isinstance(reply, StubReply):
        finish = reply.finish_reason
        prompt_tokens, completion_tokens = reply.prompt_tokens, reply.completion_tokens
        reply = reply.content
    text = encode(reply)
    if body.get("tools"):
        name = body["tools"][0]["function"]["name"]
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{index}",
                    "type": "function",
                    "function": {"name": name, "arguments": text},
                }
            ],
        }
    else:
        message = {"role": "assistant", "content": text}
    request_text = "".join(content_text(m.get("content")) for m in body.get("messages", []))
    if prompt_tokens is None:
        prompt_tokens = estimate_tokens(request_text) + 4 * len(body.get("messages", []))
    if completion_tokens is None:
        completion_tokens = estimate_tokens(text)
    return {
        "id": f"chatcmpl-stub-{index}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the openai client expects
    # one buffered write per reply and no Nagle delay: otherwise every reply waits ~40 ms
    # for a delayed ACK, which would swamp the latencies the benchmark sets
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server_stub: StubServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log lines."""

    def handle(self) -> None:
        """Serve the connection; a client that went away (killed, timed out) ends it quietly."""
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            super().handle()

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout we caused on purpose)

    def _send_bytes(self, data: bytes, content_type: str = "application/octet-stream") -> None:
        try:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _not_found(self) -> None:
        self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        """Answer chat requests in each dialect, ``.../files`` and ``.../batches[/ID/cancel]``."""
        stub = self.server_stub
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        route = self.path.split("?", 1)[0].rstrip("/")
        if route.endswith("/files"):
            self._upload(raw)
            return
        if route.endswith("/batches"):
            self._create_batch(raw)
            return
        if route.endswith("/cancel") and "/batches/" in route:
            batch = stub.batches.cancel(route.split("/")[-2])
            self._send_json(200, batch) if batch else self._not_found()
            return
        if route.endswith("/chat/completions"):
            dialect = "openai"
        elif route.endswith("/v1/messages"):
            dialect = "anthropic"
        elif route.endswith("/api/chat"):
            dialect = "ollama"
        elif route.endswith(":generateContent") and "/models/" in route:
            dialect = "gemini"
        else:
            self._not_found()
            return
        try:
            body = json.loads(raw)
            if dialect == "anthropic":
                body = from_anthropic(body)
            elif dialect == "ollama":
                body = from_ollama(body)
            elif dialect == "gemini":
                model = route.rsplit("/models/", 1)[1].removesuffix(":generateContent")
                body = from_gemini(body, model)
        except (json.JSONDecodeError, KeyError, TypeError):
            self._send_json(
                400, error_body(dialect, "invalid_request", "request body is not JSON", 400)
            )
            return
        index, fault, queued = stub._admit(self.path, dict(self.headers.items()), body)
        try:
            self._answer(stub, index, body, fault, queued, dialect)
        finally:
            stub._done()

    def _answer(
        self,
        stub: StubServer,
        index: int,
        body: dict[str, Any],
        fault: Fault | None,
        queued: Any,
        dialect: str = "openai",
    ) -> None:
        # the reply leaves ``latency`` seconds after the request arrived, however long the
        # stub itself took to compose it: a fixed latency per call
        deadline = time.monotonic() + stub.latency
        if fault is not None and fault.kind in ("rate_limit", "server_error"):
            stub._wait(deadline - time.monotonic())
            if fault.kind == "rate_limit":
                self._send_json(
                    429,
                    error_body(dialect, "rate_limit_error", "rate limit reached (stub)", 429),
                    {"Retry-After": f"{fault.retry_after:g}"},
                )
            else:
                self._send_json(
                    fault.status, error_body(dialect, "api_error", fault.message, fault.status)
                )
            return
        try:
            reply = stub._reply_for(body, queued)
        except Exception as exc:  # a broken responder must show up in the test, not hang it
            stub.errors.append(f"{type(exc).__name__}: {exc}")
            self._send_json(500, error_body(dialect, "api_error", f"stub responder failed: {exc}"))
            return
        if fault is not None and fault.kind == "timeout":
            deadline += fault.delay
        elif fault is not None and fault.kind == "malformed_json":
            reply = '{"this is": not JSON at all'
        elif fault is not None and fault.kind == "schema_invalid":
            reply = {"unexpected_field": "this object does not match the schema"}
        elif fault is not None and fault.kind == "truncated":
            text = encode(reply.content if isinstance(reply, StubReply) else reply)
            reply = StubReply(text[: max(1, len(text) // 2)], finish_reason="length")
        payload = completion(index, body, stub.model, reply)
        stub._wait(deadline - time.monotonic())
        if dialect == "anthropic":
            self._send_json(200, to_anthropic(payload))
        elif dialect == "gemini":
            self._send_json(200, to_gemini(payload))
        elif dialect == "ollama":
            self._send_bytes(to_ollama(payload), "application/x-ndjson")
        else:
            self._send_json(200, payload)

    def _upload(self, raw: bytes) -> None:
        """``POST /files`` (multipart/form-data with ``purpose`` and ``file``)."""
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers.get("Content-Type", "").encode() + b"\r\n\r\n" + raw
        )
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                fields[name] = (part.get_filename(), payload)
        if "file" not in fields:
            self._send_json(
                400, {"error": {"message": "no file in the upload", "type": "invalid_request"}}
            )
            return
        filename, data = fields["file"]
        purpose = fields.get("purpose", (None, b"batch"))[1].decode()
        self._send_json(200, self.server_stub.batches.add_file(filename or "upload", purpose, data))

    def _create_batch(self, raw: bytes) -> None:
        try:
            body = json.loads(raw)
            batch = self.server_stub.batches.create(
                body["input_file_id"], body["endpoint"], body.get("metadata")
            )
        except (json.JSONDecodeError, KeyError, ValueError) as exc:
            self._send_json(400, {"error": {"message": str(exc), "type": "invalid_request"}})
            return
        self._send_json(200, batch)

    def do_GET(self) -> None:
        """Models, stats, files (``/files/ID[/content]``) and batches (``/batches/ID``); else 404."""
        stub = self.server_stub
        route = self.path.split("?", 1)[0].rstrip("/")
        parts = route.split("/")
        if len(parts) >= 3 and parts[-2] == "batches":
            batch = stub.batches.get(parts[-1])
            self._send_json(200, batch) if batch else self._not_found()
            return
        if len(parts) >= 3 and parts[-2] == "files":
            info = stub.batches.file_info(parts[-1])
            self._send_json(200, info) if info else self._not_found()
            return
        if len(parts) >= 4 and parts[-1] == "content" and parts[-3] == "files":
            data = stub.batches.file_content(parts[-2])
            self._send_bytes(data) if data is not None else self._not_found()
            return
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(
                200, {"object": "list", "data": [{"id": stub.model, "object": "model"}]}
            )
            return
        if self.path.rstrip("/").endswith("/stub/stats"):
            requests = stub.requests
            self._send_json(
                200,
                {
                    "requests": len(requests),
                    "faults": sum(r.fault is not None for r in requests),
                    "max_in_flight": stub.max_in_flight,
                },
            )
            return
        self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

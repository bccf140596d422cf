"""A local OpenAI-compatible chat-completions server for tests and benchmarks.

It listens on 127.0.0.1 on a free port, so the real openai client (through langchain-openai)
does real HTTP against it. It serves scripted replies, records every request body, and
injects faults on demand.

Usage::

    with StubServer() as stub:                       # or the pytest fixture ``stub_server``
        settings = stub.settings(Settings.from_env())  # base URL + a dummy key
        stub.enqueue({"verdicts": []})               # next reply, FIFO; JSON-encoded
        stub.inject("rate_limit", count=2, retry_after=0.01)
        ...                                          # run code that calls the LLM
        stub.requests[0].body, stub.requests[0].stage, stub.requests[0].text

Replies, in order of precedence:

1. a queued reply (:meth:`StubServer.enqueue`): a dict / list / pydantic model (sent as
   JSON), a str (sent verbatim as the content, e.g. broken JSON), or a :class:`StubReply`
   (to set ``finish_reason`` or token counts);
2. otherwise ``responder(body)`` (same return types). The default,
   :func:`edutools.llm.stub_responder.respond`, answers every edutools prompt stage
   sensibly from the request itself (so whole engine runs work end to end) and any other
   schema with a minimal valid instance.

A JSON reply goes into ``message.content`` for ``response_format`` requests and into a
forced tool call's ``arguments`` for ``function_calling`` requests.

Faults (:meth:`StubServer.inject`), each answering one request instead of the reply:

================  ===========================================================================
``rate_limit``    HTTP 429 with ``Retry-After: <retry_after>`` (default 0.01 s)
``server_error``  HTTP ``<status>`` (default 500)
``timeout``       stall ``<delay>`` seconds (default 1.0) before replying: past the client timeout
``malformed_json``  200 with content that is not JSON
``schema_invalid``  200 with JSON that does not match the requested schema
``truncated``     200 with the reply cut in half and ``finish_reason="length"``
================  ===========================================================================

``latency`` adds a fixed delay to every request (for concurrency benchmarks).

The Batch API: ``POST /v1/files`` (purpose ``batch``), ``GET /v1/files/ID[/content]``,
``POST /v1/batches``, ``GET /v1/batches/ID`` and ``POST /v1/batches/ID/cancel``. Each
line of a batch is answered as an online request would be (and recorded, with the path
``batch:<id>``); ``stub.batches.hold()`` keeps batches ``in_progress`` until
``stub.batches.release()``, ``stub.batches.latency`` delays their completion.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any, Literal

from edutools.llm._stub_batches import StubBatches
from edutools.llm._stub_http import NOTHING, Fault, StubHandler, StubReply, content_text
from edutools.llm.stub_responder import request_stage, respond
from edutools.settings import Settings

__all__ = ["STUB_API_KEY", "FaultKind", "RecordedRequest", "Responder", "StubReply", "StubServer"]

FaultKind = Literal[
    "rate_limit", "server_error", "timeout", "malformed_json", "schema_invalid", "truncated"
]
_FAULT_KINDS = (
    "rate_limit",
    "server_error",
    "timeout",
    "malformed_json",
    "schema_invalid",
    "truncated",
)
STUB_API_KEY = "sk-stub-0000-not-a-real-key"

Responder = Callable[[dict[str, Any]], Any]


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 refuses connections when many clients open at
    # once (a concurrency benchmark, a busy machine): the client then sees a reset and retries
    request_queue_size = 256


@dataclass(frozen=True)
class RecordedRequest:
    """One request the stub received, and the fault (if any) that answered it."""

    index: int
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    fault: str | None
    received_at: float

    @property
    def stage(self) -> str | None:
        """The schema name asked for (the edutools prompt name), if any."""
        return request_stage(self.body)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages sent."""
        return list(self.body.get("messages", []))

    @property
    def text(self) -> str:
        """Every message's text, joined by blank lines."""
        return "\n\n".join(content_text(m.get("content")) for m in self.messages)


class StubServer:
    """The stub: see the module docstring for replies, faults and recording.

    Parameters
    ----------
    responder : callable, optional
        ``responder(request_body) -> reply`` when no reply is queued.
    latency : float
        Seconds added to every request.
    model : str
        The model name reported in replies when the request names none.
    port : int
        Port to listen on; 0 picks a free one.

    Attributes
    ----------
    base_url : str
        ``http://127.0.0.1:<port>/v1``, for ``OPENAI_BASE_URL``.
    requests : list of RecordedRequest
        Everything received, in arrival order (faulted requests included).
    errors : list of str
        Exceptions the responder raised (each also answered with HTTP 500).
    max_in_flight : int
        The most requests being answered at the same time so far.

    Example
    -------
    >>> with StubServer() as stub:
    ...     stub.base_url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(
        self,
        responder: Responder | None = None,
        latency: float = 0.0,
        model: str = "stub-model",
        port: int = 0,
    ) -> None:
        self.responder: Responder = responder or respond
        self.port = port
        self.latency = latency
        self.model = model
        self.errors: list[str] = []
        self._requests: list[RecordedRequest] = []
        self._queue: deque[Any] = deque()
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._in_flight = 0
        self.max_in_flight = 0
        #: the files and batches endpoints (OpenAI's Batch API)
        self.batches = StubBatches(self)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> StubServer:
        """Start listening (idempotent)."""
        if self._server is not None:
            return self
        stub = self

        class Handler(StubHandler):
            server_stub = stub

        server = _Server(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},  # shutdown() waits up to one poll
            name="stub-llm",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop listening; stalled replies are released."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (ends in ``/v1``)."""
        if self._server is None:
            raise RuntimeError(
                "the stub server is not running; call start() or use it in a with block"
            )
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def settings(self, base: Settings, **overrides: Any) -> Settings:
        """``base`` pointed at this server, with a dummy API key, plus ``overrides``."""
        return base.with_(openai_base_url=self.base_url, openai_api_key=STUB_API_KEY, **overrides)

    # ------------------------------------------------------------------ scripting

    def enqueue(self, *replies: Any) -> None:
        """Queue replies for the next requests that no fault answers (FIFO)."""
        with self._lock:
            self._queue.extend(replies)

    def inject(
        self,
        kind: FaultKind,
        count: int = 1,
        *,
        after: int = 0,
        when: Callable[[dict[str, Any]], bool] | None = None,
        retry_after: float = 0.01,
        status: int = 500,
        delay: float = 1.0,
        message: str = "server error (stub)",
    ) -> None:
        """Answer the next ``count`` matching requests with a fault.

        Parameters
        ----------
        kind : str
            One of ``rate_limit``, ``server_error``, ``timeout``, ``malformed_json``,
            ``schema_invalid``, ``truncated``.
        count : int
            How many requests get the fault.
        after : int
            Let this many matching requests through first.
        when : callable, optional
            ``when(request_body) -> bool`` selects which requests match (e.g. one stage).
        retry_after, status, delay
            For ``rate_limit``, ``server_error`` and ``timeout``.
        message : str
            The error message of a ``server_error`` reply (e.g. what a server says when it
            rejects ``json_schema``).
        """
        if kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; use one of {', '.join(_FAULT_KINDS)}")
        with self._lock:
            self._faults.append(
                Fault(kind, count, after, when, retry_after, status, delay, message)
            )

    def clear_faults(self) -> None:
        """Drop every pending fault (e.g. to end a simulated outage)."""
        with self._lock:
            self._faults.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far."""
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget recorded requests, queued replies and faults."""
        with self._lock:
            self._requests.clear()
            self._queue.clear()
            self._faults.clear()
            self.errors.clear()
            self.max_in_flight = 0

    def stages(self) -> Iterator[str | None]:
        """The stage of each recorded request, in order."""
        return (r.stage for r in self.requests)

    # ------------------------------------------------------------------ internals

    def _admit(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, Fault | None, Any]:
        with self._lock:
            index = len(self._requests)
            fault = None
            for f in self._faults:
                if f.remaining <= 0 or (f.when is not None and not f.when(body)):
                    continue
                if f.skip > 0:
                    f.skip -= 1
                    continue
                f.remaining -= 1
                fault = f
                break
            queued = self._queue.popleft() if fault is None and self._queue else NOTHING
            self._requests.append(
                RecordedRequest(
                    index, path, headers, body, fault.kind if fault else None, time.time()
                )
            )
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        return index, fault, queued

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _reply_for(self, body: dict[str, Any], queued: Any) -> Any:
        if queued is not NOTHING:
            return queued
        return self.responder(body)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stop.wait(seconds)


def main(argv: list[str] | None = None) -> None:
    """Serve the stub from the command line until interrupted (for manual tests, benchmarks).

    ``python -m edutools.llm.stubserver [--latency 0.2] [--port 0]`` prints the base URL on
    the first line of stdout; ``GET <base URL>/stub/stats`` returns request counts.
    """
    import argparse

    parser = argparse.ArgumentParser(description="OpenAI-compatible stub chat server")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    args = parser.parse_args(argv)
    with StubServer(latency=args.latency, port=args.port) as stub:
        print(stub.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()

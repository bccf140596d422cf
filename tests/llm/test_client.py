"""LLMClient through the real openai client against the stub server: replies, faults, limits."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel

from edutools.errors import ConfigError, GenerationError
from edutools.llm import LLMClient, RetryPolicy, call_structured, load_prompt, run_async
from edutools.llm.stubserver import StubReply, StubServer
from edutools.settings import Settings

T = TypeVar("T")


class Echo(BaseModel):
    """A tiny output type."""

    text: str


PROMPT = load_prompt("reask")


def variables(tag: str = "x") -> dict[str, Any]:
    return {"error": tag, "schema_name": "echo"}


def run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return asyncio.run(main())


def call(
    settings: Settings, retry: RetryPolicy, tag: str = "x", **options: Any
) -> tuple[Echo, Any]:
    async def main() -> tuple[Echo, Any]:
        async with LLMClient(settings, retry=retry, cache=False, **options) as llm:
            out = await llm.structured(PROMPT, Echo, variables(tag))
        return out, llm

    return run(main)


@pytest.mark.parametrize(
    ("fault", "calls", "failed"),
    [
        pytest.param("rate_limit", 1, 1, id="429-then-ok"),
        pytest.param("server_error", 1, 1, id="500-then-ok"),
        pytest.param("timeout", 1, 1, id="timeout-then-ok"),
        pytest.param("malformed_json", 2, 0, id="malformed-json-reasked"),
        pytest.param("schema_invalid", 2, 0, id="schema-invalid-reasked"),
        pytest.param("truncated", 2, 0, id="truncated-asked-again"),
    ],
)
def test_each_fault_is_recovered(
    stub_server: StubServer,
    llm_settings: Settings,
    fast_retry: RetryPolicy,
    fault: Any,
    calls: int,
    failed: int,
) -> None:
    stub_server.inject(fault, delay=1.0)
    stub_server.enqueue({"text": "ok"})
    out, llm = call(llm_settings, fast_retry)
    assert out == Echo(text="ok")
    assert llm.usage().calls == calls
    assert llm.meter.failed_requests == failed
    assert [r.fault for r in stub_server.requests] == [fault, None]


def test_reask_sends_the_error_back(
    stub_server: StubServer, llm_settings: Settings, fast_retry: RetryPolicy
) -> None:
    stub_server.enqueue({"wrong": 1}, {"text": "fixed"})
    out, _ = call(llm_settings, fast_retry)
    assert out.text == "fixed"
    second = stub_server.requests[1].messages
    assert second[-2] == {"role": "assistant", "content": '{"wrong": 1}'}
    assert "text: Field required" in second[-1]["content"]


def test_truncated_reply_is_asked_again_with_more_tokens(
    stub_server: StubServer, llm_settings: Settings, fast_retry: RetryPolicy
) -> None:
    stub_server.enqueue(StubReply('{"text": "cut', finish_reason="length"), {"text": "whole"})
    out, _ = call(llm_settings, fast_retry, max_tokens=100)
    assert out.text == "whole"
    assert [r.body["max_tokens"] for r in stub_server.requests] == [100, 200]


def test_gives_up_after_max_attempts_with_the_attempts(
    stub_server: StubServer, llm_settings: Settings, fast_retry: RetryPolicy
) -> None:
    stub_server.enqueue("not json", {"nope": 1}, "[]")
    with pytest.raises(GenerationError, match="no valid reply in 3 attempt") as info:
        call(llm_settings, fast_retry)
    assert len(info.value.attempts) == 3
    assert "not valid JSON" in info.value.attempts[0]
    assert len(stub_server.requests) == 3


def test_gives_up_after_max_retries(stub_server: StubServer, llm_settings: Settings) -> None:
    stub_server.inject("server_error", count=10)
    retry = RetryPolicy(max_retries=2, base_delay=0.001)
    with pytest.raises(GenerationError, match=r"kept failing \(HTTP 500") as info:
        call(llm_settings, retry)
    assert len(stub_server.requests) == 3
    assert len(info.value.attempts) == 3


def test_retry_after_is_honoured(
    stub_server: StubServer, llm_settings: Settings, fast_retry: RetryPolicy
) -> None:
    stub_server.inject("rate_limit", retry_after=0.3)
    stub_server.enqueue({"text": "ok"})
    call(llm_settings, fast_retry)
    first, second = stub_server.requests
    assert second.received_at - first.received_at >= 0.3


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        pytest.param(401, ConfigError, "rejected the API key", id="401-key"),
        pytest.param(404, ConfigError, "model 'gpt-4o-mini' was not found", id="404-model"),
        pytest.param(400, GenerationError, "rejected the request", id="400-request"),
        pytest.param(
            400,
            ConfigError,
            "rejected json_schema structured output; set EDUTOOLS_STRUCTURED_OUTPUT=function_calling",
            id="400-json-schema",
        ),
    ],
)
def test_client_errors_are_not_retried(
    stub_server: StubServer,
    llm_settings: Settings,
    fast_retry: RetryPolicy,
    status: int,
    error: type[Exception],
    message: str,
) -> None:
    reason = (
        "unsupported param: response_format.json_schema"
        if error is ConfigError and status == 400
        else "no"
    )
    stub_server.inject("server_error", status=status, count=5, message=reason)
    with pytest.raises(error, match=message):
        call(llm_settings, fast_retry)
    assert len(stub_server.requests) == 1


def test_function_calling_method(
    stub_server: StubServer, llm_settings: Settings, fast_retry: RetryPolicy
) -> None:
    settings = llm_settings.with_(structured_output="function_calling")
    stub_server.enqueue({"text": "via tool"})
    out, _ = call(settings, fast_retry)
    assert out.text == "via tool"
    body = stub_server.requests[0].body
    assert "response_format" not in body
    assert body["tool_choice"] == {"type": "function", "function": {"name": "reask"}}
    assert body["tools"][0]["function"]["parameters"]["required"] == ["text"]


def test_json_schema_method(
    stub_server: StubServer, llm_settings: Settings, fast_retry: RetryPolicy
) -> None:
    stub_server.enqueue({"text": "ok"})
    call(llm_settings, fast_retry)
    fmt = stub_server.requests[0].body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "reask"
    assert fmt["json_schema"]["schema"]["properties"] == {
        "text": {"title": "Text", "type": "string"}
    }


def test_check_failure_is_reasked(
    stub_server: StubServer, llm_settings: Settings, fast_retry: RetryPolicy
) -> None:
    stub_server.enqueue({"text": "bad"}, {"text": "good"})

    def check(value: Echo) -> None:
        if value.text != "good":
            raise ValueError("text must be 'good'")

    async def main() -> Echo:
        async with LLMClient(llm_settings, retry=fast_retry, cache=False) as llm:
            return await llm.structured(PROMPT, Echo, variables(), check=check)

    assert run(main).text == "good"
    assert "text must be 'good'" in stub_server.requests[1].messages[-1]["content"]


def test_concurrency_is_bounded(
    stub_server: StubServer, llm_settings: Settings, fast_retry: RetryPolicy
) -> None:
    stub_server.latency = 0.1
    settings = llm_settings.with_(max_concurrency=2)

    async def main() -> float:
        async with LLMClient(settings, retry=fast_retry, cache=False) as llm:
            start = time.monotonic()
            await asyncio.gather(
                *(llm.structured(PROMPT, Echo, variables(str(i))) for i in range(6))
            )
            return time.monotonic() - start

    elapsed = run(main)
    assert stub_server.max_in_flight == 2
    assert elapsed >= 0.3  # 6 calls of 0.1 s, 2 at a time


def test_rate_limit_spaces_requests(
    stub_server: StubServer, llm_settings: Settings, fast_retry: RetryPolicy
) -> None:
    settings = llm_settings.with_(requests_per_minute=600)  # one start per 100 ms

    async def main() -> None:
        async with LLMClient(settings, retry=fast_retry, cache=False) as llm:
            # a first call warms up the client (imports, thread pool, connection), whose
            # one-off delays would otherwise blur the spacing seen at the server
            await llm.structured(PROMPT, Echo, variables("warm-up"))
            await asyncio.gather(
                *(llm.structured(PROMPT, Echo, variables(str(i))) for i in range(4))
            )

    run(main)
    starts = sorted(r.received_at for r in stub_server.requests)[1:]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # arrival adds jitter on a busy machine; spacing by the server clock stays near 100 ms
    assert starts[-1] - starts[0] >= 0.25, gaps
    assert all(g >= 0.05 for g in gaps), gaps


def test_no_provider_is_a_config_error(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="no LLM provider configured"):
        LLMClient(settings)


@pytest.mark.parametrize(
    ("option", "value"),
    [pytest.param("max_attempts", 0, id="attempts"), pytest.param("max_tokens", 0, id="tokens")],
)
def test_invalid_options(llm_settings: Settings, option: str, value: int) -> None:
    with pytest.raises(ConfigError, match=f"{option}=0 is invalid"):
        LLMClient(llm_settings, cache=False, **{option: value})


def test_retries_are_logged_without_the_key(
    stub_server: StubServer,
    llm_settings: Settings,
    fast_retry: RetryPolicy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stub_server.inject("rate_limit")
    stub_server.enqueue({"text": "ok"})
    with caplog.at_level("INFO", logger="edutools.llm"):
        call(llm_settings, fast_retry)
    assert "HTTP 429 rate limit from http://127.0.0.1:" in caplog.text
    assert "retry 1 of 3" in caplog.text
    assert llm_settings.openai_api_key
    assert llm_settings.openai_api_key not in caplog.text


def test_call_structured_from_sync_code(stub_server: StubServer, llm_settings: Settings) -> None:
    stub_server.enqueue({"text": "sync"})
    value, usage = call_structured(llm_settings, PROMPT, Echo, variables(), cache=False)
    assert value == Echo(text="sync")
    assert usage.calls == 1


def test_run_async_inside_a_running_loop() -> None:
    async def inner() -> int:
        await asyncio.sleep(0)
        return 7

    async def outer() -> int:
        return run_async(inner)  # a loop runs here already: run_async uses a helper thread

    assert asyncio.run(outer()) == 7


def test_free_slots_go_to_the_lowest_priority_number(
    stub_server: StubServer, llm_settings: Settings, fast_retry: RetryPolicy
) -> None:
    from edutools.llm.client import CALL_PRIORITY

    stub_server.latency = 0.05
    settings = llm_settings.with_(max_concurrency=1)

    async def main() -> None:
        async with LLMClient(settings, retry=fast_retry, cache=False) as llm:

            async def one(tag: str, priority: int) -> None:
                CALL_PRIORITY.set(priority)  # each task has its own context
                await llm.structured(PROMPT, Echo, variables(tag))

            first = asyncio.create_task(one("first", 9))
            await asyncio.sleep(0.01)  # holds the only slot now
            await asyncio.gather(first, one("p5", 5), one("p1", 1), one("p3", 3))

    run(main)
    order = [r.messages[-1]["content"] for r in stub_server.requests]
    tags = [next(t for t in ("first", "p5", "p1", "p3") if t in text) for text in order]
    assert tags == ["first", "p1", "p3", "p5"]


def test_free_slots_go_to_the_chain_with_the_most_calls_left(
    stub_server: StubServer, llm_settings: Settings, fast_retry: RetryPolicy
) -> None:
    """Longest remaining chain first: fewer calls made wins, then the lower position."""
    from edutools.llm.client import CALL_PRIORITY, ChainPriority

    stub_server.latency = 0.05
    settings = llm_settings.with_(max_concurrency=1)
    chains = {"late": ChainPriority(9), "busy": ChainPriority(0, calls=3), "next": ChainPriority(4)}

    async def main() -> None:
        async with LLMClient(settings, retry=fast_retry, cache=False) as llm:

            async def one(tag: str) -> None:
                CALL_PRIORITY.set(chains[tag] if tag in chains else ChainPriority(0))
                await llm.structured(PROMPT, Echo, variables(tag))

            first = asyncio.create_task(one("first"))
            await asyncio.sleep(0.01)  # holds the only slot now
            await asyncio.gather(first, one("busy"), one("late"), one("next"))

    run(main)
    order = [r.messages[-1]["content"] for r in stub_server.requests]
    tags = [next(t for t in ("first", "busy", "late", "next") if t in text) for text in order]
    assert tags == ["first", "next", "late", "busy"]
    assert chains["busy"].calls == 4  # each call counted
    assert chains["late"].calls == 1

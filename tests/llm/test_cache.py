"""The SQLite call cache: a repeated call makes no HTTP call; usage counts real calls only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from edutools.llm import LLMCache, LLMClient, RetryPolicy, cache_key, load_prompt
from edutools.llm.stubserver import STUB_API_KEY, StubServer
from edutools.schema import Usage
from edutools.settings import Settings

PROMPT = load_prompt("reask")


class Echo(BaseModel):
    """A tiny output type."""

    text: str


def run_calls(settings: Settings, tags: list[str], **options: Any) -> Usage:
    async def main() -> Usage:
        async with LLMClient(settings, retry=RetryPolicy(base_delay=0.001), **options) as llm:
            for tag in tags:
                await llm.structured(PROMPT, Echo, {"error": tag, "schema_name": "echo"})
        return llm.usage()

    return asyncio.run(main())


def test_second_run_makes_no_http_call(stub_server: StubServer, settings: Settings) -> None:
    llm_settings = stub_server.settings(settings)
    first = run_calls(llm_settings, ["a", "b", "a"])
    assert len(stub_server.requests) == 2
    assert (first.calls, first.cached_calls) == (2, 1)
    assert first.prompt_tokens > 0
    second = run_calls(llm_settings, ["a", "b"])
    assert len(stub_server.requests) == 2
    assert second == Usage(
        calls=0, cached_calls=2, prompt_tokens=0, completion_tokens=0, cost_usd=0.0
    )


def test_cache_stores_only_the_validated_reply(stub_server: StubServer, settings: Settings) -> None:
    llm_settings = stub_server.settings(settings)
    stub_server.enqueue("broken", {"text": "good"})
    run_calls(llm_settings, ["a"])
    assert len(stub_server.requests) == 2
    again = run_calls(llm_settings, ["a"])
    assert (again.calls, again.cached_calls) == (0, 1)


@pytest.mark.parametrize(
    ("change", "value"),
    [
        pytest.param("model", "gpt-4o", id="model"),
        pytest.param("temperature", 0.7, id="temperature"),
        pytest.param("max_tokens", 99, id="max-tokens"),
    ],
)
def test_changed_parameters_miss_the_cache(
    stub_server: StubServer, settings: Settings, change: str, value: Any
) -> None:
    llm_settings = stub_server.settings(settings)
    run_calls(llm_settings, ["a"])
    usage = run_calls(llm_settings, ["a"], **{change: value})
    assert (usage.calls, usage.cached_calls) == (1, 0)


def test_changed_messages_miss_the_cache(stub_server: StubServer, settings: Settings) -> None:
    llm_settings = stub_server.settings(settings)
    run_calls(llm_settings, ["a"])
    assert run_calls(llm_settings, ["a "]).calls == 1


def test_cache_off_calls_every_time(stub_server: StubServer, settings: Settings) -> None:
    llm_settings = stub_server.settings(settings, cache=False)
    run_calls(llm_settings, ["a"])
    run_calls(llm_settings, ["a"])
    assert len(stub_server.requests) == 2
    assert not (settings.data_dir / LLMCache.FILE_NAME).exists()


def test_api_key_never_reaches_the_disk(stub_server: StubServer, settings: Settings) -> None:
    run_calls(stub_server.settings(settings), ["a", "b"])
    files = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert STUB_API_KEY.encode() not in path.read_bytes(), path


def test_cache_lives_in_the_data_dir(stub_server: StubServer, settings: Settings) -> None:
    run_calls(stub_server.settings(settings), ["a"])
    with LLMCache(settings.data_dir / LLMCache.FILE_NAME) as cache:
        assert len(cache) == 1


def test_cache_key_is_canonical() -> None:
    assert cache_key({"a": 1, "b": [1, 2]}) == cache_key({"b": [1, 2], "a": 1})
    assert cache_key({"a": 1}) != cache_key({"a": 2})


def test_first_put_wins(tmp_path: Path) -> None:
    with LLMCache(tmp_path / "c.sqlite3") as cache:
        cache.put("k", model="m", stage="s", reply="one", prompt_tokens=1, completion_tokens=1)
        cache.put("k", model="m", stage="s", reply="two", prompt_tokens=1, completion_tokens=1)
        assert cache.get("k") == "one"
        assert cache.get("missing") is None
        cache.clear()
        assert len(cache) == 0

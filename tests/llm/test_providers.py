"""Providers: ``provider:model`` strings, the parameters each model accepts, Azure OpenAI.

Every provider goes over real HTTP to the local stub: OpenAI, OpenAI-compatible servers,
Azure OpenAI's deployment routes, and Anthropic's, Google's and Ollama's native APIs (which the
stub translates to and from chat completions).
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from pydantic import BaseModel

from edutools.errors import ConfigError
from edutools.llm import LLMClient, RetryPolicy, is_reasoning_model, load_prompt, profile
from edutools.llm.factory import make_chat_model
from edutools.llm.stubserver import STUB_API_KEY, FaultKind, StubReply, StubServer
from edutools.settings import Settings, split_model

PROMPT = load_prompt("reask")
FAST = RetryPolicy(max_retries=1, base_delay=0.001, max_delay=0.01)


class Echo(BaseModel):
    """A tiny output type."""

    text: str


def ask(settings: Settings, **options: Any) -> Echo:
    async def main() -> Echo:
        async with LLMClient(settings, retry=FAST, cache=False, **options) as llm:
            return await llm.structured(PROMPT, Echo, {"error": "e", "schema_name": "echo"})

    return asyncio.run(main())


@pytest.mark.parametrize(
    ("model", "base_url", "temperature", "limit", "shape"),
    [
        pytest.param("gpt-4o-mini", None, 0.0, "max_completion_tokens", "json_schema", id="openai"),
        pytest.param("o3-mini", None, None, "max_completion_tokens", "json_schema", id="o3-mini"),
        pytest.param("gpt-5-mini", None, None, "max_completion_tokens", "json_schema", id="gpt-5"),
        pytest.param(
            "gpt-5-chat-latest", None, 0.0, "max_completion_tokens", "json_schema", id="gpt-5-chat"
        ),
        pytest.param(
            "llama3.1:8b", "http://h/v1", 0.0, "max_tokens", "json_schema", id="compatible"
        ),
        pytest.param(
            "o4-mini",
            "http://h/v1",
            None,
            "max_completion_tokens",
            "json_schema",
            id="compatible-reasoning",
        ),
        pytest.param("azure_openai:my-gpt4o", None, 0.0, "max_tokens", "json_schema", id="azure"),
        pytest.param(
            "azure_openai:o3-mini",
            None,
            None,
            "max_completion_tokens",
            "json_schema",
            id="azure-reasoning",
        ),
        pytest.param(
            "anthropic:claude-sonnet-4-5",
            None,
            0.0,
            "max_tokens",
            "function_calling",
            id="anthropic",
        ),
        pytest.param(
            "google_genai:gemini-2.5-flash",
            None,
            0.0,
            "max_output_tokens",
            "function_calling",
            id="google",
        ),
        pytest.param("ollama:llama3.1:8b", None, 0.0, "num_predict", "ollama_format", id="ollama"),
    ],
)
def test_profile(
    model: str, base_url: str | None, temperature: float | None, limit: str, shape: str
) -> None:
    settings = Settings.from_env({"OPENAI_BASE_URL": base_url} if base_url else {})
    p = profile(settings, model)
    assert (p.temperature, p.token_limit, p.shape) == (temperature, limit, shape)


def test_split_model_keeps_names_with_colons() -> None:
    assert split_model("ollama:qwen2.5:7b") == ("ollama", "qwen2.5:7b")
    assert split_model("qwen2.5:7b") == ("openai", "qwen2.5:7b")
    assert split_model("openai:gpt-4o") == ("openai", "gpt-4o")
    assert not is_reasoning_model("gpt-4.1-mini")


@pytest.mark.parametrize(
    ("model", "env", "sent", "absent"),
    [
        pytest.param(
            "stub-model",
            {},
            {"temperature": 0.0, "max_tokens": 64},
            ["max_completion_tokens"],
            id="compatible",
        ),
        pytest.param(
            "openai:stub-model",
            {},
            {"temperature": 0.0, "max_tokens": 64},
            ["max_completion_tokens"],
            id="openai-prefix",
        ),
        pytest.param(
            "o3-mini",
            {},
            {"max_completion_tokens": 64},
            ["temperature", "max_tokens"],
            id="reasoning",
        ),
        pytest.param(
            "stub-model",
            {"EDUTOOLS_TOKEN_LIMIT": "max_completion_tokens", "EDUTOOLS_TEMPERATURE": "default"},
            {"max_completion_tokens": 64},
            ["temperature", "max_tokens"],
            id="settings",
        ),
        pytest.param(
            "stub-model",
            {"EDUTOOLS_TEMPERATURE": "0.7"},
            {"temperature": 0.7},
            [],
            id="temperature",
        ),
    ],
)
def test_only_accepted_parameters_are_sent(
    stub_server: StubServer,
    model: str,
    env: dict[str, str],
    sent: dict[str, Any],
    absent: list[str],
    tmp_path: Any,
) -> None:
    base = Settings.from_env({"EDUTOOLS_DATA_DIR": str(tmp_path), "EDUTOOLS_MODEL": model, **env})
    settings = stub_server.settings(base, timeout=5.0)
    stub_server.enqueue({"text": "ok"})
    assert ask(settings, max_tokens=64) == Echo(text="ok")
    body = stub_server.requests[0].body
    assert {k: body.get(k) for k in sent} == sent
    assert [k for k in absent if k in body] == []
    assert body["model"] == split_model(model)[1]


def test_parameter_refusal_names_the_setting(stub_server: StubServer, settings: Settings) -> None:
    stub_server.inject(
        "server_error",
        status=400,
        message="Unsupported parameter: 'temperature' is not supported with this model.",
    )
    with pytest.raises(
        ConfigError, match=r"rejected the parameter temperature .* EDUTOOLS_TEMPERATURE=default"
    ):
        ask(stub_server.settings(settings, timeout=5.0))


def test_azure_openai_uses_its_standard_settings(stub_server: StubServer, tmp_path: Any) -> None:
    endpoint = stub_server.base_url.removesuffix("/v1")
    settings = Settings.from_env(
        {
            "EDUTOOLS_DATA_DIR": str(tmp_path),
            "EDUTOOLS_MODEL": "azure_openai:quiz-gpt4o",
            "AZURE_OPENAI_API_KEY": STUB_API_KEY,
            "AZURE_OPENAI_ENDPOINT": endpoint,
            "OPENAI_API_VERSION": "2024-10-21",
        }
    )
    assert settings.llm_configured
    stub_server.enqueue({"text": "azure"})
    assert ask(settings, max_tokens=32) == Echo(text="azure")
    request = stub_server.requests[0]
    assert request.path == "/openai/deployments/quiz-gpt4o/chat/completions?api-version=2024-10-21"
    assert request.headers.get("api-key") == STUB_API_KEY
    assert request.body["max_tokens"] == 32
    assert request.body["response_format"]["json_schema"]["name"] == "reask"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"EDUTOOLS_MODEL": "azure_openai:x"},
            "Azure OpenAI needs AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION",
            id="azure",
        ),
        pytest.param(
            {"EDUTOOLS_MODEL": "anthropic:claude-sonnet-4-5"},
            "need ANTHROPIC_API_KEY",
            id="anthropic",
        ),
        pytest.param(
            {"EDUTOOLS_MODEL": "google_genai:gemini-2.5-flash"}, "need GOOGLE_API_KEY", id="google"
        ),
        pytest.param({}, r"set OPENAI_API_KEY .* or OPENAI_BASE_URL", id="openai"),
    ],
)
def test_missing_credentials_are_named(env: dict[str, str], message: str) -> None:
    settings = Settings.from_env(env)
    assert not settings.llm_configured
    with pytest.raises(ConfigError, match=message):
        LLMClient(settings, cache=False)


@pytest.mark.parametrize(
    ("model", "env", "cls", "fields"),
    [
        pytest.param(
            "anthropic:claude-sonnet-4-5",
            {"ANTHROPIC_API_KEY": "k"},
            "ChatAnthropic",
            {"model": "claude-sonnet-4-5", "max_retries": 0, "temperature": 0.0},
            id="anthropic",
        ),
        pytest.param(
            "google_genai:gemini-2.5-flash",
            {"GOOGLE_API_KEY": "k"},
            "ChatGoogleGenerativeAI",
            {"max_retries": 0, "temperature": 0.0},
            id="google",
        ),
        pytest.param(
            "ollama:llama3.1:8b",
            {"OLLAMA_HOST": "http://127.0.0.1:1"},
            "ChatOllama",
            {"model": "llama3.1:8b", "base_url": "http://127.0.0.1:1", "temperature": 0.0},
            id="ollama",
        ),
    ],
)
def test_other_providers_through_init_chat_model(
    model: str, env: dict[str, str], cls: str, fields: dict[str, Any]
) -> None:
    chat = make_chat_model(Settings.from_env({"EDUTOOLS_MODEL": model, **env}))
    assert type(chat).__name__ == cls
    assert {k: getattr(chat, k) for k in fields} == fields


def test_missing_integration_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import langchain.chat_models

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ImportError("No module named 'langchain_anthropic'")

    monkeypatch.setattr(langchain.chat_models, "init_chat_model", refuse)
    settings = Settings.from_env({"EDUTOOLS_MODEL": "anthropic:claude-x", "ANTHROPIC_API_KEY": "k"})
    with pytest.raises(ConfigError, match=r"pip install 'edutools\[anthropic\]'"):
        make_chat_model(settings)


def _provider_settings(stub: StubServer, tmp_path: Any, model: str) -> Settings:
    root = stub.base_url.removesuffix("/v1")
    return Settings.from_env(
        {
            "EDUTOOLS_DATA_DIR": str(tmp_path),
            "EDUTOOLS_MODEL": model,
            "ANTHROPIC_API_KEY": STUB_API_KEY,
            "ANTHROPIC_BASE_URL": root,
            "GOOGLE_API_KEY": STUB_API_KEY,
            "GOOGLE_GEMINI_BASE_URL": root,
            "OLLAMA_HOST": root,
            "EDUTOOLS_TIMEOUT": "10",
        }
    )


@pytest.mark.parametrize(
    ("model", "path", "stage", "fault"),
    [
        pytest.param(
            "anthropic:claude-sonnet-4-5", "/v1/messages", "reask", "rate_limit", id="anthropic"
        ),
        pytest.param(
            "google_genai:gemini-2.5-flash",
            "/v1/models/gemini-2.5-flash:generateContent",
            "reask",
            "rate_limit",
            id="google",
        ),
        # Ollama's format carries only the schema, whose title the stub takes for the stage
        pytest.param("ollama:llama3.1:8b", "/api/chat", "echo", "rate_limit", id="ollama"),
    ],
)
def test_native_apis_through_the_stub(
    stub_server: StubServer, tmp_path: Any, model: str, path: str, stage: str, fault: FaultKind
) -> None:
    """Anthropic's Messages API, Gemini's generateContent and Ollama's chat API, through langchain."""
    settings = _provider_settings(stub_server, tmp_path, model)
    stub_server.inject(fault)  # retried
    stub_server.inject("malformed_json")  # re-asked
    stub_server.enqueue({"text": "native"})

    async def main() -> tuple[Echo, Any, Echo]:
        async with LLMClient(settings, retry=FAST, max_tokens=77) as llm:
            first = await llm.structured(PROMPT, Echo, {"error": "e", "schema_name": "echo"})
            again = await llm.structured(PROMPT, Echo, {"error": "e", "schema_name": "echo"})
            return first, llm.usage(), again

    first, usage, again = asyncio.run(main())
    assert first == again == Echo(text="native")
    assert (usage.calls, usage.cached_calls) == (2, 1)  # a re-ask, then the cache
    assert usage.prompt_tokens > 0
    requests = stub_server.requests
    assert [r.path for r in requests] == [path] * 3
    assert [r.fault for r in requests] == [fault, "malformed_json", None]
    assert all(r.stage == stage for r in requests)
    assert "could not be used" in requests[-1].text  # the re-ask carries the error
    headers = {k.lower(): v for k, v in requests[0].headers.items()}
    if path == "/v1/messages":  # the key from Settings (as x-api-key or a bearer token)
        assert STUB_API_KEY in headers.get("x-api-key", "") + headers.get("authorization", "")
    if path.endswith(":generateContent"):  # in a header, not in the URL
        assert headers.get("x-goog-api-key") == STUB_API_KEY
        assert all(STUB_API_KEY not in r.path for r in requests)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files  # the cache at least
    for file in files:
        assert STUB_API_KEY.encode() not in file.read_bytes(), file


def test_gemini_request_and_reply_through_the_stub(stub_server: StubServer, tmp_path: Any) -> None:
    """Gemini: the forced function, its schema and the limit arrive; the usage is counted."""
    settings = _provider_settings(stub_server, tmp_path, "google_genai:gemini-2.5-flash")
    stub_server.enqueue(StubReply({"text": "gemini"}, prompt_tokens=11, completion_tokens=5))

    async def main() -> tuple[Echo, Any]:
        async with LLMClient(settings, retry=FAST, cache=False, max_tokens=77) as llm:
            value = await llm.structured(PROMPT, Echo, {"error": "e", "schema_name": "echo"})
            return value, llm.usage()

    value, usage = asyncio.run(main())
    assert value == Echo(text="gemini")
    assert (usage.calls, usage.prompt_tokens, usage.completion_tokens) == (1, 11, 5)
    (request,) = stub_server.requests
    body = request.body
    assert (body["model"], body["max_tokens"], body["temperature"]) == ("gemini-2.5-flash", 77, 0)
    assert body["tool_choice"] == {"type": "function", "function": {"name": "reask"}}
    schema = body["tools"][0]["function"]["parameters"]  # Gemini's STRING back as string
    assert (schema["type"], schema["properties"]["text"]["type"]) == ("object", "string")
    assert [m["role"] for m in body["messages"]][-1] == "user"


def _post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/v1/models/gemini-2.5-flash:generateContent", id="v1"),
        pytest.param("/v1beta/models/gemini-2.5-flash:generateContent", id="v1beta"),
    ],
)
def test_gemini_wire_format(stub_server: StubServer, path: str) -> None:
    """The stub's Gemini replies: a functionCall part, MAX_TOKENS, and Google's error shape."""
    url = stub_server.base_url.removesuffix("/v1") + path
    request = {
        "contents": [{"role": "user", "parts": [{"text": "hello"}]}],
        "systemInstruction": {"parts": [{"text": "be brief"}]},
        "tools": [
            {
                "functionDeclarations": [
                    {"name": "other", "parameters": {"type": "OBJECT"}},
                    {
                        "name": "echo",
                        "parameters": {
                            "type": "OBJECT",
                            "properties": {"text": {"type": "STRING"}},
                            "required": ["text"],
                        },
                    },
                ]
            }
        ],
        "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["echo"]}},
    }
    stub_server.enqueue({"text": "hi"}, StubReply("cut", finish_reason="length"))
    stub_server.inject("rate_limit", after=2)
    called = _post(url, request)[1]
    plain = _post(url, {"contents": request["contents"]})[1]
    status, limited = _post(url, request)
    candidate = called["candidates"][0]
    assert candidate["content"]["parts"] == [
        {"functionCall": {"name": "echo", "args": {"text": "hi"}}}
    ]
    assert candidate["finishReason"] == "STOP"
    usage = called["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert plain["candidates"][0]["content"]["parts"] == [{"text": "cut"}]
    assert plain["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert (status, limited["error"]["code"], limited["error"]["status"]) == (
        429,
        429,
        "RESOURCE_EXHAUSTED",
    )
    assert stub_server.requests[0].stage == "echo"
    assert stub_server.requests[0].messages[0] == {"role": "system", "content": "be brief"}


def test_gemini_rate_limit_is_retried(stub_server: StubServer, tmp_path: Any) -> None:
    settings = _provider_settings(stub_server, tmp_path, "google_genai:gemini-2.5-flash")
    stub_server.inject("rate_limit")
    stub_server.enqueue({"text": "later"})

    async def main() -> Echo:
        async with LLMClient(settings, retry=FAST, cache=False) as llm:
            return await llm.structured(PROMPT, Echo, {"error": "e", "schema_name": "echo"})

    assert asyncio.run(main()) == Echo(text="later")
    assert [r.fault for r in stub_server.requests] == ["rate_limit", None]

"""The chat model, built from Settings: langchain-openai over the openai SDK.

One factory serves OpenAI and every OpenAI-compatible server (vLLM, Ollama, llama.cpp)
through ``OPENAI_BASE_URL``. The openai client's own retries are switched off because
:class:`edutools.llm.LLMClient` retries itself (with backoff, jitter and accounting).
"""

from __future__ import annotations

from typing import Any

from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from edutools.settings import Settings

__all__ = ["LOCAL_SERVER_KEY", "make_chat_model"]

# The openai client refuses to start without a key; servers such as Ollama, vLLM and
# llama.cpp ignore it. Used only when a base URL is set and no key is.
LOCAL_SERVER_KEY = "no-key-needed"


def make_chat_model(
    settings: Settings,
    *,
    model: str | None = None,
    temperature: float = 0.0,
    http_async_client: Any | None = None,
) -> ChatOpenAI:
    """A ChatOpenAI for the configured provider.

    Parameters
    ----------
    settings : Settings
        Provider (``openai_api_key``, ``openai_base_url``), ``model`` and ``timeout``.
    model : str, optional
        Overrides ``settings.model``.
    temperature : float
        Sampling temperature.
    http_async_client : httpx2.AsyncClient, optional
        Connection pool for async calls; the caller closes it. Without one, langchain
        shares a process-wide pool, which must not outlive its event loop.

    Returns
    -------
    langchain_openai.ChatOpenAI
        Talks to the Chat Completions API (never the Responses API, which compatible
        servers lack) and does not retry by itself.

    Raises
    ------
    ConfigError
        When neither an API key nor a base URL is configured.

    Example
    -------
    >>> s = Settings.from_env({"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"})
    >>> make_chat_model(s).model_name
    'gpt-4o-mini'
    """
    settings.require_api_access(alternative=None)
    key = settings.openai_api_key or LOCAL_SERVER_KEY
    return ChatOpenAI(
        model=model or settings.model,
        base_url=settings.openai_base_url,
        api_key=SecretStr(key),
        timeout=settings.timeout,
        max_retries=0,
        temperature=temperature,
        use_responses_api=False,
        stream_usage=False,
        http_async_client=http_async_client,
    )

"""The chat model, built from Settings through langchain's ``init_chat_model``.

``EDUTOOLS_MODEL`` names the model, optionally as ``provider:model``:

- no prefix or ``openai:``: OpenAI, or any OpenAI-compatible server (vLLM, Ollama's ``/v1``,
  llama.cpp) at ``OPENAI_BASE_URL``; always the Chat Completions API (compatible servers lack
  the Responses API);
- ``azure_openai:<deployment>``: Azure OpenAI with ``AZURE_OPENAI_API_KEY``,
  ``AZURE_OPENAI_ENDPOINT`` and ``OPENAI_API_VERSION``;
- ``anthropic:``, ``google_genai:``, ``ollama:``: through the extras ``anthropic``, ``google``
  and ``ollama``, at ``ANTHROPIC_BASE_URL``, ``GOOGLE_GEMINI_BASE_URL`` and ``OLLAMA_HOST``
  when set.

Every provider's own retries are switched off because :class:`edutools.llm.LLMClient` retries
itself (with backoff, jitter and accounting). Keys are passed from Settings, never written.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from edutools.errors import ConfigError
from edutools.llm.providers import ModelProfile, profile
from edutools.settings import PROVIDERS, Settings

__all__ = ["LOCAL_SERVER_KEY", "make_chat_model"]

# The openai client refuses to start without a key; servers such as Ollama, vLLM and
# llama.cpp ignore it. Used only when a base URL is set and no key is.
LOCAL_SERVER_KEY = "no-key-needed"
DEFAULT_AZURE_API_VERSION = "2024-10-21"


def make_chat_model(
    settings: Settings,
    *,
    model: str | None = None,
    temperature: float | None = 0.0,
    http_async_client: Any | None = None,
    model_profile: ModelProfile | None = None,
) -> BaseChatModel:
    """The langchain chat model for the configured provider.

    Parameters
    ----------
    settings : Settings
        Provider settings, ``model`` and ``timeout``.
    model : str, optional
        Overrides ``settings.model`` (a name or ``provider:model``).
    temperature : float or None
        Sampling temperature; never sent to models that refuse it (see
        :mod:`edutools.llm.providers`).
    http_async_client : httpx2.AsyncClient, optional
        OpenAI and Azure: the connection pool for async calls; the caller closes it.
    model_profile : ModelProfile, optional
        Already worked out by the caller.

    Returns
    -------
    langchain_core.language_models.BaseChatModel
        Does not retry by itself.

    Raises
    ------
    ConfigError
        When the provider lacks its key or endpoint, or its integration is not installed.

    Example
    -------
    >>> s = Settings.from_env({"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"})
    >>> make_chat_model(s).model_name
    'gpt-4o-mini'
    """
    from langchain.chat_models import init_chat_model

    settings.require_api_access(alternative=None, model=model)
    p = model_profile or profile(settings, model, temperature)
    options: dict[str, Any] = {"timeout": settings.timeout, "max_retries": 0}
    if p.temperature is not None:
        options["temperature"] = p.temperature
    if p.provider == "openai":
        options.update(
            base_url=settings.openai_base_url,
            api_key=SecretStr(settings.openai_api_key or LOCAL_SERVER_KEY),
            use_responses_api=False,
            stream_usage=False,
            http_async_client=http_async_client,
        )
        if p.temperature is None:
            options["temperature"] = None  # not langchain's o1 default of 1
    elif p.provider == "azure_openai":
        options.update(
            azure_deployment=p.name,
            azure_endpoint=settings.azure_openai_endpoint,
            api_key=SecretStr(settings.azure_openai_api_key or ""),
            api_version=settings.azure_openai_api_version or DEFAULT_AZURE_API_VERSION,
            stream_usage=False,
            http_async_client=http_async_client,
        )
        if p.temperature is None:
            options["temperature"] = None
    elif p.provider == "anthropic":
        options["api_key"] = SecretStr(settings.anthropic_api_key or "")
        if settings.anthropic_base_url:
            options["base_url"] = settings.anthropic_base_url
        options["max_tokens"] = 4096  # required by the API; each request sets its own
    elif p.provider == "google_genai":
        options["google_api_key"] = SecretStr(settings.google_api_key or "")
        if settings.google_base_url:
            options["base_url"] = settings.google_base_url
    elif p.provider == "ollama":
        # no retries of its own; the timeout goes to its httpx client
        del options["max_retries"], options["timeout"]
        options["client_kwargs"] = {"timeout": settings.timeout}
        if settings.ollama_base_url:
            options["base_url"] = settings.ollama_base_url
    try:
        return init_chat_model(p.name, model_provider=p.provider, **options)
    except ImportError:
        extra = PROVIDERS.get(p.provider)
        raise ConfigError(
            f"EDUTOOLS_MODEL={p.key!r} needs the {p.provider} integration: "
            f"pip install 'edutools[{extra}]'"
        ) from None

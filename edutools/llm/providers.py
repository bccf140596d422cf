"""Which parameters each provider and model accepts, and how a structured reply is asked for.

``EDUTOOLS_MODEL`` is a model name (OpenAI, or the OpenAI-compatible server at
``OPENAI_BASE_URL``) or a ``provider:model`` string as langchain's ``init_chat_model`` reads
it. :func:`profile` turns it into a :class:`ModelProfile`: what to send and what not to.

- Reasoning models (OpenAI's o1, o3, o4-mini and gpt-5 families, also behind Azure or a
  compatible server) refuse ``temperature``: it is never sent to them. They take the
  completion limit as ``max_completion_tokens``.
- OpenAI itself takes ``max_completion_tokens``; compatible servers (vLLM, Ollama's ``/v1``,
  llama.cpp) read the classic ``max_tokens``, unless ``EDUTOOLS_TOKEN_LIMIT`` says otherwise.
- Anthropic calls the limit ``max_tokens``, Google ``max_output_tokens``, Ollama's native API
  ``num_predict``.
- Structured output: OpenAI and Azure use ``EDUTOOLS_STRUCTURED_OUTPUT`` (``json_schema`` or
  ``function_calling``); Anthropic and Google a forced tool call; Ollama's native API its
  ``format`` (a JSON schema).

The rules are written out here rather than read from langchain's model profiles because
those do not say which models refuse ``temperature`` or which limit name a server reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from edutools.settings import Settings, split_model

__all__ = ["ModelProfile", "Shape", "is_reasoning_model", "profile"]

#: how the schema is asked for: response_format, a forced tool call, or Ollama's ``format``
Shape = Literal["json_schema", "function_calling", "ollama_format"]

_REASONING = re.compile(r"^(o\d+(-mini|-pro)?|gpt-5(?!-chat)[\w.-]*)($|[-:@])")


def is_reasoning_model(name: str) -> bool:
    """True for OpenAI reasoning models, which refuse ``temperature``.

    Example
    -------
    >>> [is_reasoning_model(m) for m in ("o3-mini", "o1", "gpt-5-mini", "gpt-5-chat-latest", "gpt-4o")]
    [True, True, True, False, False]
    """
    base = name.rsplit("/", 1)[-1].lower()
    return bool(_REASONING.match(base))


@dataclass(frozen=True)
class ModelProfile:
    """What one model is sent.

    Attributes
    ----------
    provider : str
        ``openai``, ``azure_openai``, ``anthropic``, ``google_genai`` or ``ollama``.
    name : str
        The model (Azure: the deployment) name without the provider prefix.
    shape : Shape
        How the output schema is asked for.
    temperature : float or None
        Sent only when not None.
    token_limit : str or None
        The request field that carries the completion-token limit.
    token_limit_in_body : bool
        OpenAI-compatible servers: the limit goes verbatim into the request body (langchain
        would rename ``max_tokens`` to ``max_completion_tokens``).
    """

    provider: str
    name: str
    shape: Shape
    temperature: float | None
    token_limit: str
    token_limit_in_body: bool = False

    @property
    def key(self) -> str:
        """The model as ``provider:name``, for the cache key and provenance."""
        return f"{self.provider}:{self.name}"


def profile(
    settings: Settings, model: str | None = None, temperature: float | None = 0.0
) -> ModelProfile:
    """The :class:`ModelProfile` of ``model`` (default ``settings.model``).

    Parameters
    ----------
    settings : Settings
        ``structured_output``, ``token_limit`` and ``openai_base_url`` shape OpenAI requests.
    model : str, optional
        A model name or ``provider:model`` string.
    temperature : float or None
        The temperature wanted; dropped for reasoning models.

    Example
    -------
    >>> s = Settings.from_env({})
    >>> p = profile(s, "o3-mini")
    >>> p.temperature, p.token_limit
    (None, 'max_completion_tokens')
    >>> profile(s, "anthropic:claude-sonnet-4-5").shape
    'function_calling'
    """
    provider, name = split_model(model or settings.model)
    reasoning = is_reasoning_model(name)
    temp = None if reasoning else temperature
    if provider in ("openai", "azure_openai"):
        shape: Shape = (
            "function_calling"
            if settings.structured_output == "function_calling"
            else "json_schema"
        )
        compatible = provider == "openai" and settings.openai_base_url is not None
        if settings.token_limit != "auto":
            limit = settings.token_limit
        elif reasoning or (provider == "openai" and not compatible):
            limit = "max_completion_tokens"
        else:
            limit = "max_tokens"
        return ModelProfile(provider, name, shape, temp, limit, token_limit_in_body=True)
    if provider == "anthropic":
        return ModelProfile(provider, name, "function_calling", temp, "max_tokens")
    if provider == "google_genai":
        return ModelProfile(provider, name, "function_calling", temp, "max_output_tokens")
    return ModelProfile(provider, name, "ollama_format", temp, "num_predict")

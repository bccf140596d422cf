"""One ``Settings`` object, read from the environment.

Variables:

==============================  =============================================================
``OPENAI_API_KEY``              key for OpenAI or an OpenAI-compatible server (never stored)
``OPENAI_BASE_URL``             base URL of an OpenAI-compatible server (vLLM, Ollama, llama.cpp)
``AZURE_OPENAI_API_KEY``        Azure OpenAI key; with ``AZURE_OPENAI_ENDPOINT`` and
                                ``OPENAI_API_VERSION`` (or ``AZURE_OPENAI_API_VERSION``)
``ANTHROPIC_API_KEY``           for ``anthropic:`` models (extra ``anthropic``); ``ANTHROPIC_BASE_URL``
                                for another endpoint
``GOOGLE_API_KEY``              for ``google_genai:`` models (extra ``google``); or ``GEMINI_API_KEY``;
                                ``GOOGLE_GEMINI_BASE_URL`` for another endpoint
``OLLAMA_HOST``                 Ollama's native API for ``ollama:`` models (extra ``ollama``)
``EDUTOOLS_DATABASE_URL``       SQLAlchemy URL; default SQLite file in the data directory
``EDUTOOLS_DATA_DIR``           where the database and LLM cache live; default XDG data dir
``EDUTOOLS_MODEL``              chat model: a name (OpenAI or the server at ``OPENAI_BASE_URL``)
                                or ``provider:model`` as langchain's ``init_chat_model`` reads it,
                                e.g. ``azure_openai:my-deployment``, ``anthropic:claude-sonnet-4-5``
                                (default ``gpt-4o-mini``)
``EDUTOOLS_TEMPERATURE``        sampling temperature (default 0; ``default``: send none); never
                                sent to reasoning models (o1, o3, o4-mini, gpt-5), which refuse it
``EDUTOOLS_TOKEN_LIMIT``        name of the completion-token limit sent to OpenAI-compatible
                                servers: ``auto`` (default), ``max_tokens`` or ``max_completion_tokens``
``EDUTOOLS_STRUCTURED_OUTPUT``  ``json_schema`` (default) or ``function_calling``
``EDUTOOLS_MAX_CONCURRENCY``    parallel LLM calls (default 8)
``EDUTOOLS_REQUESTS_PER_MINUTE`` client-side rate limit (default 0 = none)
``EDUTOOLS_TIMEOUT``            seconds per LLM request (default 60)
``EDUTOOLS_MAX_RETRIES``        retries on 429/5xx/timeouts (default 5)
``EDUTOOLS_CACHE``              ``1`` (default) to cache LLM calls on disk, ``0`` to disable
``EDUTOOLS_BATCH_POLL_SECONDS`` ``generate --batch``: seconds between looks at a batch (default 30)
``EDUTOOLS_APP_PASSWORD_HASH``  app login: ``pbkdf2_sha256$iterations$salt$base64(hash)`` (Django's format; ``edutools app hash-password`` makes one)
==============================  =============================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from edutools.errors import ConfigError

__all__ = ["PROVIDERS", "Settings", "default_data_dir", "split_model"]

_STRUCTURED_METHODS = ("json_schema", "function_calling")
_TOKEN_LIMITS = ("auto", "max_tokens", "max_completion_tokens")
#: ``provider:`` prefixes of EDUTOOLS_MODEL (langchain's init_chat_model names) and the extra
#: that brings each one's integration package
PROVIDERS: dict[str, str | None] = {
    "openai": None,
    "azure_openai": None,
    "anthropic": "anthropic",
    "google_genai": "google",
    "ollama": "ollama",
}


def split_model(model: str) -> tuple[str, str]:
    """``(provider, model name)`` of a model string; no known prefix means OpenAI.

    Example
    -------
    >>> split_model("anthropic:claude-sonnet-4-5"), split_model("llama3.1:8b")
    (('anthropic', 'claude-sonnet-4-5'), ('openai', 'llama3.1:8b'))
    """
    prefix, sep, name = model.partition(":")
    if sep and prefix in PROVIDERS and name:
        return prefix, name
    return "openai", model


def _temperature(env: Mapping[str, str]) -> float | None:
    raw = (env.get("EDUTOOLS_TEMPERATURE") or "0").strip()
    if raw.lower() in ("default", "none"):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(
            f"EDUTOOLS_TEMPERATURE={raw!r} is not a number; set it to e.g. 0, or to 'default' "
            "to send none"
        ) from None
    if not 0 <= value <= 2:
        raise ConfigError(f"EDUTOOLS_TEMPERATURE={value} is outside 0..2")
    return value


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user data directory: ``$EDUTOOLS_DATA_DIR`` or ``$XDG_DATA_HOME/edutools``."""
    env = os.environ if environ is None else environ
    if env.get("EDUTOOLS_DATA_DIR"):
        return Path(env["EDUTOOLS_DATA_DIR"]).expanduser()
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "edutools"


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"{name}={raw!r} is not a whole number; set it to e.g. {default}"
        ) from None
    if value < minimum:
        raise ConfigError(f"{name}={value} is below {minimum}; set it to {minimum} or more")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number; set it to e.g. {default}") from None
    if value <= 0:
        raise ConfigError(f"{name}={value} must be positive")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything configurable, in one immutable object.

    Build it with :meth:`from_env`; override single values with :meth:`with_`.
    The API key is kept out of ``repr`` so it cannot leak into logs.

    Example
    -------
    >>> s = Settings.from_env({"EDUTOOLS_DATA_DIR": "/tmp/x"})
    >>> s.database_url
    'sqlite:////tmp/x/edutools.sqlite3'
    """

    data_dir: Path
    database_url: str
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    azure_openai_api_key: str | None = field(default=None, repr=False)
    azure_openai_endpoint: str | None = None
    azure_openai_api_version: str | None = None
    anthropic_api_key: str | None = field(default=None, repr=False)
    anthropic_base_url: str | None = None
    google_api_key: str | None = field(default=None, repr=False)
    google_base_url: str | None = None
    ollama_base_url: str | None = None
    model: str = "gpt-4o-mini"
    temperature: float | None = 0.0
    token_limit: str = "auto"
    structured_output: str = "json_schema"
    max_concurrency: int = 8
    requests_per_minute: int = 0
    timeout: float = 60.0
    max_retries: int = 5
    cache: bool = True
    batch_poll_seconds: float = 30.0
    app_password_hash: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.structured_output not in _STRUCTURED_METHODS:
            raise ConfigError(
                f"EDUTOOLS_STRUCTURED_OUTPUT={self.structured_output!r} is not valid; "
                f"use one of {', '.join(_STRUCTURED_METHODS)}"
            )
        if self.max_concurrency < 1:
            raise ConfigError("EDUTOOLS_MAX_CONCURRENCY must be at least 1")
        if self.token_limit not in _TOKEN_LIMITS:
            raise ConfigError(
                f"EDUTOOLS_TOKEN_LIMIT={self.token_limit!r} is not valid; use one of "
                f"{', '.join(_TOKEN_LIMITS)}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``), then apply ``overrides``."""
        env = os.environ if environ is None else environ
        data_dir = default_data_dir(env)
        db_url = env.get("EDUTOOLS_DATABASE_URL") or f"sqlite:///{data_dir / 'edutools.sqlite3'}"
        settings = cls(
            data_dir=data_dir,
            database_url=db_url,
            openai_api_key=env.get("OPENAI_API_KEY") or None,
            openai_base_url=env.get("OPENAI_BASE_URL") or None,
            azure_openai_api_key=env.get("AZURE_OPENAI_API_KEY") or None,
            azure_openai_endpoint=env.get("AZURE_OPENAI_ENDPOINT") or None,
            azure_openai_api_version=(
                env.get("AZURE_OPENAI_API_VERSION") or env.get("OPENAI_API_VERSION") or None
            ),
            anthropic_api_key=env.get("ANTHROPIC_API_KEY") or None,
            anthropic_base_url=env.get("ANTHROPIC_BASE_URL") or None,
            google_api_key=env.get("GOOGLE_API_KEY") or env.get("GEMINI_API_KEY") or None,
            google_base_url=env.get("GOOGLE_GEMINI_BASE_URL") or None,
            ollama_base_url=env.get("OLLAMA_HOST") or None,
            model=env.get("EDUTOOLS_MODEL") or "gpt-4o-mini",
            temperature=_temperature(env),
            token_limit=(env.get("EDUTOOLS_TOKEN_LIMIT") or "auto").strip(),
            structured_output=env.get("EDUTOOLS_STRUCTURED_OUTPUT") or "json_schema",
            max_concurrency=_int(env, "EDUTOOLS_MAX_CONCURRENCY", 8, minimum=1),
            requests_per_minute=_int(env, "EDUTOOLS_REQUESTS_PER_MINUTE", 0),
            timeout=_float(env, "EDUTOOLS_TIMEOUT", 60.0),
            max_retries=_int(env, "EDUTOOLS_MAX_RETRIES", 5),
            cache=(env.get("EDUTOOLS_CACHE", "1").strip().lower() not in ("0", "false", "no")),
            batch_poll_seconds=_float(env, "EDUTOOLS_BATCH_POLL_SECONDS", 30.0),
            app_password_hash=env.get("EDUTOOLS_APP_PASSWORD_HASH") or None,
        )
        return settings.with_(**overrides) if overrides else settings

    def with_(self, **changes: Any) -> Settings:
        """A copy with some values changed; unknown names are an error."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(
                f"unknown setting(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}"
            )
        return replace(self, **changes)

    @property
    def provider(self) -> str:
        """The chat-model provider ``EDUTOOLS_MODEL`` names (``openai`` without a prefix)."""
        return split_model(self.model)[0]

    def provider_problem(self, model: str | None = None) -> str | None:
        """What is missing to call ``model`` (default ``self.model``), or None."""
        provider = split_model(model or self.model)[0]
        if provider == "openai" and not (self.openai_api_key or self.openai_base_url):
            return (
                "no LLM provider configured: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL "
                "(an OpenAI-compatible server such as vLLM, Ollama or llama.cpp), or name another "
                "provider in EDUTOOLS_MODEL (e.g. anthropic:claude-sonnet-4-5)"
            )
        if provider == "azure_openai":
            missing = [
                name
                for name, value in (
                    ("AZURE_OPENAI_API_KEY", self.azure_openai_api_key),
                    ("AZURE_OPENAI_ENDPOINT", self.azure_openai_endpoint),
                    ("OPENAI_API_VERSION", self.azure_openai_api_version),
                )
                if not value
            ]
            if missing:
                return f"Azure OpenAI needs {', '.join(missing)}: set it in the environment"
        if provider == "anthropic" and not self.anthropic_api_key:
            return "anthropic models need ANTHROPIC_API_KEY: set it in the environment"
        if provider == "google_genai" and not self.google_api_key:
            return "google_genai models need GOOGLE_API_KEY (or GEMINI_API_KEY): set it"
        return None

    @property
    def llm_configured(self) -> bool:
        """True when the provider ``EDUTOOLS_MODEL`` names has what it needs."""
        return self.provider_problem() is None

    def require_api_access(
        self, alternative: str | None = "use --engine local", model: str | None = None
    ) -> None:
        """Raise a ConfigError that says how to configure a provider when none is set.

        ``alternative`` names what else the user could do (None: nothing).
        """
        problem = self.provider_problem(model)
        if problem is not None:
            raise ConfigError(problem + (f", or {alternative}" if alternative else ""))

"""One ``Settings`` object, read from the environment.

Variables:

==============================  =============================================================
``OPENAI_API_KEY``              key for OpenAI or an OpenAI-compatible server (never stored)
``OPENAI_BASE_URL``             base URL of an OpenAI-compatible server (vLLM, Ollama, llama.cpp)
``EDUTOOLS_DATABASE_URL``       SQLAlchemy URL; default SQLite file in the data directory
``EDUTOOLS_DATA_DIR``           where the database and LLM cache live; default XDG data dir
``EDUTOOLS_MODEL``              chat model name (default ``gpt-4o-mini``)
``EDUTOOLS_STRUCTURED_OUTPUT``  ``json_schema`` (default) or ``function_calling``
``EDUTOOLS_MAX_CONCURRENCY``    parallel LLM calls (default 8)
``EDUTOOLS_REQUESTS_PER_MINUTE`` client-side rate limit (default 0 = none)
``EDUTOOLS_TIMEOUT``            seconds per LLM request (default 60)
``EDUTOOLS_MAX_RETRIES``        retries on 429/5xx/timeouts (default 5)
``EDUTOOLS_CACHE``              ``1`` (default) to cache LLM calls on disk, ``0`` to disable
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

__all__ = ["Settings", "default_data_dir"]

_STRUCTURED_METHODS = ("json_schema", "function_calling")


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
    model: str = "gpt-4o-mini"
    structured_output: str = "json_schema"
    max_concurrency: int = 8
    requests_per_minute: int = 0
    timeout: float = 60.0
    max_retries: int = 5
    cache: bool = True
    app_password_hash: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.structured_output not in _STRUCTURED_METHODS:
            raise ConfigError(
                f"EDUTOOLS_STRUCTURED_OUTPUT={self.structured_output!r} is not valid; "
                f"use one of {', '.join(_STRUCTURED_METHODS)}"
            )
        if self.max_concurrency < 1:
            raise ConfigError("EDUTOOLS_MAX_CONCURRENCY must be at least 1")

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
            model=env.get("EDUTOOLS_MODEL") or "gpt-4o-mini",
            structured_output=env.get("EDUTOOLS_STRUCTURED_OUTPUT") or "json_schema",
            max_concurrency=_int(env, "EDUTOOLS_MAX_CONCURRENCY", 8, minimum=1),
            requests_per_minute=_int(env, "EDUTOOLS_REQUESTS_PER_MINUTE", 0),
            timeout=_float(env, "EDUTOOLS_TIMEOUT", 60.0),
            max_retries=_int(env, "EDUTOOLS_MAX_RETRIES", 5),
            cache=(env.get("EDUTOOLS_CACHE", "1").strip().lower() not in ("0", "false", "no")),
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
    def llm_configured(self) -> bool:
        """True when an API key or a base URL (a local server needs no key) is set."""
        return bool(self.openai_api_key or self.openai_base_url)

    def require_api_access(self, alternative: str | None = "use --engine local") -> None:
        """Raise a ConfigError that says how to configure a provider when none is set.

        ``alternative`` names what else the user could do (None: nothing).
        """
        if not self.llm_configured:
            raise ConfigError(
                "no LLM provider configured: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL "
                "(an OpenAI-compatible server such as vLLM, Ollama or llama.cpp)"
                + (f", or {alternative}" if alternative else "")
            )

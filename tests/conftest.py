"""Fixtures shared by the whole suite. Subpackages keep their own fixtures in their conftest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _pg import pg_schema

from edutools.llm.stubserver import StubServer
from edutools.settings import Settings

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test touches the user's data directory or a real provider."""
    data_dir = tmp_path_factory.mktemp("edutools-data")
    monkeypatch.setenv("EDUTOOLS_DATA_DIR", str(data_dir))
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_API_VERSION",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_API_VERSION",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "GOOGLE_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_GEMINI_BASE_URL",
        "OLLAMA_HOST",
        "EDUTOOLS_MODEL",
        "EDUTOOLS_TEMPERATURE",
        "EDUTOOLS_TOKEN_LIMIT",
        "EDUTOOLS_STRUCTURED_OUTPUT",
        "EDUTOOLS_BATCH_POLL_SECONDS",
        "EDUTOOLS_DATABASE_URL",
        "EDUTOOLS_APP_PASSWORD_HASH",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a private SQLite database in the test's temporary folder."""
    return Settings.from_env({"EDUTOOLS_DATA_DIR": str(tmp_path)})


@pytest.fixture
def data_dir() -> Path:
    """The tests/data folder."""
    return DATA


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: SQLite always; PostgreSQL when EDUTOOLS_TEST_PG_URL is set.

    In CI (EDUTOOLS_REQUIRE_POSTGRES=1) a missing PostgreSQL URL fails instead of skipping.
    Each PostgreSQL test gets its own schema, dropped afterwards.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    with pg_schema("the PostgreSQL storage tests") as url:
        yield url


@pytest.fixture
def stub_server() -> Iterator[StubServer]:
    """A local OpenAI-compatible chat-completions server on 127.0.0.1 (a free port).

    The real openai client (through langchain-openai) talks to it over HTTP. Full reference:
    ``edutools/llm/stubserver.py``. The API in short:

    - ``stub_server.settings(settings, **overrides)``: ``settings`` pointed at the stub
      (``openai_base_url`` and a dummy ``openai_api_key``), e.g. ``timeout=0.5``.
    - ``stub_server.enqueue(reply, ...)``: replies for the next requests, first in first out.
      A dict / list / pydantic model is sent as JSON; a str verbatim (e.g. broken JSON);
      ``StubReply(content, finish_reason="length")`` controls finish reason and tokens.
    - ``stub_server.responder = fn``: ``fn(request_body) -> reply`` when nothing is queued.
      The default answers every edutools prompt stage (analyse, judge, rewrite, merge,
      baseline, self_check) from the request, and any other schema with a minimal instance.
    - ``stub_server.inject(kind, count=1, *, after=0, when=None, retry_after=0.01,
      status=500, delay=1.0)``: faults ``rate_limit`` (429 + Retry-After),
      ``server_error`` (``status``), ``timeout`` (stall ``delay`` s), ``malformed_json``,
      ``schema_invalid``, ``truncated`` (``finish_reason="length"``);
      ``clear_faults()`` ends an outage.
    - ``stub_server.latency = 0.05``: a fixed delay per request.
    - ``stub_server.requests``: every request as ``RecordedRequest`` (``.body``, ``.stage``,
      ``.messages``, ``.text``, ``.fault``, ``.headers``); ``stub_server.errors`` lists
      responder exceptions; ``stub_server.max_in_flight`` the peak concurrency seen.
    """
    with StubServer() as server:
        yield server

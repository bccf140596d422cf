"""Settings: read from the environment, validated, key never in repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from edutools.errors import ConfigError
from edutools.settings import Settings


def test_defaults_and_data_dir() -> None:
    s = Settings.from_env({"EDUTOOLS_DATA_DIR": "/tmp/edu"})
    assert s.data_dir == Path("/tmp/edu")
    assert s.database_url == "sqlite:////tmp/edu/edutools.sqlite3"
    assert (s.model, s.structured_output, s.max_concurrency, s.cache) == (
        "gpt-4o-mini",
        "json_schema",
        8,
        True,
    )
    assert not s.llm_configured


def test_xdg_fallback() -> None:
    s = Settings.from_env({"XDG_DATA_HOME": "/x"})
    assert s.data_dir == Path("/x/edutools")


def test_api_key_is_not_in_repr() -> None:
    s = Settings.from_env({"OPENAI_API_KEY": "sk-secret-123", "EDUTOOLS_DATA_DIR": "/tmp/e"})
    assert s.llm_configured
    assert "sk-secret" not in repr(s)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"EDUTOOLS_MAX_CONCURRENCY": "many"},
            "EDUTOOLS_MAX_CONCURRENCY='many' is not a whole number",
            id="not-int",
        ),
        pytest.param(
            {"EDUTOOLS_MAX_CONCURRENCY": "0"}, "EDUTOOLS_MAX_CONCURRENCY=0 is below 1", id="zero"
        ),
        pytest.param(
            {"EDUTOOLS_TIMEOUT": "-1"},
            "EDUTOOLS_TIMEOUT=-1.0 must be positive",
            id="negative-timeout",
        ),
        pytest.param(
            {"EDUTOOLS_STRUCTURED_OUTPUT": "xml"},
            "use one of json_schema, function_calling",
            id="method",
        ),
    ],
)
def test_invalid_values(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_overrides_and_unknown_names() -> None:
    s = Settings.from_env({}, model="llama3")
    assert s.model == "llama3"
    with pytest.raises(ConfigError, match="unknown setting"):
        s.with_(modle="x")


def test_missing_provider_message() -> None:
    with pytest.raises(ConfigError, match=r"set OPENAI_API_KEY .* or OPENAI_BASE_URL"):
        Settings.from_env({}).require_api_access()

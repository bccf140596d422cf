"""Fixtures of the LLM-layer tests: settings aimed at the stub server, fast retries."""

from __future__ import annotations

import pytest

from edutools.llm import RetryPolicy
from edutools.llm.stubserver import StubServer
from edutools.settings import Settings


@pytest.fixture
def llm_settings(stub_server: StubServer, settings: Settings) -> Settings:
    """Settings pointed at the stub, with a short timeout."""
    return stub_server.settings(settings, timeout=0.5, max_retries=3)


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """Backoff in milliseconds, so retry tests stay fast."""
    return RetryPolicy(max_retries=3, base_delay=0.001, max_delay=0.01)

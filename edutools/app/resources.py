"""Process-wide resources the pages share: settings and one Store per database URL."""

from __future__ import annotations

import streamlit as st

from edutools.settings import Settings
from edutools.store import Store

__all__ = ["settings", "store"]


def settings() -> Settings:
    """Settings read from the environment now (cheap; never cached, so tests can change it)."""
    return Settings.from_env()


@st.cache_resource(show_spinner=False, max_entries=4)
def _store(url: str) -> Store:
    return Store.from_url(url)


def store() -> Store:
    """The shared Store of the configured database (one engine and pool per URL)."""
    return _store(settings().database_url)

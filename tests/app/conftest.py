"""AppTest fixtures: a loopback server address (so staff pages open without a login)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).parents[2] / "app.py")


@pytest.fixture
def server_address() -> Iterator[Callable[[str], None]]:
    """Set ``server.address`` for the in-process app; restored afterwards."""
    before = config.get_option("server.address")

    def set_address(address: str) -> None:
        config.set_option("server.address", address)

    yield set_address
    config.set_option("server.address", before)


_PAGE_SCRIPT = """
import streamlit as st
from edutools.app import auth, resources
from edutools.app.pages import {page}
st.set_page_config(layout="wide")
auth.guard({page}.render, resources.settings)()
"""


@pytest.fixture
def app(server_address: Callable[[str], None]) -> Callable[..., AppTest]:
    """A fresh AppTest on a loopback address: app.py, or one staff page behind its login guard.

    AppTest.switch_page() reaches file pages only; the staff pages are callables, so a page is
    run by a two-line script that wraps it the way the navigation does.
    """

    def make(page: str | None = None, **query: str) -> AppTest:
        server_address("127.0.0.1")
        if page is None:
            at = AppTest.from_file(APP, default_timeout=60)
        else:
            at = AppTest.from_string(_PAGE_SCRIPT.format(page=page), default_timeout=60)
        for k, v in query.items():
            at.query_params[k] = v
        return at

    return make

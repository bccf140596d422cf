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


@pytest.fixture
def app(server_address: Callable[[str], None]) -> Callable[..., AppTest]:
    """A fresh AppTest of app.py on a loopback address, optionally opened at a page."""

    def make(page: str | None = None, **query: str) -> AppTest:
        server_address("127.0.0.1")
        at = AppTest.from_file(APP, default_timeout=60)
        for k, v in query.items():
            at.query_params[k] = v
        if page is not None:
            at.switch_page(page)
        return at

    return make

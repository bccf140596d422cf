"""Access in chromium: with a login configured, the admin page shows the login form and no data."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import AppServer, screenshot, start_server, stop_server

from edutools.app.passwords import hash_password
from edutools.store import Store
from edutools.studyflow import load_bundle, register_study

sys.path.insert(0, str(Path(__file__).parents[1] / "studyflow"))
from studyflow_fixtures import write_small_study

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    data = tmp_path_factory.mktemp("access-app")
    study, stimuli = load_bundle(write_small_study(data / "study"))
    store = Store.from_url(f"sqlite:///{data / 'edutools.sqlite3'}")
    register_study(store, study, stimuli)
    store.close()
    s = start_server(
        data, {"EDUTOOLS_APP_PASSWORD_HASH": hash_password(PASSWORD, iterations=10_000)}
    )
    yield s
    stop_server(s)


def test_admin_page_needs_a_login(server: AppServer, browser_context: Any) -> None:
    page = browser_context.new_page()
    page.goto(f"{server.url}/study_admin")
    page.get_by_role("heading", name="Log in").wait_for()
    page.get_by_label("Password", exact=True).wait_for()
    body = page.locator("body").inner_text()
    for secret in ("test-gsp-v1", "A small GSP test study", "Started", "Raw data"):
        assert secret not in body
    assert page.locator('[data-testid="stMetric"]').count() == 0
    assert "listens on" not in body, "no 'local only' banner when a login is configured"
    screenshot(page, "access-1-login")

    page.get_by_label("Password", exact=True).fill("guess")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Wrong password.").wait_for()
    assert "test-gsp-v1" not in page.locator("body").inner_text()

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Study admin").wait_for()
    page.get_by_text("/?study=test-gsp-v1&PROLIFIC_PID=").wait_for()
    screenshot(page, "access-2-admin")

    # a participant link needs no login and shows only the participant's own session
    participant = browser_context.new_page()
    participant.goto(f"{server.url}/?study=test-gsp-v1&PROLIFIC_PID=ACCESS1")
    participant.get_by_text("Information and consent").wait_for()
    assert participant.get_by_role("heading", name="Log in").count() == 0
    participant.close()
    page.close()

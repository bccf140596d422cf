"""A researcher in chromium: calibrate, compare, assemble; every page reload brings it back.

The analyses come back from the database (a reload starts a new Streamlit session), and a
new tab's Downloads page regenerates the assembled form's files from it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import AppServer, screenshot, start_server, stop_server

from edutools.store import Store

pytestmark = pytest.mark.browser
TITLE = "2PL on example course responses (simulated)"
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    s = start_server(tmp_path_factory.mktemp("research-app"))
    yield s
    stop_server(s)


def _nav(page: Any, name: str, heading: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=heading).wait_for()


def _settle(page: Any) -> None:
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=60_000)
    page.wait_for_timeout(800)


def test_reload_brings_every_analysis_back(
    server: AppServer, browser_context: Any, tmp_path: Path
) -> None:
    page = browser_context.new_page()
    page.goto(f"{server.url}/calibrate")
    page.get_by_role("heading", name="Calibrate").wait_for()
    page.get_by_text("Example course", exact=True).click()
    page.get_by_role("button", name="Calibrate", exact=True).click()
    page.get_by_role("heading", name=TITLE).wait_for(timeout=60_000)

    page.reload()
    page.get_by_role("heading", name=TITLE).wait_for(timeout=60_000)
    assert page.get_by_role("button", name="Calibrate", exact=True).is_disabled()  # no new fit
    page.get_by_role("tab", name="Charts").click()
    _settle(page)
    screenshot(page, "research-1-calibrate-after-reload")

    _nav(page, "Compare", "Compare item groups")
    page.get_by_role("combobox", name="Group items by").click()
    page.get_by_role("option", name="key_polarity").click()
    page.get_by_text("Item parameters by key_polarity").wait_for(timeout=30_000)
    page.reload()
    page.get_by_role("heading", name="Compare item groups").wait_for()
    _settle(page)
    assert page.get_by_role("combobox", name="Group items by").input_value() == "key_polarity"
    screenshot(page, "research-2-compare-after-reload")

    _nav(page, "Assemble", "Assemble a test")
    page.get_by_role("button", name="Assemble", exact=True).click()
    heading = "1 form of 20 items at θ = 0"
    page.get_by_role("heading", name=heading).wait_for(timeout=60_000)
    page.reload()
    page.get_by_role("heading", name=heading).wait_for(timeout=60_000)
    _settle(page)
    screenshot(page, "research-3-assemble-after-reload")
    with page.expect_download() as download:
        page.get_by_role("button", name="Moodle XML").click()
    xml = tmp_path / "form.xml"
    download.value.save_as(xml)
    questions = [q for q in ET.parse(xml).getroot().iter("question") if q.get("type") != "category"]
    assert len(questions) == 20
    page.close()

    store = Store.from_url(server.database_url)
    kinds = sorted(a.kind for a in store.list_analyses())
    store.close()
    assert kinds == ["assembly", "calibration", "comparison", "comparison"]

    # A new tab is a new session: Downloads regenerate the form from the store.
    other = browser_context.new_page()
    other.goto(f"{server.url}/downloads")
    other.get_by_role("heading", name="Assembled forms").wait_for(timeout=60_000)
    with other.expect_download() as download:
        other.get_by_role("button", name="assembly4_form1.zip").click()
    qti = tmp_path / "form.zip"
    download.value.save_as(qti)
    with zipfile.ZipFile(qti) as zf:
        docs = [ET.fromstring(zf.read(n)) for n in zf.namelist() if n.endswith(".xml")]
    assert sum(1 for d in docs for _ in d.iter(f"{QTI}item")) == 20
    screenshot(other, "research-4-downloads")
    other.close()

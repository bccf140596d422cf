"""An instructor in chromium: example course → local generation → edit an item → Moodle XML."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import SCREENSHOTS, AppServer, screenshot, start_server, stop_server

from edutools.store import Store

pytestmark = pytest.mark.browser
EDITED = "Edited in the browser: which statement about cells is correct?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    s = start_server(tmp_path_factory.mktemp("instructor-app"))
    yield s
    stop_server(s)


def _nav(page: Any, name: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=name + (" items" if name != "Course" else "")).wait_for()


def test_instructor_generates_edits_and_exports(
    server: AppServer, browser_context: Any, tmp_path: Path
) -> None:
    page = browser_context.new_page()
    start = time.monotonic()
    page.goto(server.url)
    page.get_by_role("heading", name="Introduction to Biology (BIO 101)").wait_for()
    first_render = time.monotonic() - start
    page.get_by_text("Student answers", exact=True).wait_for()
    screenshot(page, "instructor-1-course")

    _nav(page, "Generate")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.get_by_text("Finished in").wait_for(timeout=60_000)
    page.get_by_text("12 of 12 questions").wait_for()
    page.wait_for_timeout(600)  # let the progress bar finish its animation
    screenshot(page, "instructor-2-generate")

    _nav(page, "Review")
    stem = page.get_by_label("Stem", exact=True)
    stem.wait_for()
    stem.fill(EDITED)
    stem.press("Tab")  # leaving the field commits the edit; the callback saves it
    store = Store.from_url(server.database_url)
    run_id = store.list_runs("intro_bio")[0].run_id
    deadline = time.monotonic() + 20
    while store.load_bank(run_id).items[0].stem != EDITED:
        assert time.monotonic() < deadline, "the edit was not saved"
        time.sleep(0.2)
    page.wait_for_timeout(500)
    screenshot(page, "instructor-3-review")

    _nav(page, "Export")
    with page.expect_download() as download:
        page.get_by_role("button", name="Moodle XML").click()
    path = tmp_path / "quiz.xml"
    download.value.save_as(path)
    screenshot(page, "instructor-4-export")
    root = ET.parse(path).getroot()
    assert root.tag == "quiz"
    texts = [t.text or "" for t in root.iter("text")]
    assert any(EDITED in t for t in texts), "the download holds the edit"
    questions = [q for q in root.iter("question") if q.get("type") != "category"]
    assert len(questions) == len(store.load_bank(run_id).items)
    store.close()
    # From navigation to the course title on screen, on a server that had not run a page yet
    # (the goal is 2 s; benchmarks/bench_app_load.py reports it; this bound only catches a
    # regression without making a busy CI machine fail the suite).
    (SCREENSHOTS.parent / "first_render_seconds.txt").write_text(f"{first_render:.2f}\n")
    assert first_render < 5, f"first page took {first_render:.1f} s"


def test_researcher_pages_render(server: AppServer, browser_context: Any) -> None:
    """Calibrate the example responses, compare by source, list the downloads (screenshots)."""
    page = browser_context.new_page()
    page.goto(f"{server.url}/calibrate")
    page.get_by_role("heading", name="Calibrate").wait_for()
    page.get_by_text("Example course", exact=True).click()
    page.get_by_role("button", name="Calibrate", exact=True).click()
    page.get_by_text("2PL on example course responses").wait_for(timeout=30_000)
    page.get_by_role("tab", name="Charts").click()
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    page.wait_for_timeout(800)
    screenshot(page, "researcher-1-calibrate")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Compare", exact=True).click()
    page.get_by_role("heading", name="Compare item groups").wait_for()
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    page.wait_for_timeout(800)
    screenshot(page, "researcher-2-compare")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Downloads", exact=True).click()
    page.get_by_role("heading", name="Downloads").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="wright_map.png").click()
    assert download.value.path().read_bytes().startswith(b"\x89PNG")
    screenshot(page, "researcher-3-downloads")
    page.close()

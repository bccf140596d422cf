"""A participant completes a study in chromium: a double-click on submit, a reload midway.

Storage must then hold exactly one row per trial, the completion code must be on screen, and
the redirect to the completion URL must come after the session was committed as completed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import AppServer, screenshot, start_server, stop_server

from edutools.store import Store
from edutools.studyflow import load_bundle, register_study
from edutools.studyflow.plan import FlowOptions

sys.path.insert(0, str(Path(__file__).parents[1] / "studyflow"))
from studyflow_fixtures import write_small_study

pytestmark = pytest.mark.browser
MIN_SECONDS = 0.6


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    data = tmp_path_factory.mktemp("participant-app")
    study, stimuli = load_bundle(write_small_study(data / "study"))
    store = Store.from_url(f"sqlite:///{data / 'edutools.sqlite3'}")
    register_study(store, study, stimuli, FlowOptions(min_response_seconds=MIN_SECONDS))
    store.close()
    s = start_server(data)
    yield s
    stop_server(s)


def _step(page: Any, n: int, total: int = 9) -> None:
    page.get_by_text(f"Step {n} of {total}", exact=True).wait_for()


def test_participant_completes_with_double_click_and_reload(
    server: AppServer, browser_context: Any
) -> None:
    from playwright.sync_api import Route

    store = Store.from_url(server.database_url)
    study = store.get_study("test-gsp-v1")
    assert study is not None
    status_at_redirect: list[str] = []

    def on_redirect(route: Route) -> None:
        p = store.get_participant(study.study_id, "PWTEST1")
        status_at_redirect.append(p.status if p else "missing")
        route.fulfill(status=200, content_type="text/html", body="<h1>Prolific</h1>")

    page = browser_context.new_page()
    page.route("https://app.prolific.com/**", on_redirect)
    link = f"{server.url}/?study=test-gsp-v1&PROLIFIC_PID=PWTEST1&STUDY_ID=st1&SESSION_ID=se1"
    page.goto(link)
    _step(page, 1)
    assert page.locator('[data-testid="stSidebar"]').count() == 0, "navigation is hidden"
    screenshot(page, "participant-1-consent")
    page.get_by_role(
        "button", name="I have read the information above and agree to take part"
    ).click()
    _step(page, 2)
    screenshot(page, "participant-2-instructions")
    page.get_by_role("button", name="Start").click()

    # practice: move the slider with the keyboard, then submit
    _step(page, 3)
    page.wait_for_timeout(MIN_SECONDS * 1000)
    page.get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)
    screenshot(page, "participant-3-practice")
    page.get_by_role("button", name="Submit").click()

    # GSP trial 1: a double click on submit must store one answer and skip nothing
    _step(page, 4)
    page.wait_for_timeout(MIN_SECONDS * 1000 + 100)
    screenshot(page, "participant-4-gsp-trial")
    page.get_by_role("button", name="Submit").dblclick()
    _step(page, 5)

    # a reload in the middle: a new Streamlit session resumes at the first unanswered step
    page.reload()
    _step(page, 5)
    page.wait_for_timeout(MIN_SECONDS * 1000 + 100)
    page.get_by_role("button", name="Submit").click()

    _step(page, 6)  # attention check
    page.get_by_text("Purple", exact=True).click()
    screenshot(page, "participant-6-attention")
    page.get_by_role("button", name="Continue").click()

    _step(page, 7)
    page.wait_for_timeout(MIN_SECONDS * 1000 + 100)
    page.get_by_role("button", name="Submit").dblclick()

    _step(page, 8)  # BFI-10: ten statements on one form
    groups = page.locator('[data-testid="stRadio"]')
    groups.nth(9).wait_for()
    assert groups.count() == 10
    for i in range(10):
        groups.nth(i).locator('label[data-testid="stRadioOption"]').nth(i % 5).click()
    screenshot(page, "participant-8-questionnaire")
    page.get_by_role("button", name="Continue").click()

    _step(page, 9)
    screenshot(page, "participant-9-debrief")
    page.get_by_role("button", name="Finish").dblclick()
    page.get_by_text("Thank you!").wait_for()
    code = page.locator('[data-testid="stCode"]').inner_text()
    assert "STYLEPREF1" in code
    screenshot(page, "participant-10-complete")
    page.wait_for_url("https://app.prolific.com/**", timeout=15_000)
    assert status_at_redirect == ["completed"]

    tables = store.study_tables(study.study_id)
    trials = tables["trials"]
    assert len(trials) == 6, trials[["trial_index", "kind"]]
    assert not trials.duplicated(["participant_id", "trial_index"]).any()
    assert sorted(trials["trial_index"]) == [0, 1, 2, 5, 7, 8]
    assert len(tables["questionnaires"]) == 10
    from edutools.studyflow.gsp import DatabaseGSP
    from edutools.survey.config import parse_study
    from edutools.survey.gsp import GSPDesign

    design = GSPDesign.from_study(parse_study(study.definition["study"]))
    gsp = DatabaseGSP(store.engine, study.study_id, design).trials_frame()
    assert len(gsp) == 3
    assert not gsp.duplicated(["chain", "node", "slot"]).any()
    participant = tables["participants"].iloc[0]
    assert participant["status"] == "completed"
    assert participant["completion_code"] == "STYLEPREF1"
    store.close()

"""A study that outgrows one app process: two app instances on one PostgreSQL database.

Two `streamlit run app.py` servers share one PostgreSQL schema and serve the same GSP study.
Two participants in chromium start on one instance and move to the other mid-session (the
same address, token included, on the other server), on a practice trial, on GSP trials whose
claim was made by the other instance, and before a questionnaire; the decisive click of each
step is a double click. Storage must then hold every answer
exactly once and every session must be completed.

Needs EDUTOOLS_TEST_PG_URL (``eval "$(.ci/postgres.sh)"``); CI sets it and
EDUTOOLS_REQUIRE_POSTGRES=1, so there it runs instead of skipping.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _pg import pg_schema
from e2e_helpers import AppServer, screenshot, start_server, stop_server

from edutools.store import Store
from edutools.studyflow import load_bundle, load_runtime, register_study
from edutools.studyflow.plan import FlowOptions

sys.path.insert(0, str(Path(__file__).parents[1] / "studyflow"))
from studyflow_fixtures import write_small_study

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
STEP = re.compile(r"^Step (\d+) of (\d+)$")
STUDY = "test-gsp-v1"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL, dropped afterwards."""
    with pg_schema("the two-instance PostgreSQL test") as url:
        yield url


@pytest.fixture(scope="module")
def servers(
    pg_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AppServer, AppServer]]:
    folder = tmp_path_factory.mktemp("two-instances")
    study, stimuli = load_bundle(write_small_study(folder / "study", nodes=4))
    store = Store.from_url(pg_url)
    register_study(store, study, stimuli, FlowOptions(min_response_seconds=0.3))
    store.close()
    env = {"EDUTOOLS_DATABASE_URL": pg_url}
    a = start_server(folder / "a", env=env)
    try:
        b = start_server(folder / "b", env=env)
    except BaseException:
        stop_server(a)
        raise
    yield a, b
    stop_server(a)
    stop_server(b)


def _step(page: Any, last: int) -> int:
    """Wait for a step after ``last``; its number, or 0 at the end."""
    for _ in range(600):
        if page.get_by_text("Thank you!", exact=True).count():
            return 0
        texts = page.get_by_text(STEP).all_inner_texts()
        if texts and int(STEP.match(texts[0].strip()).group(1)) > last:  # type: ignore[union-attr]
            page.wait_for_function(
                "document.querySelector('[data-testid=stApp]')?.dataset.testScriptState"
                " !== 'running'"
            )
            return int(STEP.match(texts[0].strip()).group(1))  # type: ignore[union-attr]
        page.wait_for_timeout(50)
    raise AssertionError(f"stuck after step {last}: {screenshot(page, f'two-stuck-{last}')}")


def _answer(page: Any, kind: str) -> None:
    """Answer the step on screen; the decisive click is a double click."""
    page.wait_for_timeout(350)  # the study's minimum reading time
    if kind == "consent":
        page.get_by_role("button", name=re.compile("^I have read")).dblclick()
    elif kind == "instructions":
        page.get_by_role("button", name="Start").click()
    elif kind in ("practice", "gsp"):
        slider = page.get_by_role("slider")
        slider.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "document.querySelector('[data-testid=stApp]')?.dataset.testScriptState !== 'running'"
        )
        page.get_by_role("button", name="Submit").dblclick()
    elif kind == "attention":
        page.get_by_text("Purple", exact=True).click()
        page.get_by_role("button", name="Continue").click()
    elif kind == "questionnaire":
        groups = page.locator('[data-testid="stRadio"]')
        groups.nth(9).wait_for()
        for i in range(10):
            groups.nth(i).locator('label[data-testid="stRadioOption"]').nth(i % 5).click()
        page.get_by_role("button", name="Continue").click()
    else:
        page.get_by_role("button", name="Finish").dblclick()


def test_participants_move_between_two_instances(
    servers: tuple[AppServer, AppServer], pg_url: str, browser_context: Any
) -> None:
    a, b = servers
    store = Store.from_url(pg_url)
    runtime = load_runtime(store, STUDY)
    assert runtime is not None
    kinds = None
    # (participant, steps after which they move to the other instance)
    moves = {"TWO-A": {2, 5}, "TWO-B": {3, 4, 7}}
    for key, switch_after in moves.items():
        page = browser_context.new_page()
        page.route("https://app.prolific.com/**", lambda r: r.fulfill(status=200, body="ok"))
        here, there = a, b
        page.goto(f"{here.url}/?study={STUDY}&PROLIFIC_PID={key}&STUDY_ID=s&SESSION_ID=x")
        n = _step(page, 0)
        while n:
            participant = store.get_participant(runtime.study_id, key)
            assert participant is not None
            kinds = [s["kind"] for s in participant.plan["steps"]]
            if n - 1 in switch_after:
                # the same address (with the session token) on the other instance
                assert "token=" in page.url
                page.goto(page.url.replace(here.url, there.url))
                here, there = there, here
                assert _step(page, n - 1) == n, "the other instance resumes at the same step"
            _answer(page, kinds[n - 1])
            n = _step(page, n)
        page.wait_for_url("https://app.prolific.com/**", timeout=15_000)
        page.close()

    assert kinds is not None
    tables = store.study_tables(runtime.study_id)
    people = tables["participants"].set_index("participant_key")
    assert sorted(people.index) == sorted(moves)
    assert (people["status"] == "completed").all()
    trials = tables["trials"]
    n_plain = sum(k != "gsp" for k in kinds)
    assert len(trials) == len(moves) * n_plain, "nothing lost, nothing doubled"
    assert not trials.duplicated(["participant_id", "trial_index"]).any()
    assert len(tables["questionnaires"]) == len(moves) * 10
    assert runtime.gsp is not None
    gsp = runtime.gsp.trials_frame()
    assert len(gsp) == len(moves) * kinds.count("gsp")
    assert not gsp.duplicated(["chain", "node", "slot"]).any()
    events = tables["events"]
    assert (events["kind"] == "participant_assigned").sum() == len(moves)
    assert (events["kind"] == "participant_completed").sum() == len(moves)
    assert (events["kind"] == "session_refused").sum() == 0
    store.close()

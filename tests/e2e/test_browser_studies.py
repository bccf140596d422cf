"""From a fresh data folder and no API key: create both shipped studies, take part, analyse.

In chromium, as a new user would: the study admin page creates the GSP study and the pairwise
study from ``studies/style_preference``; one participant completes each study through the
participant page. On every GSP trial the slider is moved and the answer on screen must become
the stored rewrite for that position (every position on the first trial of each dimension),
and Submit must store the position shown. More participants are then simulated through the
participant flow until the analysis may run, and the admin page runs it for both studies.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from e2e_helpers import AppServer, screenshot, start_server, stop_server

from edutools.store import Store
from edutools.studyflow import Identity, ParticipantFlow, load_runtime
from edutools.studyflow.questionnaire import questionnaire
from edutools.survey.gsp import Trial

pytestmark = pytest.mark.browser
ROOT = Path(__file__).parents[2]
GSP = "style-preference-gsp-v1"
PAIRWISE = "style-preference-pairwise-v1"
STEP = re.compile(r"^Step (\d+) of (\d+)$")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    s = start_server(tmp_path_factory.mktemp("fresh-app"))  # no OPENAI_* in its environment
    yield s
    stop_server(s)


def _choose(page: Any, box: Any, option: Any) -> None:
    """Pick ``option`` in a selectbox (retrying while the page is still rerunning)."""
    for _ in range(5):
        box.click()
        try:
            option.click(timeout=3000)
            return
        except Exception:  # the list closed under a rerun: open it again
            page.keyboard.press("Escape")
            page.wait_for_timeout(500)
    option.click()


def _create(page: Any, label: str, study_id: str) -> None:
    page.get_by_text("Create a study").wait_for()
    _choose(page, page.get_by_label("Study file"), page.get_by_role("option", name=label))
    seconds = page.get_by_role("spinbutton", name="Minimum reading time per step")
    seconds.fill("0.2")
    seconds.press("Enter")
    page.get_by_role("button", name="Create study").click()
    page.get_by_text(f"Study '{study_id}' is ready for participants.").wait_for()


def _idle(page: Any) -> None:
    """Wait until the app is not running its script (a click now is not lost in a rerun)."""
    page.wait_for_function(
        "document.querySelector('[data-testid=stApp]')?.dataset.testScriptState !== 'running'"
    )


def _step(page: Any, last: int, again: Callable[[], None] | None = None) -> int:
    """Wait until the page shows a later step than ``last`` (or the end); its number, or 0.

    A click that came before the minimum reading time is refused with a request to read
    first (on a loaded machine the page may render late): ``again`` repeats it, as a
    participant would.
    """
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if page.get_by_text("Thank you!", exact=True).count():
            return 0
        if again is not None and page.get_by_text("Please take a moment to read").count():
            page.wait_for_timeout(300)
            _idle(page)
            again()
            page.wait_for_timeout(300)
        texts = page.get_by_text(STEP).all_inner_texts()
        if texts and int(STEP.match(texts[0].strip()).group(1)) > last:  # type: ignore[union-attr]
            _idle(page)
            return int(STEP.match(texts[0].strip()).group(1))  # type: ignore[union-attr]
        page.wait_for_timeout(50)
    shot = screenshot(page, f"studies-stuck-at-{last}")
    raise AssertionError(f"the page stayed at step {last} (see {shot})")


def _norm(text: str) -> str:
    return " ".join(text.split())


def _claimed(store: Store, runtime: Any, pid: int) -> Trial:
    """The GSP trial the participant holds a claim on (what the page shows)."""
    assert runtime.gsp is not None
    for chain in runtime.gsp.repo.open_chains(pid):
        if chain.claimed_by == pid and chain.claim_trial is not None:
            return Trial.from_dict(chain.claim_trial)
    raise AssertionError("no claimed trial")


def _slider(page: Any, runtime: Any, trial: Trial, positions: list[int]) -> float:
    """Move the slider to each position; the answer must follow. Returns the last level."""
    levels = list(trial.levels)[::-1] if trial.reverse else list(trial.levels)
    slider = page.get_by_role("slider")
    answer = page.locator(".st-key-answer")
    level = trial.start_value
    current = levels.index(trial.start_value)
    for position in positions:
        slider.focus()
        key = "ArrowRight" if position > current else "ArrowLeft"
        for _ in range(abs(position - current)):
            page.keyboard.press(key)
        current = position
        level = levels[position]
        vector = list(trial.vector)
        vector[trial.active] = level
        expected = _norm(runtime.stimuli.lookup(trial.base_item, vector).text)
        deadline = time.monotonic() + 20
        while _norm(answer.inner_text()) != expected:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{trial.dimension} at position {position}: the answer did not change to "
                    f"the rewrite at {level:g}: {answer.inner_text()[:200]!r}"
                )
            page.wait_for_timeout(50)
    return level


def _common(page: Any, runtime: Any, kind: str) -> bool:
    """Answer a consent, instructions, attention, questionnaire or debrief step."""
    study = runtime.study
    buttons = {
        "consent": study.consent.agree_label,
        "instructions": "Start",
        "debrief": "Finish",
    }
    if kind in buttons:
        page.get_by_role("button", name=buttons[kind], exact=True).click()
        return True
    if kind not in ("attention", "questionnaire"):
        return False
    radios = page.locator('[data-testid="stRadio"]')
    radios.first.wait_for()
    text = page.locator('[data-testid="stMain"]').inner_text()
    check = next((c for c in study.attention.checks if c.question in _norm(text)), None)
    if kind == "attention":
        assert check is not None
        page.get_by_text(check.correct, exact=True).click()
    else:  # a questionnaire: every statement answered
        for i in range(radios.count()):
            radios.nth(i).locator('label[data-testid="stRadioOption"]').nth(i % 3 + 1).click()
    page.get_by_role("button", name="Continue").click()
    return True


def _completed(page: Any, store: Store, runtime: Any, key: str, code: str) -> None:
    """The session ended with its completion code, and the browser went back to Prolific."""
    page.wait_for_url("https://app.prolific.com/**", timeout=15_000)
    participant = store.get_participant(runtime.study_id, key)
    assert participant is not None
    assert (participant.status, participant.completion_code) == ("completed", code)


def test_both_shipped_studies_from_a_fresh_clone(server: AppServer, browser_context: Any) -> None:
    page = browser_context.new_page()
    page.route("https://app.prolific.com/**", lambda r: r.fulfill(status=200, body="Prolific"))
    page.goto(f"{server.url}/study_admin")
    page.get_by_text("No study has been created yet.").wait_for()
    _create(page, "Which answer style do people prefer? (style_preference/study.yaml)", GSP)
    _create(
        page, "Which response style wins pairwise comparisons? (style_preference/pairwise.yaml)",
        PAIRWISE,
    )  # fmt: skip
    screenshot(page, "studies-1-admin")

    store = Store.from_url(server.database_url)
    gsp = load_runtime(store, GSP)
    pairwise = load_runtime(store, PAIRWISE)
    assert gsp is not None
    assert pairwise is not None

    # ---- the GSP study in chromium
    page.goto(f"{server.url}/?study={GSP}&PROLIFIC_PID=E2EGSP&STUDY_ID=s1&SESSION_ID=x1")
    rng = np.random.default_rng(1)
    seen: set[str] = set()
    shown: list[float] = []
    n = _step(page, 0)
    while n:
        participant = store.get_participant(gsp.study_id, "E2EGSP")
        assert participant is not None
        kind = participant.plan["steps"][n - 1]["kind"]
        if kind in ("practice", "gsp"):
            page.get_by_role("slider").wait_for()
            if kind == "practice":
                trial = Trial.from_dict(participant.plan["steps"][n - 1]["data"])
            else:
                trial = _claimed(store, gsp, participant.participant_id)
            k = len(trial.levels)
            full = kind == "gsp" and trial.dimension not in seen
            positions = list(range(k)) if full else [int(rng.integers(k))]
            if full:
                seen.add(trial.dimension)
                if len(seen) == 1:
                    screenshot(page, "studies-2-gsp-trial")
            level = _slider(page, gsp, trial, positions)
            _idle(page)
            submit = page.get_by_role("button", name="Submit")
            submit.click()
            if kind == "gsp":
                shown.append(level)
            n = _step(page, n, again=submit.click)
            continue
        assert _common(page, gsp, kind), page.locator('[data-testid="stMain"]').inner_text()
        n = _step(page, n)
    screenshot(page, "studies-3-gsp-complete")
    _completed(page, store, gsp, "E2EGSP", "STYLEPREF1")
    assert seen == set(gsp.study.dimensions[i].name for i in range(4))
    participant = store.get_participant(gsp.study_id, "E2EGSP")
    assert participant is not None
    assert participant.status == "completed"
    stored = gsp.gsp.trials_frame()  # type: ignore[union-attr]
    mine = stored[stored["participant"] == str(participant.participant_id)]
    assert mine["response"].tolist() == shown, "Submit stored the position on screen"
    assert len(mine) == gsp.gsp.design.trial_cap  # type: ignore[union-attr]

    # ---- the pairwise study in chromium
    page.goto(f"{server.url}/?study={PAIRWISE}&PROLIFIC_PID=E2EPAIR&STUDY_ID=s2&SESSION_ID=x2")
    n = _step(page, 0)
    pairs = 0
    while n:
        participant = store.get_participant(pairwise.study_id, "E2EPAIR")
        assert participant is not None
        step = participant.plan["steps"][n - 1]
        if step["kind"] in ("pair", "practice"):
            better = page.get_by_role("button", name="B is better")
            better.wait_for()
            pair = step["data"]
            for side in ("a", "b"):
                shown = _norm(page.locator(f".st-key-answer-{side}").inner_text())
                text = _norm(pairwise.stimuli.by_id(pair[side]).text)
                assert shown == f"Answer {side.upper()} {text}", (side, shown[:200])
            if pairs == 1:
                screenshot(page, "studies-4-pair")
            better.click()
            pairs += 1
            n = _step(page, n, again=better.click)
            continue
        assert _common(page, pairwise, step["kind"])
        n = _step(page, n)
    _completed(page, store, pairwise, "E2EPAIR", "STYLEPAIR1")
    assert pairs == 1 + 2 * len(pairwise.study.base_items)  # practice + two per base item

    # ---- more participants through the flow, then the analyses on the admin page
    for runtime, count in ((gsp, 10), (pairwise, 6)):
        for i in range(count):
            _simulated_participant(store, runtime, f"SIM{i}", seed=i)
    page.goto(f"{server.url}/study_admin")
    for study_id, title in ((GSP, "Which answer style"), (PAIRWISE, "Which response style")):
        _choose(
            page,
            page.get_by_label("Study", exact=True),
            page.get_by_role("option", name=re.compile(re.escape(study_id))),
        )
        page.get_by_text(re.compile(r"The analysis needs at least \d+ completed")).wait_for()
        page.get_by_role("button", name="Run the analysis").click()
        page.get_by_text(title).first.wait_for()
        page.get_by_role("button", name="Download the report (zip)").wait_for(timeout=120_000)
        assert not page.locator('[data-testid="stAlertContentError"]').count()
        screenshot(page, f"studies-5-analysis-{study_id}")
    store.close()


def _simulated_participant(store: Store, runtime: Any, key: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    flow = ParticipantFlow.enter(store, runtime, Identity(key))
    while (pos := flow.position()).state == "step":
        step = pos.step
        assert step is not None
        if step.kind == "gsp":
            assert pos.trial is not None
            flow.answer_gsp(pos.trial, float(rng.choice(pos.trial.levels)), rt_ms=900.0)
        elif step.kind == "questionnaire":
            use = next(u for u in runtime.study.instruments if u.id == step.ref)
            q = questionnaire(use)
            flow.answer_questionnaire(step.index, {i: int(rng.choice(q.scale)) for i, _ in q.items})
        elif step.kind == "attention":
            check = next(c for c in runtime.study.attention.checks if c.id == step.ref)
            flow.answer_attention(step.index, check.correct)
        elif step.is_pair:
            flow.answer(step.index, {"choice": str(rng.choice(["A", "B"]))}, rt_ms=900.0)
        elif step.kind == "practice":
            flow.answer(step.index, {"value": float(step.data["levels"][0])}, rt_ms=900.0)
        elif step.kind == "consent":
            flow.answer(step.index, {"agree": True})
        else:
            flow.answer(step.index, {})

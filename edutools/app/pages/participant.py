"""Participant page: one study session, reached only through the study link.

Identity comes from the URL (``PROLIFIC_PID`` or ``pid``, and the session ``token`` this page
adds on the first visit); every answer is written by a button callback through
:class:`edutools.studyflow.ParticipantFlow`, which stores it once under a natural key; the step
shown is recomputed from storage on every run. Session state only holds display details (when
a trial appeared, a message for the next run) and, for ``&preview=1``, the private in-memory
copy of the study that a staff preview answers into.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import streamlit as st

from edutools.app import resources
from edutools.app.widgets import label_escape, md_escape
from edutools.errors import EdutoolsError, StudyError
from edutools.store import Store
from edutools.studyflow import Identity, ParticipantFlow, Position, StudyRuntime, load_runtime
from edutools.studyflow.admin import preview_runtime
from edutools.studyflow.plan import Step
from edutools.studyflow.questionnaire import questionnaire
from edutools.studyflow.session import SessionTakenError, StudyFullError
from edutools.survey.gsp import Trial

# Participants see where the slider is, never a number: GSP sliders carry no labels.
_SLIDER_CSS = (
    "<style>[data-testid='stSliderThumbValue'], [data-testid='stSliderTickBar']"
    " {visibility: hidden;}</style>"
)
_FLASH = "participant_flash"
_PREVIEW = "participant_preview"
_SHOWN = "participant_shown_at"
REDIRECT_SECONDS = 3


class _NoStudyError(LookupError):
    pass


@st.cache_resource(show_spinner=False, max_entries=32)
def _runtime(url: str, study_key: str) -> StudyRuntime:
    found = load_runtime(resources.store(), study_key)
    if found is None:
        raise _NoStudyError(study_key)  # not cached: the study may be registered later
    return found


def _text(text: str) -> None:
    """Participant-facing text from the study files: shown literally, never as markup."""
    st.markdown(md_escape(text).replace("\n", "  \n"))


def _flash(message: str) -> None:
    st.session_state[_FLASH] = message


def _shown_at(key: str) -> float:
    shown: dict[str, float] = st.session_state.setdefault(_SHOWN, {})
    return shown.setdefault(key, time.monotonic())


def _elapsed_ok(flow: ParticipantFlow, key: str) -> float | None:
    """Milliseconds since the step appeared, or None (and a message) when that is too quick.

    A double click lands its second click on the next step's button; the minimum time keeps
    that click from answering a step the participant has not seen.
    """
    elapsed = time.monotonic() - _shown_at(key)
    if elapsed < flow.runtime.options.min_response_seconds:
        _flash("Please take a moment to read before you continue.")
        return None
    return elapsed * 1000.0


def _run(action: Callable[[], Any]) -> None:
    try:
        action()
    except EdutoolsError as exc:  # a refused answer, or a database that stayed busy
        _flash(str(exc))


# ---------------------------------------------------------------------------- callbacks


def _on_simple(flow: ParticipantFlow, step: Step, response: dict[str, Any]) -> None:
    _run(lambda: flow.answer(step.index, response))


def _on_slider(flow: ParticipantFlow, step: Step, trial: Trial, key: str) -> None:
    if key not in st.session_state:
        # A late second click of a double click on a trial that is no longer on screen: its
        # answer is stored already (or the trial was replaced); there is nothing to record.
        return
    rt = _elapsed_ok(flow, key)
    if rt is None:
        return
    value = _slider_value(trial, key)
    if step.kind == "gsp":
        _run(lambda: flow.answer_gsp(trial, value, rt))
    else:
        _run(lambda: flow.answer(step.index, {"value": value}, rt))


def _on_decline(flow: ParticipantFlow) -> None:
    _run(flow.decline)
    st.session_state["participant_declined"] = True


def _on_pair(flow: ParticipantFlow, step: Step, choice: str) -> None:
    rt = _elapsed_ok(flow, f"pair-{step.index}")
    if rt is not None:
        _run(lambda: flow.answer(step.index, {"choice": choice}, rt))


def _on_attention(flow: ParticipantFlow, step: Step, key: str) -> None:
    choice = st.session_state.get(key)
    if choice is None:
        _flash("Please choose an answer.")
        return
    _run(lambda: flow.answer_attention(step.index, str(choice)))


def _on_questionnaire(flow: ParticipantFlow, step: Step, keys: dict[str, str]) -> None:
    answers = {item: st.session_state.get(key) for item, key in keys.items()}
    missing = sum(v is None for v in answers.values())
    if missing:
        _flash(f"Please answer every statement ({missing} left).")
        return
    _run(lambda: flow.answer_questionnaire(step.index, answers))


# ---------------------------------------------------------------------------- steps


def _consent(flow: ParticipantFlow, step: Step) -> None:
    consent = flow.runtime.study.consent
    if consent is None:  # pragma: no cover - plans only hold a consent step when there is one
        return
    st.subheader("Information and consent")
    _text(consent.text)
    c1, c2 = st.columns(2)
    c1.button(
        consent.agree_label,
        type="primary",
        on_click=_on_simple,
        args=(flow, step, {"agree": True}),
        key=f"agree-{step.index}",
    )
    c2.button(
        consent.decline_label, key=f"decline-{step.index}", on_click=_on_decline, args=(flow,)
    )


def _slider_levels(trial: Trial) -> list[float]:
    """The level at each slider position, left to right (reversed sliders run high to low)."""
    levels = [float(v) for v in trial.levels]
    return levels[::-1] if trial.reverse else levels


def _slider_value(trial: Trial, key: str) -> float:
    """The level the slider shows now (its start before the participant moves it)."""
    levels = _slider_levels(trial)
    position = st.session_state.get(key)
    if isinstance(position, int) and 0 <= position < len(levels):
        return levels[position]
    return float(trial.start_value)


def _slider_trial(flow: ParticipantFlow, step: Step, trial: Trial) -> None:
    base = flow.runtime.study.base_item(trial.base_item)
    key = f"slider-{trial.token or f'practice-{step.index}'}"
    _shown_at(key)
    levels = _slider_levels(trial)
    start = min(range(len(levels)), key=lambda i: abs(levels[i] - trial.start_value))
    vector = list(trial.vector)
    vector[trial.active] = _slider_value(trial, key)
    stimulus = flow.runtime.stimuli.lookup(trial.base_item, vector)
    if step.kind == "practice":
        st.info("Practice trial: this answer is not used in the study.", icon="🧪")
    st.markdown("**Question**")
    _text(base.prompt)
    st.markdown("**Answer**")
    with st.container(border=True, key="answer"):
        _text(stimulus.text)
    # The options are slider positions with distinct labels: Streamlit sends a select_slider's
    # value as its label, so identical labels would never report a move. The labels (which
    # would give the level away) are hidden by _SLIDER_CSS.
    st.select_slider(
        "Move the slider until the answer reads best to you",
        options=list(range(len(levels))),
        value=start,
        format_func=lambda position: str(position + 1),
        key=key,
    )
    st.button(
        "Submit",
        type="primary",
        on_click=_on_slider,
        args=(flow, step, trial, key),
        key=f"submit-{key}",
    )


def _pair(flow: ParticipantFlow, step: Step) -> None:
    _shown_at(f"pair-{step.index}")
    if step.kind == "practice":
        st.info("Practice trial: this answer is not used in the study.", icon="🧪")
    data = step.data
    base = flow.runtime.study.base_item(str(data["base_item"]))
    st.markdown("**Question**")
    _text(base.prompt)
    cols = st.columns(2)
    for col, side in zip(cols, ("a", "b"), strict=True):
        with col, st.container(border=True, key=f"answer-{side}"):
            st.markdown(f"**Answer {side.upper()}**")
            _text(flow.runtime.stimuli.by_id(str(data[side])).text)
    b1, b2, b3 = st.columns(3)
    for col, label, choice in (
        (b1, "A is better", "A"),
        (b2, "No preference", "tie"),
        (b3, "B is better", "B"),
    ):
        col.button(
            label,
            on_click=_on_pair,
            args=(flow, step, choice),
            key=f"pair-{step.index}-{choice}",
            use_container_width=True,
        )


def _attention(flow: ParticipantFlow, step: Step) -> None:
    check = next(c for c in flow.runtime.study.attention.checks if c.id == step.ref)
    key = f"attention-{step.index}"
    st.radio(label_escape(check.question), check.options, index=None, key=key)
    st.button("Continue", type="primary", on_click=_on_attention, args=(flow, step, key))


def _questionnaire(flow: ParticipantFlow, step: Step) -> None:
    use = next(u for u in flow.runtime.study.instruments if u.id == step.ref)
    q = questionnaire(use)
    if q.instructions:
        _text(q.instructions)
    keys = {item: f"q-{step.index}-{item}" for item, _ in q.items}
    legend = " · ".join(f"{v} = {name}" for v, name in sorted(q.labels.items()))
    with st.form(f"questionnaire-{step.index}"):
        if legend:
            st.caption(md_escape(legend))
        for item, text in q.items:
            label = f"{q.item_stem} {text}".strip() if q.item_stem else text
            st.radio(label_escape(label), q.scale, index=None, horizontal=True, key=keys[item])
        st.form_submit_button(
            "Continue", type="primary", on_click=_on_questionnaire, args=(flow, step, keys)
        )


def _complete(runtime: StudyRuntime, pos: Position, preview: bool) -> None:
    st.header("Thank you!", anchor=False)
    code = pos.participant.completion_code or runtime.completion_code(
        pos.participant.participant_key
    )
    st.success("Your answers are saved. Your completion code is:")
    st.code(code, language=None)
    url = runtime.completion_url
    if url and preview:
        st.caption(f"Participants are sent back to Prolific ({url}) from here.")
    elif url:
        st.link_button("Return to Prolific", url, type="primary")
        st.caption(f"You will be taken back to Prolific in {REDIRECT_SECONDS} seconds.")
        # Shown only once storage reports the session completed: the last write is committed.
        st.html(
            f"<script>setTimeout(function(){{window.top.location.href = {json.dumps(url)};}}, "
            f"{REDIRECT_SECONDS * 1000});</script>",
            unsafe_allow_javascript=True,
        )


def _excluded(runtime: StudyRuntime) -> None:
    st.header("Thank you for your time", anchor=False)
    st.warning("Your session has ended because an attention check was not answered as instructed.")
    if runtime.screened_out_code:
        st.write("Please return to Prolific with this code:")
        st.code(runtime.screened_out_code, language=None)


_STEPS: dict[str, Callable[[ParticipantFlow, Step], None]] = {
    "consent": _consent,
    "pair": _pair,
    "attention": _attention,
    "questionnaire": _questionnaire,
}


def _draw(flow: ParticipantFlow, pos: Position) -> None:
    step = pos.step
    if step is None:  # pragma: no cover - a "step" position always has a step
        return
    st.progress(pos.done / max(pos.total, 1), text=f"Step {pos.done + 1} of {pos.total}")
    st.html(_SLIDER_CSS)
    if step.kind in _STEPS:
        _STEPS[step.kind](flow, step)
    elif step.kind == "gsp" and pos.trial is not None:
        _slider_trial(flow, step, pos.trial)
    elif step.kind == "practice" and step.is_pair:
        _pair(flow, step)
    elif step.kind == "practice":
        _slider_trial(flow, step, Trial.from_dict(step.data))
    elif step.kind == "instructions":
        st.subheader("Instructions")
        _text(flow.runtime.options.instructions_for(flow.runtime.study.design))
        st.button("Start", type="primary", on_click=_on_simple, args=(flow, step, {}))
    elif step.kind == "debrief":
        st.subheader("Debriefing")
        _text(flow.runtime.options.debrief)
        st.button("Finish", type="primary", on_click=_on_simple, args=(flow, step, {}))


def _preview_session(study_key: str) -> tuple[Store, StudyRuntime]:
    """This browser session's private copy of the study (StudyError when there is none)."""
    held = st.session_state.get(_PREVIEW)
    if held is None or held[1].key != study_key:
        held = preview_runtime(resources.store(), study_key)
        st.session_state[_PREVIEW] = held
    return held


def _restart_preview() -> None:
    st.session_state.pop(_PREVIEW, None)


def render() -> None:
    """The participant's current step, or the end of their session."""
    params = {k: st.query_params[k] for k in st.query_params}
    study_key = params.get("study", "")
    preview = params.get("preview") == "1"
    try:
        if preview:
            store, runtime = _preview_session(study_key)
        else:
            store, runtime = (
                resources.store(),
                _runtime(resources.settings().database_url, study_key),
            )
    except (_NoStudyError, StudyError):
        st.error("This study link is not valid. Please check the link you were given.")
        return
    if preview:
        identity: Identity | None = Identity("preview", token=runtime.session_token("preview"))
    else:
        try:
            identity = Identity.from_params(params)
        except StudyError as exc:
            st.error(str(exc))
            return
    if identity is None:
        # No id in the link: give this visit one, in the URL, so a reload keeps it.
        st.query_params["pid"] = uuid.uuid4().hex[:16]
        st.rerun()
        return
    st.title(md_escape(runtime.study.title), anchor=False)
    if preview:
        c1, c2 = st.columns([4, 1])
        c1.info("Preview of the participant view: nothing you enter is stored.", icon="👁")
        c2.button("Start again", on_click=_restart_preview)
    if st.session_state.pop("participant_declined", False):
        st.info(
            "You chose not to take part. You can close this window now (on Prolific, please "
            "return the study). If you change your mind, press the button below."
        )
        st.button("Show the consent page again")
        return
    if message := st.session_state.pop(_FLASH, None):
        st.warning(message)
    try:
        flow = ParticipantFlow.enter(store, runtime, identity)
    except StudyFullError:
        st.info(
            "This study has all the participants it needs, so it cannot take new ones. "
            "Thank you for your interest; please return the study (on Prolific: 'Return')."
        )
        return
    except SessionTakenError as exc:
        st.error(f"This study link is already in use: {exc}.")
        return
    except EdutoolsError as exc:
        st.error(str(exc))
        return
    if not preview and identity.token != flow.token:
        # The session's key goes into the address: a reload keeps it, another id lacks it.
        st.query_params["token"] = flow.token
    try:
        pos = flow.position()
    except EdutoolsError as exc:
        st.error(str(exc))
        return
    if pos.state == "complete":
        _complete(runtime, pos, preview)
    elif pos.state == "excluded":
        _excluded(runtime)
    elif pos.state == "waiting":
        st.info("Preparing your next answer: another participant is finishing theirs.")
        time.sleep(2)
        st.rerun()
    else:
        _draw(flow, pos)

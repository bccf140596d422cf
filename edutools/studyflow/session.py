"""One participant's session: where they are, and recording each answer exactly once.

Durability rules (a Streamlit reload starts a new session, a button may fire twice, a rerun
repeats code):

* identity comes from the link (``PROLIFIC_PID``, else ``pid``), never from session state;
* a participant id that already has a session is resumed only with that session's token
  (``token`` in the link, :mod:`edutools.studyflow.access`): a visitor who knows someone
  else's id gets a refusal, never their answers or their code;
* new participants are refused once the study reaches ``max_participants``;
* the plan (every step, in order) is stored when the participant is first assigned, and a
  later assignment with the same key gets the stored plan back;
* each answer is written once under a natural key (participant + step index; a GSP trial's
  claim token) with ``ON CONFLICT DO NOTHING``, so a repeat is a no-op;
* the current step is always recomputed from storage: the first step without an answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from edutools.errors import StudyError
from edutools.store import Participant, Store
from edutools.store.studies import StudyFullError
from edutools.studyflow.access import TOKEN_PATTERN, token_matches
from edutools.studyflow.plan import Step, build_plan, plan_from_json, plan_to_json
from edutools.studyflow.questionnaire import questionnaire
from edutools.studyflow.runtime import StudyRuntime
from edutools.survey.gsp import Trial

__all__ = ["Identity", "ParticipantFlow", "Position", "SessionTakenError", "StudyFullError"]

_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PAIR_CHOICES = ("A", "B", "tie")


class SessionTakenError(StudyError):
    """The participant id already has a session and the visit does not carry its token."""


@dataclass(frozen=True)
class Identity:
    """Who the participant is, from the URL of their link (and the session token, if any)."""

    participant_key: str
    prolific_pid: str | None = None
    prolific_study_id: str | None = None
    session_id: str | None = None
    token: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Identity | None:
        """Identity from query parameters; None when the link carries no participant id.

        ``PROLIFIC_PID`` (with ``STUDY_ID`` and ``SESSION_ID``) comes from Prolific; ``pid`` is
        the generic form; ``token`` is the session token the app added to the URL. Ids are 1-64
        letters, digits, '-' or '_' (StudyError otherwise).
        """
        pid = params.get("PROLIFIC_PID") or params.get("pid")
        if not pid:
            return None
        values = {
            "participant_key": pid,
            "prolific_pid": params.get("PROLIFIC_PID") or None,
            "prolific_study_id": params.get("STUDY_ID") or None,
            "session_id": params.get("SESSION_ID") or None,
        }
        for name, value in values.items():
            if value is not None and not _KEY.match(value):
                raise StudyError(
                    f"the link's {name} {value[:70]!r} is not valid; "
                    "expected 1-64 letters, digits, '-' or '_'"
                )
        token = params.get("token") or None
        if token is not None and not TOKEN_PATTERN.match(token):
            raise StudyError(
                "the link's session token is not valid; open the link you were given again"
            )
        return cls(**values, token=token)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Position:
    """Where a participant is: at a step, waiting for a free chain, finished or excluded."""

    state: Literal["step", "waiting", "complete", "excluded"]
    participant: Participant
    step: Step | None = None
    trial: Trial | None = None
    done: int = 0
    total: int = 0


class ParticipantFlow:
    """The step machine of one participant of one study.

    Example
    -------
    >>> flow = ParticipantFlow.enter(store, runtime, Identity("p1"))  # doctest: +SKIP
    >>> pos = flow.position()  # doctest: +SKIP
    >>> flow.answer(pos.step.index, {"agree": True})  # doctest: +SKIP
    True
    """

    def __init__(self, store: Store, runtime: StudyRuntime, participant: Participant) -> None:
        self.store = store
        self.runtime = runtime
        self.participant = participant
        self.steps = plan_from_json(participant.plan)

    @classmethod
    def enter(cls, store: Store, runtime: StudyRuntime, identity: Identity) -> ParticipantFlow:
        """Assign the participant (first visit) or resume their session (a later one).

        A later visit resumes only with the session's token (:attr:`token`, which the page
        puts into the participant's URL): without it, :class:`SessionTakenError`. A new
        participant beyond the study's ``max_participants`` gets :class:`StudyFullError`.
        """
        key = identity.participant_key
        existing = store.get_participant(runtime.study_id, key)
        created = False
        if existing is None:
            steps = build_plan(runtime.study, runtime.stimuli, key, runtime.options)
            existing, created = store.enrol_participant(
                runtime.study_id,
                key,
                plan_to_json(steps, runtime.options),
                max_participants=runtime.study.max_participants,
                prolific_pid=identity.prolific_pid,
                prolific_study_id=identity.prolific_study_id,
                session_id=identity.session_id,
            )
        if not created and not token_matches(runtime.secret, key, identity.token):
            store.log_event(
                "session_refused",
                {"reason": "token missing" if not identity.token else "token wrong"},
                study_id=runtime.study_id,
                participant_id=existing.participant_id,
            )
            raise SessionTakenError(
                "this participant id has already started the study in another browser "
                "window; to continue, use the address of that window (it holds your session "
                "key), or contact the researchers"
            )
        if created and runtime.gsp is not None:
            runtime.gsp.join(existing.participant_id)
        return cls(store, runtime, existing)

    @property
    def token(self) -> str:
        """The session token that resumes this participant (goes into their URL)."""
        return self.runtime.session_token(self.participant.participant_key)

    @property
    def pid(self) -> int:
        """The participant's row id."""
        return self.participant.participant_id

    def _refresh(self) -> Participant:
        found = self.store.get_participant(self.runtime.study_id, self.participant.participant_key)
        if found is None:  # pragma: no cover - participants are never deleted
            raise StudyError(f"participant '{self.participant.participant_key}' vanished")
        self.participant = found
        return found

    def position(self) -> Position:
        """The participant's current step, recomputed from storage."""
        participant = self._refresh()
        total = len(self.steps)
        if participant.status in ("completed", "excluded"):
            state: Literal["complete", "excluded"] = (
                "complete" if participant.status == "completed" else "excluded"
            )
            return Position(state, participant, done=total, total=total)
        answered = set(self.store.answered_trials(self.pid))
        n_gsp = self.runtime.gsp.answered_count(self.pid) if self.runtime.gsp is not None else 0
        gsp_finished: bool | None = None
        for step in self.steps:
            if step.kind != "gsp":
                if step.index in answered:
                    continue
                return Position("step", participant, step, done=step.index, total=total)
            if step.slot <= n_gsp:
                continue
            gsp = self.runtime.gsp
            if gsp is None:  # pragma: no cover - plans only hold gsp steps for gsp studies
                raise StudyError("a GSP step in a study without GSP")
            trial = gsp.next_trial(self.pid)
            if trial is not None:
                return Position("step", participant, step, trial, step.index, total)
            if gsp_finished is None:
                gsp_finished = gsp.is_finished(self.pid)
            if not gsp_finished:
                return Position("waiting", participant, step, done=step.index, total=total)
        # Every step is answered: the debrief's callback completes the session; this covers a
        # crash between its two writes.
        self.complete()
        return Position("complete", self.participant, done=total, total=total)

    def _step(self, index: int, kind: str) -> Step:
        if not 0 <= index < len(self.steps) or self.steps[index].kind != kind:
            raise StudyError(f"step {index} of this plan is not a {kind} step")
        self._check_reached(index)
        return self.steps[index]

    def _check_reached(self, index: int) -> None:
        """Refuse an answer to a step the participant has not reached (a forged request)."""
        answered = set(self.store.answered_trials(self.pid))
        earlier = self.steps[:index]
        missing = [s for s in earlier if s.kind != "gsp" and s.index not in answered]
        gsp_slots = max((s.slot for s in earlier if s.kind == "gsp"), default=0)
        if not missing and gsp_slots and self.runtime.gsp is not None:
            n_gsp = self.runtime.gsp.answered_count(self.pid)
            if n_gsp < gsp_slots and not self.runtime.gsp.is_finished(self.pid):
                raise StudyError(f"step {index} is not reached yet: GSP trials are still open")
        if missing:
            raise StudyError(
                f"step {index} is not reached yet: step {missing[0].index} "
                f"({missing[0].kind}) has no answer"
            )

    def answer(self, index: int, response: Mapping[str, Any], rt_ms: float | None = None) -> bool:
        """Record the answer to a consent, instructions, practice, pair or debrief step.

        Returns True when written now, False when this step already had its answer.
        """
        step = self.steps[index] if 0 <= index < len(self.steps) else None
        if step is None or step.kind in ("gsp", "attention", "questionnaire"):
            raise StudyError(f"step {index} takes its answer through its own method")
        self._check_reached(index)
        if step.kind == "consent" and response.get("agree") is not True:
            raise StudyError("consent is recorded only when the participant agrees")
        choice = step.kind == "pair" or (step.kind == "practice" and step.is_pair)
        if choice and response.get("choice") not in PAIR_CHOICES:
            raise StudyError(f"choice {response.get('choice')!r} is not one of {PAIR_CHOICES}")
        if step.kind == "practice" and not step.is_pair:
            self._check_value(Trial.from_dict(step.data), response.get("value"))
        written = self.store.record_trial(
            self.pid, index, step.kind, {"ref": step.ref, **step.data}, dict(response), rt_ms
        )
        if step.kind == "debrief":
            self.complete()
        return written

    @staticmethod
    def _check_value(trial: Trial, value: Any) -> float:
        if not isinstance(value, int | float) or not trial.low <= float(value) <= trial.high:
            raise StudyError(f"slider value {value!r} is outside [{trial.low:g}, {trial.high:g}]")
        return float(value)

    def answer_gsp(self, trial: Trial, value: float, rt_ms: float | None = None) -> bool:
        """Record a GSP slider response once (the claim token is the key)."""
        if self.runtime.gsp is None:
            raise StudyError("this study has no GSP trials")
        return self.runtime.gsp.submit(self.pid, trial, self._check_value(trial, value), rt_ms)

    def answer_attention(self, index: int, choice: str) -> bool:
        """Record an attention check once; exclude the participant past the allowed failures."""
        step = self._step(index, "attention")
        check = next(c for c in self.runtime.study.attention.checks if c.id == step.ref)
        if choice not in check.options:
            raise StudyError(f"{choice!r} is not an option of attention check '{check.id}'")
        written = self.store.record_trial(
            self.pid,
            index,
            "attention",
            {"ref": check.id},
            {"choice": choice, "correct": choice == check.correct},
        )
        failed = sum(
            not r.get("correct", True)
            for r in self.store.trial_responses(self.pid, "attention").values()
        )
        if failed > self.runtime.study.attention.max_failures:
            self.store.finish_participant(self.pid, "excluded", self.runtime.screened_out_code)
            if self.runtime.gsp is not None:
                self.runtime.gsp.release(self.pid)
        return written

    def answer_questionnaire(self, index: int, answers: Mapping[str, float | None]) -> bool:
        """Record a questionnaire page: its items once each, then the step."""
        step = self._step(index, "questionnaire")
        use = next(u for u in self.runtime.study.instruments if u.id == step.ref)
        checked = questionnaire(use).check(answers)
        self.store.record_questionnaire(self.pid, step.ref, checked)
        return self.store.record_trial(
            self.pid, index, "questionnaire", {"ref": step.ref}, {"n_items": len(checked)}
        )

    def decline(self) -> None:
        """Log that the participant declined consent (nothing else is stored; they may return)."""
        self.store.log_event(
            "consent_declined", study_id=self.runtime.study_id, participant_id=self.pid
        )

    def complete(self) -> Participant:
        """Mark the session completed with its code (only the first call changes anything)."""
        self.participant = self.store.finish_participant(
            self.pid, "completed", self.runtime.completion_code(self.participant.participant_key)
        )
        return self.participant

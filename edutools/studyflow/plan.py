"""A participant's plan: the ordered steps of their session, fixed when they are assigned.

consent → instructions → questionnaires placed ``before_task`` → practice → task trials (GSP
slider trials or pairwise choices) with the attention checks placed after their trial →
questionnaires placed ``after_task`` → debrief. The plan is stored with the participant at
assignment, so a reload, a second tab or a restarted server shows the same steps in the
same order. Randomness (practice trials, pairs, A/B sides) is seeded from the study seed
and the participant key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from edutools.errors import StudyError
from edutools.studyflow.stimuli import StimulusSet
from edutools.survey.config import StudyDefinition
from edutools.survey.gsp import GSPDesign, chain_start, make_trial

__all__ = [
    "PLAN_VERSION",
    "FlowOptions",
    "Step",
    "StepKind",
    "build_plan",
    "plan_from_json",
    "plan_to_json",
]

PLAN_VERSION = 1
StepKind = Literal[
    "consent", "instructions", "questionnaire", "practice", "gsp", "pair", "attention", "debrief"
]
TASK_KINDS: tuple[StepKind, ...] = ("gsp", "pair")

_GSP_INSTRUCTIONS = (
    "You will read answers to everyday questions. Below each answer there is a slider. Moving "
    "the slider rewrites the answer in a different way. Move it until the answer reads best to "
    "you, then press Submit. There are no right or wrong answers: we are interested in your "
    "own preference. The slider may run in either direction, and it starts at a random place "
    "each time. The first trial is a practice trial."
)
_PAIR_INSTRUCTIONS = (
    "You will read a question followed by two answers, A and B. Choose the answer you prefer, "
    "or 'No preference' if you like them equally. There are no right or wrong answers: we are "
    "interested in your own preference. The first trial is a practice trial."
)
_DEBRIEF = (
    "Thank you for taking part. This study looks at how the style of an AI assistant's answer "
    "(how authoritative, certain, polished and long it is) affects which answers people prefer, "
    "and whether this depends on personality and trust in technology. The answers you read were "
    "rewritten by a language model; their content was kept the same, only the style changed. "
    "Press Finish to record your participation and receive your completion code."
)


@dataclass(frozen=True)
class FlowOptions:
    """Participant-flow choices the study file does not cover, with their defaults."""

    practice_trials: int = 1
    min_response_seconds: float = 1.0
    pairs_per_item: int = 2
    instructions: str | None = None
    debrief: str = _DEBRIEF

    def __post_init__(self) -> None:
        if self.practice_trials < 0:
            raise StudyError(f"practice_trials={self.practice_trials}; use 0 or more")
        if self.min_response_seconds < 0:
            raise StudyError(f"min_response_seconds={self.min_response_seconds}; use 0 or more")
        if self.pairs_per_item < 1:
            raise StudyError(f"pairs_per_item={self.pairs_per_item}; use 1 or more")

    def instructions_for(self, design: str) -> str:
        """The instructions text (the default depends on the design)."""
        if self.instructions:
            return self.instructions
        return _GSP_INSTRUCTIONS if design == "gsp" else _PAIR_INSTRUCTIONS

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "practice_trials": self.practice_trials,
            "min_response_seconds": self.min_response_seconds,
            "pairs_per_item": self.pairs_per_item,
            "instructions": self.instructions,
            "debrief": self.debrief,
        }


@dataclass(frozen=True)
class Step:
    """One step of a plan.

    ``index`` is its position (the natural key of its stored answer); ``ref`` names the
    instrument or attention check; ``slot`` numbers practice, GSP and pair trials from 1;
    ``data`` holds a practice trial or a pair.
    """

    index: int
    kind: StepKind
    ref: str = ""
    slot: int = 0
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_pair(self) -> bool:
        """True for a pairwise choice (a pair trial, or the practice of a pairwise study)."""
        return self.kind == "pair" or (self.kind == "practice" and "a" in self.data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "ref": self.ref, "slot": self.slot, "data": dict(self.data)}


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _seed(study: StudyDefinition) -> int:
    return study.gsp.seed if study.gsp is not None else study.analysis.seed


def _practice(
    study: StudyDefinition, design: GSPDesign | None, stimuli: StimulusSet, key: str, n: int
) -> list[dict[str, Any]]:
    rng = _rng(_seed(study), "practice", key)
    items = [b.id for b in study.base_items]
    out = []
    for i in range(n):
        item = items[int(rng.integers(len(items)))]
        if design is not None:
            plan = chain_start(design, f"practice/{key}/{i}", item)
            trial = make_trial(design, plan, 0, 0, plan.start_vector)
            out.append(trial.to_dict())
        else:
            out.append(_pair(stimuli, item, rng))
    return out


def _pair(stimuli: StimulusSet, item: str, rng: np.random.Generator) -> dict[str, Any]:
    pool = stimuli.of_item(item)
    a, b = rng.choice(len(pool), size=2, replace=False)
    return {"base_item": item, "a": pool[int(a)].id, "b": pool[int(b)].id}


def _pairs(
    study: StudyDefinition, stimuli: StimulusSet, key: str, per_item: int
) -> list[dict[str, Any]]:
    rng = _rng(_seed(study), "pairs", key)
    pairs = [_pair(stimuli, b.id, rng) for b in study.base_items for _ in range(per_item)]
    order = rng.permutation(len(pairs))
    return [pairs[int(i)] for i in order]


def build_plan(
    study: StudyDefinition,
    stimuli: StimulusSet,
    participant_key: str,
    options: FlowOptions | None = None,
) -> list[Step]:
    """The ordered steps of one participant's session.

    Parameters
    ----------
    study
        The validated study definition.
    stimuli
        Its rewrites (pairs are drawn from them; GSP trials look them up when shown).
    participant_key
        The participant's key (their Prolific id); seeds the random draws.
    options
        Flow choices outside the study file.

    Returns
    -------
    list of Step
        Indexed from 0; GSP steps are slots the GSP engine fills when they are reached.

    Example
    -------
    >>> steps = build_plan(study, stimuli, "5f0c...")  # doctest: +SKIP
    >>> [s.kind for s in steps][:4]  # doctest: +SKIP
    ['consent', 'instructions', 'practice', 'gsp']
    """
    options = options or FlowOptions()
    design = GSPDesign.from_study(study) if study.design == "gsp" else None
    kinds: list[tuple[StepKind, str, int, Mapping[str, Any]]] = []
    if study.consent is not None:
        kinds.append(("consent", "", 0, {}))
    kinds.append(("instructions", "", 0, {}))
    kinds += [
        ("questionnaire", u.id, 0, {}) for u in study.instruments if u.position == "before_task"
    ]
    practice = _practice(study, design, stimuli, participant_key, options.practice_trials)
    kinds += [("practice", "", i + 1, t) for i, t in enumerate(practice)]
    task: list[tuple[StepKind, str, int, Mapping[str, Any]]]
    if design is not None:
        task = [("gsp", "", i + 1, {}) for i in range(design.trial_cap)]
    else:
        pairs = _pairs(study, stimuli, participant_key, options.pairs_per_item)
        task = [("pair", "", i + 1, p) for i, p in enumerate(pairs)]
    checks = sorted(study.attention.checks, key=lambda c: c.after_trial)
    merged: list[tuple[StepKind, str, int, Mapping[str, Any]]] = []
    pending = list(checks)
    for n_done in range(len(task) + 1):
        while pending and min(pending[0].after_trial, len(task)) == n_done:
            merged.append(("attention", pending.pop(0).id, 0, {}))
        if n_done < len(task):
            merged.append(task[n_done])
    kinds += merged
    kinds += [
        ("questionnaire", u.id, 0, {}) for u in study.instruments if u.position == "after_task"
    ]
    kinds.append(("debrief", "", 0, {}))
    return [Step(i, kind, ref, slot, data) for i, (kind, ref, slot, data) in enumerate(kinds)]


def plan_to_json(steps: Sequence[Step], options: FlowOptions) -> dict[str, Any]:
    """The plan as stored with the participant."""
    return {
        "version": PLAN_VERSION,
        "options": options.to_dict(),
        "steps": [s.to_dict() for s in steps],
    }


def plan_from_json(plan: Mapping[str, Any]) -> list[Step]:
    """Steps of a stored plan (StudyError when it is not a plan this version can read)."""
    if plan.get("version") != PLAN_VERSION or not isinstance(plan.get("steps"), list):
        raise StudyError(
            f"stored plan version {plan.get('version')!r} cannot be read; expected {PLAN_VERSION}"
        )
    return [
        Step(i, s["kind"], s.get("ref", ""), int(s.get("slot", 0)), s.get("data", {}))
        for i, s in enumerate(plan["steps"])
    ]

"""Validated types for what crosses the edges: course data, assertions, items and item banks.

Every model forbids unknown fields and round-trips through JSON without loss
(``Model.model_validate_json(m.model_dump_json()) == m``). The validators state the
structural item-writing rules: the number of keys each form needs, distinct options,
``k`` options per item in a bank, and key/truth agreement with the bank's assertions.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "Assertion",
    "Concept",
    "Course",
    "Flag",
    "Form",
    "Item",
    "ItemBank",
    "Option",
    "Provenance",
    "Question",
    "StudentAnswer",
    "Truth",
    "Usage",
    "normalize_text",
]

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Truth = Literal["correct", "foil"]
Basis = Literal["instructor", "reference", "grades", "engine"]
Form = Literal["correct_key", "foil_key", "select_all"]
Severity = Literal["info", "warning", "error"]
ItemStatus = Literal["draft", "accepted", "rejected"]


_PUNCT = re.compile(r"[^\w\s]")


def normalize_text(text: str) -> str:
    """Casefolded, accent-stripped, punctuation-free text with single spaces (for comparisons)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _PUNCT.sub(" ", text.casefold())
    return " ".join(text.split())


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# --------------------------------------------------------------------------- course data


class Concept(_Model):
    """A concept the course teaches."""

    id: Id
    name: Text
    description: str = ""


class Question(_Model):
    """An open-ended question with the instructor's reference answer(s).

    ``reference_answer`` is the model answer; ``extra_references`` holds other answers the
    instructor accepts as fully correct (worded differently, or naming another valid point).
    """

    id: Id
    concept_id: Id
    text: Text
    reference_answer: Text
    extra_references: list[Text] = Field(default_factory=list)

    @property
    def references(self) -> list[str]:
        """Every reference answer, the main one first."""
        return [self.reference_answer, *self.extra_references]


class StudentAnswer(_Model):
    """One student's free-text answer to one question.

    ``text`` may be empty (a student who submitted nothing). ``grade`` is the instructor's
    optional score in [0, 1] (1 = fully correct).
    """

    id: Id
    student_id: Id
    question_id: Id
    text: str = ""
    grade: float | None = Field(default=None, ge=0.0, le=1.0)


class Course(_Model):
    """A course: concepts, questions with reference answers, and student answers."""

    id: Id
    title: Text
    description: str = ""
    concepts: list[Concept]
    questions: list[Question]
    answers: list[StudentAnswer] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> Course:
        for kind, rows in (
            ("concept", self.concepts),
            ("question", self.questions),
            ("answer", self.answers),
        ):
            dupes = [k for k, n in Counter(r.id for r in rows).items() if n > 1]
            if dupes:
                raise ValueError(f"duplicate {kind} id {dupes[0]!r}; ids must be unique")
        concept_ids = {c.id for c in self.concepts}
        for q in self.questions:
            if q.concept_id not in concept_ids:
                raise ValueError(f"question {q.id!r} refers to unknown concept {q.concept_id!r}")
        question_ids = {q.id for q in self.questions}
        for a in self.answers:
            if a.question_id not in question_ids:
                raise ValueError(f"answer {a.id!r} refers to unknown question {a.question_id!r}")
        return self

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError if absent)."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def answers_to(self, question_id: str) -> list[StudentAnswer]:
        """All answers to one question, in file order."""
        return [a for a in self.answers if a.question_id == question_id]

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON, for provenance and idempotent storage."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


# --------------------------------------------------------------------------- assertions and items


class Assertion(_Model):
    """A self-contained declarative statement, true (``correct``) or a misconception (``foil``).

    ``support`` holds the ids of the student answers that state it; its length is the
    number of students who hold it (used to rank foils). ``basis`` says what settled its
    truth: the instructor's label of the claim (``instructor``), the instructor's reference
    answer (``reference``), grades of supporting answers that agree (``grades``), or only
    the engine's judgement (``engine``, e.g. text similarity or an LLM); None when unknown.
    """

    id: Id
    question_id: Id
    text: Text
    truth: Truth
    support: list[str] = Field(default_factory=list)
    misconception: str | None = None
    basis: Basis | None = None

    @model_validator(mode="after")
    def _support_unique(self) -> Assertion:
        if len(set(self.support)) != len(self.support):
            raise ValueError(f"assertion {self.id!r} lists a supporting answer twice")
        return self


class Option(_Model):
    """One answer option of an item."""

    text: Text
    is_key: bool
    assertion_id: str | None = None


class Flag(_Model):
    """A finding of an item-writing check; ``options`` are the 0-based options it concerns."""

    check: Id
    message: Text
    severity: Severity = "warning"
    options: list[int] = Field(default_factory=list)


class Usage(_Model):
    """LLM usage of a run. Counts real HTTP calls only; cache hits are counted apart."""

    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class Provenance(_Model):
    """Where something came from: engine, model, parameters, prompt hashes, input hash, time."""

    engine: Id
    model: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    prompt_hashes: dict[str, str] = Field(default_factory=dict)
    input_hash: str | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    edutools_version: str | None = None
    code_hash: str | None = None
    usage: Usage | None = None


_FORM_STEMS: dict[str, str] = {
    "correct_key": "Which statement is correct?",
    "foil_key": "Which statement is INCORRECT?",
    "select_all": "Select ALL statements that are correct.",
}


class Item(_Model):
    """A multiple-choice item built from assertions.

    Forms: ``correct_key`` (one correct statement among foils), ``foil_key`` (one incorrect
    statement among correct ones, "which is incorrect") and ``select_all`` (any number of
    correct statements, at least one).
    """

    id: Id
    source: Id
    concept_id: Id
    question_id: str | None = None
    form: Form
    stem: Text
    options: list[Option] = Field(min_length=2, max_length=10)
    flags: list[Flag] = Field(default_factory=list)
    provenance: Provenance | None = None
    status: ItemStatus = "draft"

    @model_validator(mode="after")
    def _structure(self) -> Item:
        keys = sum(o.is_key for o in self.options)
        if self.form in ("correct_key", "foil_key") and keys != 1:
            raise ValueError(f"item {self.id!r} ({self.form}) has {keys} keys; it needs exactly 1")
        if self.form == "select_all" and keys < 1:
            raise ValueError(f"item {self.id!r} (select_all) has no key; it needs at least 1")
        seen: dict[str, int] = {}
        for i, o in enumerate(self.options):
            norm = normalize_text(o.text)
            if norm in seen:
                raise ValueError(
                    f"item {self.id!r}: options {seen[norm] + 1} and {i + 1} are the same text; "
                    "options must be distinct"
                )
            seen[norm] = i
        return self

    @property
    def k(self) -> int:
        """Number of options."""
        return len(self.options)

    @property
    def key_indices(self) -> list[int]:
        """Positions of the keyed options."""
        return [i for i, o in enumerate(self.options) if o.is_key]

    @staticmethod
    def default_stem(form: Form) -> str:
        """The standard stem lead-in for a form."""
        return _FORM_STEMS[form]


class ItemBank(_Model):
    """Items with the assertions they were built from and the run that produced them.

    When ``k`` is set every item has exactly ``k`` options. An option that names an
    assertion must name one in ``assertions``, and keys must agree with truth: in a
    ``correct_key`` item the key is a correct assertion and the distractors are foils; in a
    ``foil_key`` item the reverse; in ``select_all`` the keys are exactly the correct ones.
    ``answer_ids`` records, per question, the student answers generation read (so that an
    evaluation can count the wrong answers no foil reached).
    """

    course_id: Id
    k: int | None = Field(default=None, ge=2, le=10)
    items: list[Item] = Field(default_factory=list)
    assertions: list[Assertion] = Field(default_factory=list)
    run: Provenance
    answer_ids: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> ItemBank:
        for kind, rows in (("item", self.items), ("assertion", self.assertions)):
            dupes = [k for k, n in Counter(r.id for r in rows).items() if n > 1]
            if dupes:
                raise ValueError(f"duplicate {kind} id {dupes[0]!r}; ids must be unique")
        truth = {a.id: a.truth for a in self.assertions}
        for item in self.items:
            if self.k is not None and item.k != self.k:
                raise ValueError(f"item {item.id!r} has {item.k} options; this bank has k={self.k}")
            for i, o in enumerate(item.options):
                if o.assertion_id is None:
                    continue
                if o.assertion_id not in truth:
                    raise ValueError(
                        f"item {item.id!r} option {i + 1} refers to unknown assertion {o.assertion_id!r}"
                    )
                expected_key = {
                    "correct_key": truth[o.assertion_id] == "correct",
                    "foil_key": truth[o.assertion_id] == "foil",
                    "select_all": truth[o.assertion_id] == "correct",
                }[item.form]
                if o.is_key != expected_key:
                    raise ValueError(
                        f"item {item.id!r} option {i + 1}: a {truth[o.assertion_id]} assertion "
                        f"cannot be {'the key' if o.is_key else 'a distractor'} of a {item.form} item"
                    )
        return self

    def assertion(self, assertion_id: str) -> Assertion:
        """The assertion with this id (KeyError if absent)."""
        for a in self.assertions:
            if a.id == assertion_id:
                return a
        raise KeyError(assertion_id)

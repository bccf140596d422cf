"""Student sentences and what the instructor's grades say about each of them.

The instructor grades whole answers, not sentences, so a grade is attributed with care:

* an answer graded correct (grade >= 0.8) states only true things: each of its sentences is
  *hard evidence for* (``hard_pos``);
* an answer graded wrong (grade <= 0.2) holds at least one false sentence. Its sentences
  that closely paraphrase correct text (a reference answer, or a sentence of another
  answer graded correct; cosine >= ``paraphrase``) are spared. Of the rest, the one least
  like correct text is the prime suspect and is *hard evidence against* (``hard_neg``), as
  is any other sentence that is far from all correct text (cosine < ``unlike``);
* a partly correct answer (0.2 < grade < 0.8) is usually true but incomplete: its sentences
  are marked ``partial`` and are evidence for neither side (they must not become foils);
* ungraded sentences carry no hard evidence.

When a course's grades are only 0 and 1, a 0 may mark an incomplete answer rather than a
wrong one, so only sentences of a 0-graded answer that are unlike all correct text are
blamed (``binary``).

Word overlap never decides truth on its own: similarity only decides which sentence of a
wrong answer is to blame, and the instructor's labels and the grades of similar sentences
vote for the rest (in :mod:`edutools.generate.claims`). Negation is one of the words, not a
verdict: "there is no gap" and "it is connected" can say the same thing. A sentence close to
a reference clause but of opposite polarity is marked ``opposed``: a hint that only counts
where nothing else settles truth (a question with no grade and no label).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edutools.generate._clean import clean_sentence, is_fragment, reject_reason
from edutools.generate.privacy import _id_pattern
from edutools.schema import Course, Question
from edutools.text import TfidfVectors, is_negated, split_clauses, split_sentences

__all__ = [
    "CORRECT_AT",
    "WRONG_AT",
    "Unit",
    "UnitEvidence",
    "binary_grading",
    "mine_units",
    "reference_options",
    "unit_evidence",
]

CORRECT_AT = 0.8
WRONG_AT = 0.2
_BINARY_UNLIKE = 0.35


@dataclass(frozen=True)
class Unit:
    """One usable sentence of one student answer."""

    answer_id: str
    student_id: str
    index: int
    grade: float | None
    text: str
    fragment: bool

    @property
    def key(self) -> str:
        """``answer_id:index``, stable while the answer's text is unchanged."""
        return f"{self.answer_id}:{self.index}"


@dataclass(frozen=True)
class UnitEvidence:
    """Per-sentence evidence arrays (see the module docstring)."""

    hard_pos: np.ndarray
    hard_neg: np.ndarray
    partial: np.ndarray
    paraphrase: np.ndarray
    ref_similarity: np.ndarray
    opposed: np.ndarray


def mine_units(course: Course, question: Question) -> list[Unit]:
    """The usable sentences of the question's answers (cleaned, PII masked), in answer order."""
    ids = _id_pattern(
        tuple(sorted({a.student_id for a in course.answers if len(a.student_id) >= 3}))
    )
    out: list[Unit] = []
    for answer in course.answers_to(question.id):
        seen: set[str] = set()
        for n, raw in enumerate(split_sentences(answer.text)):
            text = clean_sentence(ids.sub("[ID]", raw) if ids is not None else raw)
            if reject_reason(raw, text) or text.lower() in seen:
                continue
            seen.add(text.lower())
            out.append(Unit(answer.id, answer.student_id, n, answer.grade, text, is_fragment(text)))
    return out


def binary_grading(course: Course) -> bool:
    """True when the course grades answers only 0 or 1 (at least 10 graded answers)."""
    grades = [a.grade for a in course.answers if a.grade is not None]
    return len(grades) >= 10 and all(g in (0.0, 1.0) for g in grades)


def reference_options(question: Question) -> list[str]:
    """Sentences of the reference answers that can stand as options (5 to 30 words)."""
    out: list[str] = []
    for ref in question.references:
        for raw in split_sentences(ref):
            text = clean_sentence(raw)
            if text and not reject_reason(raw, text) and 5 <= len(text.split()) <= 30:
                out.append(text)
    return list(dict.fromkeys(out))


def reference_parts(question: Question) -> list[str]:
    """Sentences and clauses of every reference answer."""
    parts: list[str] = []
    for ref in question.references:
        for sentence in split_sentences(ref):
            parts.append(sentence)
            parts.extend(split_clauses(sentence))
    return parts


def unit_evidence(
    units: Sequence[Unit],
    S: np.ndarray,
    vec: TfidfVectors,
    question: Question,
    *,
    paraphrase: float = 0.6,
    unlike: float = 0.2,
    binary: bool = False,
) -> UnitEvidence:
    """Hard evidence for and against each sentence from the grades of its answer.

    Parameters
    ----------
    units : sequence of Unit
        The question's sentences.
    S : ndarray, shape (n, n)
        Cosine similarities between them.
    vec : TfidfVectors
        The fitted vectors (to compare with the reference answers).
    question : Question
        Its reference answers are correct text.
    paraphrase : float
        Cosine at which a sentence restates correct text.
    unlike : float
        Below this cosine to all correct text, a sentence of a wrong answer is blamed too.
    binary : bool
        The course grades only 0 or 1, so a 0 may mean "incomplete" rather than "wrong":
        only sentences unlike all correct text (cosine < 0.35) are blamed.

    Returns
    -------
    UnitEvidence
    """
    n = len(units)
    grade = np.array([np.nan if u.grade is None else u.grade for u in units])
    answer = np.array([u.answer_id for u in units])
    parts = reference_parts(question)
    if parts:
        to_ref = vec.similarity(vec.transform([u.text for u in units]), vec.transform(parts))
        ref_sim = to_ref.max(axis=1)
        part_neg = np.array([is_negated(p) for p in parts])
        unit_neg = np.array([is_negated(u.text) for u in units])
        best = to_ref.argmax(axis=1)
        opposed = (ref_sim >= 0.5) & (part_neg[best] != unit_neg)
    else:
        ref_sim = np.zeros(n)
        opposed = np.zeros(n, dtype=bool)
    good = grade >= CORRECT_AT
    other_good = np.where((answer[:, None] != answer[None, :]) & good[None, :], S, -1.0)
    closest = np.maximum(ref_sim, other_good.max(axis=1) if n else ref_sim)
    paraphrases = ref_sim >= paraphrase
    spared = closest >= paraphrase

    hard_pos = good.copy()
    hard_neg = np.zeros(n, dtype=bool)
    for a in np.unique(answer):
        rows = np.flatnonzero(answer == a)
        if not grade[rows[0]] <= WRONG_AT:
            continue
        suspects = [i for i in rows if not spared[i]]
        if not suspects:
            continue
        prime = min(suspects, key=lambda i: (closest[i], i))
        for i in suspects:
            blamed = i == prime or closest[i] < unlike
            hard_neg[i] = blamed and (not binary or closest[i] < _BINARY_UNLIKE)
    partial = (grade > WRONG_AT) & (grade < CORRECT_AT)
    return UnitEvidence(
        hard_pos=hard_pos,
        hard_neg=hard_neg,
        partial=partial,
        paraphrase=paraphrases & ~opposed,
        ref_similarity=ref_sim,
        opposed=opposed,
    )

"""The ``local`` engine: items from student answers without any LLM.

For each question:

1. mine *claims* -- clusters of student sentences that say the same thing -- and judge
   their truth from the instructor's grades and claim labels (see
   :mod:`edutools.generate.claims`); claims nothing settles stay ``unsure``;
2. correct assertions are claims labelled correct or settled correct by grades; foils are
   claims labelled foil or settled wrong by grades. A question with no grade and no label
   at all has nothing to settle truth with: its claims that similarity votes lean on
   clearly enough are used, and the items say so (``foil_unconfirmed``);
3. with ``confirmed_only``, only the claims the instructor labelled (and the instructor's
   reference answers) become options;
4. top up correct statements from the reference answers when students gave fewer than
   ``k - 1``, then polish, assemble and check as every engine does
   (:func:`edutools.generate.finish.finish_question`).

Every foil lists the answers that state it. Everything is deterministic and offline.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence

import edutools
from edutools.generate._evidence import reference_options
from edutools.generate._fingerprint import code_hash
from edutools.generate.assemble import DEFAULT_MIX, FormMix, QuestionResult, rank_by_support
from edutools.generate.claims import Claim, ClaimReview, mine_claims
from edutools.generate.finish import finish_question
from edutools.generate.options import OptionWriter, WriterCache
from edutools.schema import Assertion, Course, Item, ItemBank, Provenance, Question, Usage
from edutools.text import TfidfVectors

__all__ = ["LocalEngine", "claims_to_assertions", "generate_local"]


def _reviews_hash(reviews: Mapping[str, ClaimReview]) -> str | None:
    if not reviews:
        return None
    payload = {
        q: {"labels": dict(r.labels), "texts": dict(r.texts), "merges": dict(r.merges)}
        for q, r in sorted(reviews.items())
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _usable(claim: Claim, *, confirmed_only: bool, unsettled_question: bool) -> bool:
    if claim.truth not in ("correct", "foil"):
        return False
    if claim.label is not None:
        return True
    if confirmed_only:
        return False
    if claim.basis == "grades":
        return True
    return unsettled_question and claim.basis == "engine"


def claims_to_assertions(
    question: Question,
    claims: Sequence[Claim],
    *,
    k: int = 4,
    confirmed_only: bool = False,
    use_reference: bool = True,
) -> tuple[list[Assertion], list[str]]:
    """Correct assertions and foils from a question's claims, topped up from the reference.

    Parameters
    ----------
    question : Question
        The question (its reference answers top up correct statements).
    claims : sequence of Claim
        The question's claims (from :func:`~edutools.generate.claims.mine_claims`).
    k : int
        Options per item: reference sentences are added while fewer than ``k - 1`` correct
        assertions exist.
    confirmed_only : bool
        Only claims the instructor labelled become assertions.
    use_reference : bool
        Top up from the reference answers.

    Returns
    -------
    assertions : list of Assertion
        Correct ones first, then foils, each ranked by support.
    notes : list of str
    """
    unsettled = not any(c.graded_correct or c.graded_wrong or c.label for c in claims)
    chosen = [
        c for c in claims if _usable(c, confirmed_only=confirmed_only, unsettled_question=unsettled)
    ]
    out: list[Assertion] = [
        Assertion(
            id=c.id,
            question_id=question.id,
            text=c.text,
            truth="correct" if c.truth == "correct" else "foil",
            support=list(c.answer_ids),
            basis=c.basis,
        )
        for c in chosen
    ]
    correct = rank_by_support([a for a in out if a.truth == "correct"])
    foils = rank_by_support([a for a in out if a.truth == "foil"])
    predicted = Counter(c.truth for c in claims)
    notes = [
        f"{len(claims)} claims ({', '.join(f'{n} {p}' for p, n in sorted(predicted.items()))}); "
        f"{len(correct)} correct and {len(foils)} foil(s) settled"
        + (" by the instructor" if confirmed_only else " by grades or the instructor")
    ]
    if unsettled and chosen and not confirmed_only:
        notes.append(
            "no grade or label for this question: its options rest on text similarity alone; "
            "grade some answers or label claims"
        )
    if use_reference and len(correct) < k - 1:
        correct += _reference_assertions(question, correct, claims, k - 1 - len(correct))
    return [*correct, *foils], notes


def _reference_assertions(
    question: Question, have: list[Assertion], claims: Sequence[Claim], n: int
) -> list[Assertion]:
    """Up to ``n`` sentences of the reference answers that students did not already say."""
    candidates = reference_options(question)
    if not candidates:
        return []
    settled_correct = [c for c in claims if c.truth == "correct" and c.confirmed]
    student = [(aid, s) for c in settled_correct for aid, s in c.sentences]
    vec = TfidfVectors().fit([*candidates, *(a.text for a in have), *(s for _, s in student)])
    C = vec.transform(candidates)
    H = vec.similarity(C, vec.transform([a.text for a in have])) if have else None
    U = vec.similarity(C, vec.transform([s for _, s in student])) if student else None
    out: list[Assertion] = []
    for i, text in enumerate(candidates):
        if len(out) >= n:
            break
        if H is not None and H[i].max() >= 0.6:
            continue  # a student already said it
        support = sorted(
            {student[j][0] for j in range(len(student)) if U is not None and U[i, j] >= 0.5}
        )
        out.append(
            Assertion(
                id=f"{question.id}-r{i + 1:02d}",
                question_id=question.id,
                text=text,
                truth="correct",
                support=support,
                basis="reference",
            )
        )
    return out


class LocalEngine:
    """Deterministic, offline engine: claims, grades, the instructor's labels, the reference.

    Parameters
    ----------
    k : int
        Options per item.
    mix : FormMix
        Shares of correct-key, foil-key and select-all items.
    seed : int
        Seeds option order.
    max_items : int or None
        Upper bound on items per question.
    max_uses : int
        Most items an assertion appears in (per question).
    reviews : mapping of question id to ClaimReview
        The instructor's claim labels, edits and merges.
    confirmed_only : bool
        Only labelled claims (and reference sentences) become options.
    use_reference : bool
        Top up correct statements from the reference answers.
    similarity : float
        Average cosine similarity at which sentences count as the same claim.

    Example
    -------
    >>> from edutools import io
    >>> course = io.read_course(io.example_course_dir())
    >>> result = LocalEngine().process(course, course.questions[0])
    >>> result.items[0].id, result.usage.calls
    ('local-Q01-01', 0)
    """

    name = "local"

    def __init__(
        self,
        *,
        k: int = 4,
        mix: FormMix = DEFAULT_MIX,
        seed: int = 0,
        max_items: int | None = None,
        max_uses: int = 2,
        reviews: Mapping[str, ClaimReview] | None = None,
        confirmed_only: bool = False,
        use_reference: bool = True,
        similarity: float = 0.45,
    ) -> None:
        self.k = k
        self.mix = mix
        self.seed = seed
        self.max_items = max_items
        self.max_uses = max_uses
        self.reviews = dict(reviews or {})
        self.confirmed_only = confirmed_only
        self.use_reference = use_reference
        self.similarity = similarity
        self._writer = WriterCache()

    def parameters(self) -> dict[str, object]:
        """The settings that shape the output, for provenance."""
        return {
            "k": self.k,
            "mix": dataclasses.asdict(self.mix),
            "seed": self.seed,
            "max_items": self.max_items,
            "max_uses": self.max_uses,
            "confirmed_only": self.confirmed_only,
            "use_reference": self.use_reference,
            "similarity": self.similarity,
            "reviews": _reviews_hash(self.reviews),
        }

    def provenance(self, course: Course) -> Provenance:
        """Provenance of this engine's output for ``course``."""
        return Provenance(
            engine=self.name,
            parameters=self.parameters(),
            input_hash=course.content_hash(),
            edutools_version=edutools.__version__,
            code_hash=code_hash("local"),
            usage=Usage(),
        )

    def writer(self, course: Course) -> OptionWriter:
        """The course's option writer (built once per course)."""
        return self._writer(course)

    def claims(self, course: Course, question: Question) -> list[Claim]:
        """The question's claims in labelling order, with the instructor's review applied."""
        return mine_claims(
            course, question, review=self.reviews.get(question.id), similarity=self.similarity
        )

    def process(self, course: Course, question: Question) -> QuestionResult:
        """Mine claims for one question and assemble checked items from them.

        Parameters
        ----------
        course : Course
            The course the question belongs to.
        question : Question
            The question to process.

        Returns
        -------
        QuestionResult
            Assertions, flagged items, zero usage, and notes.
        """
        claims = self.claims(course, question)
        assertions, notes = claims_to_assertions(
            question,
            claims,
            k=self.k,
            confirmed_only=self.confirmed_only,
            use_reference=self.use_reference,
        )
        labelled = frozenset(c.id for c in claims if c.label is not None or c.edited)
        finished = finish_question(
            course,
            question,
            assertions,
            k=self.k,
            mix=self.mix,
            source=self.name,
            provenance=self.provenance(course),
            seed=self.seed,
            max_items=self.max_items,
            max_uses=self.max_uses,
            writer=self.writer(course),
            keep=labelled,
        )
        return QuestionResult(
            question_id=question.id,
            assertions=finished.assertions,
            items=finished.items,
            usage=Usage(),
            notes=(*notes, *finished.notes),
        )


def generate_local(
    course: Course,
    *,
    k: int = 4,
    mix: FormMix = DEFAULT_MIX,
    seed: int = 0,
    reviews: Mapping[str, ClaimReview] | None = None,
    confirmed_only: bool = False,
) -> ItemBank:
    """Run the local engine over every question of a course (no storage, no resume).

    Parameters
    ----------
    course : Course
        The course with questions, reference answers and student answers.
    k : int
        Options per item.
    mix : FormMix
        Shares of the item forms.
    seed : int
        Seeds option order.
    reviews : mapping of question id to ClaimReview, optional
        The instructor's claim labels.
    confirmed_only : bool
        Only labelled claims become options.

    Returns
    -------
    ItemBank
        Items, the assertions they use (foils carry their supporting answer ids), the
        answers each question read, and the run's provenance.

    Example
    -------
    >>> from edutools import io
    >>> bank = generate_local(io.read_course(io.example_course_dir()))
    >>> bank.run.engine, bank.k, all(a.support for a in bank.assertions if a.truth == "foil")
    ('local', 4, True)
    """
    engine = LocalEngine(k=k, mix=mix, seed=seed, reviews=reviews, confirmed_only=confirmed_only)
    items: list[Item] = []
    assertions: list[Assertion] = []
    for question in course.questions:
        result = engine.process(course, question)
        items.extend(result.items)
        assertions.extend(result.assertions)
    return ItemBank(
        course_id=course.id,
        k=k,
        items=items,
        assertions=assertions,
        run=engine.provenance(course),
        answer_ids={q.id: [a.id for a in course.answers_to(q.id)] for q in course.questions},
    )

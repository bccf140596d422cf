"""What the Claims page does, without streamlit: claims with the stored review, the table,
label/text/merge writes and the re-generation request.

A claim is a cluster of student sentences that say the same thing (see
:mod:`edutools.generate.claims`). The instructor's labels, edited texts and merges are kept
in the store (:class:`edutools.store.claims.ClaimReviewRepo`) under ``(course_id,
claim_id)`` and read back as one :class:`~edutools.generate.claims.ClaimReview` per
question, which is what the local engine takes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from edutools.app.jobs import JobRequest
from edutools.errors import DataError
from edutools.generate.assemble import FormMix
from edutools.generate.claims import CLAIM_LABELS, PREDICTIONS, Claim, ClaimReview
from edutools.generate.local import LocalEngine
from edutools.schema import Course
from edutools.store import Store

__all__ = [
    "BULK_CHOICES",
    "CLAIM_LABELS",
    "PREDICTIONS",
    "SHOW",
    "SUGGESTED_LABELS",
    "MergedClaim",
    "apply_table_edits",
    "bulk_label",
    "claims_table",
    "filter_claims",
    "label_counts",
    "merge",
    "merged_claims",
    "question_claims",
    "regeneration_request",
    "review_version",
    "sentences_table",
    "unmatched",
]

#: Labels per question that are worth giving (the claims come in the order that helps most).
SUGGESTED_LABELS = 8
#: Which claims the table shows.
SHOW = ("all", "not labelled", "labelled")
#: What a bulk action sets: the engine's prediction, a label, or no label.
BULK_CHOICES = ("prediction", *CLAIM_LABELS, "clear")

TABLE_COLUMNS = ["#", "claim", "text", "students", "grades", "predicted", "confidence", "label"]


def question_claims(store: Store, course: Course, question_id: str) -> list[Claim]:
    """The question's claims in labelling order, with the stored labels, texts and merges.

    These are the claims the local engine builds its options from (same engine settings).
    """
    reviews = store.claim_reviews(course.id)
    return LocalEngine(reviews=reviews).claims(course, course.question(question_id))


def label_counts(store: Store, course: Course) -> dict[str, int]:
    """Stored labels per question id (every question of the course, 0 when none)."""
    reviews = store.claim_reviews(course.id)
    return {q.id: len(reviews[q.id].labels) if q.id in reviews else 0 for q in course.questions}


def review_version(store: Store, course_id: str, question_id: str) -> str:
    """A short hash of the question's stored review: it changes with every write.

    The Claims table's widget key carries it, so a write shows a fresh table instead of
    replaying the old table's edits over the new rows.
    """
    review = store.claim_reviews(course_id).get(question_id, ClaimReview())
    text = repr(
        (sorted(review.labels.items()), sorted(review.texts.items()), sorted(review.merges.items()))
    )
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def filter_claims(
    claims: Sequence[Claim],
    *,
    predictions: Collection[str] | None = None,
    confidence: tuple[float, float] = (0.0, 1.0),
    show: str = "all",
) -> list[Claim]:
    """The claims with one of ``predictions``, a confidence in the closed range and a
    labelled state as ``show`` says (``all``, ``not labelled``, ``labelled``)."""
    if show not in SHOW:
        raise DataError(f"show {show!r} is not one of {', '.join(SHOW)}")
    low, high = confidence
    return [
        c
        for c in claims
        if (predictions is None or c.predicted in predictions)
        and low - 1e-9 <= c.confidence <= high + 1e-9
        and (show == "all" or (c.label is not None) == (show == "labelled"))
    ]


def _grades(claim: Claim, grades: Mapping[str, float | None]) -> str:
    """How the claim's answers were graded: wrong (0), partly right, right (1)."""
    given = [g for g in (grades.get(a) for a in claim.answer_ids) if g is not None]
    counts = (
        (sum(g <= 0.0 for g in given), "wrong"),
        (sum(0.0 < g < 1.0 for g in given), "partly right"),
        (sum(g >= 1.0 for g in given), "right"),
    )
    return ", ".join(f"{n} {what}" for n, what in counts if n)


def claims_table(claims: Sequence[Claim], ranks: Mapping[str, int], course: Course) -> pd.DataFrame:
    """One row per claim: its rank in labelling order, text, students, the grades of its
    answers, prediction, confidence and the instructor's label (an empty string when
    none, so no "None" shows).

    ``ranks`` maps claim ids to their 1-based place in the question's labelling order.
    """
    grades = {a.id: a.grade for a in course.answers}
    rows = [
        {
            "#": ranks.get(c.id, 0),
            "claim": c.id,
            "text": c.text,
            "students": c.n_students,
            "grades": _grades(c, grades),
            "predicted": c.predicted,
            "confidence": float(c.confidence),
            "label": c.label or "",
        }
        for c in claims
    ]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def apply_table_edits(
    store: Store,
    course_id: str,
    question_id: str,
    claims: Sequence[Claim],
    edited_rows: Mapping[Any, Mapping[str, Any]],
) -> int:
    """Save the label and text cells edited in the claims table; returns how many writes.

    ``claims`` are the table's rows in order and ``edited_rows`` is the data editor's state
    (row position -> changed cells). A cleared label cell clears the label; a blank text
    restores the engine's text. Writing a value again is harmless (idempotent upserts).
    """
    writes = 0
    for row, changes in edited_rows.items():
        claim = claims[int(row)]
        if "label" in changes:
            label = changes["label"] or None
            store.save_claim_label(course_id, question_id, claim.id, label)
            writes += 1
        if "text" in changes:
            text = str(changes["text"] or "").strip()
            store.save_claim_text(course_id, question_id, claim.id, text or None)
            writes += 1
    return writes


def bulk_label(
    store: Store, course_id: str, question_id: str, claims: Sequence[Claim], choice: str
) -> int:
    """Label every claim in ``claims`` at once; returns how many labels were written.

    ``choice`` is a label, ``clear`` (remove the labels) or ``prediction`` (take the
    engine's prediction as the label; claims predicted ``unsure`` are left as they are).
    """
    if choice not in BULK_CHOICES:
        raise DataError(f"bulk label {choice!r} is not one of {', '.join(BULK_CHOICES)}")
    pairs: list[tuple[str, str | None]] = []
    for c in claims:
        if choice == "prediction":
            if c.predicted != "unsure":
                pairs.append((c.id, c.predicted))
        else:
            pairs.append((c.id, None if choice == "clear" else choice))
    return store.save_claim_labels(course_id, question_id, pairs)


def merge(store: Store, course_id: str, question_id: str, source: str, target: str) -> None:
    """Merge claim ``source`` into claim ``target`` (the merged claim keeps ``target``'s
    id, label and text). Refuses a merge that would close a circle."""
    merges = store.claim_reviews(course_id).get(question_id, ClaimReview()).merges
    seen, cid = set(), target
    while cid in merges and cid not in seen:
        seen.add(cid)
        cid = merges[cid]
        if cid == source:
            raise DataError(f"claim {target!r} is already merged into {source!r}; undo that first")
    store.merge_claim(course_id, question_id, source, target)


@dataclass(frozen=True)
class MergedClaim:
    """A claim the instructor merged into another: its own id and text, and the target."""

    id: str
    text: str
    into: str


def merged_claims(store: Store, course: Course, question_id: str) -> list[MergedClaim]:
    """The question's merged claims with the text each had on its own (for undo)."""
    review = store.claim_reviews(course.id).get(question_id, ClaimReview())
    if not review.merges:
        return []
    apart = ClaimReview(labels=review.labels, texts=review.texts)
    engine = LocalEngine(reviews={question_id: apart})
    texts = {c.id: c.text for c in engine.claims(course, course.question(question_id))}
    return [
        MergedClaim(source, texts.get(source, "(no longer among the claims)"), into)
        for source, into in sorted(review.merges.items())
    ]


def unmatched(store: Store, course_id: str, question_id: str, claims: Sequence[Claim]) -> int:
    """Stored labels of this question whose claim no longer exists (the answers changed)."""
    review = store.claim_reviews(course_id).get(question_id, ClaimReview())
    known = {c.id for c in claims} | set(review.merges)
    return sum(cid not in known for cid in review.labels)


def sentences_table(claim: Claim, course: Course) -> pd.DataFrame:
    """The student sentences behind a claim: answer id, the answer's grade (blank when
    ungraded) and the sentence. No student ids."""
    grades = {a.id: a.grade for a in course.answers}
    return pd.DataFrame(
        {
            "answer": [a for a, _ in claim.sentences],
            "grade": [_grade_text(grades.get(a)) for a, _ in claim.sentences],
            "sentence": [s for _, s in claim.sentences],
        }
    )


def _grade_text(grade: float | None) -> str:
    return "" if grade is None else f"{grade:g}"


def regeneration_request(
    store: Store, course: Course, run_id: int | None, *, confirmed_only: bool
) -> JobRequest:
    """A local-engine job with the stored claim reviews.

    Options per item and the form mix are those of the run ``run_id`` (the one the
    instructor looked at last), else the defaults (4 options; 0.5/0.3/0.2).
    """
    k, mix = 4, FormMix()
    if run_id is not None:
        params = store.load_bank(run_id).run.parameters
        if isinstance(params.get("k"), int):
            k = int(params["k"])
        if isinstance(params.get("mix"), dict):
            mix = FormMix(**params["mix"])
    return JobRequest(
        course,
        "local",
        None,
        k,
        mix,
        reviews=store.claim_reviews(course.id),
        confirmed_only=confirmed_only,
        origin="claims",
    )

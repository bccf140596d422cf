"""The instructor's claim reviews: labels, edited texts and merges, one row per claim.

A row is keyed by its natural key ``(course_id, claim_id)``. Claim ids are stable hashes of
the sentences behind a claim (see :mod:`edutools.generate.claims`), so a label stays valid
while the course's answers are unchanged, and a label whose claim no longer exists is
simply unmatched. Every write is an idempotent upsert of one column: a double click, a
rerun or a retry writes the same row again.

Table: ``claim_reviews``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa

from edutools.errors import DataError
from edutools.store._base import _Repo
from edutools.store.engine import upsert
from edutools.store.tables import metadata, utcnow

if TYPE_CHECKING:
    from edutools.generate.claims import ClaimReview

__all__ = ["CLAIM_LABELS", "ClaimReviewRepo", "claim_review_table"]

#: The labels an instructor can give a claim (``None`` = no label).
CLAIM_LABELS: tuple[str, ...] = ("correct", "foil", "off_topic")

claim_review_table = sa.Table(
    "claim_reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("course_id", sa.String(200), sa.ForeignKey("courses.course_id"), nullable=False),
    sa.Column("claim_id", sa.String(200), nullable=False),
    sa.Column("question_id", sa.String(200), nullable=False),
    sa.Column("label", sa.String(20)),
    sa.Column("text", sa.Text),
    sa.Column("merged_into", sa.String(200)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, default=utcnow),
    sa.UniqueConstraint("course_id", "claim_id"),
    sa.CheckConstraint("label IS NULL OR label IN ('correct', 'foil', 'off_topic')", name="label"),
    sa.Index("ix_claim_reviews_course_question", "course_id", "question_id"),
)


def _check_label(label: str | None) -> None:
    if label is not None and label not in CLAIM_LABELS:
        raise DataError(f"claim label {label!r} is not one of {', '.join(CLAIM_LABELS)} (or none)")


def _upsert(
    conn: sa.Connection,
    course_id: str,
    question_id: str,
    claim_id: str,
    column: dict[str, str | None],
) -> None:
    """Write one column of a claim's row, creating the row when new (idempotent)."""
    upsert(
        conn,
        claim_review_table,
        {"course_id": course_id, "claim_id": claim_id, "question_id": question_id, **column},
        ["course_id", "claim_id"],
        {**column, "updated_at": utcnow()},
    )


class ClaimReviewRepo(_Repo):
    """Save and read the instructor's claim labels, edited texts and merges."""

    def _set(self, course_id: str, question_id: str, claim_id: str, **column: str | None) -> None:
        with self.engine.begin() as conn:
            _upsert(conn, course_id, question_id, claim_id, column)

    def save_claim_label(
        self, course_id: str, question_id: str, claim_id: str, label: str | None
    ) -> None:
        """Label a claim ``correct``, ``foil`` or ``off_topic``; ``None`` clears the label.

        Example
        -------
        >>> store.save_claim_label("bio", "Q1", "Q1-c1a2b3c4d", "foil")  # doctest: +SKIP
        """
        _check_label(label)
        self._set(course_id, question_id, claim_id, label=label)

    def clear_claim_label(self, course_id: str, question_id: str, claim_id: str) -> None:
        """Remove the instructor's label of a claim (the engine's prediction counts again)."""
        self.save_claim_label(course_id, question_id, claim_id, None)

    def save_claim_labels(
        self, course_id: str, question_id: str, labels: Iterable[tuple[str, str | None]]
    ) -> int:
        """Label several claims of one question in one transaction; returns how many.

        ``labels`` holds ``(claim_id, label)`` pairs; a ``None`` label clears.
        """
        pairs = list(labels)
        for _, label in pairs:
            _check_label(label)
        with self.engine.begin() as conn:
            for claim_id, label in pairs:
                _upsert(conn, course_id, question_id, claim_id, {"label": label})
        return len(pairs)

    def save_claim_text(
        self, course_id: str, question_id: str, claim_id: str, text: str | None
    ) -> None:
        """Replace a claim's representative text; blank or ``None`` restores the engine's."""
        cleaned = (text or "").strip() or None
        self._set(course_id, question_id, claim_id, text=cleaned)

    def merge_claim(self, course_id: str, question_id: str, claim_id: str, into: str) -> None:
        """Merge claim ``claim_id`` into claim ``into`` (the merged claim keeps ``into``'s
        id, label and text); undo with :meth:`unmerge_claim`."""
        if claim_id == into:
            raise DataError(f"claim {claim_id!r} cannot be merged into itself")
        self._set(course_id, question_id, claim_id, merged_into=into)

    def unmerge_claim(self, course_id: str, question_id: str, claim_id: str) -> None:
        """Undo a merge: ``claim_id`` is a claim of its own again."""
        self._set(course_id, question_id, claim_id, merged_into=None)

    def clear_claim_reviews(self, course_id: str, question_id: str | None = None) -> int:
        """Forget every label, edit and merge of a course (or of one question); returns rows."""
        stmt = sa.delete(claim_review_table).where(claim_review_table.c.course_id == course_id)
        if question_id is not None:
            stmt = stmt.where(claim_review_table.c.question_id == question_id)
        with self.engine.begin() as conn:
            return int(conn.execute(stmt).rowcount or 0)

    def claim_reviews(self, course_id: str) -> dict[str, ClaimReview]:
        """The course's claim reviews by question id (questions without any are left out).

        Example
        -------
        >>> reviews = store.claim_reviews("bio")  # doctest: +SKIP
        >>> bank = generate.run(course, "local", settings, reviews=reviews)  # doctest: +SKIP
        """
        from edutools.generate.claims import ClaimReview

        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    claim_review_table.c.question_id,
                    claim_review_table.c.claim_id,
                    claim_review_table.c.label,
                    claim_review_table.c.text,
                    claim_review_table.c.merged_into,
                )
                .where(claim_review_table.c.course_id == course_id)
                .order_by(claim_review_table.c.question_id, claim_review_table.c.claim_id)
            ).all()
        parts: dict[str, tuple[dict[str, str], dict[str, str], dict[str, str]]] = {}
        for question_id, claim_id, label, text, merged_into in rows:
            labels, texts, merges = parts.setdefault(question_id, ({}, {}, {}))
            if label is not None:
                labels[claim_id] = label
            if text is not None:
                texts[claim_id] = text
            if merged_into is not None:
                merges[claim_id] = merged_into
        reviews = {
            q: ClaimReview(labels=labels, texts=texts, merges=merges)  # type: ignore[arg-type]
            for q, (labels, texts, merges) in parts.items()
        }
        return {q: r for q, r in reviews.items() if r}

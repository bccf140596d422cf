"""Claim reviews in storage: the same tests on SQLite and (with EDUTOOLS_TEST_PG_URL) PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from edutools import io
from edutools.errors import DataError
from edutools.generate.claims import ClaimReview
from edutools.generate.local import LocalEngine
from edutools.schema import Course
from edutools.store import Store
from edutools.store.claims import claim_review_table


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store.from_url(database_url)
    yield s
    s.close()


@pytest.fixture(scope="module")
def course() -> Course:
    return io.read_course(io.example_course_dir())


def _rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(claim_review_table)).scalar_one()
        )


def test_labels_are_upserted_under_the_natural_key(store: Store, course: Course) -> None:
    store.save_course(course)
    store.save_claim_label(course.id, "Q01", "Q01-caaa", "foil")
    store.save_claim_label(course.id, "Q01", "Q01-caaa", "foil")  # a double click
    store.save_claim_label(course.id, "Q01", "Q01-cbbb", "correct")
    store.save_claim_label(course.id, "Q02", "Q02-cccc", "off_topic")
    assert _rows(store) == 3
    assert store.claim_reviews(course.id) == {
        "Q01": ClaimReview(labels={"Q01-caaa": "foil", "Q01-cbbb": "correct"}),
        "Q02": ClaimReview(labels={"Q02-cccc": "off_topic"}),
    }
    store.save_claim_label(course.id, "Q01", "Q01-caaa", "correct")  # a change of mind
    store.clear_claim_label(course.id, "Q01", "Q01-cbbb")
    store.clear_claim_label(course.id, "Q01", "Q01-cbbb")
    assert store.claim_reviews(course.id)["Q01"] == ClaimReview(labels={"Q01-caaa": "correct"})
    # another course's reviews are apart
    assert store.claim_reviews("nope") == {}


def test_texts_merges_and_undo(store: Store, course: Course) -> None:
    store.save_course(course)
    store.save_claim_text(course.id, "Q01", "Q01-caaa", "  Viruses are cells.  ")
    store.merge_claim(course.id, "Q01", "Q01-cbbb", "Q01-caaa")
    store.merge_claim(course.id, "Q01", "Q01-cbbb", "Q01-caaa")
    store.save_claim_label(course.id, "Q01", "Q01-cbbb", "foil")
    review = store.claim_reviews(course.id)["Q01"]
    assert review.texts == {"Q01-caaa": "Viruses are cells."}
    assert review.merges == {"Q01-cbbb": "Q01-caaa"}
    assert review.labels == {"Q01-cbbb": "foil"}
    store.unmerge_claim(course.id, "Q01", "Q01-cbbb")
    store.save_claim_text(course.id, "Q01", "Q01-caaa", "   ")  # blank restores the engine's text
    assert store.claim_reviews(course.id)["Q01"] == ClaimReview(labels={"Q01-cbbb": "foil"})
    assert _rows(store) == 2
    assert store.clear_claim_reviews(course.id, "Q01") == 2
    assert store.claim_reviews(course.id) == {}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda s: s.save_claim_label("intro_bio", "Q01", "Q01-c1", "true"),
            "claim label 'true' is not one of correct, foil, off_topic (or none)",
            id="unknown-label",
        ),
        pytest.param(
            lambda s: s.save_claim_labels(
                "intro_bio", "Q01", [("Q01-c1", "foil"), ("Q01-c2", "x")]
            ),
            "claim label 'x' is not one of",
            id="unknown-label-in-bulk",
        ),
        pytest.param(
            lambda s: s.merge_claim("intro_bio", "Q01", "Q01-c1", "Q01-c1"),
            "claim 'Q01-c1' cannot be merged into itself",
            id="merge-into-itself",
        ),
    ],
)
def test_bad_writes_are_refused(store: Store, course: Course, call: object, message: str) -> None:
    store.save_course(course)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(store)  # type: ignore[operator]
    assert _rows(store) == 0  # nothing half-written


def test_bulk_labels_and_concurrent_writers(store: Store, course: Course) -> None:
    store.save_course(course)
    ids = [f"Q03-c{i:03d}" for i in range(20)]
    assert store.save_claim_labels(course.id, "Q03", [(c, "foil") for c in ids]) == 20
    errors: list[BaseException] = []

    def writer(label: str) -> None:
        try:
            for c in ids:
                store.save_claim_label(course.id, "Q03", c, label)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=("correct",)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _rows(store) == 20
    assert set(store.claim_reviews(course.id)["Q03"].labels.values()) == {"correct"}


def test_stored_reviews_reach_the_engine(store: Store, course: Course) -> None:
    """Labels, an edited text and a merge saved in the store are what the engine sees."""
    store.save_course(course)
    question = course.questions[0]
    claims = LocalEngine().claims(course, question)
    first, second, third = claims[0], claims[1], claims[2]
    store.save_claim_label(course.id, question.id, first.id, "correct")
    store.save_claim_text(course.id, question.id, first.id, "Edited claim text.")
    store.merge_claim(course.id, question.id, third.id, second.id)
    store.save_claim_label(
        course.id, question.id, "Q01-cgone", "foil"
    )  # a claim that no longer exists
    reviewed = LocalEngine(reviews=store.claim_reviews(course.id)).claims(course, question)
    by_id = {c.id: c for c in reviewed}
    assert by_id[first.id].label == "correct"
    assert by_id[first.id].text == "Edited claim text."
    assert third.id not in by_id
    assert set(by_id[second.id].sentences) == set(second.sentences) | set(third.sentences)
    assert len(reviewed) == len(claims) - 1

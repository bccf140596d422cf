"""Labelled corpora for the generation-quality benchmark: the example course and real answers.

``example()`` is the bundled synthetic course with its planted ground truth.
``saf(path)`` converts the SAF v2.0 English corpus (real university students' answers to
communication-networks questions, tutor labels; Filighera et al., ACL 2022; MIT licence, see
its ATTRIBUTION.txt) into a course and answer labels. Each SAF answer becomes its own
student (the corpus has no student ids).

``graded(course, labels, share, seed)`` grades a seeded random share of each question's
answers from the labels, as an instructor would: correct 1, partial 0.5, everything else 0.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edutools import io
from edutools.generate.evaluate import normalize_label
from edutools.schema import Course

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
GRADE = {"correct": 1.0, "partial": 0.5}


@dataclass(frozen=True)
class Corpus:
    name: str
    course: Course
    labels: dict[str, str]
    splits: dict[str, str]  # answer id -> split name (empty when the corpus has none)


def example() -> Corpus:
    course = io.read_course(io.example_course_dir())
    with open(io.example_course_dir() / "answer_labels.csv", encoding="utf-8") as fh:
        labels = {r["answer_id"]: str(normalize_label(r["label"])) for r in csv.DictReader(fh)}
    return Corpus("example course (synthetic)", course, labels, {})


def saf(path: Path = SHARED / "saf_en") -> Corpus | None:
    if not (path / "answers.csv").exists():
        return None
    with open(path / "questions.csv", encoding="utf-8") as fh:
        questions = list(csv.DictReader(fh))
    with open(path / "answers.csv", encoding="utf-8") as fh:
        answers = list(csv.DictReader(fh))
    splits: dict[str, str] = {}
    if (path / "answers_meta.csv").exists():
        with open(path / "answers_meta.csv", encoding="utf-8") as fh:
            splits = {r["answer_id"]: r["split"] for r in csv.DictReader(fh)}
    concepts = sorted({_chapter(q["question_id"]) for q in questions})
    course = Course.model_validate(
        {
            "id": "saf_en",
            "title": "Communication networks (SAF v2.0, real answers)",
            "concepts": [{"id": c, "name": f"Chapter {c[2:]}"} for c in concepts],
            "questions": [
                {
                    "id": q["question_id"],
                    "concept_id": _chapter(q["question_id"]),
                    "text": q["question_text"],
                    "reference_answer": q["reference_answer"],
                }
                for q in questions
            ],
            "answers": [
                {
                    "id": a["answer_id"],
                    "student_id": f"student-{n:05d}",
                    "question_id": a["question_id"],
                    "text": a["answer_text"],
                }
                for n, a in enumerate(answers)
            ],
        }
    )
    labels = {a["answer_id"]: str(normalize_label(a["label"])) for a in answers}
    return Corpus("SAF v2.0 English (real)", course, labels, splits)


def _chapter(question_id: str) -> str:
    found = re.match(r"(\d+)", question_id)
    return f"ch{found.group(1) if found else '0'}"


def graded(
    course: Course, labels: dict[str, str], share: float, seed: int = 0, partial: float = 0.5
) -> Course:
    """A copy of ``course`` with a random ``share`` of each question's answers graded."""
    rng = np.random.default_rng(seed)
    chosen: set[str] = set()
    for q in course.questions:
        ids = [a.id for a in course.answers_to(q.id)]
        n = round(share * len(ids))
        chosen.update(rng.permutation(ids)[:n].tolist())
    scale = {**GRADE, "partial": partial}
    answers = [
        a.model_copy(
            update={"grade": scale.get(labels.get(a.id, ""), 0.0) if a.id in chosen else None}
        )
        for a in course.answers
    ]
    return course.model_copy(update={"answers": answers})


def ungraded(course: Course) -> Course:
    return course.model_copy(
        update={"answers": [a.model_copy(update={"grade": None}) for a in course.answers]}
    )

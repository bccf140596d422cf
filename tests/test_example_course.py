"""The bundled example course: acceptance numbers, ground-truth labels, privacy cases, human bank."""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edutools.cli import app
from edutools.io import example_course_dir, read_course, read_item_bank
from edutools.schema import Course, ItemBank

COURSE_DIR = example_course_dir()
LABEL_KINDS = ("correct", "partial", "off_topic", "empty")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b")
INJECTION = re.compile(
    r"ignore (all )?previous instructions|disregard the rubric|system note", re.I
)
DELIMITER = re.compile(r"</\w+>|```|<<<END>>>")


def _rows(name: str) -> list[dict[str, str]]:
    with open(COURSE_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def course() -> Course:
    return read_course(COURSE_DIR)


@pytest.fixture(scope="module")
def labels() -> dict[str, str]:
    rows = _rows("answer_labels.csv")
    ids = [r["answer_id"] for r in rows]
    assert len(ids) == len(set(ids)), "an answer is labelled twice"
    return {r["answer_id"]: r["label"] for r in rows}


@pytest.fixture(scope="module")
def codes() -> dict[str, str]:
    """Misconception code -> question id."""
    rows = _rows("misconceptions.csv")
    assert all(r["statement"].strip() for r in rows)
    assert len({r["code"] for r in rows}) == len(rows), "a misconception code appears twice"
    return {r["code"]: r["question_id"] for r in rows}


@pytest.fixture(scope="module")
def bank() -> ItemBank:
    return read_item_bank(COURSE_DIR / "human_bank.json")


def _codes_of(label: str) -> list[str]:
    return (
        label.removeprefix("misconception:").split(";")
        if label.startswith("misconception:")
        else []
    )


def test_acceptance_numbers(course: Course) -> None:
    assert course.id == "intro_bio"
    assert len(course.concepts) >= 8
    assert len(course.questions) >= 10
    per_question = Counter(a.question_id for a in course.answers)
    assert min(per_question[q.id] for q in course.questions) >= 40
    assert {q.concept_id for q in course.questions} == {c.id for c in course.concepts}


def test_students_answer_most_but_not_all_questions(course: Course) -> None:
    per_student = Counter(a.student_id for a in course.answers)
    assert len(per_student) >= 50
    n = len(course.questions)
    assert all(n / 2 < k < n for k in per_student.values())
    pairs = Counter((a.student_id, a.question_id) for a in course.answers)
    assert max(pairs.values()) == 1, "a student answered the same question twice"


def test_some_answers_are_graded(course: Course) -> None:
    grades = [a.grade for a in course.answers if a.grade is not None]
    assert 0.2 < len(grades) / len(course.answers) < 0.5
    assert set(grades) == {0.0, 0.5, 1.0}


def test_grades_agree_with_labels(course: Course, labels: dict[str, str]) -> None:
    for a in course.answers:
        if a.grade is None:
            continue
        label = labels[a.id]
        if label == "correct":
            assert a.grade == 1.0, a.id
        elif label in ("off_topic", "empty") or label.startswith("misconception:"):
            assert a.grade < 1.0, a.id


def test_every_answer_has_a_valid_label(
    course: Course, labels: dict[str, str], codes: dict[str, str]
) -> None:
    assert set(labels) == {a.id for a in course.answers}
    for a in course.answers:
        label = labels[a.id]
        if label.startswith("misconception:"):
            for code in _codes_of(label):
                assert code in codes, f"{a.id}: unknown code {code!r}"
                assert codes[code] == a.question_id, f"{a.id}: {code!r} belongs to {codes[code]}"
        else:
            assert label in LABEL_KINDS, f"{a.id}: bad label {label!r}"
        if not a.text:
            assert label == "empty", a.id


def test_misconceptions_recur_at_realistic_rates(
    course: Course, labels: dict[str, str], codes: dict[str, str]
) -> None:
    support: dict[str, Counter[str]] = defaultdict(Counter)
    for a in course.answers:
        for code in _codes_of(labels[a.id]):
            support[a.question_id][code] += 1
    for q in course.questions:
        planted = [c for c, qid in codes.items() if qid == q.id]
        assert 3 <= len(planted) <= 5, q.id
        assert all(support[q.id][c] >= 2 for c in planted), (q.id, support[q.id])
        top = max(support[q.id].values()) / len(course.answers_to(q.id))
        assert 0.12 <= top <= 0.35, (q.id, top)
        kinds = Counter(labels[a.id].split(":")[0] for a in course.answers_to(q.id))
        assert kinds["correct"] >= 5, (q.id, kinds)
        assert kinds["partial"] >= 5, (q.id, kinds)
        assert kinds["off_topic"] + kinds["empty"] >= 2, (q.id, kinds)


def test_answers_are_not_copies(course: Course) -> None:
    texts = Counter(
        " ".join(a.text.lower().split()) for a in course.answers if len(a.text.split()) > 3
    )
    assert max(texts.values()) == 1, texts.most_common(1)
    lengths = [len(a.text.split()) for a in course.answers]
    assert sum(n == 0 for n in lengths) >= len(course.questions)
    assert max(lengths) >= 100


@pytest.mark.parametrize(
    ("pattern", "at_least"),
    [
        pytest.param(EMAIL, 2, id="email"),
        pytest.param(PHONE, 2, id="phone"),
        pytest.param(INJECTION, 2, id="prompt-injection"),
        pytest.param(DELIMITER, 1, id="delimiter-escape"),
    ],
)
def test_privacy_and_injection_cases_present(
    course: Course, pattern: re.Pattern[str], at_least: int
) -> None:
    hits = [a.id for a in course.answers if pattern.search(a.text)]
    assert at_least <= len(hits) <= 5, hits


def test_human_bank(course: Course, bank: ItemBank, codes: dict[str, str]) -> None:
    assert bank.course_id == course.id
    assert bank.k == 4
    assert bank.run.engine == "human"
    assert len(bank.items) >= 20
    concept_ids = {c.id for c in course.concepts}
    question_ids = {q.id for q in course.questions}
    assert {i.concept_id for i in bank.items} <= concept_ids
    assert len({i.concept_id for i in bank.items}) >= 8
    forms = Counter(i.form for i in bank.items)
    assert forms["correct_key"] > forms["foil_key"] > forms["select_all"] > 0
    for a in bank.assertions:
        assert a.question_id in question_ids, a.id
        assert a.support == [], a.id
        assert a.misconception is None or codes[a.misconception] == a.question_id, a.id
    for item in bank.items:
        assert item.source == "human"
        if item.form == "foil_key":
            assert "INCORRECT" in item.stem, item.id
        texts = [o.text for o in item.options]
        assert not any(re.search(r"(all|none) of the above", t, re.I) for t in texts), item.id
        if item.form != "select_all":
            key = texts[item.key_indices[0]]
            assert (
                len(key) < max(len(t) for t in texts) or Counter(map(len, texts))[len(key)] > 1
            ), item.id


@pytest.mark.parametrize(
    ("target", "expected", "code"),
    [
        pytest.param(".", "course 'intro_bio'", 0, id="course"),
        pytest.param("human_bank.json", "32 items", 0, id="human-bank"),
        pytest.param("BROKEN", "unknown question 'Q99'", 2, id="broken-copy"),
    ],
)
def test_cli_validate(tmp_path: Path, target: str, expected: str, code: int) -> None:
    if target == "BROKEN":
        broken = tmp_path / "broken"
        shutil.copytree(COURSE_DIR, broken)
        answers = broken / "answers.csv"
        answers.write_text(
            answers.read_text(encoding="utf-8").replace(",Q03,", ",Q99,", 1), encoding="utf-8"
        )
        path = broken
    else:
        path = COURSE_DIR / target
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == code, result.output
    assert expected in result.output
    if code == 0:
        assert result.output.strip().endswith("OK")

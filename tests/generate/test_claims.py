"""Claims: clustering, truth from grades and labels, stable ids, labelling order, the claims file."""

from __future__ import annotations

from pathlib import Path

import pytest

from edutools.errors import DataError
from edutools.generate.claims import ClaimReview, labelling_order, mine_claims
from edutools.generate.claims_csv import read_claims, render_claims, write_claims
from edutools.generate.local import LocalEngine
from edutools.schema import Concept, Course, Question, StudentAnswer

QUESTION = Question(
    id="q1",
    concept_id="c1",
    text="Explain why bulb A stays on when switch Y is open.",
    reference_answer="Bulb A is still in a closed path with the battery.",
    extra_references=["Switch Y does not break the path that contains bulb A."],
)

# (text, grade): two ideas that recur, one wrong and one right, plus noise
ANSWERS: list[tuple[str, float | None]] = [
    ("Bulb A is still in a closed path with the battery.", 1.0),
    ("Bulb A is in a closed path with the battery.", 1.0),
    ("Bulb A is still in a closed path with the battery terminals.", None),
    ("Switch Y is not in the same path as bulb A.", 1.0),
    ("Switch Y is not in the path of bulb A.", None),
    ("Bulb A gets its own current from switch Z.", 0.0),
    ("Bulb A gets current from switch Z.", 0.0),
    ("Bulb A gets its current from switch Z instead.", None),
    ("The battery stores electrons for bulb A.", 0.5),
    ("I like my new phone a lot.", 0.0),
    ("idk", None),
]


def make_course(answers: list[tuple[str, float | None]] = ANSWERS) -> Course:
    return Course(
        id="circuits",
        title="Circuits",
        concepts=[Concept(id="c1", name="Paths")],
        questions=[QUESTION],
        answers=[
            StudentAnswer(id=f"a{i:02d}", student_id=f"s{i:03d}", question_id="q1", text=t, grade=g)
            for i, (t, g) in enumerate(answers, start=1)
        ],
    )


def by_text(claims: list, fragment: str):  # type: ignore[no-untyped-def]
    found = [c for c in claims if fragment in c.text]
    assert found, [c.text for c in claims]
    return found[0]


def test_recurring_claims_are_clustered_and_judged_by_grades() -> None:
    claims = mine_claims(make_course(), QUESTION)
    wrong = by_text(claims, "switch Z")
    assert wrong.predicted == "foil"
    assert wrong.basis == "grades"
    assert set(wrong.answer_ids) == {"a06", "a07", "a08"}
    assert wrong.n_students == 3
    right = by_text(claims, "closed path")
    assert right.predicted == "correct"
    assert {"a01", "a02"} <= set(right.answer_ids)
    # a partly correct answer is not evidence that its sentence is wrong
    partial = by_text(claims, "stores electrons")
    assert partial.predicted == "unsure"
    # off-topic text is not a foil even though it was graded 0
    assert by_text(claims, "phone").predicted == "off_topic"
    # no student id reaches a claim; every answer id belongs to the question
    for c in claims:
        assert not any(s.startswith("s0") for s in c.answer_ids)
        assert {a for a, _ in c.sentences} == set(c.answer_ids)


def test_ids_are_stable_and_labels_override_predictions() -> None:
    course = make_course()
    first = mine_claims(course, QUESTION)
    again = mine_claims(course, QUESTION)
    assert [c.id for c in first] == [c.id for c in again]
    partial = by_text(first, "stores electrons")
    wrong = by_text(first, "switch Z")
    review = ClaimReview(
        labels={partial.id: "foil", wrong.id: "correct"},
        texts={partial.id: "The battery stores the electrons that light bulb A."},
    )
    labelled = mine_claims(course, QUESTION, review=review)
    p = next(c for c in labelled if c.id == partial.id)
    w = next(c for c in labelled if c.id == wrong.id)
    assert (p.truth, p.basis, p.edited) == ("foil", "instructor", True)
    assert p.text == "The battery stores the electrons that light bulb A."
    assert (w.truth, w.basis) == ("correct", "instructor")
    # labelled claims come last: the order asks for what is still open
    assert {labelled[-1].id, labelled[-2].id} == {partial.id, wrong.id}


def test_merges_join_claims() -> None:
    course = make_course()
    claims = mine_claims(course, QUESTION)
    a, b = by_text(claims, "switch Z"), by_text(claims, "stores electrons")
    merged = mine_claims(course, QUESTION, review=ClaimReview(merges={b.id: a.id}))
    joined = next(c for c in merged if c.id == a.id)
    assert set(joined.answer_ids) == set(a.answer_ids) | set(b.answer_ids)
    assert b.id not in {c.id for c in merged}


def test_without_grades_nothing_is_settled() -> None:
    course = make_course([(t, None) for t, _ in ANSWERS])
    claims = mine_claims(course, QUESTION)
    assert all(c.basis in (None, "engine") for c in claims)
    assert not any(c.confirmed for c in claims)


def test_labelling_order_puts_likely_foils_first() -> None:
    claims = mine_claims(make_course(), QUESTION)
    order = labelling_order(claims, n_reference=2)
    first_open = next(c for c in order if c.predicted != "off_topic")
    assert first_open.predicted == "foil"
    assert order[-1].predicted == "off_topic"


def test_local_engine_confirmed_only_uses_labels_and_references() -> None:
    course = make_course()
    claims = mine_claims(course, QUESTION)
    wrong = by_text(claims, "switch Z")
    engine = LocalEngine(
        k=3, reviews={"q1": ClaimReview(labels={wrong.id: "foil"})}, confirmed_only=True
    )
    result = engine.process(course, QUESTION)
    kinds = {(a.truth, a.basis) for a in result.assertions}
    assert kinds <= {("foil", "instructor"), ("correct", "reference")}
    assert ("foil", "instructor") in kinds
    assert result.items, result.notes


# --------------------------------------------------------------------------- the claims file


def _known(course: Course) -> dict[str, dict]:  # type: ignore[type-arg]
    return {"q1": {c.id: c for c in mine_claims(course, QUESTION)}}


def test_claims_file_round_trip_with_labels_and_edits(tmp_path: Path) -> None:
    course = make_course()
    claims = mine_claims(course, QUESTION)
    path = write_claims(claims, tmp_path / "claims.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "claim_id,question_id,text,predicted,confidence,n_students,answer_ids,label"
    assert len(lines) == len(claims) + 1
    wrong = by_text(claims, "switch Z")
    edited = []
    for line in lines:
        if line.startswith(wrong.id):
            line = line[: line.rindex(",")] + ",Foil"
            line = line.replace(wrong.text, "Bulb A is powered through switch Z.")
        edited.append(line)
    path.write_text("\n".join(edited) + "\n", encoding="utf-8")
    reviews = read_claims(path, _known(course))
    assert reviews["q1"].labels == {wrong.id: "foil"}
    assert reviews["q1"].texts == {wrong.id: "Bulb A is powered through switch Z."}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        pytest.param(
            lambda row: row.replace(",q1,", ",q9,", 1),
            "column 'question_id': unknown question 'q9'",
            id="question",
        ),
        pytest.param(
            lambda row: "q1-cdeadbeef" + row[row.index(",") :],
            "column 'claim_id': question q1 has no claim 'q1-cdeadbeef'",
            id="claim",
        ),
        pytest.param(
            lambda row: row[: row.rindex(",")] + ",maybe",
            "column 'label': 'maybe' is not a label",
            id="label",
        ),
    ],
)
def test_claims_file_from_another_course_is_refused(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    path = write_claims(mine_claims(course, QUESTION), tmp_path / "claims.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = mutate(lines[1])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^claims\.csv, row 2, ") as info:
        read_claims(path, _known(course))
    assert message in str(info.value)


def test_claims_file_after_the_answers_changed_is_refused(tmp_path: Path) -> None:
    course = make_course()
    path = write_claims(mine_claims(course, QUESTION), tmp_path / "claims.csv")
    changed = make_course([*ANSWERS, ("Bulb A gets its current from switch Z, I think.", None)])
    with pytest.raises(DataError, match=r"claims.csv, row \d+, column '(answer_ids|claim_id)'"):
        read_claims(path, _known(changed))


def test_formula_cells_are_guarded() -> None:
    course = make_course([("=HYPERLINK(1) Bulb A is in a closed path", 1.0), *ANSWERS])
    text = render_claims(mine_claims(course, QUESTION))
    assert ",'=HYPERLINK" in text or "=HYPERLINK" not in text

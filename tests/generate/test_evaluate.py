"""Scoring a bank against answer labels: precision, coverage, chance, the labels file."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from edutools.errors import DataError
from edutools.generate import evaluate as evaluate_module
from edutools.generate.evaluate import evaluate, normalize_label, read_labels
from edutools.schema import Assertion, Flag, Item, ItemBank, Option, Provenance


def test_docstring_examples_run() -> None:
    assert doctest.testmod(evaluate_module).failed == 0


def _bank() -> ItemBank:
    a = [
        Assertion(
            id="k1", question_id="q", text="Right one.", truth="correct", support=["c1", "c2"]
        ),
        Assertion(
            id="k2", question_id="q", text="From the book.", truth="correct", basis="reference"
        ),
        Assertion(
            id="f1", question_id="q", text="Wrong one.", truth="foil", support=["w1", "w2", "c3"]
        ),
        Assertion(id="f2", question_id="q", text="Half wrong.", truth="foil", support=["w3", "p1"]),
        Assertion(id="f3", question_id="q", text="Unused.", truth="foil", support=["w4"]),
    ]
    item = Item(
        id="i1",
        source="x",
        concept_id="c",
        question_id="q",
        form="correct_key",
        stem="Which?",
        options=[
            Option(text="Right one.", is_key=True, assertion_id="k1"),
            Option(text="Wrong one.", is_key=False, assertion_id="f1"),
            Option(text="Half wrong.", is_key=False, assertion_id="f2"),
        ],
        flags=[Flag(check="foil_unconfirmed", message="option C: unconfirmed", options=[2])],
    )
    other = item.model_copy(
        update={
            "id": "i2",
            "status": "rejected",
            "options": [
                Option(text="From the book.", is_key=True, assertion_id="k2"),
                Option(text="Unused.", is_key=False, assertion_id="f3"),
            ],
            "flags": [],
        }
    )
    return ItemBank(
        course_id="c", items=[item, other], assertions=a, run=Provenance(engine="x"),
        answer_ids={"q": ["c1", "c2", "c3", "w1", "w2", "w3", "w4", "w5", "w6", "p1", "o1"]},
    )  # fmt: skip


LABELS = {
    "c1": "correct", "c2": "correct", "c3": "correct", "w1": "incorrect", "w2": "contradictory",
    "w3": "incorrect", "w4": "incorrect", "w5": "incorrect", "w6": "incorrect", "p1": "partial",
    "o1": "off_topic",
}  # fmt: skip


def test_precision_and_coverage_by_hand() -> None:
    e = evaluate(_bank(), LABELS, n_shuffles=50, min_wrong=5)
    # the rejected item and its options do not count
    assert (e.items, e.foils, e.keys) == (1, 2, 1)
    # f1: 2 of 3 wrong -> precise; f2: 1 of 2 wrong -> not most
    assert (e.foils_precise, e.foils_judged, e.foil_precision) == (1, 2, 0.5)
    assert e.key_precision == 1.0
    assert e.unconfirmed_foils == 1  # the flag names option C, i.e. f2
    assert e.confirmed_foil_precision == 1.0
    assert (e.wrong_answers, e.wrong_answers_covered) == (6, 3)
    assert (e.questions_min_wrong, e.questions_min_wrong_with_item) == (1, 1)
    assert e.sound_items == 0
    assert e.foil_chance is not None
    assert 0.0 <= e.foil_chance <= 1.0


def test_chance_is_near_the_share_of_wrong_answers() -> None:
    # many single-answer foils: shuffling makes each one wrong with the base rate
    ids = [f"a{i}" for i in range(200)]
    labels = {a: "incorrect" if i % 4 == 0 else "correct" for i, a in enumerate(ids)}
    foils = [
        Assertion(id=f"f{i}", question_id="q", text=f"Foil {i}.", truth="foil", support=[a])
        for i, a in enumerate(ids[:40])
    ]
    items = [
        Item(
            id=f"i{i}", source="x", concept_id="c", question_id="q", form="select_all", stem="Which?",
            options=[Option(text="Key.", is_key=True, assertion_id="k"),
                     Option(text=f.text, is_key=False, assertion_id=f.id)],
        )
        for i, f in enumerate(foils)
    ]  # fmt: skip
    bank = ItemBank(
        course_id="c",
        items=items,
        assertions=[Assertion(id="k", question_id="q", text="Key.", truth="correct"), *foils],
        run=Provenance(engine="x"),
        answer_ids={"q": ids},
    )
    e = evaluate(bank, labels, n_shuffles=300, seed=1)
    assert e.foil_precision == pytest.approx(10 / 40)
    assert e.foil_chance == pytest.approx(0.25, abs=0.03)


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        pytest.param("partially_correct_incomplete", "partial", id="semeval"),
        pytest.param("IRRELEVANT", "off_topic", id="irrelevant"),
        pytest.param("non_domain", "off_topic", id="non-domain"),
        pytest.param("misconception:q05_soil;q05_water", "incorrect", id="example-course"),
        pytest.param("contradictory", "contradictory", id="contradictory"),
    ],
)
def test_label_spellings(raw: str, label: str) -> None:
    assert normalize_label(raw) == label


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("answer,label\n1,correct\n", "row 1 (header): missing column 'answer_id'", id="header"),
        pytest.param("answer_id,label\n1,correct\n1,partial\n", "row 3, column 'answer_id': '1' is labelled twice (first on row 2)", id="twice"),
        pytest.param("answer_id,label\n1,meh\n", "row 2, column 'label': 'meh' is not a label", id="label"),
        pytest.param("answer_id,label\n", "no labelled answers", id="empty"),
    ],
)  # fmt: skip
def test_labels_file_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"^labels\.csv") as info:
        read_labels(path)
    assert message in str(info.value)


def test_labels_file_with_question_ids(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(
        "answer_id,label,question_id\na,correct,q1\nb,Partially_Correct,q2\n", encoding="utf-8"
    )
    labels, questions = read_labels(path)
    assert labels == {"a": "correct", "b": "partial"}
    assert questions == {"a": "q1", "b": "q2"}

"""Item-writing checks: each one on a good and a flawed item."""

from __future__ import annotations

import doctest

import pytest

from edutools.generate import quality
from edutools.generate.quality import CHECKS, CheckContext, check_bank, check_item
from edutools.schema import Assertion, Flag, Form, Item, ItemBank, Option, Provenance


def make_item(
    options: list[str],
    keys: list[int],
    *,
    stem: str = "Which statement is correct?",
    form: Form = "correct_key",
    ids: list[str] | None = None,
) -> Item:
    return Item(
        id="i1",
        source="test",
        concept_id="c",
        question_id="q",
        form=form,
        stem=stem,
        options=[
            Option(text=t, is_key=i in keys, assertion_id=ids[i] if ids else None)
            for i, t in enumerate(options)
        ],
    )


GOOD = [
    "Plants make glucose in light.",
    "Plants eat soil for food.",
    "Roots suck up sugar.",
    "Leaves breathe in oxygen to grow.",
]

# (check, good item, flawed item, words the message must contain)
CASES = [
    pytest.param(
        "all_none_of_above",
        make_item(GOOD, [0]),
        make_item([*GOOD[:3], "All of the above"], [3]),
        ["option D", "all of the above"],
        id="all-of-the-above",
    ),
    pytest.param(
        "all_none_of_above",
        make_item(GOOD, [0]),
        make_item(["None of these.", *GOOD[1:]], [0]),
        ["option A", "none of these"],
        id="none-of-these",
    ),
    pytest.param(
        "key_longest",
        make_item(GOOD, [0]),
        make_item(
            [
                "Plants make glucose from carbon dioxide and water using the energy of light.",
                *GOOD[1:],
            ],
            [0],
        ),
        ["option A", "longer"],
        id="key-longest",
    ),
    pytest.param(
        "near_duplicate_options",
        make_item(GOOD, [0]),
        make_item(
            [GOOD[0], "Plants eat the soil for food.", "Plants eat soil as food.", GOOD[3]], [0]
        ),
        ["options B and C", "nearly the same"],
        id="near-duplicates",
    ),
    pytest.param(
        "near_duplicate_options",
        make_item(GOOD, [0]),
        make_item([GOOD[0], "Plants do not make glucose in light.", GOOD[2], GOOD[3]], [0]),
        ["options A and B", "negation"],
        id="opposite-pair",
    ),
    pytest.param(
        "negative_stem",
        make_item(GOOD, [1], stem="Which statement is NOT true?"),
        make_item(GOOD, [1], stem="Which statement is not true?"),
        ["'not'", "NOT"],
        id="negative-not",
    ),
    pytest.param(
        "negative_stem",
        make_item(GOOD, [1], stem="All are true **except**:"),
        make_item(GOOD, [1], stem="All of these are true except"),
        ["'except'"],
        id="negative-except",
    ),
    pytest.param(
        "negative_stem",
        make_item(GOOD, [1], stem="Which needs at least some light?"),
        make_item(GOOD, [1], stem="Which plant doesn't need light?"),
        ["doesn't"],
        id="negative-contraction",
    ),
    pytest.param(
        "absolute_terms",
        make_item(["Plants always need light.", "Plants never need water.", *GOOD[2:]], [0]),
        make_item([GOOD[0], "Plants never need water.", "Only roots make food.", GOOD[3]], [0]),
        ["options B and C", "never", "only"],
        id="absolutes-in-foils",
    ),
    pytest.param(
        "absolute_terms",
        make_item(GOOD, [1], form="foil_key"),
        make_item([GOOD[0], "Plants always eat soil.", GOOD[2], GOOD[3]], [1], form="foil_key"),
        ["option B", "always"],
        id="absolute-in-foil-key",
    ),
    pytest.param(
        "key_repeats_stem",
        make_item(GOOD, [0], stem="How do green plants obtain their energy?"),
        make_item(
            ["Green plants obtain energy from sunlight.", *GOOD[1:]],
            [0],
            stem="How do green plants obtain their energy?",
        ),
        ["option A", "'energy'", "'obtain'"],
        id="clang",
    ),
    pytest.param(
        "grammatical_mismatch",
        make_item(
            ["apple", "orange", "egg", "onion"], [0], stem="The fruit that keeps doctors away is an"
        ),
        make_item(
            ["apple", "banana", "egg", "onion"], [1], stem="The fruit rich in potassium is an"
        ),
        ["option B", "'an'"],
        id="a-an",
    ),
    pytest.param(
        "grammatical_mismatch",
        make_item(
            ["mitochondria", "ribosomes", "vacuoles", "nuclei"],
            [0],
            stem="The powerhouses of the cell are",
        ),
        make_item(
            ["mitochondria", "a ribosome", "vacuoles", "nuclei"],
            [0],
            stem="The powerhouses of the cell are",
        ),
        ["option B", "plural"],
        id="plural",
    ),
    pytest.param(
        "too_few_functioning_options",
        make_item(GOOD, [0]),
        make_item(GOOD[:2], [0]),
        ["only 2 options"],
        id="two-options",
    ),
]


@pytest.mark.parametrize(("check", "good", "bad", "phrases"), CASES)
def test_check_flags_bad_and_passes_good(
    check: str, good: Item, bad: Item, phrases: list[str]
) -> None:
    assert CHECKS[check](good, CheckContext()) is None
    flag = CHECKS[check](bad, CheckContext())
    assert isinstance(flag, Flag)
    assert flag.check == check
    for phrase in phrases:
        assert phrase in flag.message, flag.message


def test_good_item_passes_every_check() -> None:
    assert check_item(make_item(GOOD, [0])) == []


def _assertions(support: dict[str, list[str]]) -> dict[str, Assertion]:
    out = {"c0": Assertion(id="c0", question_id="q", text=GOOD[0], truth="correct", support=["a1"])}
    for i, (aid, sup) in enumerate(support.items(), start=1):
        out[aid] = Assertion(id=aid, question_id="q", text=GOOD[i], truth="foil", support=sup)
    return out


def test_foil_no_student_holds() -> None:
    ids = ["c0", "f1", "f2", "f3"]
    held = _assertions({"f1": ["a2"], "f2": ["a3", "a4"], "f3": ["a5"]})
    item = make_item(GOOD, [0], ids=ids)
    assert check_item(item, assertions=held) == []
    idle = _assertions({"f1": ["a2"], "f2": [], "f3": ["a5"]})
    flags = check_item(item, assertions=idle)
    assert [f.check for f in flags] == ["too_few_functioning_options"]
    assert "option C" in flags[0].message
    assert flags[0].severity == "info"
    # an item built without student answers (baseline) has no support anywhere: nothing to say
    nobody = _assertions({"f1": [], "f2": [], "f3": []})
    nobody["c0"] = nobody["c0"].model_copy(update={"support": []})
    assert check_item(item, assertions=nobody) == []


def test_assertion_truth_overrides_form() -> None:
    # the options state truths per the bank's assertions, not per the (single) key flag
    ids = ["c0", "f1", "f2", "f3"]
    held = _assertions({"f1": ["a2"], "f2": ["a3"], "f3": ["a4"]})
    held["f1"] = held["f1"].model_copy(update={"text": "Plants never need light."})
    item = make_item([GOOD[0], "Plants never need light.", GOOD[2], GOOD[3]], [0], ids=ids)
    flags = check_item(item, assertions=held)
    assert [f.check for f in flags] == ["absolute_terms"]


def test_check_bank_keeps_other_flags_and_is_idempotent() -> None:
    bad = make_item([*GOOD[:3], "All of the above"], [3])
    foreign = Flag(check="llm_self_check", message="the key may be ambiguous", severity="info")
    bad = bad.model_copy(update={"flags": [foreign]})
    bank = ItemBank(course_id="c", items=[bad], run=Provenance(engine="test"))
    once = check_bank(bank)
    twice = check_bank(once)
    assert [f.check for f in once.items[0].flags] == ["llm_self_check", "all_none_of_above"]
    assert once == twice
    assert bank.items[0].flags == [foreign]  # the input is not modified


def test_docstring_examples_run() -> None:
    assert doctest.testmod(quality).failed == 0

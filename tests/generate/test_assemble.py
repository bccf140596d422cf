"""Item assembly: forms, counts, support ranking, determinism, no padding."""

from __future__ import annotations

import doctest
from collections import Counter

import pytest

from edutools.errors import GenerationError
from edutools.generate import assemble as assemble_module
from edutools.generate.assemble import FormMix, assemble, assemble_with_notes, rank_by_support
from edutools.schema import Assertion, ItemBank, Provenance, Question

Q = Question(
    id="q1", concept_id="c1", text="What do plants need to grow?", reference_answer="Light."
)
PROV = Provenance(engine="test")
CORRECT_WORDS = ["light", "water", "carbon dioxide", "minerals", "warmth", "space"]
FOIL_WORDS = ["soil only", "darkness", "sugar from roots", "music", "oxygen only", "meat", "salt"]


def pool(n_correct: int, n_foil: int, *, question_id: str = "q1") -> list[Assertion]:
    out = [
        Assertion(
            id=f"c{i}",
            question_id=question_id,
            text=f"Plants need {CORRECT_WORDS[i]}.",
            truth="correct",
        )
        for i in range(n_correct)
    ]
    # foil f{i} is held by i + 1 students, so f{n-1} has the most support
    out += [
        Assertion(
            id=f"f{i}",
            question_id=question_id,
            text=f"Plants grow from {FOIL_WORDS[i]}.",
            truth="foil",
            support=[f"a{i}-{j}" for j in range(i + 1)],
        )
        for i in range(n_foil)
    ]
    return out


def bank(items: list, assertions: list[Assertion], k: int = 4) -> ItemBank:
    """Validating through ItemBank checks k, key/truth agreement and known assertion ids."""
    return ItemBank(course_id="c", k=k, items=items, assertions=assertions, run=PROV)


def test_docstring_examples_run() -> None:
    assert doctest.testmod(assemble_module).failed == 0


@pytest.mark.parametrize(
    ("mix", "message"),
    [
        pytest.param(dict(correct_key=-0.1), "correct_key=-0.1", id="negative"),
        pytest.param(dict(correct_key=0, foil_key=0, select_all=0), "all 0", id="all-zero"),
        pytest.param(dict(select_all=float("nan")), "select_all=nan", id="nan"),
    ],
)
def test_form_mix_rejects_invalid_shares(mix: dict[str, float], message: str) -> None:
    with pytest.raises(GenerationError, match=message):
        FormMix(**mix)


def test_form_mix_normalises() -> None:
    assert FormMix(correct_key=2, foil_key=1, select_all=1).shares() == {
        "correct_key": 0.5,
        "foil_key": 0.25,
        "select_all": 0.25,
    }


def test_items_are_valid_with_deterministic_ids() -> None:
    assertions = pool(5, 6)
    items = assemble(Q, assertions, source="local", provenance=PROV)
    assert items, "enough material for every form"
    assert [i.id for i in items] == [f"local-q1-{n:02d}" for n in range(1, len(items) + 1)]
    bank(items, assertions)  # raises if any option contradicts its assertion's truth
    for item in items:
        assert item.k == 4
        assert item.question_id == "q1"
        assert item.concept_id == "c1"
        assert item.stem.startswith(Q.text)
        assert item.provenance == PROV
        assert all(o.assertion_id for o in item.options)


def test_stems_drop_the_instructions_for_a_written_answer() -> None:
    essay = Q.model_copy(update={"text": f"{Q.text} Explain your answer in 2-5 sentences."})
    items = assemble(essay, pool(5, 6), source="local", provenance=PROV)
    assert items
    for item in items:
        assert item.stem.startswith(f"{Q.text} ")
        assert "sentences" not in item.stem


def _uses(items: list) -> Counter[str]:
    return Counter(o.assertion_id for i in items for o in i.options)


def test_reuse_limit_and_distinct_items() -> None:
    assertions = pool(6, 7)
    for max_uses in (1, 2, 3):
        items = assemble(Q, assertions, source="x", provenance=PROV, max_uses=max_uses)
        assert max(_uses(items).values()) <= max_uses
        option_sets = [frozenset(o.assertion_id for o in i.options) for i in items]
        assert len(set(option_sets)) == len(option_sets)
        keys = [
            o.assertion_id for i in items if i.form != "select_all" for o in i.options if o.is_key
        ]
        assert len(keys) == len(set(keys)), "an assertion keys at most one item"
    # 13 assertions used at most twice give at most 26 // 4 = 6 items of 4 options
    assert len(assemble(Q, assertions, source="x", provenance=PROV)) == 6


def test_mix_is_followed() -> None:
    assertions = pool(6, 7)
    items = assemble(Q, assertions, source="x", provenance=PROV)
    forms = Counter(i.form for i in items)
    # 6 items split .5/.3/.2 one at a time by the largest shortfall -> 3, 2, 1
    assert forms == {"correct_key": 3, "foil_key": 2, "select_all": 1}
    only = assemble(Q, assertions, mix=FormMix(1, 0, 0), source="x", provenance=PROV)
    assert {i.form for i in only} == {"correct_key"}
    assert len(only) == 4  # 7 foils x 2 uses / 3 per item


def test_foils_ranked_by_support() -> None:
    assertions = pool(6, 6)
    items = assemble(Q, assertions, mix=FormMix(0, 1, 0), source="x", provenance=PROV)
    keys = [next(o.assertion_id for o in i.options if o.is_key) for i in items]
    assert keys == ["f5", "f4", "f3", "f2"]  # 6 correct x 2 uses / 3 per item
    first = assemble(Q, assertions, mix=FormMix(1, 0, 0), source="x", provenance=PROV)[0]
    assert {o.assertion_id for o in first.options if not o.is_key} == {"f5", "f4", "f3"}
    assert [a.id for a in rank_by_support(assertions)][:2] == ["f5", "f4"]


@pytest.mark.parametrize(
    ("n_correct", "n_foil", "forms", "note"),
    [
        pytest.param(
            3, 2, {"foil_key": 1, "select_all": 1}, "only 2 foil(s), 3 needed", id="too-few-foils"
        ),
        pytest.param(
            2,
            5,
            {"correct_key": 1, "select_all": 2},
            "only 2 correct assertion(s), 3 needed",
            id="too-few-correct",
        ),
        pytest.param(0, 5, {}, "no correct assertion", id="no-correct"),
        pytest.param(3, 0, {}, "no foil", id="no-foil"),
        pytest.param(1, 1, {}, "only 2 assertion(s), 4 needed", id="tiny"),
    ],
)
def test_never_pads_and_explains(
    n_correct: int, n_foil: int, forms: dict[str, int], note: str
) -> None:
    assertions = pool(n_correct, n_foil)
    out = assemble_with_notes(Q, assertions, source="x", provenance=PROV)
    assert Counter(i.form for i in out.items) == forms
    assert any(note in n for n in out.notes), out.notes
    bank(list(out.items), assertions)


def test_seed_changes_order_only() -> None:
    assertions = pool(5, 6)
    a = assemble(Q, assertions, source="x", provenance=PROV, seed=1)
    b = assemble(Q, assertions, source="x", provenance=PROV, seed=1)
    c = assemble(Q, assertions, source="x", provenance=PROV, seed=2)
    assert a == b
    assert [[o.text for o in i.options] for i in a] != [[o.text for o in i.options] for i in c]
    assert [i.form for i in a] == [i.form for i in c]
    assert [{o.assertion_id for o in i.options if i.form != "select_all"} for i in a] == [
        {o.assertion_id for o in i.options if i.form != "select_all"} for i in c
    ]


def test_key_positions_are_balanced() -> None:
    many = [
        Assertion(
            id=f"c{i}", question_id="q1", text=f"Plants need item {i} of kind {w}.", truth="correct"
        )
        for i, w in enumerate("abcdefghijklmnop")
    ] + [
        Assertion(
            id=f"f{i}",
            question_id="q1",
            text=f"Plants grow from thing {i} of sort {w}.",
            truth="foil",
            support=["s"],
        )
        for i, w in enumerate("abcdefghijklmnop")
    ]
    items = assemble(Q, many, mix=FormMix(1, 1, 0), source="x", provenance=PROV)
    positions = Counter(i.key_indices[0] for i in items)
    assert len(items) >= 12
    assert set(positions) == {0, 1, 2, 3}
    assert max(positions.values()) - min(positions.values()) <= 2


def test_max_items_and_duplicates() -> None:
    assertions = pool(5, 6)
    assert len(assemble(Q, assertions, source="x", provenance=PROV, max_items=3)) == 3
    assert assemble(Q, assertions, source="x", provenance=PROV, max_items=0) == []
    twin = Assertion(id="c9", question_id="q1", text="plants NEED light", truth="correct")
    items = assemble(Q, [*assertions, twin], source="x", provenance=PROV)
    assert all(o.assertion_id != "c9" for i in items for o in i.options)


def test_near_duplicate_options_never_share_an_item() -> None:
    assertions = [
        *pool(4, 4),
        Assertion(
            id="f9",
            question_id="q1",
            text="Plants grow from darkness!",
            truth="foil",
            support=["x"],
        ),
    ]
    items = assemble(Q, assertions, source="x", provenance=PROV)
    for item in items:
        ids = {o.assertion_id for o in item.options}
        assert not {"f1", "f9"} <= ids


def test_select_all_has_keys_and_distractors() -> None:
    assertions = pool(4, 5)
    items = assemble(Q, assertions, mix=FormMix(0, 0, 1), source="x", provenance=PROV, k=3)
    assert 5 <= len(items) <= 6  # at most 9 assertions x 2 uses / 3 options
    for item in items:
        assert 1 <= len(item.key_indices) <= 2
    bank(items, assertions, k=3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(dict(k=1), "k=1", id="k-too-small"),
        pytest.param(dict(k=11), "k=11", id="k-too-large"),
        pytest.param(dict(max_items=-1), "max_items=-1", id="negative-max"),
        pytest.param(dict(max_uses=0), "max_uses=0", id="no-uses"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(GenerationError, match=message):
        assemble(Q, pool(3, 3), source="x", provenance=PROV, **kwargs)


def test_assertion_of_other_question_is_refused() -> None:
    with pytest.raises(GenerationError, match="belongs to question 'q2'"):
        assemble(Q, pool(3, 3, question_id="q2"), source="x", provenance=PROV)

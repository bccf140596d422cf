"""Domain types: structural item-writing rules and lossless JSON round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from edutools.schema import Assertion, Course, Item, ItemBank, Option, Provenance, normalize_text


def _opts(*keys: bool) -> list[Option]:
    return [Option(text=f"Statement number {i} about cells.", is_key=k) for i, k in enumerate(keys)]


@pytest.mark.parametrize(
    ("form", "keys", "error"),
    [
        pytest.param(
            "correct_key",
            (True, True, False, False),
            "has 2 keys; it needs exactly 1",
            id="correct-two-keys",
        ),
        pytest.param(
            "correct_key",
            (False, False, False, False),
            "has 0 keys; it needs exactly 1",
            id="correct-no-key",
        ),
        pytest.param(
            "foil_key",
            (True, True, False, False),
            "has 2 keys; it needs exactly 1",
            id="foil-two-keys",
        ),
        pytest.param(
            "select_all",
            (False, False, False, False),
            "has no key; it needs at least 1",
            id="select-all-none",
        ),
        pytest.param("select_all", (True, True, True, False), None, id="select-all-three"),
        pytest.param("correct_key", (False, True, False, False), None, id="correct-ok"),
    ],
)
def test_key_count_rules(form: str, keys: tuple[bool, ...], error: str | None) -> None:
    def make() -> Item:
        return Item(
            id="i", source="human", concept_id="C", form=form, stem="Which?", options=_opts(*keys)
        )

    if error is None:
        assert make().key_indices == [i for i, k in enumerate(keys) if k]
    else:
        with pytest.raises(ValidationError, match=error):
            make()


def test_options_must_be_distinct_after_normalisation() -> None:
    opts = [
        Option(text="Cells divide.", is_key=True),
        Option(text="  cells   DIVIDE ", is_key=False),
    ]
    with pytest.raises(ValidationError, match="options 1 and 2 are the same text"):
        Item(
            id="i", source="human", concept_id="C", form="correct_key", stem="Which?", options=opts
        )


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Option.model_validate({"text": "x", "is_key": True, "weight": 2})


def _bank(form: str, truths: list[str], keys: list[bool], k: int | None = None) -> ItemBank:
    assertions = [
        Assertion(id=f"a{i}", question_id="Q", text=f"Claim {i}.", truth=t)
        for i, t in enumerate(truths)
    ]  # type: ignore[arg-type]
    options = [
        Option(text=f"Claim {i}.", is_key=kk, assertion_id=f"a{i}") for i, kk in enumerate(keys)
    ]
    item = Item(id="i1", source="local", concept_id="C", form=form, stem="Which?", options=options)  # type: ignore[arg-type]
    return ItemBank(
        course_id="c", k=k, items=[item], assertions=assertions, run=Provenance(engine="local")
    )


@pytest.mark.parametrize(
    ("form", "truths", "keys", "error"),
    [
        pytest.param(
            "correct_key", ["correct", "foil", "foil"], [True, False, False], None, id="correct-ok"
        ),
        pytest.param(
            "correct_key",
            ["foil", "foil", "foil"],
            [True, False, False],
            "a foil assertion cannot be the key",
            id="correct-key-is-foil",
        ),
        pytest.param(
            "foil_key", ["foil", "correct", "correct"], [True, False, False], None, id="foil-ok"
        ),
        pytest.param(
            "foil_key",
            ["foil", "foil", "correct"],
            [True, False, False],
            "a foil assertion cannot be a distractor",
            id="foil-two-foils",
        ),
        pytest.param(
            "select_all", ["correct", "correct", "foil"], [True, True, False], None, id="select-ok"
        ),
        pytest.param(
            "select_all",
            ["correct", "correct", "foil"],
            [True, False, False],
            "a correct assertion cannot be a distractor",
            id="select-missed-key",
        ),
    ],
)
def test_keys_agree_with_assertion_truth(
    form: str, truths: list[str], keys: list[bool], error: str | None
) -> None:
    if error is None:
        _bank(form, truths, keys)
    else:
        with pytest.raises(ValidationError, match=error):
            _bank(form, truths, keys)


def test_bank_k_is_enforced() -> None:
    with pytest.raises(ValidationError, match="has 3 options; this bank has k=4"):
        _bank("correct_key", ["correct", "foil", "foil"], [True, False, False], k=4)


def test_unknown_assertion_reference() -> None:
    item = Item(
        id="i1",
        source="x",
        concept_id="C",
        form="correct_key",
        stem="Which?",
        options=[
            Option(text="A.", is_key=True, assertion_id="zz"),
            Option(text="B.", is_key=False),
        ],
    )
    with pytest.raises(ValidationError, match="refers to unknown assertion 'zz'"):
        ItemBank(course_id="c", items=[item], run=Provenance(engine="x"))


def test_course_cross_references() -> None:
    with pytest.raises(ValidationError, match="refers to unknown concept 'C9'"):
        Course.model_validate(
            {
                "id": "c",
                "title": "T",
                "concepts": [{"id": "C1", "name": "n"}],
                "questions": [
                    {"id": "Q1", "concept_id": "C9", "text": "t", "reference_answer": "r"}
                ],
            }
        )


texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40
).filter(lambda s: s.strip() != "")


@given(
    st.lists(texts, min_size=2, max_size=6, unique_by=normalize_text).filter(
        lambda xs: all(normalize_text(x) for x in xs)
    ),
    st.data(),
)
def test_item_bank_json_round_trip(option_texts: list[str], data: st.DataObject) -> None:
    key = data.draw(st.integers(0, len(option_texts) - 1))
    options = [Option(text=t, is_key=(i == key)) for i, t in enumerate(option_texts)]
    item = Item(
        id="i1",
        source="human",
        concept_id="C1",
        form="correct_key",
        stem="Which is right?",
        options=options,
    )
    bank = ItemBank(
        course_id="c",
        items=[item],
        run=Provenance(engine="human", parameters={"k": len(options), "x": [1.5, None]}),
    )
    assert ItemBank.model_validate_json(bank.model_dump_json()) == bank

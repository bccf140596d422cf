"""Questionnaire pages: placeholders filled, answers checked against the scale."""

from __future__ import annotations

import pytest

from edutools.errors import StudyError
from edutools.studyflow.questionnaire import questionnaire
from edutools.survey.config import InstrumentUse


def test_placeholders_are_substituted_and_capitalised() -> None:
    q = questionnaire(
        InstrumentUse(id="trust_automation", substitutions={"system": "the AI assistant"})
    )
    texts = dict(q.items)
    assert texts["tia_09"] == "The AI assistant is dependable."
    assert "the AI assistant" in q.instructions
    assert q.scale == (1, 2, 3, 4, 5, 6, 7)
    assert q.label(1) == "1 · Not at all"
    assert q.label(4) == "4"
    default = questionnaire(InstrumentUse(id="trust_automation"))
    assert dict(default.items)["tia_09"] == "The system is dependable."


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        pytest.param(
            {"bfi10_01": 1},
            "9 item\\(s\\) of Big Five Inventory-10 \\(BFI-10\\) have no answer",
            id="incomplete",
        ),
        pytest.param(
            {f"bfi10_{i:02d}": 6 for i in range(1, 11)},
            "6 is not on the bfi10 scale 1-5",
            id="off-scale",
        ),
        pytest.param(
            {**{f"bfi10_{i:02d}": 3 for i in range(1, 11)}, "x": 1},
            "'x' is not an item",
            id="extra-item",
        ),
    ],
)
def test_answers_are_checked(answers: dict[str, float | None], message: str) -> None:
    q = questionnaire(InstrumentUse(id="bfi10"))
    with pytest.raises(StudyError, match=message):
        q.check(answers)


def test_full_page_passes() -> None:
    q = questionnaire(InstrumentUse(id="bfi10"))
    assert q.check({i: 2 for i, _ in q.items}) == {i: 2.0 for i, _ in q.items}


def test_unknown_instrument() -> None:
    with pytest.raises(StudyError, match="unknown instrument 'nope'"):
        questionnaire(
            InstrumentUse.model_construct(
                id="nope", position="after_task", substitutions={}, min_fraction=None
            )
        )

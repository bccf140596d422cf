"""PII masking and pseudonymisation of student answers."""

from __future__ import annotations

import doctest

import pytest

from edutools.generate import privacy
from edutools.generate.privacy import mask_pii, pseudonymize
from edutools.schema import StudentAnswer


def test_docstring_examples_run() -> None:
    assert doctest.testmod(privacy).failed == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "write to ana.lopez+bio@mail.uni-x.edu today", "write to [EMAIL] today", id="email"
        ),
        pytest.param(
            "see https://example.org/notes?id=3 and www.bio.net", "see [URL] and [URL]", id="urls"
        ),
        pytest.param("on khanacademy.org/science it says", "on [URL] it says", id="bare-domain"),
        pytest.param("call +44 20 7946 0958 now", "call [PHONE] now", id="phone-intl"),
        pytest.param("call (555) 123-4567", "call [PHONE]", id="phone-us"),
        pytest.param("text 0612345678", "text [PHONE]", id="phone-digits"),
        pytest.param("my student id: s1234567", "my student id: [ID]", id="student-number"),
        pytest.param(
            "Matriculation no. 2021-00456 here", "Matriculation no. [ID] here", id="matriculation"
        ),
        pytest.param("ask @bio_fan99 about it", "ask [HANDLE] about it", id="handle"),
        pytest.param(
            "My name is Ana Lopez. Cells divide.", "My name is [NAME]. Cells divide.", id="my-name"
        ),
        pytest.param("Regards, Tom", "Regards, [NAME]", id="sign-off"),
        pytest.param(
            "I'm called Jo and plants need light",
            "I'm called [NAME] and plants need light",
            id="called",
        ),
    ],
)
def test_masks_identifying_text(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("6 CO2 + 6 H2O -> C6H12O6 + 6 O2", id="formula"),
        pytest.param("In 1953 Watson and Crick found the double helix.", id="year-and-names"),
        pytest.param("pH 7.4, 0.9% NaCl and 3.14159 are numbers.", id="decimals"),
        pytest.param("Light travels at 300000 km/s.", id="six-digits"),
        pytest.param("e.g. mitosis, i.e. cell division; see Fig. 3", id="abbreviations"),
        pytest.param("Name the organelle: it is the Mitochondria", id="name-without-colon-cue"),
    ],
)
def test_leaves_subject_matter_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_known_ids_are_masked_as_whole_words() -> None:
    assert mask_pii("I am S0042, not s00421", known_ids=["s0042"]) == "I am [ID], not s00421"
    assert mask_pii("ab is short", known_ids=["ab"]) == "ab is short"


def test_pseudonymize_numbers_and_keeps_map() -> None:
    answers = [
        StudentAnswer(
            id="ans-9", student_id="stu-771", question_id="q", text="I'm stu-771, mail me at a@b.io"
        ),
        StudentAnswer(
            id="ans-3",
            student_id="stu-105",
            question_id="q",
            text="stu-771 copied me! Plants need light.",
        ),
        StudentAnswer(id="ans-4", student_id="stu-106", question_id="q", text=""),
    ]
    numbered, key = pseudonymize(answers)
    assert [n for n, _ in numbered] == [1, 2, 3]
    assert key == {1: "ans-9", 2: "ans-3", 3: "ans-4"}
    sent = " ".join(t for _, t in numbered)
    for secret in ("stu-771", "stu-105", "a@b.io", "ans-9", "ans-3"):
        assert secret not in sent
    assert numbered[1][1] == "[ID] copied me! Plants need light."
    assert numbered[2] == (3, "")

"""Option text: course-aware spelling, restored subjects, fragments, the new checks."""

from __future__ import annotations

import doctest

import pytest

from edutools import io
from edutools.generate import _sentences as sentences_module
from edutools.generate import options as options_module
from edutools.generate.options import (
    OptionWriter,
    fragment_reason,
    question_subject,
    stem_question,
)
from edutools.generate.quality import check_item
from edutools.schema import Assertion, Concept, Course, Item, Option, Question, StudentAnswer


def test_docstring_examples_run() -> None:
    assert doctest.testmod(options_module).failed == 0
    assert doctest.testmod(sentences_module).failed == 0


@pytest.fixture(scope="module")
def writer() -> OptionWriter:
    course = Course(
        id="net",
        title="Networks",
        concepts=[Concept(id="c", name="Media access")],
        questions=[
            Question(
                id="q1",
                concept_id="c",
                text="Why does CSMA/CD detect collisions on a shared bitstream?",
                reference_answer="CSMA/CD listens while it sends, so a collision changes the signal.",
            )
        ],
        answers=[
            StudentAnswer(
                id=f"a{i}", student_id=f"s{i}", question_id="q1", text="The backoff timer doubles."
            )
            for i in range(3)
        ],
    )
    return OptionWriter(course)


@pytest.mark.parametrize(
    ("raw", "polished"),
    [
        pytest.param("the sender recieves a jam signal", "The sender receives a jam signal.", id="dictionary"),
        pytest.param("CSMA/CD listns to the bitstrem", "CSMA/CD listens to the bitstream.", id="course-word"),
        pytest.param("the backof timer doubles", "The backoff timer doubles.", id="students-word"),
        pytest.param("collisions happen ,then the nodes wait", "Collisions happen, then the nodes wait.", id="spacing"),
        pytest.param("the sender waits bc the bus is busy & the timer runs", "The sender waits because the bus is busy and the timer runs.", id="shorthand"),
        pytest.param("the frame goes thru w/o a jam signal", "The frame goes through without a jam signal.", id="shorthand-slash"),
    ],
)  # fmt: skip
def test_spelling(writer: OptionWriter, raw: str, polished: str) -> None:
    assert writer.polish(raw).text == polished


def test_foreign_text_and_list_announcements_are_not_options(writer: OptionWriter) -> None:
    german = writer.polish("Binäre Kodierung hat außerdem gute Auslastung der Bandbreite.")
    assert german.fragment == "most of its words are not English"
    assert "Binary" not in german.text  # foreign words are never "corrected"
    assert writer.polish("There are the following service classes offered.").fragment
    assert writer.polish("There are two phases in congestion control.").fragment is None


def test_course_terms_and_acronyms_are_not_corrected(writer: OptionWriter) -> None:
    out = writer.polish("CSMA sends a bitstream over the shared medium")
    assert out.text == "CSMA sends a bitstream over the shared medium."
    assert out.corrections == ()
    assert writer.misspelled("The xqzvb frame is lost.") == ["xqzvb"]


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        pytest.param("Why does the bulb stay on when switch Y is open?", "the bulb", id="why-does"),
        pytest.param(
            "Explain why bulb A was on when switch Y was open.", "bulb A", id="explain-why"
        ),
        pytest.param("What do plants need to grow?", "plants", id="what-do"),
        pytest.param("What is the purpose of respiration?", None, id="definition"),
        pytest.param("Compare A and B.", None, id="none"),
    ],
)
def test_question_subject(question: str, subject: str | None) -> None:
    assert question_subject(question) == subject


def test_subject_restored_only_where_the_question_is_clear(writer: OptionWriter) -> None:
    q = Question(
        id="q",
        concept_id="c",
        text="Why does the bulb stay on?",
        reference_answer="It is in a closed path.",
    )
    assert (
        writer.polish("It is still in a closed path", q).text
        == "The bulb is still in a closed path."
    )
    assert writer.polish("Makes a closed path with the battery", q).text == (
        "The bulb makes a closed path with the battery."
    )
    other = Question(
        id="q", concept_id="c", text="Compare the two circuits.", reference_answer="x y z."
    )
    assert writer.polish("It is still in a closed path", other).fragment is not None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("Because it is open.", "it is only a 'because' clause", id="because"),
        pytest.param("Short circuit.", "it has fewer than 4 words", id="short"),
        pytest.param("From the soil through the roots.", "it has no verb", id="verbless"),
        pytest.param("It is in a closed path.", "its subject 'it' has no antecedent", id="pronoun"),
        pytest.param("Makes a short circuit here.", "it has no subject", id="no-subject"),
        pytest.param("It is true that plants need light.", None, id="expletive-it"),
        pytest.param("If the path is closed, the bulb lights up.", None, id="conditional"),
        pytest.param(
            "In aerobic respiration glucose is broken down.", None, id="prepositional-opening"
        ),
        pytest.param(
            "Both of them use half a bit per baud.",
            "its subject 'Both of them' has no antecedent",
            id="both-of-them",
        ),
        pytest.param(
            "The latter is faster on a quiet bus.",
            "its subject 'The latter' has no antecedent",
            id="the-latter",
        ),
        pytest.param("Both ends must send data to each other.", None, id="both-ends"),
        pytest.param(
            "UDP cannot correct it) TCP has a sequence number in its header.",
            "its brackets do not match (a piece cut from a longer text)",
            id="cut-bracket",
        ),
        pytest.param(
            "TCP has additional header fields: - sequence number - window size.",
            "it holds a list, not a sentence",
            id="list",
        ),
    ],
)
def test_fragments(text: str, reason: str | None) -> None:
    assert fragment_reason(text) == reason


def _item(options: list[str], stem: str = "Which statement is correct?") -> Item:
    return Item(
        id="i", source="x", concept_id="c", question_id="q", form="correct_key", stem=stem,
        options=[Option(text=t, is_key=i == 0, assertion_id=f"a{i}") for i, t in enumerate(options)],
    )  # fmt: skip


def test_new_checks(writer: OptionWriter) -> None:
    good = [
        "The sender listens while it sends.",
        "The receiver sends a jam code.",
        "Frames never collide on hubs.",
    ]
    assertions = {
        "a0": Assertion(id="a0", question_id="q", text=good[0], truth="correct", support=["c"], basis="grades"),
        "a1": Assertion(id="a1", question_id="q", text=good[1], truth="foil", support=["w"], basis="grades"),
        "a2": Assertion(id="a2", question_id="q", text=good[2], truth="foil", support=["x", "y"], basis="engine"),
    }  # fmt: skip
    q = Question(id="q", concept_id="c", text="Why?", reference_answer="Because.")
    flags = {f.check: f for f in check_item(_item(good), question=q, assertions=assertions,
                                              grades={"x": 1.0, "y": 1.0, "w": 0.0}, writer=writer)}  # fmt: skip
    assert flags["stem_without_context"].severity == "error"
    assert flags["foil_unconfirmed"].options == [2]
    assert flags["true_distractor"].options == [2]
    assert "option_fragment" not in flags
    bad = _item(
        ["Because it is open.", "The recever sends a jam code.", "Frames never collide on hubs."]
    )
    flags = {f.check: f for f in check_item(bad, assertions=assertions, writer=writer)}
    assert flags["option_fragment"].options == [0]
    assert "recever" in flags["option_spelling"].message
    with_context = Question(
        id="q", concept_id="c", text="Why does CSMA/CD stop sending?", reference_answer="x"
    )
    assert not [
        f
        for f in check_item(_item(good), question=with_context)
        if f.check == "stem_without_context"
    ]


def test_example_course_vocabulary() -> None:
    writer = OptionWriter(io.read_course(io.example_course_dir()))
    assert writer.known("nucleoid")
    # two course words are one letter away: the one the course uses far more wins
    assert writer.polish("prokaryotes have no nucleas").text == "Prokaryotes have no nucleus."


@pytest.mark.parametrize(
    ("raw", "polished"),
    [
        pytest.param("In addition, the backoff timer doubles after a collision", "The backoff timer doubles after a collision.", id="in-addition"),
        pytest.param("Furthermore the sender stops and sends a jam signal", "The sender stops and sends a jam signal.", id="furthermore"),
        pytest.param("However, the sender listens while it sends", "The sender listens while it sends.", id="however"),
        pytest.param("Disadvantage:the backoff timer wastes time on a quiet bus", "The backoff timer wastes time on a quiet bus.", id="label"),
        pytest.param("Also it doubles", "Also it doubles.", id="kept-when-the-rest-is-a-fragment"),
        pytest.param("The reason is: the bus is shared by every node", "The reason is: the bus is shared by every node.", id="not-a-label"),
    ],
)  # fmt: skip
def test_leading_connectives_and_labels_go(writer: OptionWriter, raw: str, polished: str) -> None:
    assert writer.polish(raw).text == polished


@pytest.mark.parametrize(
    ("question", "stem"),
    [
        pytest.param(
            "Does this assumption hold for real traffic? Explain your answer in 2-5 sentences.",
            "Does this assumption hold for real traffic?",
            id="explain-in-sentences",
        ),
        pytest.param(
            "Which encoding should be used? Give two reasons for your answer in 2-4 sentences.",
            "Which encoding should be used?",
            id="reasons-in-sentences",
        ),
        pytest.param(
            "What does the table hold? Please answer the question in 2-5 sentences.",
            "What does the table hold?",
            id="please-answer",
        ),
        pytest.param(
            "In an SDN, switches keep flow tables. Summarize their functions in one sentence each.",
            "In an SDN, switches keep flow tables. Summarize their functions.",
            id="length-cut",
        ),
        pytest.param(
            "Where does most of this mass come from? Explain.",
            "Where does most of this mass come from?",
            id="one-word",
        ),
        pytest.param(
            "How long is the queue full? You need to justify your answer by showing steps.",
            "How long is the queue full?",
            id="justify",
        ),
        pytest.param("Why do plants need light?", "Why do plants need light?", id="plain"),
        pytest.param("Explain your reasoning.", "Explain your reasoning.", id="nothing-else-left"),
    ],
)
def test_stems_leave_out_the_instructions_for_a_written_answer(question: str, stem: str) -> None:
    assert stem_question(question) == stem

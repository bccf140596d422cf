"""PII masking and pseudonymisation of student answers."""

from __future__ import annotations

import doctest
import re

import pytest
from _llm_helpers import FAST_RETRY
from _privacy_corpus import CASES

from edutools.generate import privacy, run
from edutools.generate.privacy import mask_pii, pseudonymize
from edutools.llm.stubserver import StubServer
from edutools.schema import Concept, Course, Question, StudentAnswer
from edutools.settings import Settings


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


# --------------------------------------------------------------------------- the privacy corpus


def _leaks(secrets: list[str], sent: str) -> list[str]:
    return [s for s in secrets if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", sent, re.IGNORECASE)]


def test_corpus_is_broad() -> None:
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)
    assert {c[1] for c in CASES} >= {
        "self-introduction",
        "sign-off",
        "full name",
        "student number",
        "e-mail",
        "phone",
    }


@pytest.mark.parametrize(
    ("text", "secrets"), [pytest.param(text, secrets, id=cid) for cid, _, text, secrets in CASES]
)
def test_mask_pii_on_the_corpus(text: str, secrets: list[str]) -> None:
    known = [f"s_batch_{i:02d}" for i in range(1, len(CASES) + 1)]
    masked = mask_pii(text, known_ids=known)
    assert _leaks(secrets, masked) == [], masked


def test_no_personal_data_reaches_the_provider(
    stub_server: StubServer, settings: Settings, request: pytest.FixtureRequest
) -> None:
    """The corpus as one class's answers, through the anaquest engine and the stub server."""
    answers = [
        StudentAnswer(id=f"ans-{i:03d}", student_id=f"s_batch_{i:02d}", question_id="q1", text=text)
        for i, (_, _, text, _) in enumerate(CASES, start=1)
    ]
    course = Course(
        id="privacy",
        title="Osmosis",
        concepts=[Concept(id="c1", name="Osmosis")],
        questions=[
            Question(
                id="q1",
                concept_id="c1",
                text="A red blood cell is placed in pure water. What happens and why?",
                reference_answer="Water enters by osmosis; the cell swells and bursts.",
            )
        ],
        answers=answers,
    )
    run(course, "anaquest", stub_server.settings(settings, timeout=0.5), retry=FAST_RETRY)
    sent = "\n".join(r.text for r in stub_server.requests)
    assert "osmosis" in sent.lower()  # the answers did reach the provider, masked
    batch_ids = [a.student_id for a in answers] + [a.id for a in answers]
    rows = []
    for cid, category, _, secrets in CASES:
        leaked = _leaks(secrets, sent)
        rows.append((cid, category, len(secrets), len(leaked), leaked))
    id_leaks = _leaks(batch_ids, sent)
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    lines = [f"privacy corpus: {len(CASES)} cases through anaquest and the stub server"]
    lines += [
        f"  {cid:28s} {category:18s} recall {(n - k) / n:6.1%} ({n - k}/{n} masked)"
        + (f"  LEAKED {leaked}" if leaked else "")
        for cid, category, n, k, leaked in rows
    ]
    by_category: dict[str, list[int]] = {}
    for _, category, n, k, _ in rows:
        total = by_category.setdefault(category, [0, 0])
        total[0] += n - k
        total[1] += n
    lines += [
        f"  category {c:18s} recall {m / n:6.1%} ({m}/{n})" for c, (m, n) in by_category.items()
    ]
    lines.append(f"  batch student and answer ids leaked: {len(id_leaks)} of {len(batch_ids)}")
    if reporter is not None:
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)
    request.node.user_properties.append(("privacy_recall", "\n".join(lines)))
    assert [r for r in rows if r[3]] == []
    assert id_leaks == []


def test_subject_matter_of_the_example_course_is_kept() -> None:
    """On 600 real-looking answers only the planted personal data is masked."""
    from edutools import io

    course = io.read_course(io.example_course_dir())
    changed = [a.text for a in course.answers if mask_pii(a.text) != a.text]
    assert len(changed) <= 6
    for text in changed:
        assert re.search(r"@|\d{3}|my name|I'm|I am|Regards|Thanks|[A-Z][a-z]+ [A-Z][a-z]+", text)

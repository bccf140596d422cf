"""The baseline engine: the same bank schema from the question and reference answer alone."""

from __future__ import annotations

import doctest

import pytest
from _llm_helpers import FAST_RETRY, example_course

from edutools.errors import ConfigError, GenerationError
from edutools.generate import baseline, run
from edutools.generate.baseline import BaselineEngine
from edutools.llm import LLMClient
from edutools.llm.stubserver import StubServer
from edutools.schema import ItemBank
from edutools.settings import Settings


@pytest.fixture
def llm_settings(stub_server: StubServer, settings: Settings) -> Settings:
    return stub_server.settings(settings, timeout=0.5)


def test_valid_bank_without_student_text(stub_server: StubServer, llm_settings: Settings) -> None:
    course = example_course(4)
    bank = run(course, "baseline", llm_settings, retry=FAST_RETRY)
    ItemBank.model_validate_json(bank.model_dump_json())
    # the stub's foils negate its correct statements; an item never pairs a statement with
    # its negation (the pair would give the answer away), so questions can end up short
    assert len({i.question_id for i in bank.items}) >= 2
    for item in bank.items:
        texts = [o.text.replace(" not", "").replace("It is true that ", "") for o in item.options]
        assert len(set(texts)) == len(texts)
    assert {i.form for i in bank.items} >= {"correct_key", "foil_key"}
    assert all(a.support == [] for a in bank.assertions)
    assert all(a.misconception for a in bank.assertions if a.truth == "foil")
    assert bank.run.engine == "baseline"
    assert set(bank.run.prompt_hashes) == {"baseline", "self_check", "reask"}
    sent = "\n".join(r.text for r in stub_server.requests)
    for answer in course.answers:
        if len(answer.text.strip()) > 20:
            assert answer.text.strip()[:60] not in sent
        assert answer.student_id not in sent
    for q in course.questions:
        assert q.reference_answer in sent
    assert [r.stage for r in stub_server.requests].count("baseline") == 4


def test_duplicate_assertions_are_reasked(stub_server: StubServer, llm_settings: Settings) -> None:
    twice = {
        "correct": ["Water enters by osmosis."],
        "foils": [{"text": "Water enters by osmosis.", "misconception": "x"}],
    }
    fixed = {
        "correct": ["Water enters by osmosis."],
        "foils": [{"text": "Salt enters by osmosis.", "misconception": "x"}],
    }
    stub_server.enqueue(twice, fixed)
    bank = run(example_course(1), "baseline", llm_settings, self_check=False, k=2, retry=FAST_RETRY)
    assert sorted(a.text for a in bank.assertions) == [
        "Salt enters by osmosis.",
        "Water enters by osmosis.",
    ]
    assert "appears twice" in stub_server.requests[1].messages[-1]["content"]


def test_persistently_bad_replies_fail_the_question(
    stub_server: StubServer, llm_settings: Settings
) -> None:
    stub_server.enqueue({"correct": []}, {"correct": []}, {"correct": []})
    with pytest.raises(
        GenerationError, match=r"1 of 1 question\(s\) failed \(Q01: stage 'baseline'"
    ):
        run(example_course(1), "baseline", llm_settings, self_check=False, retry=FAST_RETRY)


def test_invalid_counts(llm_settings: Settings) -> None:
    with pytest.raises(ConfigError, match="n_correct=0, n_foils=6"):
        BaselineEngine(LLMClient(llm_settings, cache=False), n_correct=0)


def test_docstring_examples() -> None:
    assert doctest.testmod(baseline).failed == 0

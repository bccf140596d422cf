"""Helpers shared by the LLM-engine, runner and CLI tests (not a test module)."""

from __future__ import annotations

import re
from typing import Any

from edutools import io
from edutools.llm import RetryPolicy
from edutools.schema import Course, ItemBank

FAST_RETRY = RetryPolicy(max_retries=4, base_delay=0.001, max_delay=0.01)
BLOCK = re.compile(
    r"<(?P<kind>[a-z_]+)-(?P<nonce>[0-9a-f]{12})(?P<attrs>[^>\n]*)>\n(?P<text>.*?)\n</(?P=kind)-(?P=nonce)>",
    re.DOTALL,
)


def example_course(n_questions: int | None = None) -> Course:
    """The bundled example course, optionally cut to its first questions."""
    course = io.read_course(io.example_course_dir())
    if n_questions is None:
        return course
    questions = course.questions[:n_questions]
    keep = {q.id for q in questions}
    return course.model_copy(
        update={
            "questions": questions,
            "answers": [a for a in course.answers if a.question_id in keep],
        }
    )


def signature(bank: ItemBank) -> dict[str, Any]:
    """What must not change between two runs of the same configuration (no timestamps)."""
    return {
        "items": sorted(
            (i.id, i.form, i.stem, tuple((o.text, o.is_key, o.assertion_id) for o in i.options))
            for i in bank.items
        ),
        "assertions": sorted((a.id, a.text, a.truth, tuple(a.support)) for a in bank.assertions),
    }


def blocks(text: str, kind: str) -> list[tuple[dict[str, str], str]]:
    """The nonce-tagged blocks of one kind in a prompt: (attributes, enclosed text)."""
    return [
        (dict(re.findall(r'(\w+)="([^"]*)"', m.group("attrs"))), m.group("text"))
        for m in BLOCK.finditer(text)
        if m.group("kind") == kind
    ]


def outside_blocks(text: str) -> str:
    """The prompt with every tagged block removed."""
    return BLOCK.sub("", text)

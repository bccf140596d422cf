"""The output type of every LLM stage: the contract each reply must meet.

Each stage has one prompt file in ``prompts/`` (same name) and one pydantic type here.
Structure is checked by the type (unknown fields are refused); what depends on the request
(every claim judged exactly once, only numbers that were sent, ...) is checked by the
``check_*`` functions, whose ValueError messages go back to the model as a re-ask.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from edutools.schema import normalize_text

__all__ = [
    "STAGES",
    "AnalyseOutput",
    "BaselineFoil",
    "BaselineOutput",
    "Claim",
    "JudgeOutput",
    "MergeGroup",
    "MergeOutput",
    "ReviewedItem",
    "RewriteOutput",
    "Rewritten",
    "SelfCheckOutput",
    "Verdict",
    "check_analyse",
    "check_baseline",
    "check_judge",
    "check_merge",
    "check_rewrite",
    "check_self_check",
]

STAGES = ("analyse", "judge", "rewrite", "merge", "baseline", "self_check")

Sentence = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Number = Annotated[int, Field(ge=1)]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Claim(_Out):
    """One distinct claim and the numbers of the answers that make it."""

    text: Sentence = Field(description="the claim as one short declarative sentence")
    answers: list[Number] = Field(min_length=1, description="numbers n of the answers making it")


class AnalyseOutput(_Out):
    """The distinct claims in a batch of student answers."""

    claims: list[Claim]


class Verdict(_Out):
    """The verdict on one claim."""

    claim: Number = Field(description="the claim's number n")
    verdict: Literal["correct", "incorrect", "irrelevant"]
    reason: str = Field(default="", max_length=500, description="one short sentence")


class JudgeOutput(_Out):
    """A verdict for every claim."""

    verdicts: list[Verdict]


class Rewritten(_Out):
    """One claim rewritten as a self-contained assertion."""

    claim: Number = Field(description="the claim's number n")
    assertion: Sentence


class RewriteOutput(_Out):
    """An assertion for every claim."""

    assertions: list[Rewritten]


class MergeGroup(_Out):
    """Assertions that state the same idea, and the wording to keep."""

    members: list[Number] = Field(min_length=1, description="numbers n of the merged assertions")
    text: Sentence = Field(description="the wording to keep")
    misconception: str | None = Field(
        default=None,
        max_length=200,
        description="for incorrect assertions: the misconception, 3-8 words",
    )


class MergeOutput(_Out):
    """Groups that cover every assertion exactly once."""

    groups: list[MergeGroup]


class BaselineFoil(_Out):
    """An incorrect assertion and the misconception it states."""

    text: Sentence
    misconception: str = Field(default="", max_length=200)


class BaselineOutput(_Out):
    """Correct assertions and foils written from the question and reference answer alone."""

    correct: list[Sentence] = Field(min_length=1)
    foils: list[BaselineFoil] = Field(min_length=1)


class ReviewedItem(_Out):
    """The review of one item."""

    item: Number = Field(description="the item's number n")
    ok: bool
    problems: list[str] = Field(default_factory=list, description="short sentences; empty when ok")


class SelfCheckOutput(_Out):
    """A review of every item."""

    reviews: list[ReviewedItem]


# --------------------------------------------------------------------------- request checks


def _exactly_once(found: list[int], expected: Collection[int], what: str) -> None:
    counts = Counter(found)
    missing = sorted(set(expected) - set(counts))
    extra = sorted(set(counts) - set(expected))
    twice = sorted(n for n, c in counts.items() if c > 1)
    problems = []
    if missing:
        problems.append(f"no entry for {what} {_list(missing)}")
    if extra:
        problems.append(f"{what} {_list(extra)} were not given (valid: {_list(sorted(expected))})")
    if twice:
        problems.append(f"{what} {_list(twice)} appear more than once")
    if problems:
        raise ValueError("; ".join(problems) + f"; give exactly one entry per {what[:-1]}")


def _list(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:20])
    return shown + (", ..." if len(numbers) > 20 else "")


def check_analyse(out: AnalyseOutput, numbers: Collection[int]) -> None:
    """Claims may cite only answer numbers that were in the batch."""
    allowed = set(numbers)
    cited = {n for c in out.claims for n in c.answers}
    unknown = sorted(cited - allowed)
    if unknown:
        raise ValueError(
            f"claims cite answer numbers {_list(unknown)} that are not in this batch "
            f"(valid: {min(allowed)}..{max(allowed)})"
        )


def check_judge(out: JudgeOutput, numbers: Collection[int]) -> None:
    """Every claim judged exactly once."""
    _exactly_once([v.claim for v in out.verdicts], numbers, "claims")


def check_rewrite(out: RewriteOutput, numbers: Collection[int]) -> None:
    """Every claim rewritten exactly once."""
    _exactly_once([r.claim for r in out.assertions], numbers, "claims")


def check_merge(out: MergeOutput, truth: Mapping[int, str]) -> None:
    """Groups partition the assertions and never mix correct with incorrect ones."""
    _exactly_once([n for g in out.groups for n in g.members], truth.keys(), "assertions")
    for g in out.groups:
        kinds = {truth[n] for n in g.members}
        if len(kinds) > 1:
            raise ValueError(
                f"group {_list(g.members)} mixes correct and incorrect assertions; "
                "merge only assertions with the same truth value"
            )


def check_self_check(out: SelfCheckOutput, numbers: Collection[int]) -> None:
    """Every item reviewed exactly once."""
    _exactly_once([r.item for r in out.reviews], numbers, "items")


def check_baseline(out: BaselineOutput) -> None:
    """No assertion repeats another."""
    texts = [*out.correct, *(f.text for f in out.foils)]
    seen: set[str] = set()
    for t in texts:
        norm = normalize_text(t)
        if norm in seen:
            raise ValueError(f"the assertion {t!r} appears twice; every assertion must be distinct")
        seen.add(norm)

"""The ``anaquest`` engine: items whose foils state the misconceptions students actually wrote.

Stages for one question (each one prompt file in ``prompts/`` and one output type in
:mod:`edutools.generate.stages`):

1. **analyse**: the distinct claims in a batch of answers, each with the run-local numbers
   of the answers that make it;
2. **judge**: each claim correct, incorrect or irrelevant against the reference answer;
3. **rewrite**: each kept claim as a self-contained assertion, correct and incorrect ones
   matched in length and register;
4. **merge**: near-duplicate assertions joined; support = the distinct students behind them;
5. **assemble** and **validate**: items of ``k`` options, item-writing checks, and an
   optional LLM self-check (see :class:`edutools.generate._llm_engine.LLMEngine`).

Any class size fits the context window: answers are packed into batches within
``token_budget`` (map: stages 1-3 per batch, concurrently), and merging runs in rounds of
budget-sized batches until one batch holds everything or a round joins nothing (reduce).

Privacy: answers are pseudonymised (numbered 1..n, with emails, phone numbers, URLs and the
class's student ids masked); the map back to answer ids never leaves this process. Student
text, and the claims derived from it, sit inside nonce-tagged blocks it cannot close.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from edutools.errors import ConfigError
from edutools.generate._llm_engine import LLMEngine, row_tokens
from edutools.generate.privacy import pseudonymize
from edutools.generate.stages import (
    AnalyseOutput,
    JudgeOutput,
    MergeOutput,
    RewriteOutput,
    check_analyse,
    check_judge,
    check_merge,
    check_rewrite,
)
from edutools.llm import LLMClient, UsageMeter, estimate_tokens, fence_nonce
from edutools.schema import Assertion, Course, Question, StudentAnswer, Truth, normalize_text

__all__ = ["AnaQuestEngine"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class _Unit:
    """An assertion on its way through the stages, with the answer numbers behind it."""

    text: str
    truth: Truth
    numbers: frozenset[int]
    misconception: str | None = None


class AnaQuestEngine(LLMEngine):
    """LLM engine over student answers (see the module docstring for the stages).

    Parameters
    ----------
    client : LLMClient
        Makes every call.
    max_merge_rounds : int
        Upper bound on merge rounds for classes whose assertions exceed one batch.
    **options
        ``k``, ``mix``, ``seed``, ``max_items``, ``self_check``, ``token_budget``,
        ``min_words``, ``max_words``: see :class:`~edutools.generate._llm_engine.LLMEngine`.

    Example
    -------
    >>> import asyncio
    >>> from edutools import Settings, io
    >>> from edutools.llm.stubserver import StubServer
    >>> course = io.read_course(io.example_course_dir())
    >>> async def first_question(settings):
    ...     async with LLMClient(settings, cache=False) as llm:
    ...         return await AnaQuestEngine(llm).aprocess(course, course.questions[0])
    >>> with StubServer() as stub:
    ...     result = asyncio.run(first_question(stub.settings(Settings.from_env({}))))
    >>> result.question_id, result.usage.calls > 0, all(a.support for a in result.assertions)
    ('Q01', True, True)
    """

    name = "anaquest"
    stage_prompts = ("analyse", "judge", "rewrite", "merge")

    def __init__(self, client: LLMClient, *, max_merge_rounds: int = 4, **options: Any) -> None:
        if max_merge_rounds < 1:
            raise ConfigError(f"max_merge_rounds={max_merge_rounds} is invalid; use 1 or more")
        super().__init__(client, **options)
        self.max_merge_rounds = max_merge_rounds

    def parameters(self) -> dict[str, Any]:
        """Everything that shapes the output, for provenance and the run key."""
        return {**super().parameters(), "max_merge_rounds": self.max_merge_rounds}

    async def assertions_for(
        self, course: Course, question: Question, meter: UsageMeter
    ) -> tuple[list[Assertion], list[str]]:
        """Analyse, judge, rewrite and merge the answers to ``question``.

        Returns
        -------
        assertions : list of Assertion
            Correct ones, then foils, each ranked by support (answer ids, one per student).
        notes : list of str
        """
        answers = [a for a in course.answers_to(question.id) if a.text.strip()]
        if not answers:
            return [], [f"no non-empty answers to {question.id}: nothing to analyse"]
        base = {"concept": self.concept_name(course, question), "question": question.text}
        numbered, key = pseudonymize(answers)
        rows = self._answer_rows(numbered, self.room("analyse", "answers", **base))
        batches = self.chunks("analyse", rows, "answers", **base)
        mapped = await asyncio.gather(*(self._map(b, base, question, meter) for b in batches))
        candidates = [u for part in mapped for u in part]
        units, notes = await self._reduce(candidates, base, meter)
        assertions = self._assertions(question, units, key, answers)
        n_correct = sum(a.truth == "correct" for a in assertions)
        notes.insert(
            0,
            f"{len(answers)} answers in {len(batches)} batch(es); {len(candidates)} claims kept after "
            f"judging; {len(assertions)} assertions after merging ({n_correct} correct, "
            f"{len(assertions) - n_correct} foils)",
        )
        return assertions, notes

    # ------------------------------------------------------------------ map

    @staticmethod
    def _answer_rows(numbered: list[tuple[int, str]], room: int) -> list[dict[str, Any]]:
        """One row per answer; an answer longer than a whole request is split at sentences."""
        rows: list[dict[str, Any]] = []
        for n, text in numbered:
            row = {"n": n, "text": text}
            if row_tokens(row) <= room:
                rows.append(row)
                continue
            piece = ""
            for sentence in _pieces(text, room):
                joined = f"{piece} {sentence}".strip()
                if piece and row_tokens({"text": joined}) > room:
                    rows.append({"n": n, "text": piece})
                    joined = sentence
                piece = joined
            if piece:
                rows.append({"n": n, "text": piece})
        return rows

    async def _map(
        self,
        batch: list[dict[str, Any]],
        base: dict[str, Any],
        question: Question,
        meter: UsageMeter,
    ) -> list[_Unit]:
        numbers = sorted({int(r["n"]) for r in batch})
        analysed = await self.client.structured(
            self.prompts["analyse"],
            AnalyseOutput,
            {**base, "answers": batch, "nonce": _nonce(batch, "answers")},
            meter=meter,
            check=lambda out: check_analyse(out, numbers),
        )
        claims = dict(enumerate(analysed.claims, start=1))
        if not claims:
            return []
        judged = await self.per_chunk(
            "judge",
            JudgeOutput,
            [{"n": i, "text": c.text} for i, c in claims.items()],
            "claims",
            {**base, "reference": question.reference_answer},
            check_judge,
            meter,
        )
        verdict = {v.claim: v.verdict for out in judged for v in out.verdicts}
        kept = [
            {"n": i, "text": c.text, "verdict": verdict[i]}
            for i, c in claims.items()
            if verdict[i] != "irrelevant"
        ]
        if not kept:
            return []
        rewritten = await self.per_chunk(
            "rewrite",
            RewriteOutput,
            kept,
            "claims",
            {**base, "min_words": self.min_words, "max_words": self.max_words},
            check_rewrite,
            meter,
        )
        text = {r.claim: r.assertion for out in rewritten for r in out.assertions}
        return [
            _Unit(
                text=text[int(r["n"])],
                truth="correct" if r["verdict"] == "correct" else "foil",
                numbers=frozenset(claims[int(r["n"])].answers),
            )
            for r in kept
        ]

    # ------------------------------------------------------------------ reduce

    async def _reduce(
        self, candidates: list[_Unit], base: dict[str, Any], meter: UsageMeter
    ) -> tuple[list[_Unit], list[str]]:
        # identical wording joins without a call
        joined: dict[tuple[str, str], _Unit] = {}
        for u in candidates:
            k = (u.truth, normalize_text(u.text))
            old = joined.get(k)
            joined[k] = (
                u
                if old is None
                else _Unit(old.text, old.truth, old.numbers | u.numbers, old.misconception)
            )
        units = list(joined.values())
        notes: list[str] = []
        for round_no in range(1, self.max_merge_rounds + 1):
            if len(units) < 2:
                break
            # similar wordings sort next to each other, so most near-duplicates share a batch
            units.sort(key=lambda u: (u.truth, normalize_text(u.text)))
            rows = [
                {
                    "n": i,
                    "text": u.text,
                    "truth": "correct" if u.truth == "correct" else "incorrect",
                }
                for i, u in enumerate(units, start=1)
            ]
            batches = self.chunks("merge", rows, "assertions", **base)
            parts = await asyncio.gather(
                *(self._merge_batch(b, units, base, meter) for b in batches)
            )
            merged = [u for part in parts for u in part]
            progressed = len(merged) < len(units)
            units = merged
            if len(batches) == 1:
                break
            if not progressed:
                notes.append(
                    f"merge round {round_no} joined nothing across {len(batches)} batches; "
                    "near-duplicates in different batches may remain"
                )
                break
        else:
            if len(units) > 1:
                notes.append(
                    f"merge stopped after {self.max_merge_rounds} rounds; near-duplicates may remain"
                )
        return units, notes

    async def _merge_batch(
        self,
        batch: list[dict[str, Any]],
        units: list[_Unit],
        base: dict[str, Any],
        meter: UsageMeter,
    ) -> list[_Unit]:
        if len(batch) == 1:
            return [units[int(batch[0]["n"]) - 1]]
        truth = {int(r["n"]): str(r["truth"]) for r in batch}
        out = await self.client.structured(
            self.prompts["merge"],
            MergeOutput,
            {**base, "assertions": batch, "nonce": _nonce(batch, "assertions")},
            meter=meter,
            check=lambda o: check_merge(o, truth),
        )
        merged = []
        for group in out.groups:
            members = [units[n - 1] for n in group.members]
            numbers = frozenset().union(*(m.numbers for m in members))
            first = members[0]
            misconception = None
            if first.truth == "foil":
                misconception = group.misconception or next(
                    (m.misconception for m in members if m.misconception), None
                )
            merged.append(_Unit(group.text, first.truth, numbers, misconception))
        return merged

    # ------------------------------------------------------------------ assertions

    def _assertions(
        self,
        question: Question,
        units: list[_Unit],
        key: dict[int, str],
        answers: list[StudentAnswer],
    ) -> list[Assertion]:
        student = {a.id: a.student_id for a in answers}
        order = {a.id: i for i, a in enumerate(answers)}
        out: list[Assertion] = []
        for truth, tag in (("correct", "c"), ("foil", "f")):
            rows = []
            for u in (u for u in units if u.truth == truth):
                ids = sorted({key[n] for n in u.numbers if n in key}, key=order.__getitem__)
                seen: set[str] = set()
                support = []
                for answer_id in ids:  # one answer per student: support counts people
                    if student[answer_id] not in seen:
                        seen.add(student[answer_id])
                        support.append(answer_id)
                rows.append((u, support))
            rows.sort(key=lambda r: (-len(r[1]), normalize_text(r[0].text)))
            for i, (u, support) in enumerate(rows, start=1):
                out.append(
                    Assertion(
                        id=f"{self.name}-{question.id}-{tag}{i:02d}",
                        question_id=question.id,
                        text=u.text,
                        truth=u.truth,
                        support=support,
                        misconception=u.misconception,
                    )
                )
        return out


def _nonce(rows: list[dict[str, Any]], salt: str) -> str:
    return fence_nonce([str(r["text"]) for r in rows], salt=salt)


def _pieces(text: str, room: int) -> list[str]:
    """Sentences of ``text``, each cut further if it alone exceeds ``room`` tokens."""
    out = []
    limit = max(1, int((room - 20) * 3))  # bytes that fit, at the estimator's 3 bytes a token
    for sentence in (s for s in _SENTENCE_END.split(text) if s.strip()):
        while estimate_tokens(sentence) + 20 > room:
            cut = sentence.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
            out.append(cut)
            sentence = sentence[len(cut) :]
        if sentence.strip():
            out.append(sentence)
    return out

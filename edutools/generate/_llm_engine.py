"""What the LLM engines share: provenance, assembly, the item-writing checks and self-check.

An engine subclass supplies ``name``, the prompt names it uses and ``assertions_for``
(the stages up to and including the assertions); this base assembles items, runs the
item-writing checks and, when asked, the LLM self-check (``self_check.j2``), which adds a
``llm_self_check`` flag to every item the reviewer finds unsound.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

import edutools
from edutools.errors import ConfigError
from edutools.generate._fingerprint import code_hash
from edutools.generate.assemble import FormMix, QuestionResult
from edutools.generate.finish import finish_question
from edutools.generate.options import OptionWriter, WriterCache
from edutools.generate.stages import SelfCheckOutput, check_self_check
from edutools.llm import (
    LLMClient,
    Prompt,
    UsageMeter,
    estimate_tokens,
    fence_nonce,
    load_prompt,
    messages_tokens,
    pack,
    prompt_hashes,
)
from edutools.schema import Assertion, Course, Flag, Item, Provenance, Question

__all__ = ["LLMEngine", "row_tokens"]

M = TypeVar("M", bound=BaseModel)

_LETTERS = "ABCDEFGHIJ"


class LLMEngine(abc.ABC):
    """Base of the ``anaquest`` and ``baseline`` engines.

    Parameters
    ----------
    client : LLMClient
        Makes every call (cache, retries, concurrency, usage).
    k : int
        Options per item.
    mix : FormMix
        Shares of the item forms.
    seed : int
        Seeds option order.
    max_items : int or None
        Upper bound on items per question.
    self_check : bool
        Ask the model to review every assembled item.
    token_budget : int
        Most (estimated) prompt tokens in one request; inputs are split to fit.
    min_words, max_words : int
        Target length of an assertion.
    """

    name: ClassVar[str]
    stage_prompts: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        client: LLMClient,
        *,
        k: int = 4,
        mix: FormMix = FormMix(),  # noqa: B008 - frozen dataclass, safe as a default
        seed: int = 0,
        max_items: int | None = None,
        self_check: bool = True,
        token_budget: int = 6000,
        min_words: int = 8,
        max_words: int = 25,
    ) -> None:
        if token_budget < 500:
            raise ConfigError(f"token_budget={token_budget} is too small; use 500 or more tokens")
        if not 1 <= min_words <= max_words:
            raise ConfigError(
                f"min_words={min_words}, max_words={max_words}: need 1 <= min_words <= max_words"
            )
        self.client = client
        self.k = k
        self.mix = mix
        self.seed = seed
        self.max_items = max_items
        self.self_check = self_check
        self.token_budget = token_budget
        self.min_words = min_words
        self.max_words = max_words
        self._writers = WriterCache()
        names = (*self.stage_prompts, *(("self_check",) if self_check else ()), "reask")
        self.prompts: dict[str, Prompt] = {n: load_prompt(n) for n in names}
        self._provenance: tuple[Course, Provenance] | None = None

    # ------------------------------------------------------------------ provenance

    def parameters(self) -> dict[str, Any]:
        """Everything that shapes the output, for provenance and the run key."""
        return {
            "k": self.k,
            "mix": dataclasses.asdict(self.mix),
            "seed": self.seed,
            "max_items": self.max_items,
            "self_check": self.self_check,
            "token_budget": self.token_budget,
            "min_words": self.min_words,
            "max_words": self.max_words,
            **self.client.parameters(),
        }

    def provenance(self, course: Course) -> Provenance:
        """Provenance of this engine's output for ``course`` (usage is added by the runner).

        Worked out once per course: hashing a large course's content takes tens of
        milliseconds, which every question would otherwise spend on the event loop.
        """
        known = self._provenance
        if known is not None and known[0] is course:
            return known[1]
        provenance = Provenance(
            engine=self.name,
            model=self.client.model,
            parameters=self.parameters(),
            prompt_hashes=prompt_hashes(self.prompts),
            input_hash=course.content_hash(),
            edutools_version=edutools.__version__,
            code_hash=code_hash("llm"),
        )
        self._provenance = (course, provenance)
        return provenance

    # ------------------------------------------------------------------ engine API

    @abc.abstractmethod
    async def assertions_for(
        self, course: Course, question: Question, meter: UsageMeter
    ) -> tuple[list[Assertion], list[str]]:
        """The question's assertions and notes (each engine's own stages)."""

    async def aprocess(self, course: Course, question: Question) -> QuestionResult:
        """Generate, assemble, check (and self-check) the items of one question.

        Parameters
        ----------
        course : Course
            The course the question belongs to.
        question : Question
            The question.

        Returns
        -------
        QuestionResult
            Assertions, flagged items, this question's usage, notes.
        """
        meter = self.client.meter.child()
        assertions, notes = await self.assertions_for(course, question, meter)
        # polishing, assembly and the checks are CPU work (about 20 ms for a question) done
        # right here on the event loop: in a worker thread they would hold the GIL in 5 ms
        # turns against the loop, and every reply in flight would wait for several turns
        # (measured: 37 ms added to each 0.5 s call at 16 in flight, against 18 ms inline)
        finished = finish_question(
            course,
            question,
            assertions,
            k=self.k,
            mix=self.mix,
            source=self.name,
            provenance=self.provenance(course),
            seed=self.seed,
            max_items=self.max_items,
            writer=self._option_writer(course),
        )
        items = list(finished.items)
        if self.self_check and items:
            reviews = await self._self_check(question, items, meter)
            items = [
                item.model_copy(update={"flags": [*item.flags, *review.flags]})
                for item, review in zip(items, reviews, strict=True)
            ]
        assertions = list(finished.assertions)
        notes = [*notes, *finished.notes]
        return QuestionResult(
            question_id=question.id,
            assertions=tuple(assertions),
            items=tuple(items),
            usage=meter.usage(),
            notes=tuple(notes),
        )

    # ------------------------------------------------------------------ helpers

    def _option_writer(self, course: Course) -> OptionWriter:
        """The course's option writer (built once per course; shared by its questions)."""
        return self._writers(course)

    def concept_name(self, course: Course, question: Question) -> str:
        """The name of the question's concept."""
        return next(
            (c.name for c in course.concepts if c.id == question.concept_id), question.concept_id
        )

    def room(self, prompt: str, list_name: str, **variables: Any) -> int:
        """Tokens left for the rows of ``list_name`` once the prompt's fixed part is counted."""
        empty = self.prompts[prompt].render(**variables, **{list_name: []}, nonce="0" * 12)
        return max(1, self.token_budget - messages_tokens(empty))

    def chunks(
        self, prompt: str, rows: Sequence[dict[str, Any]], list_name: str, **variables: Any
    ) -> list[list[dict[str, Any]]]:
        """Split ``rows`` (each rendered as one tagged block) into requests within the budget.

        Each row costs the tokens of its ``text`` plus its tag; a batch holds at least one row.
        """
        return pack(list(rows), cost=row_tokens, budget=self.room(prompt, list_name, **variables))

    async def per_chunk(
        self,
        prompt: str,
        output_type: type[M],
        rows: Sequence[dict[str, Any]],
        list_name: str,
        variables: dict[str, Any],
        check: Callable[[M, list[int]], None],
        meter: UsageMeter,
    ) -> list[M]:
        """One call per chunk of ``rows`` (concurrently); each reply checked against its rows.

        Rows are fenced with a nonce derived from their texts (see :mod:`edutools.llm.fence`).
        """

        async def one(chunk: list[dict[str, Any]]) -> M:
            numbers = [int(r["n"]) for r in chunk]
            nonce = fence_nonce([str(r["text"]) for r in chunk], salt=list_name)
            return await self.client.structured(
                self.prompts[prompt],
                output_type,
                {**variables, list_name: chunk, "nonce": nonce},
                meter=meter,
                check=lambda out: check(out, numbers),
            )

        chunks = self.chunks(prompt, rows, list_name, **variables)
        return list(await asyncio.gather(*(one(c) for c in chunks)))

    async def _self_check(
        self, question: Question, items: list[Item], meter: UsageMeter
    ) -> list[Item]:
        rows = [
            {
                "n": i,
                "form": item.form,
                "stem": item.stem,
                "options": [
                    {"letter": _LETTERS[j], "text": o.text, "is_key": o.is_key}
                    for j, o in enumerate(item.options)
                ],
                "text": " ".join([item.stem, *(o.text for o in item.options)]),
            }
            for i, item in enumerate(items, start=1)
        ]
        base = {"question": question.text, "reference": question.reference_answer}
        replies = await self.per_chunk(
            "self_check", SelfCheckOutput, rows, "items", base, check_self_check, meter
        )
        problems = {r.item: r.problems for reply in replies for r in reply.reviews if not r.ok}
        out = []
        for i, item in enumerate(items, start=1):
            if i in problems:
                message = (
                    "; ".join(p.strip() for p in problems[i] if p.strip())
                    or "the reviewer judged it unsound"
                )
                flag = Flag(check="llm_self_check", message=message[:1000], severity="warning")
                item = item.model_copy(update={"flags": [*item.flags, flag]})
            out.append(item)
        return out


def row_tokens(row: dict[str, Any]) -> int:
    """Estimated tokens of one tagged row: its text plus about 20 for the tag around it."""
    return estimate_tokens(str(row.get("text", ""))) + 20

"""The ``baseline`` engine: the same items from the question and reference answer alone.

No student answer is read, so foils are the misconceptions the model expects rather than
the ones students wrote, and every assertion's ``support`` is empty. It exists for
comparison studies (AnaQuest vs baseline vs human-written items): the output schema, item
forms, item-writing checks and optional self-check are those of the anaquest engine.
"""

from __future__ import annotations

from typing import Any

from edutools.errors import ConfigError
from edutools.generate._llm_engine import LLMEngine
from edutools.generate.stages import BaselineOutput, check_baseline
from edutools.llm import LLMClient, UsageMeter
from edutools.schema import Assertion, Course, Question

__all__ = ["BaselineEngine"]


class BaselineEngine(LLMEngine):
    """LLM engine without student answers: one ``baseline`` call per question.

    Parameters
    ----------
    client : LLMClient
        Makes every call.
    n_correct, n_foils : int
        How many correct assertions and foils to ask for per question.
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
    ...         return await BaselineEngine(llm).aprocess(course, course.questions[0])
    >>> with StubServer() as stub:
    ...     result = asyncio.run(first_question(stub.settings(Settings.from_env({}))))
    ...     sent = stub.requests[0].text
    >>> any(a.text in sent for a in course.answers_to("Q01") if len(a.text) > 20), result.usage.calls
    (False, 2)
    """

    name = "baseline"
    stage_prompts = ("baseline",)

    def __init__(
        self, client: LLMClient, *, n_correct: int = 6, n_foils: int = 6, **options: Any
    ) -> None:
        if n_correct < 1 or n_foils < 1:
            raise ConfigError(
                f"n_correct={n_correct}, n_foils={n_foils}: ask for at least 1 of each"
            )
        super().__init__(client, **options)
        self.n_correct = n_correct
        self.n_foils = n_foils

    def parameters(self) -> dict[str, Any]:
        """Everything that shapes the output, for provenance and the run key."""
        return {**super().parameters(), "n_correct": self.n_correct, "n_foils": self.n_foils}

    async def assertions_for(
        self, course: Course, question: Question, meter: UsageMeter
    ) -> tuple[list[Assertion], list[str]]:
        """Correct assertions and foils written from the question and reference answer."""
        out = await self.client.structured(
            self.prompts["baseline"],
            BaselineOutput,
            {
                "concept": self.concept_name(course, question),
                "question": question.text,
                "reference": question.reference_answer,
                "n_correct": self.n_correct,
                "n_foils": self.n_foils,
                "min_words": self.min_words,
                "max_words": self.max_words,
            },
            meter=meter,
            check=check_baseline,
        )
        assertions = [
            Assertion(
                id=f"{self.name}-{question.id}-c{i:02d}",
                question_id=question.id,
                text=t,
                truth="correct",
            )
            for i, t in enumerate(out.correct, start=1)
        ]
        assertions += [
            Assertion(
                id=f"{self.name}-{question.id}-f{i:02d}",
                question_id=question.id,
                text=f.text,
                truth="foil",
                misconception=f.misconception or None,
            )
            for i, f in enumerate(out.foils, start=1)
        ]
        notes = [
            f"{len(out.correct)} correct assertions and {len(out.foils)} foils written without student answers"
        ]
        return assertions, notes

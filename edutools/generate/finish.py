"""The post-processing every engine's assertions go through before they become items.

:func:`finish_question` is shared by the ``local``, ``anaquest`` and ``baseline`` engines:

1. **options an instructor would accept** -- every assertion's text is polished by
   :class:`~edutools.generate.options.OptionWriter` (spelling corrected against the course's
   vocabulary and an offline dictionary, subject restored where the question makes it
   clear, capitalised, one final period). An assertion whose text is still a fragment is
   dropped, unless the instructor labelled or edited it (then its items are flagged);
2. **what settled the truth** -- assertions without a ``basis`` get one from the grades of
   their supporting answers: a foil that a graded-wrong answer states, or a correct
   assertion that a graded-correct answer states, is settled by ``grades``; otherwise it is
   the ``engine``'s judgement;
3. **fewer, distinct items** -- :func:`~edutools.generate.assemble.assemble_with_notes`
   with a reuse limit (an assertion in at most ``max_uses`` items, default 2), no two items
   with the same options, the form mix followed or a note saying why not;
4. **checks** -- every item-writing check of :mod:`edutools.generate.quality`, with the
   course's grades and vocabulary so that the truth- and text-based checks can run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from edutools.generate._evidence import CORRECT_AT, WRONG_AT
from edutools.generate.assemble import Assembly, FormMix, assemble_with_notes
from edutools.generate.options import OptionWriter
from edutools.generate.quality import check_item
from edutools.schema import Assertion, Course, Item, Provenance, Question

__all__ = ["Finished", "finish_question", "settle_basis"]


@dataclass(frozen=True)
class Finished:
    """Polished assertions, checked items and notes of one question."""

    assertions: tuple[Assertion, ...]
    items: tuple[Item, ...]
    notes: tuple[str, ...]


def settle_basis(assertion: Assertion, grades: Mapping[str, float | None]) -> Assertion:
    """The assertion with ``basis`` filled from its support's grades (kept when already set).

    Example
    -------
    >>> a = Assertion(id="f", question_id="q", text="Plants eat soil.", truth="foil", support=["1", "2"])
    >>> settle_basis(a, {"1": None, "2": 0.0}).basis, settle_basis(a, {"1": None}).basis
    ('grades', 'engine')
    """
    if assertion.basis is not None:
        return assertion
    graded = [grades.get(a) for a in assertion.support]
    if assertion.truth == "foil":
        settled = any(g is not None and g <= WRONG_AT for g in graded)
    else:
        settled = any(g is not None and g >= CORRECT_AT for g in graded)
    return assertion.model_copy(update={"basis": "grades" if settled else "engine"})


def finish_question(
    course: Course,
    question: Question,
    assertions: Sequence[Assertion],
    *,
    k: int,
    mix: FormMix,
    source: str,
    provenance: Provenance,
    seed: int = 0,
    max_items: int | None = None,
    max_uses: int = 2,
    writer: OptionWriter | None = None,
    keep: frozenset[str] = frozenset(),
) -> Finished:
    """Polish, settle, assemble and check one question's assertions (see the module docstring).

    Parameters
    ----------
    course : Course
        The course (grades and vocabulary).
    question : Question
        The question the assertions answer.
    assertions : sequence of Assertion
        The engine's correct assertions and foils.
    k, mix, source, provenance, seed, max_items, max_uses
        As in :func:`~edutools.generate.assemble.assemble_with_notes`.
    writer : OptionWriter, optional
        Built from ``course`` when not given (build it once per course and pass it).
    keep : frozenset of str
        Assertion ids to keep even if their text is a fragment (the instructor's).

    Returns
    -------
    Finished
    """
    writer = writer or OptionWriter(course)
    grades = {a.id: a.grade for a in course.answers_to(question.id)}
    polished: list[Assertion] = []
    dropped = 0
    for a in assertions:
        result = writer.polish(a.text, question)
        if result.fragment and a.id not in keep and a.basis != "instructor":
            dropped += 1
            continue
        text = result.text if result.text else a.text
        polished.append(settle_basis(a.model_copy(update={"text": text}), grades))
    assembly: Assembly = assemble_with_notes(
        question,
        polished,
        k=k,
        mix=mix,
        source=source,
        provenance=provenance,
        seed=seed,
        max_items=max_items,
        max_uses=max_uses,
    )
    by_id = {a.id: a for a in polished}
    items = tuple(
        item.model_copy(
            update={
                "flags": check_item(
                    item, question=question, assertions=by_id, grades=grades, writer=writer
                )
            }
        )
        for item in assembly.items
    )
    notes = list(assembly.notes)
    if dropped:
        notes.append(f"{dropped} assertion(s) left out: their text is not a full sentence")
    return Finished(assertions=tuple(polished), items=items, notes=tuple(notes))

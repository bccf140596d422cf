"""Assemble assertion-based multiple-choice items from correct assertions and foils.

Every engine ends here. Three forms are built from the same assertions:

``correct_key``
    one correct assertion (the key) among ``k - 1`` foils: "Which statement is correct?"
``foil_key``
    one foil (the key) among ``k - 1`` correct assertions: "Which statement is INCORRECT?"
``select_all``
    ``k`` options, at least one correct and at least one foil; the correct ones are keys.

Foils are ranked by support (the number of distinct students who hold them), so the
misconceptions most students share are used first. Options are never invented: when there
are too few assertions for a form, that form gets fewer items (or none) and a note says why.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from edutools.errors import GenerationError
from edutools.generate.options import stem_question
from edutools.schema import (
    Assertion,
    Form,
    Item,
    Option,
    Provenance,
    Question,
    Usage,
    normalize_text,
)
from edutools.text import self_similarity

__all__ = [
    "Assembly",
    "FormMix",
    "QuestionResult",
    "assemble",
    "assemble_with_notes",
    "rank_by_support",
]

_FORMS: tuple[Form, ...] = ("correct_key", "foil_key", "select_all")


@dataclass(frozen=True)
class FormMix:
    """Shares of each item form among the items made for one question.

    Shares need not sum to 1 (they are normalised) but must be >= 0 with a positive sum.

    Example
    -------
    >>> FormMix(correct_key=1, foil_key=0, select_all=0).shares()["correct_key"]
    1.0
    """

    correct_key: float = 0.5
    foil_key: float = 0.3
    select_all: float = 0.2

    def __post_init__(self) -> None:
        for form in _FORMS:
            value = getattr(self, form)
            if not math.isfinite(value) or value < 0:
                raise GenerationError(
                    f"form mix share {form}={value!r} is invalid; use a number >= 0"
                )
        if sum(getattr(self, f) for f in _FORMS) <= 0:
            raise GenerationError(
                "form mix shares are all 0; give at least one form a positive share"
            )

    def shares(self) -> dict[Form, float]:
        """The shares normalised to sum to 1."""
        total = sum(getattr(self, f) for f in _FORMS)
        return {f: getattr(self, f) / total for f in _FORMS}


DEFAULT_MIX = FormMix()


@dataclass(frozen=True)
class QuestionResult:
    """What an engine produces for one question: the unit of storage and resume."""

    question_id: str
    assertions: tuple[Assertion, ...]
    items: tuple[Item, ...]
    usage: Usage
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assembly:
    """Items assembled for one question, with notes on forms that got fewer items."""

    items: tuple[Item, ...]
    notes: tuple[str, ...] = field(default=())


def rank_by_support(assertions: Sequence[Assertion]) -> list[Assertion]:
    """Assertions ordered by number of supporting answers (descending), then by id.

    Example
    -------
    >>> a = Assertion(id="a", question_id="q", text="X.", truth="foil", support=["1"])
    >>> b = Assertion(id="b", question_id="q", text="Y.", truth="foil", support=["1", "2"])
    >>> [x.id for x in rank_by_support([a, b])]
    ['b', 'a']
    """
    return sorted(assertions, key=lambda a: (-len(a.support), a.id))


def _distinct(assertions: Sequence[Assertion]) -> list[Assertion]:
    """Drop assertions whose normalised text repeats an earlier one (options must be distinct)."""
    seen: set[str] = set()
    out: list[Assertion] = []
    for a in assertions:
        norm = normalize_text(a.text)
        if norm and norm not in seen:
            seen.add(norm)
            out.append(a)
    return out


_SIMILAR = 0.75  # cosine at which two options say nearly the same


class _Builder:
    """Greedy item construction under the reuse limit (see :func:`assemble_with_notes`)."""

    def __init__(
        self,
        correct: list[Assertion],
        foils: list[Assertion],
        k: int,
        max_uses: int,
        rng: np.random.Generator,
    ) -> None:
        self.correct = correct
        self.foils = foils
        self.k = k
        self.max_uses = max_uses
        self.rng = rng
        self.uses: Counter[str] = Counter()
        self.keyed: set[str] = set()
        self.sets: set[frozenset[str]] = set()
        everything = [*correct, *foils]
        texts = [a.text for a in everything]
        sim = self_similarity(texts)
        self.at = {a.id: i for i, a in enumerate(everything)}
        self.sim = sim
        self.length = {a.id: len(a.text) for a in everything}
        self.rank = {a.id: r for r, a in enumerate(correct)} | {
            a.id: r for r, a in enumerate(foils)
        }

    def free(self, pool: list[Assertion], exclude: set[str]) -> list[Assertion]:
        return [a for a in pool if self.uses[a.id] < self.max_uses and a.id not in exclude]

    def similar(self, a: Assertion, chosen: list[Assertion]) -> bool:
        i = self.at[a.id]
        return any(self.sim[i, self.at[c.id]] >= _SIMILAR for c in chosen)

    def pick(
        self, pool: list[Assertion], n: int, chosen: list[Assertion]
    ) -> list[Assertion] | None:
        """``n`` more options from ``pool``: distinct from ``chosen``, close in length, least used."""
        anchor = np.mean([self.length[c.id] for c in chosen]) if chosen else None
        picked: list[Assertion] = []
        for _ in range(n):
            exclude = {c.id for c in [*chosen, *picked]}
            cands = [a for a in self.free(pool, exclude) if not self.similar(a, [*chosen, *picked])]
            if not cands:
                return None

            def cost(a: Assertion) -> float:
                spread = abs(np.log(self.length[a.id] / anchor)) if anchor else 0.0
                return 0.6 * self.uses[a.id] + 0.5 * spread + 0.08 * self.rank[a.id]

            picked.append(min(cands, key=lambda a: (cost(a), a.id)))
        return picked

    def key(self, pool: list[Assertion]) -> Assertion | None:
        cands = [a for a in self.free(pool, self.keyed)]
        return min(cands, key=lambda a: (self.uses[a.id], self.rank[a.id])) if cands else None

    def commit(self, options: list[Assertion], keys: list[Assertion]) -> bool:
        ids = frozenset(a.id for a in options)
        if ids in self.sets:
            return False
        self.sets.add(ids)
        for a in options:
            self.uses[a.id] += 1
        self.keyed.update(a.id for a in keys)
        return True

    def build(self, form: Form) -> tuple[list[Assertion], list[Assertion]] | str:
        """(keys, distractors) of one new item, or why none can be built."""
        k = self.k
        if form == "correct_key":
            if not self.correct:
                return "no correct assertion"
            if len(self.foils) < k - 1:
                return f"only {len(self.foils)} foil(s), {k - 1} needed"
            key = self.key(self.correct)
            if key is None:
                return "every correct assertion has keyed an item or is used up"
            others = self.pick(self.foils, k - 1, [key])
            if others is None:
                return f"fewer than {k - 1} distinct foils left under the reuse limit"
            return [key], others
        if form == "foil_key":
            if not self.foils:
                return "no foil"
            if len(self.correct) < k - 1:
                return f"only {len(self.correct)} correct assertion(s), {k - 1} needed"
            key = self.key(self.foils)
            if key is None:
                return "every foil has keyed an item or is used up"
            others = self.pick(self.correct, k - 1, [key])
            if others is None:
                return f"fewer than {k - 1} distinct correct assertions left under the reuse limit"
            return [key], others
        if not self.correct or not self.foils:
            return "select_all needs at least one correct assertion and one foil"
        if len(self.correct) + len(self.foils) < k:
            return f"only {len(self.correct) + len(self.foils)} assertion(s), {k} needed"
        low, high = max(1, k - len(self.foils)), min(k - 1, len(self.correct))
        for n_keys in self.rng.permutation(np.arange(low, high + 1)).tolist():
            keys = self.pick(self.correct, int(n_keys), [])
            if keys is None:
                continue
            others = self.pick(self.foils, k - int(n_keys), keys)
            if others is not None:
                return keys, others
        return "too few distinct assertions left under the reuse limit"


def _rng(seed: int, question_id: str) -> np.random.Generator:
    # crc32 is stable across processes (unlike hash()), so option orders are reproducible
    return np.random.default_rng([seed, zlib.crc32(question_id.encode())])


def assemble_with_notes(
    question: Question,
    assertions: Sequence[Assertion],
    *,
    k: int = 4,
    mix: FormMix = FormMix(),
    source: str,
    provenance: Provenance,
    seed: int = 0,
    max_items: int | None = None,
    max_uses: int = 2,
) -> Assembly:
    """Build items for one question and explain forms that got fewer items.

    Items are built one at a time in an order that follows ``mix`` (the form furthest
    below its share goes next; a form that cannot be built drops out), until no form can
    be built or ``max_items`` is reached:

    * each assertion appears in at most ``max_uses`` items and keys at most one;
    * no two items have the same set of options, and no item has two options that say
      nearly the same (TF-IDF cosine >= 0.75);
    * keys are taken by support (the most-held first); the other options are the least
      used ones closest in length to the key (length is a cue), then by support.

    A form that runs out gets fewer items than its share, and a note says why.

    Parameters
    ----------
    question : Question
        The question the assertions answer; its text opens every stem.
    assertions : sequence of Assertion
        Correct assertions and foils for this question.
    k : int
        Options per item (2..10).
    mix : FormMix
        Shares of the three forms.
    source : str
        Engine name; item ids are ``f"{source}-{question.id}-{n:02d}"``.
    provenance : Provenance
        Attached to every item.
    seed : int
        Seeds option order and the number of keys in select-all items.
    max_items : int or None
        Upper bound on the number of items.
    max_uses : int
        Most items any one assertion appears in.

    Returns
    -------
    Assembly
        ``items`` in id order and ``notes``.

    Example
    -------
    >>> q = Question(id="q1", concept_id="c", text="What do plants need?", reference_answer="Light.")
    >>> a = [Assertion(id=f"c{i}", question_id="q1", text=f"Plants need {w}.", truth="correct")
    ...      for i, w in enumerate(["light", "water"])]
    >>> a += [Assertion(id=f"f{i}", question_id="q1", text=f"Plants eat {w}.", truth="foil", support=["s"])
    ...       for i, w in enumerate(["soil", "rocks", "sugar"])]
    >>> out = assemble_with_notes(q, a, source="local", provenance=Provenance(engine="local"))
    >>> [i.form for i in out.items]
    ['correct_key', 'select_all']
    >>> out.notes[0]
    'foil_key: 0 item(s), fewer than the form mix asks: only 2 correct assertion(s), 3 needed'
    """
    if not 2 <= k <= 10:
        raise GenerationError(f"k={k} options per item is invalid; use 2 to 10")
    if max_items is not None and max_items < 0:
        raise GenerationError(
            f"max_items={max_items} is invalid; use 0 or more, or None for no limit"
        )
    if max_uses < 1:
        raise GenerationError(f"max_uses={max_uses} is invalid; use 1 or more")
    own = [a for a in assertions if a.question_id == question.id]
    if len(own) != len(assertions):
        stray = next(a for a in assertions if a.question_id != question.id)
        raise GenerationError(
            f"assertion {stray.id!r} belongs to question {stray.question_id!r}, not {question.id!r}"
        )
    pool = _distinct(rank_by_support(own))
    correct = [a for a in pool if a.truth == "correct"]
    foils = [a for a in pool if a.truth == "foil"]
    shares = mix.shares()
    rng = _rng(seed, question.id)
    builder = _Builder(correct, foils, k, max_uses, rng)
    limit = (max_uses * len(pool)) // k
    if max_items is not None:
        limit = min(limit, max_items)
    why: dict[Form, str] = {}
    made: Counter[Form] = Counter()
    active = [f for f in _FORMS if shares[f] > 0]
    built: list[tuple[Form, list[Assertion], list[Assertion]]] = []
    while active and len(built) < limit:
        # the form furthest below its share of the items so far goes next
        step = len(built) + 1
        form = max(active, key=lambda f: (shares[f] * step - made[f], -_FORMS.index(f)))
        result = builder.build(form)
        if isinstance(result, str) or not builder.commit([*result[0], *result[1]], result[0]):
            why[form] = result if isinstance(result, str) else "no new set of options"
            active.remove(form)
            continue
        built.append((form, *result))
        made[form] += 1
    notes = [
        f"{form}: {made[form]} item(s), fewer than the form mix asks: {why[form]}"
        for form in _FORMS
        if (form in why and made[form] < math.floor(shares[form] * max(len(built), 1) + 1e-9))
        or (form in why and made[form] == 0 and shares[form] > 0)
    ]
    # keys of single-key items rotate through positions so the key's place gives nothing away
    positions = np.concatenate([rng.permutation(k) for _ in range(len(built) // k + 2)])
    items: list[Item] = []
    single = 0
    for form, keys, others in built:
        chosen = [(a, True) for a in keys] + [(a, False) for a in others]
        arranged = [chosen[i] for i in rng.permutation(len(chosen)).tolist()]
        if form != "select_all":
            at = next(i for i, (_, is_key) in enumerate(arranged) if is_key)
            target = int(positions[single])
            single += 1
            arranged[at], arranged[target] = arranged[target], arranged[at]
        items.append(
            Item(
                id=f"{source}-{question.id}-{len(items) + 1:02d}",
                source=source,
                concept_id=question.concept_id,
                question_id=question.id,
                form=form,
                stem=f"{stem_question(question.text)} {Item.default_stem(form)}",
                options=[Option(text=a.text, is_key=key, assertion_id=a.id) for a, key in arranged],
                provenance=provenance,
            )
        )
    return Assembly(items=tuple(items), notes=tuple(notes))


def assemble(
    question: Question,
    assertions: Sequence[Assertion],
    *,
    k: int = 4,
    mix: FormMix = FormMix(),
    source: str,
    provenance: Provenance,
    seed: int = 0,
    max_items: int | None = None,
    max_uses: int = 2,
) -> list[Item]:
    """Build items for one question (see :func:`assemble_with_notes` for the rules).

    Parameters
    ----------
    question, assertions, k, mix, source, provenance, seed, max_items, max_uses
        As in :func:`assemble_with_notes`.

    Returns
    -------
    list of Item

    Example
    -------
    >>> q = Question(id="q1", concept_id="c", text="Why?", reference_answer="Because.")
    >>> assemble(q, [], source="local", provenance=Provenance(engine="local"))
    []
    """
    return list(
        assemble_with_notes(
            question,
            assertions,
            k=k,
            mix=mix,
            source=source,
            provenance=provenance,
            seed=seed,
            max_items=max_items,
            max_uses=max_uses,
        ).items
    )

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from edutools.errors import GenerationError
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


def _capacity(form: Form, n_correct: int, n_foil: int, k: int) -> tuple[int, str | None]:
    """How many items of ``form`` the assertions allow (each key used once), and why not more."""
    if form == "correct_key":
        if n_correct < 1:
            return 0, "no correct assertion: no correct_key item possible"
        if n_foil < k - 1:
            return 0, f"only {n_foil} foil(s), {k - 1} needed: no correct_key item possible"
        return n_correct, None
    if form == "foil_key":
        if n_foil < 1:
            return 0, "no foil: no foil_key item possible"
        if n_correct < k - 1:
            return (
                0,
                f"only {n_correct} correct assertion(s), {k - 1} needed: no foil_key item possible",
            )
        return n_foil, None
    if n_correct < 1 or n_foil < 1:
        return 0, "select_all needs at least one correct assertion and one foil"
    if n_correct + n_foil < k:
        return 0, f"only {n_correct + n_foil} assertion(s), {k} needed: no select_all item possible"
    return (n_correct + n_foil) // k, None


def _apportion(total: int, shares: Mapping[Form, float]) -> dict[Form, int]:
    """Largest-remainder (Hamilton) apportionment of ``total`` items over forms by share."""
    quotas = {f: total * shares[f] for f in _FORMS}
    counts = {f: math.floor(quotas[f] + 1e-9) for f in _FORMS}
    left = total - sum(counts.values())
    for f in sorted(_FORMS, key=lambda f: (-(quotas[f] - counts[f]), _FORMS.index(f)))[:left]:
        counts[f] += 1
    return counts


def _window(pool: Sequence[Assertion], start: int, size: int) -> list[Assertion]:
    """``size`` consecutive assertions from ``pool``, wrapping, starting at ``start``."""
    return [pool[(start + i) % len(pool)] for i in range(size)]


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
) -> Assembly:
    """Build items for one question and explain forms that got fewer items.

    The number of items is the largest ``N`` whose largest-remainder split by ``mix`` fits
    what the assertions allow (each correct assertion keys at most one ``correct_key`` item,
    each foil at most one ``foil_key`` item, each ``select_all`` item uses ``k`` assertions),
    capped by ``max_items``. Forms with no possible item drop out of the mix (and a note
    says why).

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
    ['correct_key', 'correct_key', 'select_all']
    >>> out.notes[0]
    'only 2 correct assertion(s), 3 needed: no foil_key item possible'
    """
    if not 2 <= k <= 10:
        raise GenerationError(f"k={k} options per item is invalid; use 2 to 10")
    if max_items is not None and max_items < 0:
        raise GenerationError(
            f"max_items={max_items} is invalid; use 0 or more, or None for no limit"
        )
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
    caps: dict[Form, int] = {}
    notes: list[str] = []
    for form in _FORMS:
        cap, why = _capacity(form, len(correct), len(foils), k)
        caps[form] = cap if shares[form] > 0 else 0
        if shares[form] > 0 and why:
            notes.append(why)
    feasible = {f: shares[f] for f in _FORMS if caps[f] > 0}
    if not feasible:
        return Assembly(items=(), notes=tuple(notes))
    weight = sum(feasible.values())
    shares_ok = {f: feasible.get(f, 0.0) / weight for f in _FORMS}
    # the largest number of items whose split by the mix fits what each form allows
    total = sum(caps.values())
    while total > 0 and any(n > caps[f] for f, n in _apportion(total, shares_ok).items()):
        total -= 1
    most = total
    if max_items is not None:
        total = min(total, max_items)
    counts = _apportion(total, shares_ok)
    if max_items is None or max_items > most:
        unused = [f for f in feasible if counts[f] < caps[f]]
        full = [f for f in feasible if counts[f] == caps[f]]
        if unused and full:
            notes.append(
                f"{' and '.join(full)} ran out of keys, which caps this question at {total} item(s) "
                "under the form mix"
            )
    rng = _rng(seed, question.id)
    # keys of single-key items rotate through positions so the key's place gives nothing away
    positions = np.concatenate(
        [rng.permutation(k) for _ in range(math.ceil(sum(counts.values()) / k) + 1)]
    )
    items: list[Item] = []

    def add(
        form: Form, keys: list[Assertion], others: list[Assertion], key_pos: int | None
    ) -> None:
        n = len(items) + 1
        chosen = [(a, True) for a in keys] + [(a, False) for a in others]
        order = rng.permutation(len(chosen)).tolist()
        arranged = [chosen[i] for i in order]
        if key_pos is not None:
            at = next(i for i, (_, is_key) in enumerate(arranged) if is_key)
            arranged[at], arranged[key_pos] = arranged[key_pos], arranged[at]
        items.append(
            Item(
                id=f"{source}-{question.id}-{n:02d}",
                source=source,
                concept_id=question.concept_id,
                question_id=question.id,
                form=form,
                stem=f"{question.text.strip()} {Item.default_stem(form)}",
                options=[Option(text=a.text, is_key=key, assertion_id=a.id) for a, key in arranged],
                provenance=provenance,
            )
        )

    single = 0
    for j in range(counts["correct_key"]):
        add("correct_key", [correct[j]], _window(foils, j * (k - 1), k - 1), int(positions[single]))
        single += 1
    for j in range(counts["foil_key"]):
        add("foil_key", [foils[j]], _window(correct, j * (k - 1), k - 1), int(positions[single]))
        single += 1
    c_at = f_at = 0
    for _ in range(counts["select_all"]):
        low, high = max(1, k - len(foils)), min(k - 1, len(correct))
        n_keys = int(rng.integers(low, high + 1))
        keys = _window(correct, c_at, n_keys)
        others = _window(foils, f_at, k - n_keys)
        c_at, f_at = c_at + n_keys, f_at + k - n_keys
        add("select_all", keys, others, None)
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
) -> list[Item]:
    """Build items for one question (see :func:`assemble_with_notes` for the rules).

    Parameters
    ----------
    question, assertions, k, mix, source, provenance, seed, max_items
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
        ).items
    )

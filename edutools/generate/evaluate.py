"""Score an item bank against per-answer labels: are the foils misconceptions, the keys true?

The labels say what each student answer is: ``correct``, ``partial`` (true but incomplete),
``incorrect``, ``contradictory`` or ``off_topic``. Every option of an item that comes from
student answers lists them (the assertion's ``support``), so the labels can judge it:

* a **foil** is *precise* when most (more than half) of its labelled supporting answers are
  wrong (``incorrect`` or ``contradictory``);
* a **key** (a correct assertion) is *precise* when most of its labelled supporting answers
  are ``correct``. Correct assertions with no student support (taken from the reference
  answer) are counted apart: the labels cannot judge them, and they are the instructor's own.

Coverage asks whether the bank reaches the wrong answers: the share of questions with wrong
answers that get at least one foil, the share of questions with at least ``min_wrong`` wrong
answers that get at least one item, and the share of wrong answers behind some foil.

The **chance level** is the foil precision the same support sets would reach if answers were
labelled at random: labels are shuffled among the answers of each question (seeded) and the
precision is recomputed, averaged over ``n_shuffles`` shuffles. A foil precision near chance
means the engine's foils are no better than picking answers at random.

Only items that are not rejected count. An item is *sound* when every option agrees with the
labels (each foil precise, each key precise or from the reference).
"""

from __future__ import annotations

import csv
import io as _io
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from edutools.errors import DataError
from edutools.schema import Assertion, Course, Item, ItemBank

__all__ = [
    "LABELS",
    "Evaluation",
    "answer_questions",
    "evaluate",
    "normalize_label",
    "read_labels",
]

Label = Literal["correct", "partial", "incorrect", "contradictory", "off_topic"]
LABELS: tuple[Label, ...] = ("correct", "partial", "incorrect", "contradictory", "off_topic")
WRONG: frozenset[str] = frozenset({"incorrect", "contradictory"})
# spellings of the same labels in common corpora (SemEval-2013 5-way, SAF, the example course)
_SYNONYMS: dict[str, Label] = {
    "partially_correct": "partial",
    "partially_correct_incomplete": "partial",
    "partially correct": "partial",
    "wrong": "incorrect",
    "misconception": "incorrect",
    "irrelevant": "off_topic",
    "non_domain": "off_topic",
    "off-topic": "off_topic",
    "empty": "off_topic",
}


def normalize_label(raw: str) -> Label | None:
    """The canonical label for ``raw`` (case-insensitive, common synonyms), or None.

    ``misconception:<code>`` (the example course's labels) counts as ``incorrect``.

    Example
    -------
    >>> normalize_label("Partially_Correct"), normalize_label("misconception:q05_soil")
    ('partial', 'incorrect')
    >>> normalize_label("maybe") is None
    True
    """
    text = raw.strip().lower()
    if text.startswith("misconception:"):
        return "incorrect"
    if text in LABELS:
        return text
    return _SYNONYMS.get(text)


def read_labels(path: str | Path) -> tuple[dict[str, Label], dict[str, str]]:
    """Read ``answer_id,label[,question_id]`` from a CSV file.

    Returns
    -------
    labels : dict
        Answer id to canonical label.
    questions : dict
        Answer id to question id, when the file has a ``question_id`` column (else empty).

    Raises
    ------
    DataError
        Naming the file, row and column of a missing column, an unknown label or a
        repeated answer id.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such file; expected a CSV with columns answer_id,label")
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(
            f"{p.name}: text is not valid UTF-8; save the file with UTF-8 encoding"
        ) from None
    reader = csv.reader(_io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    for col in ("answer_id", "label"):
        if col not in header:
            raise DataError(
                f"{p.name}, row 1 (header): missing column '{col}'; expected answer_id,label"
                " and optionally question_id"
            )
    at = {h: i for i, h in enumerate(header)}
    labels: dict[str, Label] = {}
    questions: dict[str, str] = {}
    first: dict[str, int] = {}
    for n, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise DataError(
                f"{p.name}, row {n}: {len(row)} fields but the header has {len(header)}"
            )
        answer = row[at["answer_id"]].strip()
        if not answer:
            raise DataError(f"{p.name}, row {n}, column 'answer_id': is empty")
        if answer in first:
            raise DataError(
                f"{p.name}, row {n}, column 'answer_id': '{answer}' is labelled twice "
                f"(first on row {first[answer]})"
            )
        first[answer] = n
        label = normalize_label(row[at["label"]])
        if label is None:
            raise DataError(
                f"{p.name}, row {n}, column 'label': '{row[at['label']].strip()}' is not a label; "
                f"expected one of {', '.join(LABELS)}"
            )
        labels[answer] = label
        if "question_id" in at and row[at["question_id"]].strip():
            questions[answer] = row[at["question_id"]].strip()
    if not labels:
        raise DataError(f"{p.name}: no labelled answers; expected rows of answer_id,label")
    return labels, questions


def answer_questions(bank: ItemBank, course: Course | None = None) -> dict[str, str]:
    """Answer id to question id, from the course, else from the bank's record of its input."""
    if course is not None:
        return {a.id: a.question_id for a in course.answers}
    return {a: q for q, ids in bank.answer_ids.items() for a in ids}


@dataclass(frozen=True)
class Evaluation:
    """Figures of one bank against answer labels (see the module docstring)."""

    items: int
    sound_items: int
    questions: int
    questions_with_items: int
    options_per_item: float
    foils: int
    foils_judged: int
    foils_precise: int
    foil_precision: float | None
    foil_chance: float | None
    unconfirmed_foils: int
    confirmed_foil_precision: float | None
    keys: int
    keys_judged: int
    keys_precise: int
    key_precision: float | None
    key_chance: float | None
    keys_from_reference: int
    questions_with_wrong: int
    questions_with_wrong_and_foil: int
    min_wrong: int
    questions_min_wrong: int
    questions_min_wrong_with_item: int
    wrong_answers: int
    wrong_answers_covered: int
    forms: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)

    @property
    def foil_coverage(self) -> float | None:
        """Share of questions with wrong answers that get at least one foil."""
        return _share(self.questions_with_wrong_and_foil, self.questions_with_wrong)

    @property
    def item_coverage(self) -> float | None:
        """Share of questions with at least ``min_wrong`` wrong answers that get an item."""
        return _share(self.questions_min_wrong_with_item, self.questions_min_wrong)

    @property
    def answer_coverage(self) -> float | None:
        """Share of wrong answers behind some foil."""
        return _share(self.wrong_answers_covered, self.wrong_answers)

    def to_dict(self) -> dict[str, object]:
        """Every figure, the derived shares included (for ``--json``)."""
        out = asdict(self)
        out.update(
            foil_coverage=self.foil_coverage,
            item_coverage=self.item_coverage,
            answer_coverage=self.answer_coverage,
        )
        return out

    def rows(self) -> list[tuple[str, str]]:
        """(figure, value) pairs for a table."""

        def frac(num: int, den: int) -> str:
            return f"{num / den:.2f} ({num}/{den})" if den else "n/a (none)"

        def val(x: float | None) -> str:
            return "n/a" if x is None else f"{x:.2f}"

        return [
            ("items (sound by the labels)", f"{self.items} ({self.sound_items})"),
            (
                "questions with items",
                f"{self.questions_with_items} of {self.questions}",
            ),
            ("options per item", f"{self.options_per_item:.2f}"),
            ("foil precision", frac(self.foils_precise, self.foils_judged)),
            ("foil precision by chance", val(self.foil_chance)),
            ("foils flagged foil_unconfirmed", f"{self.unconfirmed_foils} of {self.foils}"),
            ("precision of the other foils", val(self.confirmed_foil_precision)),
            ("key precision", frac(self.keys_precise, self.keys_judged)),
            ("key precision by chance", val(self.key_chance)),
            ("keys from the reference (no student support)", str(self.keys_from_reference)),
            (
                "questions with wrong answers that get a foil",
                frac(self.questions_with_wrong_and_foil, self.questions_with_wrong),
            ),
            (
                f"questions with >= {self.min_wrong} wrong answers that get an item",
                frac(self.questions_min_wrong_with_item, self.questions_min_wrong),
            ),
            (
                "wrong answers behind some foil",
                frac(self.wrong_answers_covered, self.wrong_answers),
            ),
            (
                "items by form",
                ", ".join(f"{k} {v}" for k, v in sorted(self.forms.items())) or "none",
            ),
            ("flags", ", ".join(f"{k} {v}" for k, v in sorted(self.flags.items())) or "none"),
        ]


def _share(num: int, den: int) -> float | None:
    return num / den if den else None


def _precise(
    support: Iterable[str], labels: Mapping[str, str], wanted: frozenset[str]
) -> bool | None:
    judged = [labels[a] for a in support if a in labels]
    if not judged:
        return None
    return sum(lab in wanted for lab in judged) * 2 > len(judged)


def _precision(
    assertions: Iterable[Assertion], labels: Mapping[str, str], wanted: frozenset[str]
) -> tuple[int, int]:
    judged = precise = 0
    for a in assertions:
        verdict = _precise(a.support, labels, wanted)
        if verdict is not None:
            judged += 1
            precise += verdict
    return precise, judged


def _chance(
    assertions: list[Assertion],
    labels: Mapping[str, str],
    by_question: Mapping[str, list[str]],
    wanted: frozenset[str],
    n_shuffles: int,
    seed: int,
) -> float | None:
    if not assertions or n_shuffles <= 0:
        return None
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(n_shuffles):
        shuffled: dict[str, str] = {}
        for ids in by_question.values():
            labelled = [a for a in ids if a in labels]
            values = [labels[a] for a in labelled]
            for a, lab in zip(labelled, rng.permutation(values), strict=True):
                shuffled[a] = str(lab)
        precise, judged = _precision(assertions, shuffled, wanted)
        if judged:
            scores.append(precise / judged)
    return float(np.mean(scores)) if scores else None


def evaluate(
    bank: ItemBank,
    labels: Mapping[str, str],
    *,
    questions: Mapping[str, str] | None = None,
    min_wrong: int = 5,
    n_shuffles: int = 200,
    seed: int = 0,
) -> Evaluation:
    """Score ``bank`` against per-answer ``labels``.

    Parameters
    ----------
    bank : ItemBank
        Items and the assertions they use (with their supporting answer ids).
    labels : mapping
        Answer id to label (see :data:`LABELS`; synonyms are normalised).
    questions : mapping, optional
        Answer id to question id for every answer, to count wrong answers per question and
        shuffle labels within questions. Default: :func:`answer_questions` of the bank (the
        answers each question's generation read); answers found in neither are placed by
        the assertions that cite them.
    min_wrong : int
        The "questions with at least this many wrong answers" of the item coverage.
    n_shuffles : int
        Shuffles for the chance level.
    seed : int
        Seeds the shuffles.

    Returns
    -------
    Evaluation

    Example
    -------
    >>> from edutools.schema import Item, Option, Provenance
    >>> a = [Assertion(id="k", question_id="q", text="True.", truth="correct", support=["1"]),
    ...      Assertion(id="f", question_id="q", text="False.", truth="foil", support=["2", "3"])]
    >>> item = Item(id="i", source="x", concept_id="c", question_id="q", form="correct_key",
    ...             stem="Which?", options=[Option(text="True.", is_key=True, assertion_id="k"),
    ...                                     Option(text="False.", is_key=False, assertion_id="f")])
    >>> bank = ItemBank(course_id="c", items=[item], assertions=a, run=Provenance(engine="x"))
    >>> e = evaluate(bank, {"1": "correct", "2": "incorrect", "3": "partial"}, min_wrong=1)
    >>> e.foil_precision, e.key_precision  # "2" of "2","3" is wrong: half is not most
    (0.0, 1.0)
    """
    canon: dict[str, str] = {}
    for answer, raw in labels.items():
        label = normalize_label(raw)
        if label is None:
            raise DataError(f"answer {answer!r}: label {raw!r} is not one of {', '.join(LABELS)}")
        canon[answer] = label
    q_of = dict(answer_questions(bank) if questions is None else questions)
    for a in bank.assertions:
        for answer in a.support:
            q_of.setdefault(answer, a.question_id)
    by_question: dict[str, list[str]] = defaultdict(list)
    for answer, q in q_of.items():
        by_question[q].append(answer)

    items = [i for i in bank.items if i.status != "rejected"]
    by_id = {a.id: a for a in bank.assertions}
    used = {o.assertion_id for i in items for o in i.options if o.assertion_id in by_id}
    foils = [by_id[a] for a in sorted(used) if by_id[a].truth == "foil"]
    keys = [by_id[a] for a in sorted(used) if by_id[a].truth == "correct"]
    correct_set = frozenset({"correct"})
    foils_precise, foils_judged = _precision(foils, canon, WRONG)
    keys_precise, keys_judged = _precision(keys, canon, correct_set)
    unconfirmed = _unconfirmed(items, by_id)
    confirmed = [f for f in foils if f.id not in unconfirmed]
    c_precise, c_judged = _precision(confirmed, canon, WRONG)

    wrong_by_q = {q: [a for a in ids if canon.get(a) in WRONG] for q, ids in by_question.items()}
    foil_questions = {f.question_id for f in foils}
    item_questions = {i.question_id for i in items}
    covered = {a for f in foils for a in f.support if canon.get(a) in WRONG}

    def sound(item_options: list[str | None]) -> bool:
        for aid in item_options:
            a = by_id.get(aid) if aid else None
            if a is None:
                continue
            if a.truth == "foil" and not _precise(a.support, canon, WRONG):
                return False
            if a.truth == "correct" and a.support and not _precise(a.support, canon, correct_set):
                return False
        return True

    flags: Counter[str] = Counter(f.check for i in items for f in i.flags)
    return Evaluation(
        items=len(items),
        sound_items=sum(sound([o.assertion_id for o in i.options]) for i in items),
        questions=len({q for q in by_question} | item_questions),
        questions_with_items=len(item_questions),
        options_per_item=float(np.mean([i.k for i in items])) if items else 0.0,
        foils=len(foils),
        foils_judged=foils_judged,
        foils_precise=foils_precise,
        foil_precision=_share(foils_precise, foils_judged),
        foil_chance=_chance(foils, canon, by_question, WRONG, n_shuffles, seed),
        unconfirmed_foils=len(unconfirmed & {f.id for f in foils}),
        confirmed_foil_precision=_share(c_precise, c_judged),
        keys=len(keys),
        keys_judged=keys_judged,
        keys_precise=keys_precise,
        key_precision=_share(keys_precise, keys_judged),
        key_chance=_chance(keys, canon, by_question, correct_set, n_shuffles, seed + 1),
        keys_from_reference=sum(not k.support for k in keys),
        questions_with_wrong=sum(bool(w) for w in wrong_by_q.values()),
        questions_with_wrong_and_foil=sum(
            bool(w) and q in foil_questions for q, w in wrong_by_q.items()
        ),
        min_wrong=min_wrong,
        questions_min_wrong=sum(len(w) >= min_wrong for w in wrong_by_q.values()),
        questions_min_wrong_with_item=sum(
            len(w) >= min_wrong and q in item_questions for q, w in wrong_by_q.items()
        ),
        wrong_answers=sum(len(w) for w in wrong_by_q.values()),
        wrong_answers_covered=len(covered),
        forms=dict(Counter(i.form for i in items)),
        flags=dict(flags),
    )


def _unconfirmed(items: Sequence[Item], by_id: Mapping[str, Assertion]) -> set[str]:
    """Ids of the foils that a ``foil_unconfirmed`` flag names in some item."""
    out: set[str] = set()
    for item in items:
        for flag in item.flags:
            if flag.check != "foil_unconfirmed":
                continue
            for n, option in enumerate(item.options):
                a = by_id.get(option.assertion_id) if option.assertion_id else None
                if a is not None and a.truth == "foil" and (not flag.options or n in flag.options):
                    out.add(a.id)
    return out

"""Item-writing checks: flaws that cue the key or keep distractors from working.

Each check is a function ``(item, context) -> Flag | None``; :data:`CHECKS` lists them by
name. The rules follow common item-writing guidelines (Haladyna, Downing & Rodriguez 2002,
"A review of multiple-choice item-writing guidelines", Applied Measurement in Education
15(3)). Options are named by letter (A, B, ...) in messages, as a reviewer sees them.

Which options are *true* statements depends on the form: in ``correct_key`` and
``select_all`` items the keys are the true ones; in ``foil_key`` items the key is the one
false statement. When the bank's assertions are given, their ``truth`` is used instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from edutools.generate.options import OptionWriter, fragment_reason
from edutools.schema import Assertion, Course, Flag, Item, ItemBank, Question
from edutools.text import content_stems, is_negated, self_similarity, words, wordset

__all__ = ["CHECKS", "CheckContext", "check_bank", "check_item"]


@dataclass(frozen=True)
class CheckContext:
    """What a check may look at besides the item.

    ``question`` is the item's question, ``assertions`` the bank's assertions by id,
    ``grades`` the instructor's grade of each answer by id (None = ungraded), and
    ``writer`` the course's :class:`~edutools.generate.options.OptionWriter` (its
    vocabulary judges spelling). Checks that need what is missing do not run.
    """

    question: Question | None = None
    assertions: Mapping[str, Assertion] = field(default_factory=dict)
    grades: Mapping[str, float | None] = field(default_factory=dict)
    writer: OptionWriter | None = None


Check = Callable[[Item, CheckContext], Flag | None]


def _letter(i: int) -> str:
    return chr(ord("A") + i)


def _names(indices: list[int]) -> str:
    letters = [_letter(i) for i in indices]
    if len(letters) == 1:
        return f"option {letters[0]}"
    return "options " + ", ".join(letters[:-1]) + " and " + letters[-1]


def _true_options(item: Item, ctx: CheckContext) -> list[bool]:
    """Per option: does it state something true?"""
    out = []
    for o in item.options:
        a = ctx.assertions.get(o.assertion_id) if o.assertion_id else None
        if a is not None:
            out.append(a.truth == "correct")
        else:
            out.append(o.is_key if item.form != "foil_key" else not o.is_key)
    return out


# --------------------------------------------------------------------------- checks

_ALL_NONE = re.compile(
    r"\b(all|none|both|neither)\s+of\s+(the\s+)?(above|these|them|those)\b", re.IGNORECASE
)


def all_none_of_above(item: Item, ctx: CheckContext) -> Flag | None:
    """'All of the above' / 'none of the above' options (they reward partial knowledge)."""
    hits = [i for i, o in enumerate(item.options) if _ALL_NONE.search(o.text)]
    if not hits:
        return None
    found = _ALL_NONE.search(item.options[hits[0]].text)
    phrase = found.group(0).lower() if found else "all/none of the above"
    return Flag(
        check="all_none_of_above",
        message=f"{_names(hits)} says '{phrase}'; replace it with a statement that stands on its own",
        severity="error",
    )


def key_longest(
    item: Item, ctx: CheckContext, *, ratio: float = 1.25, min_extra: int = 10
) -> Flag | None:
    """The key is longer than every other option by a clear margin (length cues the key)."""
    keys = item.key_indices
    others = [i for i in range(item.k) if i not in keys]
    if not others:
        return None
    shortest_key = min(len(item.options[i].text) for i in keys)
    longest_other = max(len(item.options[i].text) for i in others)
    if shortest_key >= ratio * longest_other and shortest_key - longest_other >= min_extra:
        what = "the key" if len(keys) == 1 else "every key"
        return Flag(
            check="key_longest",
            message=(
                f"{what} ({_names(keys)}, {shortest_key} characters) is clearly longer than every "
                f"other option (longest {longest_other}); shorten it or lengthen the others"
            ),
        )
    return None


def near_duplicate_options(item: Item, ctx: CheckContext, *, threshold: float = 0.8) -> Flag | None:
    """Two options that say nearly the same, or the same with one negated (an opposite pair)."""
    texts = [o.text for o in item.options]
    S = self_similarity(texts)
    for i in range(item.k):
        for j in range(i + 1, item.k):
            if S[i, j] < threshold:
                continue
            if is_negated(texts[i]) != is_negated(texts[j]):
                return Flag(
                    check="near_duplicate_options",
                    message=(
                        f"options {_letter(i)} and {_letter(j)} differ only by a negation; "
                        "an opposite pair tells test-wise students one of them is the answer"
                    ),
                )
            return Flag(
                check="near_duplicate_options",
                message=(
                    f"options {_letter(i)} and {_letter(j)} say nearly the same "
                    f"(similarity {S[i, j]:.2f}); replace one"
                ),
            )
    return None


_NEGATIVE_WORDS = (
    "not",
    "except",
    "incorrect",
    "false",
    "untrue",
    "least",
    "never",
    "cannot",
    "wrong",
)
_NEGATIVE = re.compile(
    r"(?<![\w*_])(?<!at )(" + "|".join(_NEGATIVE_WORDS) + r"|\w+n[’']t)(?![\w*_])", re.IGNORECASE
)
_EMPHASIS = re.compile(r"(\*\*?|__?|<(b|strong|em|i|u)>)\s*$", re.IGNORECASE)


def negative_stem(item: Item, ctx: CheckContext) -> Flag | None:
    """A negative word in the stem (not, except, incorrect ...) that is not emphasised.

    Emphasis is capitals (NOT), or markup around the word (``**not**``, ``_not_``, ``<b>not</b>``).
    """
    for m in _NEGATIVE.finditer(item.stem):
        word = m.group(0)
        if word.isupper():
            continue
        if _EMPHASIS.search(item.stem[: m.start()]):
            continue
        return Flag(
            check="negative_stem",
            message=f"the stem's negative word '{word}' is not emphasised; write it as {word.upper()}",
        )
    return None


_ABSOLUTES = wordset(
    "always never all none only every everything nothing nobody entirely completely totally "
    "absolutely impossible must certainly solely invariably"
)


def _absolutes(text: str) -> list[str]:
    # "all of the above" has its own check
    return [w for w in words(_ALL_NONE.sub(" ", text)) if w in _ABSOLUTES]


def absolute_terms(item: Item, ctx: CheckContext) -> Flag | None:
    """Absolute terms (always, never, all, only ...) appear in false options and in no true one."""
    truth = _true_options(item, ctx)
    if all(truth) or not any(truth):
        return None
    in_false = [i for i, t in enumerate(truth) if not t and _absolutes(item.options[i].text)]
    in_true = [i for i, t in enumerate(truth) if t and _absolutes(item.options[i].text)]
    if in_false and not in_true:
        terms = sorted({w for i in in_false for w in _absolutes(item.options[i].text)})
        return Flag(
            check="absolute_terms",
            message=(
                f"only the false statement(s) ({_names(in_false)}) use absolute terms "
                f"({', '.join(terms)}); test-wise students rule them out"
            ),
        )
    return None


_LEAD_IN = frozenset(
    content_stems("which statement statements is are correct incorrect select all true false")
)


def key_repeats_stem(item: Item, ctx: CheckContext, *, margin: int = 2) -> Flag | None:
    """The key repeats content words of the stem that the other options do not (a clang cue)."""
    if len(item.key_indices) != 1:
        return None
    stem_words = set(content_stems(item.stem)) - _LEAD_IN
    if not stem_words:
        return None
    key = item.key_indices[0]
    overlap = [stem_words & set(content_stems(o.text)) for o in item.options]
    best_other = max(len(s) for i, s in enumerate(overlap) if i != key)
    if len(overlap[key]) >= margin and len(overlap[key]) >= best_other + margin:
        shared = ", ".join(f"'{w}'" for w in sorted(overlap[key]))
        return Flag(
            check="key_repeats_stem",
            message=(
                f"the key ({_names([key])}) repeats stem words {shared} far more than any other "
                f"option (at most {best_other})"
            ),
        )
    return None


# "an" before these is right although they start with a consonant letter, and "a" before
# these is right although they start with a vowel letter
_AN_CONSONANT = ("hour", "honest", "honor", "honour", "heir", "herb")
_A_VOWEL = ("uni", "use", "usu", "uti", "eu", "one", "once", "ur")
_PLURAL_CUES = ("are", "were", "these", "those", "several", "both", "many")
_SINGULAR_START = wordset("a an one this that it")
_PLURAL_START = wordset("these those both several many two three four")


def _needs_an(word: str) -> bool:
    w = word.lower()
    if w.startswith(_AN_CONSONANT):
        return True
    if w.startswith(_A_VOWEL):
        return False
    if re.fullmatch(r"[A-Z]{2,}", word):  # an acronym is read letter by letter: "an MRI"
        return word[0] in "AEFHILMNORSX"
    return w[:1] in ("a", "e", "i", "o", "u")


def grammatical_mismatch(item: Item, ctx: CheckContext) -> Flag | None:
    """Stem and options disagree grammatically: a/an before the option, or singular/plural."""
    tail = words(item.stem)[-1:] if item.stem.rstrip()[-1:] not in "?.!:" else []
    if not tail:
        return None
    last = tail[0]
    bad: list[int] = []
    rule = ""
    for i, o in enumerate(item.options):
        first = o.text.split()[0].strip("\"'(") if o.text.split() else ""
        if not first:
            continue
        if last in ("a", "an"):
            if _needs_an(first) != (last == "an"):
                bad.append(i)
                rule = f"the stem ends with '{last}'"
        elif last in _PLURAL_CUES and first.lower() in _SINGULAR_START:
            bad.append(i)
            rule = f"the stem ends with plural '{last}'"
        elif last in ("is", "was") and first.lower() in _PLURAL_START:
            bad.append(i)
            rule = f"the stem ends with singular '{last}'"
    if not bad:
        return None
    return Flag(
        check="grammatical_mismatch",
        message=f"{rule} but {_names(bad)} do(es) not follow it grammatically; the mismatch cues the answer",
    )


def too_few_functioning_options(item: Item, ctx: CheckContext) -> Flag | None:
    """Fewer than 3 options, or a foil distractor that no student holds in a student-sourced item."""
    if item.k < 3:
        return Flag(
            check="too_few_functioning_options",
            message=f"the item has only {item.k} options; at least 3 are needed for a working item",
        )
    if not ctx.assertions or item.form == "foil_key":
        return None
    linked = [ctx.assertions.get(o.assertion_id) if o.assertion_id else None for o in item.options]
    if not any(a is not None and a.support for a in linked):
        return (
            None  # not built from student answers (e.g. the baseline engine): support says nothing
        )
    idle = [
        i
        for i, (o, a) in enumerate(zip(item.options, linked, strict=True))
        if not o.is_key and a is not None and a.truth == "foil" and not a.support
    ]
    if not idle:
        return None
    return Flag(
        check="too_few_functioning_options",
        message=f"{_names(idle)} state(s) a misconception no student holds; it may not attract anyone",
        severity="info",
    )


_GENERIC = frozenset(
    content_stems(
        "why how what which explain explanation reasoning reason reasons answer describe "
        "justify think happens happened happen your you give state show mean means discuss "
        "tell say said sentence sentences words briefly short detail example examples "
        "question questions one two three following above below case situation"
    )
)
_DEICTIC = frozenset(["it", "this", "that", "they", "them", "he", "she", "there"])


def stem_without_context(item: Item, ctx: CheckContext) -> Flag | None:
    """The question gives no context of its own ("Why?", "Explain your reasoning.").

    Such a stem leaned on something the students saw (a diagram, an earlier question): in a
    quiz it cannot be answered. Fewer than two content words beyond the generic ones
    ("why", "explain", "answer" ...) count as no context, and so does one content word
    next to a pronoun that points outside the question ("Why does it stay on?").
    """
    text = ctx.question.text if ctx.question is not None else item.stem
    content = [s for s in content_stems(text) if s not in _GENERIC]
    deictic = [w for w in words(text) if w in _DEICTIC]
    if len(content) >= 2 or (len(content) == 1 and not deictic):
        return None
    what = f"refers to '{deictic[0]}' without saying what it is" if deictic else "names nothing"
    return Flag(
        check="stem_without_context",
        message=(
            f"the question '{text.strip()[:80]}' {what}; add the situation or the topic it "
            "is about so the item stands on its own"
        ),
        severity="error",
    )


def option_fragment(item: Item, ctx: CheckContext) -> Flag | None:
    """An option built from an assertion that is not a self-contained declarative sentence.

    Options not linked to an assertion (a human-written item's "Whale", "Shark") are not
    sentences by design and are not checked.
    """
    bad = [(i, fragment_reason(o.text)) for i, o in enumerate(item.options) if o.assertion_id]
    bad = [(i, why) for i, why in bad if why]
    if not bad:
        return None
    first = bad[0][1]
    verb = "is not a full sentence" if len(bad) == 1 else "are not full sentences"
    return Flag(
        check="option_fragment",
        message=f"{_names([i for i, _ in bad])} {verb} ({first}); rewrite it",
        options=[i for i, _ in bad],
    )


def option_spelling(item: Item, ctx: CheckContext) -> Flag | None:
    """Words in options that are neither English words nor the course's own terms."""
    if ctx.writer is None:
        return None
    found = [(i, ctx.writer.misspelled(o.text)) for i, o in enumerate(item.options)]
    found = [(i, w) for i, w in found if w]
    if not found:
        return None
    shown = ", ".join(f"'{w}'" for _, ws in found for w in ws[:3])
    return Flag(
        check="option_spelling",
        message=f"{_names([i for i, _ in found])}: unknown word(s) {shown}; check the spelling",
        options=[i for i, _ in found],
    )


def foil_unconfirmed(item: Item, ctx: CheckContext) -> Flag | None:
    """A wrong statement that neither a grade nor the instructor confirmed as wrong.

    Only the engine judged it (text similarity, or an LLM): it may be a true statement.
    """
    idle = []
    for i, o in enumerate(item.options):
        a = ctx.assertions.get(o.assertion_id) if o.assertion_id else None
        if a is not None and a.truth == "foil" and a.basis == "engine":
            idle.append(i)
    if not idle:
        return None
    return Flag(
        check="foil_unconfirmed",
        message=(
            f"{_names(idle)}: no graded answer and no label confirms that this statement is "
            "wrong; check it, or label its claim"
        ),
        options=idle,
    )


def true_distractor(item: Item, ctx: CheckContext) -> Flag | None:
    """A statement used as wrong whose supporting answers are mostly graded correct."""
    if not ctx.grades:
        return None
    bad = []
    for i, o in enumerate(item.options):
        a = ctx.assertions.get(o.assertion_id) if o.assertion_id else None
        if a is None or a.truth != "foil":
            continue
        graded = [g for g in (ctx.grades.get(s) for s in a.support) if g is not None]
        if graded and sum(g >= 0.8 for g in graded) * 2 > len(graded):
            bad.append(i)
    if not bad:
        return None
    role = "the key" if item.form == "foil_key" else "a distractor"
    return Flag(
        check="true_distractor",
        message=(
            f"{_names(bad)} is used as {role} that is wrong, but most graded answers that state "
            "it were graded correct; it is probably true"
        ),
        severity="error",
        options=bad,
    )


CHECKS: dict[str, Check] = {
    "all_none_of_above": all_none_of_above,
    "key_longest": key_longest,
    "near_duplicate_options": near_duplicate_options,
    "negative_stem": negative_stem,
    "absolute_terms": absolute_terms,
    "key_repeats_stem": key_repeats_stem,
    "grammatical_mismatch": grammatical_mismatch,
    "too_few_functioning_options": too_few_functioning_options,
    "stem_without_context": stem_without_context,
    "option_fragment": option_fragment,
    "option_spelling": option_spelling,
    "foil_unconfirmed": foil_unconfirmed,
    "true_distractor": true_distractor,
}


def check_item(
    item: Item,
    *,
    question: Question | None = None,
    assertions: Mapping[str, Assertion] | None = None,
    grades: Mapping[str, float | None] | None = None,
    writer: OptionWriter | None = None,
) -> list[Flag]:
    """Run every check on one item.

    Parameters
    ----------
    item : Item
        The item to check.
    question : Question, optional
        Its question (for context; the stem is checked as written).
    assertions : mapping of id to Assertion, optional
        The bank's assertions; enables the truth- and support-based checks.
    grades : mapping of answer id to grade, optional
        Enables ``true_distractor``.
    writer : OptionWriter, optional
        The course's option writer; enables ``option_spelling``.

    Returns
    -------
    list of Flag
        One flag per failed check, in :data:`CHECKS` order.

    Example
    -------
    >>> from edutools.schema import Option
    >>> item = Item(id="i", source="x", concept_id="c", form="correct_key",
    ...             stem="Which of these is not a mammal?",
    ...             options=[Option(text=t, is_key=t == "Shark", assertion_id=None)
    ...                      for t in ["Whale", "Shark", "Bat", "All of the above"]])
    >>> [f.check for f in check_item(item)]
    ['all_none_of_above', 'negative_stem']
    """
    ctx = CheckContext(
        question=question,
        assertions=dict(assertions or {}),
        grades=dict(grades or {}),
        writer=writer,
    )
    flags = []
    for check in CHECKS.values():
        flag = check(item, ctx)
        if flag is not None:
            flags.append(flag)
    return flags


def check_bank(bank: ItemBank, course: Course | None = None) -> ItemBank:
    """A copy of ``bank`` whose items carry the flags of every check.

    Flags from other sources (e.g. an LLM self-check) are kept; flags of these checks are
    recomputed, so running it twice gives the same result.

    Parameters
    ----------
    bank : ItemBank
        The bank to check.
    course : Course, optional
        The course, to give checks each item's question, the grades and the vocabulary.

    Returns
    -------
    ItemBank

    Example
    -------
    >>> from edutools.schema import Provenance
    >>> check_bank(ItemBank(course_id="c", run=Provenance(engine="local"))).items
    []
    """
    assertions = {a.id: a for a in bank.assertions}
    questions = {q.id: q for q in course.questions} if course is not None else {}
    grades = {a.id: a.grade for a in course.answers} if course is not None else {}
    writer = OptionWriter(course) if course is not None else None
    items = []
    for item in bank.items:
        kept = [f for f in item.flags if f.check not in CHECKS]
        question = questions.get(item.question_id) if item.question_id else None
        new = check_item(
            item, question=question, assertions=assertions, grades=grades, writer=writer
        )
        items.append(item.model_copy(update={"flags": kept + new}))
    return bank.model_copy(update={"items": items})

"""Offline style transfer: deterministic, documented rewrites per style dimension, no LLM.

The study-side twin of the local item engine. Each base response is split into sentences and
rewritten to a target style vector by transforms that compose, one per dimension:

``verbosity``
    sentence selection: the first sentence (very brief), the first half, the whole response,
    and then the base item's ``details`` (explanations and examples written with the study),
    half of them and then all. Without ``details`` the two highest levels add a closing
    summary and an opening that frames the answer. Sentences added by the other transforms
    (openers, closers, caveats) are left out of the briefest versions.
``certainty``
    hedges and boosters: below the middle a hedge opens every sentence (every other one a level
    nearer the middle) and a caveat closes the answer; above it the base response's own hedges
    (usually, roughly, mostly, may, often, about) are removed and boosters open the sentences.
``authoritativeness``
    attribution and the mood of the advice: below the middle the answer speaks as a peer
    ("In my experience, ...", "one option is to ...", "it is up to you"), above it as an expert
    ("Experts agree that ...", "it is advisable to ...", "it is essential to ...", "Follow this
    guidance."). Advice given in the imperative changes its mood; statements gain a frame.
``articulateness``
    connectives and structure: below the middle casual openers (So, Well), contractions, plain
    words and two sentences run together; a level nearer the middle splits long sentences; above
    the middle transitions (Moreover, In addition) join the sentences and plain words give way to
    precise ones (roughly -> approximately, simple -> straightforward).
``formatting``
    list versus prose: above the middle the sentences after the first become a bulleted list
    (with a bold lead-in at the top level).

A level is placed by its rank among the dimension's levels: the middle level is the base
response's own style, and the extremes are two steps away (with three levels, the outer two are
the extremes). Certainty and authority meet in one frame per sentence ("Experts seem to agree
that ..." rather than a hedge stacked on an attribution), so every combination reads as one
voice. The words each transform adds avoid the lexicons that measure the other dimensions
(``edutools.survey.styles``), so that a change on one dimension leaves the others' measures
where they were.

Example
-------
>>> from edutools.survey.config import load_study  # doctest: +SKIP
>>> study = load_study("studies/style_preference/study.yaml")  # doctest: +SKIP
>>> local_rewrite(study, "water", {"certainty": 1, "verbosity": 1})  # doctest: +SKIP
'Perhaps most healthy adults do well with about 2 to 3 litres of fluid a day, ...'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import pandas as pd

from edutools.errors import StudyError
from edutools.survey.config import BaseItem, StudyDefinition, StyleDimension
from edutools.survey.styles import split_sentences, strip_markdown

__all__ = ["ENGINE_VERSION", "TRANSFORMS", "local_rewrite", "rewrite_responses_local"]

T = TypeVar("T")

ENGINE_VERSION = "local-1"
TRANSFORMS = ("authoritativeness", "certainty", "articulateness", "verbosity", "formatting")

# --------------------------------------------------------------------------- sentences

# Words that open advice in the imperative (checked on the main clause's first word).
_IMPERATIVE = frozenset(
    [
        "add",
        "aim",
        "ask",
        "avoid",
        "bake",
        "be",
        "begin",
        "build",
        "buy",
        "check",
        "choose",
        "compare",
        "consider",
        "cut",
        "do",
        "drink",
        "eat",
        "feed",
        "find",
        "focus",
        "follow",
        "get",
        "give",
        "go",
        "install",
        "keep",
        "learn",
        "let",
        "limit",
        "look",
        "make",
        "pay",
        "pick",
        "plan",
        "practise",
        "practice",
        "put",
        "read",
        "reduce",
        "remember",
        "save",
        "search",
        "see",
        "set",
        "start",
        "stay",
        "stop",
        "store",
        "take",
        "talk",
        "think",
        "try",
        "turn",
        "use",
        "wait",
        "wash",
        "work",
        "write",
    ]
)
# Openings of a fronted clause or adverb after which the main clause begins.
_FRONTED = re.compile(
    r"^(?P<front>(?:(?:if|when|whenever|as soon as|as|before|after|once|although|while|since|"
    r"because|until|unless)\b[^,;:]{1,120},|then|first|next|finally|also)\s+)(?P<main>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_OPENER = re.compile(
    r"^(?P<open>(?:yes|no|in fact|in short|for example|for instance),\s+|(?:but|and|so)\s+)"
    r"(?P<main>.+)$",
    re.IGNORECASE,
)


def _lower_first(text: str, keep: frozenset[str]) -> str:
    """``text`` with its first letter lower-cased unless the first word is a name."""
    word = re.match(r"[A-Za-z'’-]+", text)
    if word is None:
        return text
    w = word.group()
    if w in keep or w == "I" or (len(w) > 1 and w.isupper()) or w[1:].lower() != w[1:]:
        return text
    return text[0].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _names(texts: Sequence[str]) -> frozenset[str]:
    """Capitalised words that also appear capitalised inside a sentence: names to keep."""
    names = set()
    for text in texts:
        for m in re.finditer(r"(?<=[a-z,;:] )([A-Z][A-Za-z'’-]*)", text):
            names.add(m.group(1))
    return frozenset(names)


@dataclass
class _Sentence:
    """A sentence of the answer, split into the parts the transforms change."""

    opener: str  # "Yes, " and the like, kept in front
    front: str  # a fronted clause or adverb ("If it is hot, ", "Then ")
    main: str  # the main clause, starting with its first word as written
    end: str  # the final punctuation
    imperative: bool
    added: bool = False  # written by a transform (caveats, openers), not from the response
    fixed: bool = False  # takes no frame ("Say your loans ..." before "Then ...")
    prefix: str = ""  # transition or casual opener, set last
    frame: str = ""  # authority / certainty frame before the main clause

    @classmethod
    def parse(cls, text: str) -> _Sentence:
        body = text.strip()
        end = body[-1] if body[-1:] in ".!?" else "."
        body = body[:-1] if body[-1:] in ".!?" else body
        opener = ""
        if m := _OPENER.match(body):
            opener, body = m.group("open"), m.group("main")
        front = ""
        if m := _FRONTED.match(body):
            front, body = m.group("front"), m.group("main")
        first = re.match(r"[A-Za-z]+", body)
        imperative = first is not None and first.group().lower() in _IMPERATIVE
        return cls(opener, front, body, end, imperative)

    def render(self, names: frozenset[str]) -> str:
        head = self.opener + self.front
        main = self.main
        if self.frame:
            main = self.frame + " " + _lower_first(main, names)
        text = head + (_lower_first(main, names) if head else main)
        if self.prefix:
            text = self.prefix + " " + _lower_first(text, names)
        return _upper_first(text) + self.end


def _added(text: str) -> _Sentence:
    s = _Sentence.parse(text)
    s.added = True
    return s


# --------------------------------------------------------------------------- levels


def _step(dimension: StyleDimension, value: float) -> int:
    """The level's distance from the middle in steps of -2..2 (the middle is the base style)."""
    values = dimension.level_values
    rank = min(range(len(values)), key=lambda i: (abs(values[i] - value), i))
    position = rank / (len(values) - 1)
    return round((position - 0.5) * 4)


def _rotate(options: Sequence[T], k: int) -> T:
    return options[k % len(options)]


# --------------------------------------------------------------------------- verbosity


def _select(item: BaseItem, sentences: list[str], step: int) -> tuple[list[str], list[str]]:
    """Sentences kept from the response and details added, for a verbosity step."""
    n = len(sentences)
    if step <= -2:
        # the core answer: one sentence, or two when they are short together
        keep = 2 if n > 1 and len(" ".join(sentences[:2]).split()) <= 60 else 1
        return sentences[:keep], []
    if step == -1:
        return sentences[: max(1, math.ceil(n / 2))], []
    if step == 0:
        return sentences, []
    details = [d.strip() for d in item.details]
    if not details:
        return sentences, []
    return sentences, details[: math.ceil(len(details) / 2)] if step == 1 else details


def _fallback_extra(step: int, first: str, names: frozenset[str]) -> tuple[list[str], list[str]]:
    """Opening and closing sentences for high verbosity when the item has no details."""
    if step < 1:
        return [], []
    core = _lower_first(first.rstrip(".!?"), names)
    closing = [f"In short, {core}."]
    opening = ["There are a few parts to the answer."] if step >= 2 else []
    return opening, closing


# --------------------------------------------------------------------------- certainty


_HEDGE_PREFIX = ("Perhaps", "It seems that", "Possibly,", "It is likely that")
_BOOST_PREFIX = ("Clearly,", "In fact,", "Certainly,", "Without doubt,")
# After a transition ("Moreover, ...") an adverb would stack; these clauses do not.
_HEDGE_CLAUSE = ("it may be that", "it is likely that", "it seems that")
_BOOST_CLAUSE = ("there is no doubt that", "it is certain that", "it is clear that")
# The base response's own hedges, removed above the middle (step 1: the first set; 2: all).
_SOFT_HEDGES = [
    (r"\busually ", ""),
    (r"\broughly ", ""),
    (r"\bmostly ", ""),
    (r"\breasonably ", ""),
]
_ALL_HEDGES = [
    *_SOFT_HEDGES,
    (
        r"\b(?:about|around|approximately) (?=\d|half\b|the same\b|twenty\b|ten\b|a (?:third|fifth|quarter)\b)",
        "",
    ),
    (r"\bmay need to\b", "need to"),
    (r"\bmay\b", "will"),
    (r"\bmight\b", "will"),
    (r"\boften ", ""),
    (r"\bprobably ", ""),
    (r"\bgenerally ", ""),
]


def _unhedge(text: str, step: int) -> str:
    for pattern, repl in _ALL_HEDGES if step >= 2 else _SOFT_HEDGES:
        text = re.sub(pattern, repl, text)
    return text


# --------------------------------------------------------------------------- authority


@dataclass(frozen=True)
class _Mood:
    """How advice is given at an authority step: plain, hedged and boosted forms."""

    plain: str
    hedged: str
    boosted: str


_MOODS: dict[int, tuple[_Mood, ...]] = {
    -2: (
        _Mood("one option is to {vp}", "one option is perhaps to {vp}", "one option is certainly to {vp}"),
        _Mood("something that works for me is to {vp}", "something that seems to work for me is to {vp}", "something that clearly works for me is to {vp}"),
    ),
    -1: (
        _Mood("it can help to {vp}", "it may help to {vp}", "it certainly helps to {vp}"),
        _Mood("a good idea is to {vp}", "a good idea is perhaps to {vp}", "a good idea is certainly to {vp}"),
    ),
    0: (_Mood("{vp}", "perhaps {vp}", "definitely {vp}"),),
    1: (
        _Mood("it is advisable to {vp}", "it is probably advisable to {vp}", "it is clearly advisable to {vp}"),
        _Mood("the recommended approach is to {vp}", "the recommended approach is probably to {vp}", "the recommended approach is clearly to {vp}"),
    ),
    2: (
        _Mood("it is essential to {vp}", "it is probably essential to {vp}", "it is clearly essential to {vp}"),
        _Mood("you need to {vp}", "you probably need to {vp}", "you certainly need to {vp}"),
    ),
}  # fmt: skip

# Frames for statements: (plain, hedged, boosted). "that" frames embed the statement.
_FRAMES: dict[int, tuple[tuple[str, str, str], ...]] = {
    -2: (
        ("In my experience,", "In my experience, it seems that", "In my experience, it is clear that"),
        ("For me,", "For me, it is likely that", "For me, there is no doubt that"),
    ),
    -1: (("From what I have read,", "From what I have read, it seems that", "From what I have read, it is clear that"),),
    1: (
        ("According to research,", "According to research, it seems that", "According to research, it is clear that"),
        ("Professional guidelines state that", "Professional guidelines suggest that", "Professional guidelines clearly state that"),
    ),
    2: (
        ("Experts agree that", "Experts seem to agree that", "Experts clearly agree that"),
        ("Expert consensus holds that", "Expert consensus tends to hold that", "Expert consensus clearly holds that"),
    ),
}  # fmt: skip
_AUTHORITY_OPEN = {
    -2: "I am no expert, so this is only my own take.",
    2: "Expert guidance on this question is consistent.",
}
_AUTHORITY_CLOSE = {
    -2: "In the end, it is up to you to decide.",
    -1: "You can decide what suits you best.",
    2: "Follow this guidance.",
}
_CERTAINTY_TAIL = {
    -2: ", although this may not hold for everyone",
    2: ", and that much is certain",
}
_CERTAINTY_CLOSE = {
    -2: "That said, this may not hold for everyone, and there are exceptions.",
    -1: "Not everyone agrees on all of this.",
    2: "There is no doubt about this.",
}


# --------------------------------------------------------------------------- articulateness

_ADVERB_FRONTS = frozenset({"then", "first", "next", "finally", "also"})
_TRANSITIONS = (
    "In addition,", "Moreover,", "Furthermore,", "Beyond this,", "Additionally,", "What is more,"
)  # fmt: skip
_CASUAL = ("So,", "Well,", "Oh, and", "Also,")
# A pronoun and its verb contract only when a word follows ("you're ill", never "how active
# you're and ...").
_THEN_WORD = r"(?=\s+(?!and\b|or\b|but\b|so\b)[a-z])"
_CONTRACTIONS = [
    (r"\bdo not\b", "don't"),
    (r"\bdoes not\b", "doesn't"),
    (r"\bdid not\b", "didn't"),
    (r"\bis not\b", "isn't"),
    (r"\bare not\b", "aren't"),
    (r"\bcannot\b", "can't"),
    (r"\bit is" + _THEN_WORD, "it's"),
    (r"\bIt is" + _THEN_WORD, "It's"),
    (r"\byou are" + _THEN_WORD, "you're"),
    (r"\bthat is" + _THEN_WORD, "that's"),
    (r"\bthey are" + _THEN_WORD, "they're"),
    (r"\bI am\b", "I'm"),
]
_PLAIN = [
    (r"\bapproximately\b", "about"),
    (r"\bsufficient\b", "enough"),
    (r"\bhowever\b", "but"),
    (r"\btherefore\b", "so"),
    (r"\badditionally\b", "also"),
    (r"\bReputable\b", "Good"),
    (r"\breputable\b", "good"),
    (r"\brecognise\b", "spot"),
    (r"\bdiversified\b", "spread-out"),
    (r"\bconditions\b(?= such as)", "problems"),
    (r"\bconsiderably\b", "a lot"),
]
# Everyday wording (both plain levels): short words for bookish ones, and negations contracted.
_EVERYDAY = [
    (r"\bsuch as\b", "like"),
    (r"\brather than\b", "instead of"),
    (r"\brelative to\b", "compared with"),
    (r"\bin order to\b", "to"),
    (r"\bdo not\b", "don't"),
    (r"\bdoes not\b", "doesn't"),
    (r"\bdid not\b", "didn't"),
    (r"\bis not\b", "isn't"),
    (r"\bare not\b", "aren't"),
    (r"\bcannot\b", "can't"),
]
_POLISHED = [
    (r"\broughly\b", "approximately"),
    (r"\babout (?=\d)", "approximately "),
    (r"\bA simple\b", "A straightforward"),
    (r"\ba simple\b", "a straightforward"),
    (r"\bThe main\b", "The principal"),
    (r"\bmuch faster\b", "considerably faster"),
    (r"\bpick a\b", "select a"),
    (r"\ba lot of\b", "a great deal of"),
    (r"\bbig\b", "substantial"),
    (r"\bget sick\b", "fall ill"),
    (r"\bget stuck\b", "encounter difficulties"),
]


def _substitute(text: str, table: Sequence[tuple[str, str]]) -> str:
    for pattern, repl in table:
        text = re.sub(pattern, repl, text)
    return text


def _split_long(s: _Sentence) -> list[_Sentence]:
    """Short sentences: a long one split between two full clauses (at '; ', ', and', ', but',
    ', because', ', which', ...), or a fronted condition made a sentence of its own
    ("Say your loans charge more than 7 percent. Then paying them down ...")."""
    if s.front.lower().startswith("if ") and not s.opener:
        condition = "Say " + s.front[3:].rstrip().rstrip(",") + "."
        first = _Sentence("", "", condition[:-1], ".", False, s.added, fixed=True)
        rest = _Sentence("", "Then ", s.main, s.end, s.imperative, s.added)
        return [first, rest]
    text = s.main
    m = re.search(
        r"(?:; |, (?:and|but|so) )(?=(?:the|a|an|it|they|you|your|this|these|both|food|drinks|"
        r"days|earth|keep|turn|make)\b)|, (?:because|since|although|which) ",
        text,
        re.IGNORECASE,
    )
    if m is None or s.front or s.opener:
        return [s]
    left, right = text[: m.start()], text[m.end() :]
    if len(left.split()) < 6 or len(right.split()) < 5:
        return [s]
    joiner = m.group().strip(" ,;").lower()
    # Short sentences of everyday speech open with the conjunction ("But the right amount ...").
    opening = {"and": "And ", "but": "But ", "although": "But ", "because": "This is because ",
               "since": "This is because ", "which": "This "}.get(joiner, "")  # fmt: skip
    right = opening + right if opening else _upper_first(right)
    first = _Sentence(s.opener, s.front, left, ".", s.imperative, s.added)
    second = _Sentence.parse(right + s.end)
    second.added = s.added
    return [first, second]


# --------------------------------------------------------------------------- the rewrite


@dataclass
class _Plan:
    steps: dict[str, int] = field(default_factory=dict)

    def get(self, name: str) -> int:
        return self.steps.get(name, 0)


def _steps(study: StudyDefinition, target: Mapping[str, float]) -> _Plan:
    plan = _Plan()
    for name, value in target.items():
        dim = study.dimension(name)
        if name not in TRANSFORMS:
            raise StudyError(
                f"the local style-transfer engine has no transform for dimension '{name}'; "
                f"it knows {', '.join(TRANSFORMS)} (use the LLM engine for other dimensions)"
            )
        if not dim.low <= float(value) <= dim.high:
            raise StudyError(f"target {name}={value} lies outside [{dim.low}, {dim.high}]")
        plan.steps[name] = _step(dim, float(value))
    return plan


def _certainty_pick(step: int, k: int) -> int:
    """-1, 0 or 1: hedge, leave or boost sentence ``k`` (every sentence at the extremes)."""
    if step == 0:
        return 0
    if abs(step) == 1 and k % 2 == 1:
        return 0
    return -1 if step < 0 else 1


def local_rewrite(study: StudyDefinition, base_item: str, target: Mapping[str, float]) -> str:
    """The base response of ``base_item`` rewritten to ``target`` (dimension -> level value).

    Dimensions missing from ``target`` stay at the base response's style. Deterministic: the
    same study, item and target always give the same text.

    Raises
    ------
    StudyError
        For a dimension the engine has no transform for, or a value outside the range.
    """
    item = study.base_item(base_item)
    plan = _steps(study, target)
    verbosity = plan.get("verbosity")
    certainty = plan.get("certainty")
    authority = plan.get("authoritativeness")
    articulate = plan.get("articulateness")
    formatting = plan.get("formatting")

    base = split_sentences(strip_markdown(item.response))
    names = _names([item.response, *item.details])
    kept, details = _select(item, base, verbosity)
    opening, closing = ([], []) if item.details else _fallback_extra(verbosity, base[0], names)
    sentences = [_added(t) for t in opening]
    sentences += [_Sentence.parse(t) for t in [*kept, *details]]
    sentences += [_added(t) for t in closing]

    # Extra sentences of the voice: none in the briefest versions, one at the next level.
    room = {-2: 0, -1: 1}.get(verbosity, 3)
    extra_open: list[str] = []
    extra_close: list[str] = []
    if authority in _AUTHORITY_OPEN and room >= 2:
        extra_open.append(_AUTHORITY_OPEN[authority])
    # the caveat or assurance about the content first, then who decides; in the briefest
    # answers the strongest ones shrink to a clause at the end
    tail = _CERTAINTY_TAIL.get(certainty, "") if room == 0 else ""
    if certainty in _CERTAINTY_CLOSE and room >= 1:
        extra_close.append(_CERTAINTY_CLOSE[certainty])
    if authority in _AUTHORITY_CLOSE and room - len(extra_close) >= 1:
        extra_close.append(_AUTHORITY_CLOSE[authority])

    if articulate == -1:
        # short sentences: split long ones before the voice is applied, so each part gets it
        sentences = [piece for s in sentences for piece in _split_long(s)]

    # Which of the response's sentences open with a connective (decided first, so that a
    # certainty marker after one is a clause, not a second adverb).
    own = [k for k, s in enumerate(sentences) if not s.added]
    used_transitions = 0
    for n, k in enumerate(own):
        s = sentences[k]
        adverb = s.front.strip().lower()
        if adverb in _ADVERB_FRONTS:
            if articulate >= 1 and adverb in ("then", "next"):
                s.front = "Subsequently, "  # the plain sequence adverb, polished
            continue
        if s.opener.strip().lower().startswith(("for example", "for instance")):
            continue  # already linked to what came before
        if articulate >= 1 and n > 0 and (n % 2 == 1 or (articulate == 2 and n % 4 != 0)):
            s.prefix = _rotate(_TRANSITIONS, used_transitions)
            used_transitions += 1
        elif articulate == 2 and n == 0 and verbosity <= -2:
            s.prefix = "In essence,"  # a one- or two-sentence answer, polished, opens as a summary
        elif articulate == -2 and n % 3 == 0:
            s.prefix = _rotate(_CASUAL, n // 3)

    # certainty and authority: one frame per sentence; each kind of marker rotates through
    # its options in order, so no phrase repeats before the others have been used
    used = {"statement": 0, "frame": 0, "mood": 0, "marker": 0}
    for k, s in enumerate(sentences):
        if s.added or s.fixed:
            continue
        if certainty > 0:
            s.main = _unhedge(s.main, certainty)
            s.front = _unhedge(s.front, certainty)
        pick = _certainty_pick(certainty, k)
        variant = {0: 0, -1: 1, 1: 2}[pick]
        if s.imperative:
            mood = _rotate(_MOODS[authority], used["mood"])
            used["mood"] += 1
            form = (mood.plain, mood.hedged, mood.boosted)[variant]
            s.main = form.format(vp=_lower_first(s.main, names))
            continue
        n = used["statement"]
        used["statement"] += 1
        framed = authority != 0 and (n == 0 or (abs(authority) == 2 and n % 2 == 0))
        if framed and authority in _FRAMES:
            s.frame = _rotate(_FRAMES[authority], used["frame"])[variant]
            used["frame"] += 1
        elif pick:
            options: Sequence[str]
            if s.prefix or s.front or s.opener:
                options = _HEDGE_CLAUSE if pick < 0 else _BOOST_CLAUSE
            else:
                options = _HEDGE_PREFIX if pick < 0 else _BOOST_PREFIX
            fresh = [o for o in options if o.rstrip(",").lower() not in s.main.lower()]
            s.frame = _rotate(fresh or options, used["marker"])
            used["marker"] += 1

    sentences = [_added(t) for t in extra_open] + sentences + [_added(t) for t in extra_close]
    if tail:
        last = sentences[-1]
        last.main = last.main.rstrip() + tail

    # articulateness: the words of every sentence
    for s in sentences:
        if articulate < 0:
            s.main = _substitute(s.main, [*_PLAIN, *_EVERYDAY])
            s.front = _substitute(s.front, _EVERYDAY)
        elif articulate > 0:
            s.main = _substitute(s.main, _POLISHED)
            s.front = _substitute(s.front, _POLISHED)
    texts = [s.render(names) for s in sentences]
    if articulate == 2:
        texts = _semicolons(texts, [bool(s.prefix) for s in sentences], names)
    if articulate == -2:
        texts = [_substitute(t, _CONTRACTIONS) for t in texts]
        response = [not s.added for s in sentences]
        plain = [not s.added and not s.prefix for s in sentences]
        texts = _run_on(texts, response, plain, names)

    if formatting > 0 and len(texts) > 2:
        lead = "**In short:** " if formatting >= 2 else ""
        return lead + texts[0] + "\n\n" + "\n".join(f"- {t}" for t in texts[1:])
    return " ".join(texts)


def _semicolons(texts: list[str], linked: list[bool], names: frozenset[str]) -> list[str]:
    """Flowing prose: a sentence and the next, when that one opens with a transition and the two
    are short together, become one sentence joined by a semicolon."""
    out: list[str] = []
    k = 0
    while k < len(texts):
        if (
            k + 1 < len(texts)
            and linked[k + 1]
            and len((texts[k] + texts[k + 1]).split()) <= 60
            and texts[k].endswith(".")
            and ";" not in texts[k] + texts[k + 1]
        ):
            out.append(texts[k][:-1] + "; " + _lower_first(texts[k + 1], names))
            k += 2
        else:
            out.append(texts[k])
            k += 1
    return out


def _run_on(
    texts: list[str], own: list[bool], plain: list[bool], names: frozenset[str]
) -> list[str]:
    """Sentences run together with 'and' (loose, casual wording): a sentence of the response
    and the next one when that one opens plainly, with two sentences at least between joins."""
    out: list[str] = []
    k = 0
    last = -4
    while k < len(texts):
        if k + 1 < len(texts) and k - last >= 3 and own[k] and plain[k + 1]:
            joined = texts[k].rstrip(".!?") + ", and " + _lower_first(texts[k + 1], names)
            out.append(joined)
            last = k
            k += 2
        else:
            out.append(texts[k])
            k += 1
    return out


def rewrite_responses_local(study: StudyDefinition, targets: pd.DataFrame) -> pd.DataFrame:
    """Rewrite every target with the local engine; the table :func:`rewrite_responses` returns.

    Parameters
    ----------
    study
        Gives the base items and the dimensions' levels.
    targets
        From :func:`edutools.survey.transfer.style_targets`: ``base_item`` and one column per
        dimension.

    Returns
    -------
    pandas.DataFrame
        The targets with ``text``, ``status`` (``ok``), ``error`` (empty) and ``model``
        (``local-1``, the engine's version).
    """
    names = [c for c in targets.columns if c != "base_item"]
    texts = [
        local_rewrite(study, str(row["base_item"]), {n: float(row[n]) for n in names})
        for row in targets.to_dict("records")
    ]
    frame = targets.copy()
    frame["text"] = texts
    frame["status"] = "ok"
    frame["error"] = ""
    frame["model"] = ENGINE_VERSION
    return frame


Rewriter = Callable[[StudyDefinition, pd.DataFrame], pd.DataFrame]

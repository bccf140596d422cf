"""Make option text an instructor would accept: one self-contained, correctly spelled sentence.

:class:`OptionWriter` is built once per course. It learns the course's own vocabulary (the
words of its questions, reference answers and concepts, and words that at least
``min_students`` different students use), so course terms ("nucleoid", "CSMA",
"bitstream") are never "corrected". :meth:`OptionWriter.polish` then:

* corrects misspelled words: first against the course's vocabulary (Damerau-Levenshtein
  distance <= 2, closest then most frequent), then with pyspellchecker's English word
  frequencies at distance 1 (a maintained, offline spell-checker); acronyms, words with
  digits and words it cannot place confidently are left alone (and reported);
* restores a missing subject where the question makes it clear: "Makes a short circuit."
  for "What does the wire do?" becomes "The wire makes a short circuit."; a leading
  "It"/"They" is replaced the same way, only when the question has one clear subject;
* capitalises the first letter, ends with one period, tidies spaces before punctuation;
* rejects what is still a fragment (no verb, a dangling first word, fewer than 4 words).

What makes a sentence self-contained (and a question a stem) is in
:mod:`edutools.generate._sentences`; ``fragment_reason``, ``question_subject`` and
``stem_question`` are importable from here too.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from spellchecker import SpellChecker

from edutools.generate._sentences import (
    fragment_reason,
    question_subject,
    restore_subject,
    stem_question,
    strip_lead,
)
from edutools.schema import Course, Question

__all__ = [
    "OptionWriter",
    "Polished",
    "WriterCache",
    "fragment_reason",
    "question_subject",
    "stem_question",
]

_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W\d_]|[^\W\d_]")


# note-taking shorthand in student answers, written out in an option (matched register)
_SHORTHANDS = {
    "bc": "because",
    "b/c": "because",
    "bcs": "because",
    "coz": "because",
    "cuz": "because",
    "w/o": "without",
    "w/": "with",
    "thru": "through",
    "ppl": "people",
    "&": "and",
}
# lower case only: "BC" may be an acronym of the course
_SHORTHAND = re.compile(
    r"(?<![\w/&])(?:"
    + "|".join(re.escape(k) for k in sorted(_SHORTHANDS, key=len, reverse=True))
    + r")(?![\w/&])"
)


@dataclass(frozen=True)
class Polished:
    """An option's text after polishing, with what was changed and what looks wrong."""

    text: str
    corrections: tuple[tuple[str, str], ...] = ()
    unknown: tuple[str, ...] = ()
    subject_restored: bool = False
    fragment: str | None = None


def _damerau(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance, stopping early above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _foreign_share(text: str) -> float:
    """Share of the words of 3+ letters (acronyms aside) that no English word list knows."""
    words_ = [w.lower() for w in _WORD.findall(text) if len(w) >= 3 and not w.isupper()]
    if len(words_) < 4:
        return 0.0
    return sum(not _english(w) for w in words_) / len(words_)


def _deletions(word: str) -> set[str]:
    """``word`` with 0, 1 or 2 letters deleted."""
    one = {word[:i] + word[i + 1 :] for i in range(len(word))}
    two = {w[:i] + w[i + 1 :] for w in one for i in range(len(w))}
    return {word} | one | two


@functools.lru_cache(maxsize=65536)
def _english(word: str) -> bool:
    """True when the offline word list knows the lower-case ``word`` (cached: every option's
    words are looked up, and the word list's own lookup normalises the word each time)."""
    return bool(_spell().known([word]))


@functools.cache
def _spell() -> SpellChecker:
    # the word list loads on first use (0.3 s); the module is imported at import time, so
    # threads that polish options at once never compile it concurrently
    return SpellChecker(distance=1)


@dataclass
class OptionWriter:
    """Polishes option text for one course (see the module docstring).

    Parameters
    ----------
    course : Course
        Its questions, reference answers, concepts and answers give the vocabulary.
    min_students : int
        A word written by at least this many students is taken as a course term.

    Example
    -------
    >>> from edutools import io
    >>> writer = OptionWriter(io.read_course(io.example_course_dir()))
    >>> writer.polish("the nucleiod holds the DNA of prokaryotes").text
    'The nucleoid holds the DNA of prokaryotes.'
    """

    course: Course
    min_students: int = 3
    vocabulary: Counter[str] = field(init=False)

    def __post_init__(self) -> None:
        vocab: Counter[str] = Counter()
        for text in self._course_texts():
            vocab.update(w.lower() for w in _WORD.findall(text))
        by_students: dict[str, set[str]] = {}
        for a in self.course.answers:
            for w in {w.lower() for w in _WORD.findall(a.text)}:
                by_students.setdefault(w, set()).add(a.student_id)
        for w, who in by_students.items():
            if len(who) >= self.min_students:
                vocab[w] += len(who)
        self.vocabulary = vocab
        self._cache: dict[str, str | None] = {}
        # symmetric-delete index: every course word under its deletions of up to 2 letters
        self._deletes: dict[str, set[str]] = {}
        for w in vocab:
            if len(w) >= 3:
                for d in _deletions(w):
                    self._deletes.setdefault(d, set()).add(w)

    def _near(self, word: str) -> set[str]:
        """Course words within 2 deletions of ``word`` (candidates for distance <= 2)."""
        out: set[str] = set()
        for d in _deletions(word):
            out |= self._deletes.get(d, set())
        return out

    def _course_texts(self) -> Iterable[str]:
        yield self.course.title
        for c in self.course.concepts:
            yield c.name
            yield c.description
        for q in self.course.questions:
            yield q.text
            yield from q.references

    # ------------------------------------------------------------------ spelling

    def known(self, word: str) -> bool:
        """True when ``word`` is a course term or an English word."""
        low = word.lower().strip("'’")
        return low in self.vocabulary or _english(low)

    def correct(self, word: str) -> str | None:
        """The correction of a misspelled ``word``, ``word`` itself if fine, None if unsure."""
        if word in self._cache:
            return self._cache[word]
        out = self._correct(word)
        self._cache[word] = out
        return out

    def _correct(self, word: str) -> str | None:
        low = word.lower()
        if len(low) < 3 or any(ch.isdigit() for ch in word) or (word.isupper() and len(word) > 1):
            return word
        if not word.isascii():
            return word if self.known(low) else None  # a foreign word: never "corrected"
        if self.known(low) or "'" in low or "’" in low:
            return word
        close = [
            (d, -self.vocabulary[v], v) for v in self._near(low) if (d := _damerau(low, v)) <= 2
        ]
        best: str | None = None
        if close:
            close.sort()
            # the closest course word, if it is the only one that close or clearly the most
            # used of them; at distance 2 it must be a long word
            d0, n0, v0 = close[0]
            runner_up = next((c for c in close[1:] if c[0] == d0), None)
            clear = runner_up is None or -n0 >= 2 * -runner_up[1]
            if clear and (d0 == 1 or len(low) >= 6):
                best = v0
        if best is None:
            spell = _spell()
            candidates = spell.candidates(low) or set()
            if low not in candidates and candidates:
                freq = spell.word_usage_frequency
                ranked = sorted(candidates, key=lambda c: (-freq(c), c))
                if len(ranked) == 1 or freq(ranked[0]) > 5 * freq(ranked[1]):
                    best = ranked[0]
        if best is None:
            return None
        return best[0].upper() + best[1:] if word[0].isupper() else best

    # ------------------------------------------------------------------ polishing

    def polish(self, text: str, question: Question | None = None) -> Polished:
        """The option version of ``text`` (see the module docstring)."""
        corrections: list[tuple[str, str]] = []
        unknown: list[str] = []

        def fix(m: re.Match[str]) -> str:
            w = m.group(0)
            c = self.correct(w)
            if c is None:
                unknown.append(w)
                return w
            if c != w:
                corrections.append((w, c))
            return c

        out = " ".join(text.split())
        out = _SHORTHAND.sub(lambda m: _SHORTHANDS[m.group(0)], out)
        out = strip_lead(out)
        out = _WORD.sub(fix, out)
        out = re.sub(r"\s+([,.;:!?])", r"\1", out)
        out = re.sub(r"([,;:])(?=[A-Za-z])", r"\1 ", out)
        out = re.sub(r"\bi\b", "I", out)
        restored = False
        if question is not None:
            subject = question_subject(question.text)
            if subject is not None:
                out, restored = restore_subject(out, subject)
        out = out.strip(" ,;:-")
        out = re.sub(r"[.!?;,:\s]+$", "", out)
        if out:
            out = out[0].upper() + out[1:] + "."
        fragment = fragment_reason(out) if out else "it is empty"
        if fragment is None and _foreign_share(text) > 0.5:
            fragment = "most of its words are not English"
        return Polished(
            text=out,
            corrections=tuple(corrections),
            unknown=tuple(dict.fromkeys(unknown)),
            subject_restored=restored,
            fragment=fragment,
        )

    def misspelled(self, text: str) -> list[str]:
        """Words of ``text`` that are neither English words nor course terms."""
        out = []
        for w in _WORD.findall(text):
            low = w.lower()
            if len(low) < 3 or w.isupper() or "'" in w or "’" in w:
                continue
            if not self.known(low):
                out.append(w)
        return list(dict.fromkeys(out))


class WriterCache:
    """One :class:`OptionWriter` per course, built again only when the course changes.

    An engine asks for the writer once per question; the same course object is recognised
    at once, and another object is compared by content hash (hashing a large course takes
    milliseconds, which the throughput of LLM generation cannot spare per question).
    """

    def __init__(self) -> None:
        self._course: Course | None = None
        self._key: str | None = None
        self._writer: OptionWriter | None = None

    def __call__(self, course: Course) -> OptionWriter:
        if course is self._course and self._writer is not None:
            return self._writer
        key = course.content_hash()
        if self._writer is None or key != self._key:
            self._writer = OptionWriter(course)
            self._key = key
        self._course = course
        return self._writer

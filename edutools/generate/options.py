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
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from spellchecker import SpellChecker

from edutools.schema import Course, Question
from edutools.text import STOPWORDS, words

__all__ = [
    "OptionWriter",
    "Polished",
    "WriterCache",
    "fragment_reason",
    "question_subject",
    "stem_question",
]

_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W\d_]|[^\W\d_]")

# Common verbs of explanatory answers (3rd person and base forms are both listed where the
# base form is not also a common noun). A sentence needs one of these, a word ending in a
# verb suffix, or an auxiliary to count as a clause.
_AUX = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "has",
        "have",
        "had",
        "having",
        "do",
        "does",
        "did",
        "can",
        "could",
        "will",
        "would",
        "shall",
        "should",
        "may",
        "might",
        "must",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "dont",
        "doesnt",
        "didnt",
        "cant",
        "couldnt",
        "wont",
        "wouldnt",
        "shouldnt",
        "hasnt",
        "havent",
        "hadnt",
    ]
)
_VERBS = frozenset(
    [
        "make",
        "makes",
        "made",
        "cause",
        "causes",
        "caused",
        "create",
        "creates",
        "created",
        "produce",
        "produces",
        "produced",
        "contain",
        "contains",
        "contained",
        "use",
        "uses",
        "used",
        "need",
        "needs",
        "needed",
        "allow",
        "allows",
        "allowed",
        "prevent",
        "prevents",
        "prevented",
        "become",
        "becomes",
        "became",
        "get",
        "gets",
        "got",
        "give",
        "gives",
        "gave",
        "go",
        "goes",
        "went",
        "take",
        "takes",
        "took",
        "keep",
        "keeps",
        "kept",
        "let",
        "lets",
        "provide",
        "provides",
        "provided",
        "require",
        "requires",
        "required",
        "increase",
        "increases",
        "increased",
        "decrease",
        "decreases",
        "decreased",
        "reduce",
        "reduces",
        "reduced",
        "depend",
        "depends",
        "depended",
        "mean",
        "means",
        "meant",
        "send",
        "sends",
        "sent",
        "receive",
        "receives",
        "received",
        "carry",
        "carries",
        "carried",
        "flow",
        "flows",
        "flowed",
        "move",
        "moves",
        "moved",
        "stay",
        "stays",
        "stayed",
        "remain",
        "remains",
        "remained",
        "break",
        "breaks",
        "broke",
        "change",
        "changes",
        "changed",
        "form",
        "forms",
        "formed",
        "turn",
        "turns",
        "turned",
        "lead",
        "leads",
        "led",
        "result",
        "results",
        "resulted",
        "occur",
        "occurs",
        "occurred",
        "happen",
        "happens",
        "happened",
        "work",
        "works",
        "worked",
        "stop",
        "stops",
        "stopped",
        "connect",
        "connects",
        "connected",
        "block",
        "blocks",
        "blocked",
        "pass",
        "passes",
        "passed",
        "lose",
        "loses",
        "lost",
        "gain",
        "gains",
        "gained",
        "absorb",
        "absorbs",
        "absorbed",
        "release",
        "releases",
        "released",
        "store",
        "stores",
        "stored",
        "convert",
        "converts",
        "converted",
        "transfer",
        "transfers",
        "transferred",
        "divide",
        "divides",
        "divided",
        "copy",
        "copies",
        "copied",
        "bind",
        "binds",
        "bound",
        "fit",
        "fits",
        "lower",
        "lowers",
        "lowered",
        "raise",
        "raises",
        "raised",
        "speed",
        "speeds",
        "sped",
        "slow",
        "slows",
        "slowed",
        "kill",
        "kills",
        "killed",
        "help",
        "helps",
        "helped",
        "show",
        "shows",
        "showed",
        "shown",
        "differ",
        "differs",
        "differed",
        "consist",
        "consists",
        "consisted",
        "belong",
        "belongs",
        "belonged",
        "come",
        "comes",
        "came",
        "grow",
        "grows",
        "grew",
        "exist",
        "exists",
        "existed",
        "act",
        "acts",
        "acted",
        "lack",
        "lacks",
        "lacked",
        "depends",
        "include",
        "includes",
        "included",
        "involve",
        "involves",
        "involved",
        "avoid",
        "avoids",
        "avoided",
        "ensure",
        "ensures",
        "ensured",
        "detect",
        "detects",
        "detected",
        "guarantee",
        "guarantees",
        "guaranteed",
        "know",
        "knows",
        "knew",
        "see",
        "sees",
        "saw",
        "say",
        "says",
        "said",
        "read",
        "reads",
        "write",
        "writes",
        "wrote",
        "open",
        "opens",
        "opened",
        "close",
        "closes",
        "closed",
        "light",
        "lights",
        "lit",
    ]
)
_VERB_SUFFIX = re.compile(r"(?:ed|ing|ize|ise|ate|ify)$")
_SUBJECT_PRONOUNS = frozenset({"it", "they", "this", "these"})
# "It is true that ...", "It takes time to ...": an expletive "it" needs no antecedent
_DUMMY_IT = re.compile(
    r"^it\s+(?:(?:is|was|would\s+be|will\s+be|can\s+be|may\s+be)\s+(?:not\s+)?(?:\w+\s+){0,2}"
    r"(?:that|to|for|whether|because)\b|takes|depends|seems|appears|follows)"
)
# a sentence opening with these leans on the one before it
_DANGLING_START = frozenset(
    ["so", "therefore", "thus", "hence", "and", "but", "or", "which", "plus"]
)
# connectives that tie a sentence to the one before it and can go without changing what it says
# ("In addition, the bridge floods the frame." -> "The bridge floods the frame.")
_CONNECTIVE = re.compile(
    r"^(?:in addition|additionally|furthermore|moreover|however|besides|also|as well|"
    r"on the other hand|in contrast|in general|generally|basically|finally|lastly|"
    r"first(?:ly)?|second(?:ly)?|third(?:ly)?|then|nevertheless|nonetheless|in fact|indeed|"
    r"of course)(?:\s*,\s*|\s+)(?=\S)",
    re.IGNORECASE,
)
# subjects that point back to something said before ("Both of them use ...", "The latter is ...")
_POINTER = re.compile(
    r"^\s*(?:(?:both|all|each|one|none|either|neither|some|most|many|two) of (?:them|these|those)"
    r"|the (?:former|latter)|the (?:first|second|other) one)\b",
    re.IGNORECASE,
)
# a short label before a colon ("Disadvantage: ...", "Advantage 2: ...")
_LABEL = re.compile(r"^([^:]{1,40}):\s*(?=\S)")
# the instructions of a free-text question that a multiple-choice item must not repeat: a
# length ("in 2-5 sentences", "in one sentence each") is cut out of its sentence, and a
# sentence that only asks to explain or justify the written answer goes
_ANSWER_LENGTH = re.compile(
    r"[ ,]*\b(?:in|with|within|using)\s+(?:about\s+|at most\s+|no more than\s+)?"
    r"(?:\d+|one|two|three|four|five|a few|a single)(?:\s*(?:-|–|to)\s*\d+)?\s+"
    r"(?:sentences?|words)(?:\s+(?:each|total|in total))?\b\s*",
    re.IGNORECASE,
)
_WRITING_INSTRUCTION = re.compile(
    r"^(?:please\s+)?(?:explain|justify|state|give)\s+(?:\w+\s+)?(?:reasons?\s+for\s+)?"
    r"your\s+(?:answer|reasoning|choice|decision)\b"
    r"|^(?:please\s+)?answer the question\b"
    r"|^(?:you\s+(?:need|have)\s+to|please)\s+justify\b"
    r"|^include\s+(?:a\s+)?justification\b",
    re.IGNORECASE,
)
_PREPOSITIONS = frozenset(
    ["from", "through", "via", "with", "by", "into", "in", "on", "at", "to", "for", "of"]
)
# a sentence cut short ("The reserved addresses are:") ends with one of these
_OPEN_END = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "the",
        "a",
        "an",
        "of",
        "to",
        "with",
        "for",
        "and",
        "or",
        "but",
        "because",
        "as",
        "than",
        "by",
        "from",
        "in",
        "on",
        "at",
        "into",
        "that",
        "which",
        "who",
        "whose",
        "such",
        "like",
        "e.g",
        "i.e",
        "since",
        "so",
        "if",
        "when",
        "while",
        "although",
    ]
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|my|me|mine|myself)\b")
_META = re.compile(
    r"\bthe\s+following\b|^(?:there|these|here)\s+are\s+the\b|"
    r"\b(?:mentioned|stated|described|explained|shown)\s+(?:above|below|before|earlier)\b|"
    r"\b(?:the|this|my)\s+(?:question|answer|exercise|task)\s+(?:asks|says|wants)\b",
    re.IGNORECASE,
)
_MAX_WORDS = 35
# a subordinate clause needs a main clause after it ("Because it is open." has none)
_SUBORDINATE = frozenset(
    ["because", "since", "when", "while", "although", "though", "if", "unless", "whereas", "as"]
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


@functools.lru_cache(maxsize=4096)
def question_subject(question_text: str) -> str | None:
    """The one clear subject of a question, or None (cached: asked for every option).

    Recognises "What does/is X ...", "Why does/is X ...", "How does X ...", "Explain why X
    is/was ..." and "What happens to X ..." with X a short noun phrase.

    Example
    -------
    >>> question_subject("Why does the bulb stay on when switch Y is open?")
    'the bulb'
    >>> question_subject("What happens to a red blood cell placed in pure water?")
    'a red blood cell'
    >>> question_subject("Compare A and B.") is None
    True
    """
    text = " ".join(question_text.split())
    verbs = "|".join(sorted(_VERBS | {"stay", "stays", "remain", "remains", "look", "looks"}))
    patterns = (
        r"^(?:why|how)\s+(?:does|do|did|can|will|would|could)\s+"
        r"(?P<np>(?:(?:the|a|an|this|these|each|every)\s+)?[\w-]+(?:\s+[\w-]+){0,3}?)\s+"
        rf"(?:{verbs})\b",
        r"^what\s+(?:does|do|did|can|will|would|could)\s+"
        r"(?P<np>(?:(?:the|a|an|this|these|each|every)\s+)?[\w-]+(?:\s+[\w-]+){0,3}?)\s+"
        rf"(?:{verbs})\b",
        r"^(?:explain|describe)\s+why\s+(?P<np>(?:the\s+)?[\w-]+(?:\s+[\w-]+){0,3}?)\s+"
        r"(?:is|are|was|were|does|do|did|has|had|will|can)\b",
        r"^what\s+happens\s+to\s+(?P<np>(?:the|a|an)\s+[\w-]+(?:\s+[\w-]+){0,4}?)"
        r"(?:\s+(?:placed|put|when|if|in|after|during|that|which)\b|\s*[?.,])",
    )
    for pattern in patterns:
        found = re.search(pattern, text, flags=re.IGNORECASE)
        if found:
            np_ = found.group("np").strip()
            raw = np_.split()
            tokens = [t.lower() for t in raw]
            names_last = len(raw[-1]) == 1 and raw[-1].isupper()  # "bulb A"
            if set(tokens) & _AUX or (tokens[-1] in STOPWORDS and not names_last):
                continue
            return np_[0].lower() + np_[1:] if tokens[0] in ("the", "a", "an") else np_
    return None


def fragment_reason(text: str) -> str | None:
    """Why ``text`` is not a self-contained declarative sentence, or None when it is one.

    Example
    -------
    >>> fragment_reason("Because it is open."), fragment_reason("Short circuit."), fragment_reason("The switch is open.")
    ("it is only a 'because' clause", 'it has fewer than 4 words', None)
    """
    tokens = words(text)
    if len(tokens) < 4:
        return "it has fewer than 4 words"
    if text.count("(") != text.count(")"):
        return "its brackets do not match (a piece cut from a longer text)"
    if re.search(r":\s*[-–•*]\s", text):
        return "it holds a list, not a sentence"
    if tokens[0] in _DANGLING_START:
        return f"it starts with '{tokens[0]}'"
    finite = sum(t in _AUX or (t in _VERBS and t.endswith("s")) for t in tokens)
    if tokens[0].endswith("ing") and tokens[0] not in _VERBS and finite == 0:
        return "it has no main verb"
    if tokens[0] in _SUBORDINATE and finite < 2 and "," not in text:
        return f"it is only a '{tokens[0]}' clause"
    if tokens[0] in ("it", "they") and not _DUMMY_IT.match(" ".join(tokens)):
        return f"its subject '{tokens[0]}' has no antecedent"
    if tokens[0] in ("this", "that", "these", "those") and (
        tokens[1] in _AUX or tokens[1] in _VERBS
    ):
        return f"its subject '{tokens[0]}' has no antecedent"
    pointer = _POINTER.match(text)
    if pointer is not None:
        return f"its subject '{pointer.group(0).strip()}' has no antecedent"
    last = text.rstrip(" .!?;:").split()[-1:] or [""]
    if tokens[-1] in _OPEN_END and not (len(last[0]) == 1 and last[0].isupper()):
        return f"it stops after '{tokens[-1]}'"
    head, _, tail = text.partition(":")
    if (
        tail
        and len(head.split()) <= 4
        and not any(w.lower().strip(",") in _AUX for w in head.split())
        and fragment_reason(tail.strip()[:1].upper() + tail.strip()[1:]) is not None
    ):
        return "it is a note ('label: ...'), not a sentence"
    if _FIRST_PERSON.search(text) or _META.search(text):
        return "it talks about the answer, not the subject"
    if len(tokens) > _MAX_WORDS:
        return f"it has more than {_MAX_WORDS} words"
    if tokens[0] in _PREPOSITIONS and not any(
        t in _AUX or t in _VERBS or _VERB_SUFFIX.search(t) for t in tokens
    ):
        return "it has no verb"
    if len(tokens) <= 6 and not any(
        t in _AUX or t in _VERBS or _VERB_SUFFIX.search(t) or (t.endswith("s") and len(t) > 3)
        for t in tokens
    ):
        return "it has no verb"
    if tokens[0] in _VERBS or tokens[0] in _AUX - {"do", "does", "did"}:
        return "it has no subject"
    return None


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
        out = _strip_lead(out)
        out = _WORD.sub(fix, out)
        out = re.sub(r"\s+([,.;:!?])", r"\1", out)
        out = re.sub(r"([,;:])(?=[A-Za-z])", r"\1 ", out)
        out = re.sub(r"\bi\b", "I", out)
        restored = False
        if question is not None:
            subject = question_subject(question.text)
            if subject is not None:
                out, restored = _restore_subject(out, subject)
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


def _strip_lead(text: str) -> str:
    """``text`` without a leading connective ("Furthermore, ...") or short label ("Disadvantage:
    ..."), when what follows is a sentence of its own."""
    for _ in range(2):  # "Advantage: however, ..."
        m = _CONNECTIVE.match(text)
        if m is None:
            m = _LABEL.match(text)
            head = m.group(1).split() if m else []
            if not m or len(head) > 4 or any(w.lower().strip("\"'") in _AUX for w in head):
                return text
        rest = text[m.end() :]
        rest = rest[:1].upper() + rest[1:]
        if fragment_reason(rest) is not None:
            return text
        text = rest
    return text


def stem_question(question_text: str) -> str:
    """The question without its instructions for writing a free-text answer.

    "Explain your answer in 2-5 sentences." or "Give two reasons for your answer." ask for an
    essay; in front of "Which statement is correct?" they confuse. Such sentences go, a
    length ("in 1-3 sentences", "in one sentence each") is cut from the sentence it ends, and
    a one-word remnant goes too. The question is kept whole when nothing else would be left.

    Example
    -------
    >>> stem_question("Does the assumption hold for real traffic? Explain your answer in 2-5 sentences.")
    'Does the assumption hold for real traffic?'
    >>> stem_question("Please explain the problem with DQDB in 1-3 sentences.")
    'Please explain the problem with DQDB.'
    """
    sentences = re.split(r"(?<=[.?!])\s+", " ".join(question_text.split()))
    kept = []
    for sentence in sentences:
        cut = _ANSWER_LENGTH.sub(" ", sentence).strip()
        cut = re.sub(r"\s+([.?!])", r"\1", cut)
        if not _WRITING_INSTRUCTION.search(cut) and len(cut.split()) > 1:
            kept.append(cut)
    return " ".join(kept) if kept else " ".join(sentences)


def _restore_subject(text: str, subject: str) -> tuple[str, bool]:
    tokens = text.split()
    if not tokens:
        return text, False
    first = tokens[0].lower().strip(",")
    plural = subject.lower().split()[-1].endswith("s") and not subject.lower().endswith("ss")
    if first in ("it", "they") and (first == "they") == plural:
        return " ".join([subject, *tokens[1:]]), True
    if first in _VERBS and first not in ("light", "open", "close", "turn", "work", "break"):
        verb_plural = not first.endswith("s")
        if verb_plural == plural:
            return " ".join([subject, first, *tokens[1:]]), True
    return text, False


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

"""Keep students' identities out of prompts and item banks.

:func:`mask_pii` replaces what identifies a person inside free text with placeholders:

- ``[EMAIL]``: addresses, also spelled out ("jane dot doe at gmail dot com",
  "jane(at)uni(dot)edu", "jane.doe [at] uni [dot] ac [dot] uk");
- ``[URL]`` and ``[HANDLE]`` (@name);
- ``[PHONE]``: 7 to 15 digits in any grouping ("+44 7700 900123", "+33 6 12 34 56 78",
  "(555) 123-4567", "0044 (0)20 7946 0958"), not dates, year ranges or 0/1 strings;
- ``[ID]``: student numbers after a cue ("student no. 123456", "id#A01234567",
  "sid: s7654321", "my ID is 20231234"), numbers in common formats without one (a letter or
  two then 6 to 10 digits: ``s9990001``, ``A01234567``), and every id of the batch;
- ``[NAME]``: a name after a self-introduction ("Hi, I'm Priya", "I am Tomasz", "This is
  Chidi", "my name is Ana Lopez", "call me Jo"), in a sign-off ("Thanks, Tom", "Best
  regards, Maria Garcia", "-- Sam", a last line that is only a name), a known given name
  with or without a surname anywhere ("Jane Doe said", "ask Priya"). A full name without
  a cue whose given name is not on the list is not detected (title-case course terms such
  as "Slow Start" or "Electron Transport Chain" look the same).

Given names come from ``data/first_names.txt`` (1990 US census names and an international
list, less names that are also English words such as Mark or Rose; see
``data/make_first_names.py``). Scientists' names that are course content (Darwin, Mendel,
the Krebs or Calvin cycle, Charles's law) are kept.

Masking is pattern-based: it catches the forms above, not every conceivable one. It errs
towards masking: a capitalised word right after "I am" or "This is" is taken for a name.

:func:`pseudonymize` numbers a batch of answers 1..n so prompts refer to answers by
run-local numbers; the map back to answer ids stays with the caller and is never sent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

from edutools.schema import StudentAnswer

__all__ = ["PLACEHOLDERS", "mask_pii", "pseudonymize"]

PLACEHOLDERS = ("[EMAIL]", "[URL]", "[PHONE]", "[HANDLE]", "[ID]", "[NAME]")

# --------------------------------------------------------------------------- e-mail, URL, handle

_TLD = (
    r"(?:com|org|net|edu|gov|mil|int|info|io|ai|me|co|uk|us|ca|au|nz|ie|de|fr|es|it|nl|be|ch|at|"
    r"se|no|dk|fi|pl|pt|cz|ru|ua|tr|gr|in|cn|jp|kr|sg|hk|tw|br|mx|ar|cl|za|ng|ke|eg|il|ac|biz)"
)
_DOT = r"(?:\.|\s*[\[\({<]\s*dot\s*[\]\)}>]\s*|\s+dot\s+|\s*-dot-\s*)"
_AT = r"(?:\s*@\s*|\s*[\[\({<]\s*at\s*[\]\)}>]\s*|\s+at\s+|\s*-at-\s*)"
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_SPELLED_EMAIL = re.compile(
    rf"\b[A-Za-z0-9_%+\-]+(?:{_DOT}[A-Za-z0-9_%+\-]+)*{_AT}[A-Za-z0-9\-]+(?:{_DOT}[A-Za-z0-9\-]+)*{_DOT}{_TLD}\b",
    re.IGNORECASE,
)
_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"']+"
    r"|\b[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.(?:com|org|net|edu|gov|io|ly|me|co|info)(?:/[^\s<>\"']*)?\b",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z_][A-Za-z0-9_.]{1,30}")

# --------------------------------------------------------------------------- numbers

# digits in groups split by spaces, dots, dashes, slashes or brackets; checked in _phone
_PHONE = re.compile(
    r"(?<![\w.+])(?:\+|00)?\s?(?:\(\s?\d{1,5}\s?\)[ \t.\-/]*)?\d{1,15}(?:(?:[ \t.\-/]|[ \t]?\(\d{1,5}\)[ \t]?)\d{1,8}){0,6}(?![\w]|\.\d)"
)
# a decimal, an IP address or network, a fraction: numbers, not phone numbers
_NOT_PHONE = re.compile(r"[+\-]?\s?\d+\.\d+|\d{1,3}(?:\.\d{1,3}){3,}(?:/\d{1,2})?|[1-9]\d*/\d+")
_DATE = re.compile(r"\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}|\d{4}\s?[-–/]\s?\d{2,4}")
_ID_CUE = (
    r"(?:student|matriculation|matric|enrol?ment|enrollment|registration|candidate|roll|admission|"
    r"learner|library|univ(?:ersity)?|school|sis|user|sid|s/n|id|ident)"
)
_CUED_ID = re.compile(
    rf"\b({_ID_CUE}\s*(?:id|no\.?|nr\.?|num(?:ber)?|code|#)?\s*(?:is\s+|was\s+|[:#=]\s*)?)"
    r"(?=[A-Za-z]{0,3}[\-_]?\d)([A-Za-z]{0,3}[\-_]?\d[\w\-]{2,})",
    re.IGNORECASE,
)
_BARE_ID = re.compile(r"(?<![\w\-])[A-Za-z]{1,2}\d{6,10}(?![\w\-])")

# --------------------------------------------------------------------------- names

_CAP = r"[A-Z][a-z]+(?:['’\-][A-Za-z][a-z]+)*"
_NAME = rf"{_CAP}(?:\s+(?:(?:van|von|de|da|del|der|di|la|le|bin|ibn|al)\s+)?{_CAP}){{0,2}}"
# words that follow "I am" or "This is" with a capital letter without being a name
_NOT_NAMES = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "i",
        "im",
        "not",
        "no",
        "yes",
        "so",
        "but",
        "and",
        "or",
        "because",
        "since",
        "also",
        "just",
        "very",
        "really",
        "quite",
        "too",
        "here",
        "there",
        "now",
        "then",
        "why",
        "how",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "true",
        "false",
        "correct",
        "incorrect",
        "wrong",
        "right",
        "sure",
        "unsure",
        "confused",
        "lost",
        "new",
        "old",
        "still",
        "only",
        "even",
        "always",
        "never",
        "sometimes",
        "maybe",
        "perhaps",
        "probably",
        "please",
        "thanks",
        "thank",
        "hello",
        "hi",
        "hey",
        "dear",
        "sorry",
        "ok",
        "okay",
        "well",
        "first",
        "second",
        "third",
        "last",
        "next",
        "one",
        "two",
        "three",
        "all",
        "some",
        "any",
        "both",
        "each",
        "every",
        "many",
        "much",
        "more",
        "most",
        "less",
        "least",
        "few",
        "several",
        "other",
        "another",
        "same",
        "different",
        "answer",
        "question",
        "students",
        "student",
        "teacher",
        "professor",
        "sir",
        "madam",
        "class",
        "group",
        "team",
        "course",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "miss",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "english",
        "spanish",
        "french",
        "german",
        "chinese",
        "science",
        "biology",
        "chemistry",
        "physics",
        "maths",
        "math",
        "because",
        "therefore",
        "however",
        "although",
        "though",
        "if",
        "unless",
        "cycle",
        "law",
        "laws",
        "effect",
        "principle",
        "equation",
        "theory",
        "cell",
        "cells",
        "body",
        "bodies",
        "apparatus",
        "complex",
        "square",
        "test",
        "rule",
        "constant",
        "number",
        "model",
        "experiment",
        "encoding",
        "code",
        "distance",
        "bound",
        "limit",
        "scale",
        "reaction",
        "process",
        "pathway",
        "method",
        "algorithm",
        "diagram",
        "plot",
        "curve",
        "point",
        "protocol",
        "network",
        "layer",
    ]
)
# scientists whose names are course content (laws, cycles, cells, effects, encodings)
_EPONYMS = frozenset(
    [
        "Darwin",
        "Mendel",
        "Krebs",
        "Calvin",
        "Golgi",
        "Hooke",
        "Newton",
        "Pasteur",
        "Curie",
        "Einstein",
        "Watson",
        "Crick",
        "Franklin",
        "Koch",
        "Fleming",
        "Linnaeus",
        "Lamarck",
        "Wallace",
        "Punnett",
        "Hardy",
        "Weinberg",
        "Morgan",
        "Avery",
        "Hershey",
        "Chase",
        "Meselson",
        "Stahl",
        "Sanger",
        "Mullis",
        "McClintock",
        "Margulis",
        "Schwann",
        "Schleiden",
        "Virchow",
        "Leeuwenhoek",
        "Jenner",
        "Harvey",
        "Galen",
        "Vesalius",
        "Hippocrates",
        "Aristotle",
        "Galileo",
        "Kepler",
        "Copernicus",
        "Boyle",
        "Charles",
        "Dalton",
        "Avogadro",
        "Mendeleev",
        "Bohr",
        "Rutherford",
        "Thomson",
        "Planck",
        "Heisenberg",
        "Schrodinger",
        "Schrödinger",
        "Pauling",
        "Lewis",
        "Bronsted",
        "Brønsted",
        "Lowry",
        "Arrhenius",
        "Faraday",
        "Maxwell",
        "Ohm",
        "Kirchhoff",
        "Coulomb",
        "Ampere",
        "Volta",
        "Joule",
        "Kelvin",
        "Celsius",
        "Fahrenheit",
        "Hubble",
        "Hawking",
        "Feynman",
        "Turing",
        "Shannon",
        "Nyquist",
        "Manchester",
        "Hamming",
        "Huffman",
        "Dijkstra",
        "Bellman",
        "Ford",
        "Fulkerson",
        "Kruskal",
        "Prim",
        "Euler",
        "Gauss",
        "Leibniz",
        "Pythagoras",
        "Euclid",
        "Fibonacci",
        "Bernoulli",
        "Pascal",
        "Fermat",
        "Descartes",
        "Riemann",
        "Hilbert",
        "Boole",
        "Babbage",
        "Lovelace",
        "Neumann",
        "Poisson",
        "Markov",
        "Bayes",
        "Laplace",
        "Fourier",
        "Doppler",
        "Hertz",
        "Watt",
        "Tesla",
        "Edison",
        "Bell",
        "Morse",
        "Marconi",
        "Diesel",
        "Carnot",
        "Gibbs",
        "Helmholtz",
        "Nernst",
        "Michaelis",
        "Menten",
        "Lineweaver",
        "Burk",
        "Hodgkin",
        "Huxley",
        "Starling",
        "Haldane",
        "Cori",
        "Embden",
        "Meyerhof",
        "Warburg",
        "Okazaki",
        "Chargaff",
        "Griffith",
        "Beadle",
        "Tatum",
        "Lederberg",
        "Jacob",
        "Monod",
        "Nirenberg",
        "Khorana",
        "Barr",
        "Turner",
        "Klinefelter",
        "Down",
        "Huntington",
        "Alzheimer",
        "Parkinson",
        "Broca",
        "Wernicke",
        "Pavlov",
        "Skinner",
        "Piaget",
        "Freud",
        "Maslow",
        "Milgram",
        "Bandura",
        "Vygotsky",
        "Bloom",
        "Gregor",
        "Isaac",
        "Albert",
        "Marie",
        "Rosalind",
        "Louis",
        "Alexander",
        "Robert",
        "Antonie",
        "Dmitri",
        "Niels",
        "Ernest",
        "Max",
        "Richard",
        "Alan",
        "Claude",
        "Ada",
        "John",
        "James",
        "Michael",
        "Carl",
        "Jean",
        "Blaise",
        "Leonhard",
        "Johannes",
        "Nikola",
        "Kendall",
        "Pearson",
        "Spearman",
        "Fisher",
        "Student",
        "Cronbach",
        "Rasch",
        "Lord",
        "Birnbaum",
        "Likert",
    ]
)
_INTRO = re.compile(
    r"(?:\b(?:hi|hello|hey|dear|greetings|good\s+(?:morning|afternoon|evening))\b[\s,!.]*)?"
    r"\b((?:my\s+name\s+is|my\s+name['’]s|name\s*[:\-]|i\s+am\s+called|i['’]?m\s+called|"
    r"call\s+me|they\s+call\s+me|this\s+is|it['’]s|it\s+is|i\s+am|i['’]m|im)\s+)"
    rf"({_NAME})",
    re.IGNORECASE,
)
_STRONG_INTRO = re.compile(r"name|called|call\s+me", re.IGNORECASE)
_SIGN_OFF = re.compile(
    r"((?:^|[\n.!?,;]\s*)(?:thanks(?:\s+again)?|thank\s+you|thx|ty|regards|best(?:\s+(?:regards|wishes))?|"
    r"kind\s+regards|warm\s+regards|cheers|sincerely|yours(?:\s+(?:truly|sincerely))?|love|"
    r"take\s+care|signed|sent\s+by|written\s+by|submitted\s+by|regards\s+from|xoxo|"
    r"(?<=\n)from|(?<=\n)by|(?:--+|—|–|~))[\s,:!.\-]*)"
    rf"({_NAME})(?=\s*[.!)]?\s*(?:\(?[A-Za-z]?\d[\w\-]*\)?)?\s*$)",
    re.IGNORECASE,
)
_LAST_LINE_NAME = re.compile(rf"(\n\s*)({_NAME})\s*[.!]?\s*$")
_TITLED = re.compile(rf"\b((?:Mr|Mrs|Ms|Miss|Dr|Prof|Professor|Sir|Madam)\.?\s+)({_NAME})")


@functools.cache
def _first_names() -> frozenset[str]:
    path = Path(__file__).parent / "data" / "first_names.txt"
    return frozenset(path.read_text(encoding="utf-8").split())


def _is_name_word(word: str) -> bool:
    """A capitalised token that can be part of a name (not a function word or common word)."""
    bare = re.sub(r"['’]s$", "", word)
    return bare.lower() not in _NOT_NAMES


def _intro(match: re.Match[str]) -> str:
    cue, name = match.group(1), match.group(2)
    words = name.split()
    n = 0  # "I am Priya Sharma and ..." masks two words, "I am Confused" none
    for w in words:
        if not _is_name_word(w):
            break
        n += 1
    if n == 0:
        return match.group(0)
    first = words[0]
    if re.fullmatch(r"im\s+", cue, re.IGNORECASE) and first.title() not in _first_names():
        return match.group(0)  # "im" is also German ("Im Vergleich"): only a given name we know
    if not _STRONG_INTRO.search(cue):
        # after "I am" / "This is" a name is capitalised, or a given name we know
        if not first[0].isupper() and first.title() not in _first_names():
            return match.group(0)
        if first in _EPONYMS and first not in _first_names():
            return match.group(0)  # "This is Darwin's idea"
    prefix = match.group(0)[: match.start(2) - match.start(0)]
    rest = " ".join(words[n:])
    return prefix + "[NAME]" + (" " + rest if rest else "")


def _sign_off(match: re.Match[str]) -> str:
    name = match.group(2)
    if not _is_name_word(name.split()[0]) or not name[0].isupper():
        return match.group(0)
    return match.group(1) + "[NAME]"


def _last_line(match: re.Match[str]) -> str:
    words = match.group(2).split()
    if len(words) > 3 or not all(_is_name_word(w) for w in words):
        return match.group(0)
    if len(words) == 1 and words[0] not in _first_names():
        return match.group(0)
    return match.group(1) + "[NAME]"


def _known_names(text: str) -> str:
    """Given names from the list, with the capitalised surname that follows them."""
    names = _first_names()
    tokens = list(re.finditer(rf"\b{_CAP}\b", text))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        word = tokens[i].group(0)
        nxt: re.Match[str] | None = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is not None and not re.fullmatch(r"[ \t]+", text[tokens[i].end() : nxt.start()]):
            nxt = None  # a surname follows on the same line, after spaces only
        surname = nxt is not None and _is_name_word(nxt.group(0)) and nxt.group(0) not in _EPONYMS
        if word in names and (word not in _EPONYMS or surname):
            # "Priya", "Jane Doe"; "Charles Smith" is a student, "Charles Darwin" a scientist
            end = nxt.end() if surname and nxt is not None else tokens[i].end()
            spans.append((tokens[i].start(), end))
            i += 2 if surname else 1
        else:
            i += 1
    for start, end in reversed(spans):
        text = text[:start] + "[NAME]" + text[end:]
    return text


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    core = text.strip()
    if not 7 <= len(digits) <= 15 or set(digits) <= {"0", "1"}:
        return text
    if _DATE.fullmatch(core) or _NOT_PHONE.fullmatch(core):
        return text
    grouped = re.search(r"[\s.\-/()]", core) is not None
    if not grouped and not core.startswith(("+", "0")) and len(digits) < 10:
        return text  # a bare number such as 300000000 is content, not a phone number
    lead = text[: len(text) - len(text.lstrip())]
    return lead + "[PHONE]"


def mask_pii(text: str, *, known_ids: Sequence[str] = ()) -> str:
    """Replace e-mail addresses, URLs, phone numbers, handles, student numbers and names.

    Parameters
    ----------
    text : str
        Free text written by a student.
    known_ids : sequence of str
        Identifiers to mask wherever they appear as whole words (e.g. the student ids of
        the batch); ids shorter than 3 characters are ignored (they would hit ordinary words).

    Returns
    -------
    str
        The text with ``[EMAIL]``, ``[URL]``, ``[PHONE]``, ``[HANDLE]``, ``[ID]`` and
        ``[NAME]`` placeholders; everything else unchanged.

    Example
    -------
    >>> mask_pii("My name is Ana Lopez, mail ana.lopez@uni.edu or call +1 (555) 123-4567.")
    'My name is [NAME], mail [EMAIL] or call [PHONE].'
    >>> mask_pii("Hi, I'm Priya! jane dot doe at gmail dot com, +44 7700 900123, sid: s7654321")
    "Hi, I'm [NAME]! [EMAIL], [PHONE], sid: [ID]"
    >>> mask_pii("Glucose is C6H12O6 and 6 CO2 are fixed per glucose, as Darwin saw in 1859.")
    'Glucose is C6H12O6 and 6 CO2 are fixed per glucose, as Darwin saw in 1859.'
    """
    pattern = _id_pattern(tuple(sorted({i for i in known_ids if len(i) >= 3})))
    if pattern is not None:
        text = pattern.sub("[ID]", text)
    text = _EMAIL.sub("[EMAIL]", text)
    text = _SPELLED_EMAIL.sub("[EMAIL]", text)
    text = _URL.sub("[URL]", text)
    text = _CUED_ID.sub(lambda m: f"{m.group(1)}[ID]", text)
    text = _BARE_ID.sub("[ID]", text)
    text = _PHONE.sub(_phone, text)
    text = _HANDLE.sub("[HANDLE]", text)
    text = _TITLED.sub(lambda m: f"{m.group(1)}[NAME]", text)
    text = _INTRO.sub(_intro, text)
    text = _SIGN_OFF.sub(_sign_off, text)
    text = _LAST_LINE_NAME.sub(_last_line, text)
    return _known_names(text)


@functools.lru_cache(maxsize=16)
def _id_pattern(ids: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled alternation for a batch of ids (longest first, so prefixes lose)."""
    if not ids:
        return None
    alternatives = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def pseudonymize(answers: Sequence[StudentAnswer]) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """Number answers 1..n with masked text; keep the map back to answer ids locally.

    Besides :func:`mask_pii`, every student id of the batch is masked wherever it appears
    in any answer's text.

    Parameters
    ----------
    answers : sequence of StudentAnswer
        Answers in the order they should be numbered.

    Returns
    -------
    numbered : list of (int, str)
        ``(number, masked text)`` pairs, safe to place in a prompt.
    key : dict of int to str
        ``number -> answer id``; never send this.

    Example
    -------
    >>> a = StudentAnswer(id="a7", student_id="s123", question_id="q", text="Email me: x@y.org")
    >>> pseudonymize([a])
    ([(1, 'Email me: [EMAIL]')], {1: 'a7'})
    """
    numbered: list[tuple[int, str]] = []
    key: dict[int, str] = {}
    # a student may type their own (or a friend's) id into the answer
    student_ids = sorted({a.student_id for a in answers})
    for n, answer in enumerate(answers, start=1):
        numbered.append((n, mask_pii(answer.text, known_ids=student_ids)))
        key[n] = answer.id
    return numbered, key

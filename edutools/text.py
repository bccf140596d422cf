"""Small text tools shared by the generation engines, the item-writing checks and style measures.

Sentence splitting, normalisation, a light suffix-stripping stemmer, negation and hedge
cues, TF-IDF vectors over word stems and character n-grams, and average-linkage
clustering on cosine distance. Nothing is downloaded; everything is deterministic.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage

from edutools.schema import normalize_text

__all__ = [
    "STOPWORDS",
    "TfidfVectors",
    "cluster",
    "content_stems",
    "is_negated",
    "self_similarity",
    "split_clauses",
    "split_sentences",
    "stem",
    "words",
    "wordset",
]


def wordset(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` as a frozenset."""
    return frozenset(text.split())


STOPWORDS = wordset("""a about above after again against am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just let me more
    most my myself nor of off on once or other ought our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up upon us very was we were what when where which while who whom why will with would you
    your yours yourself yourselves also get gets got make makes made one ones thing things way ways
    really like well use used uses using etc""")
# "not"/"no"/"never" stay out of STOPWORDS on purpose: they carry the polarity of a claim
_NEGATIONS = wordset(
    "not no never none nothing nobody neither nor cannot cant without isnt arent wasnt werent dont "
    "doesnt didnt wont wouldnt shouldnt couldnt hasnt havent hadnt"
)
_ABBREVIATIONS = (
    "e.g.",
    "i.e.",
    "etc.",
    "vs.",
    "approx.",
    "dr.",
    "mr.",
    "mrs.",
    "ms.",
    "prof.",
    "fig.",
    "no.",
    "cf.",
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\s*\n+\s*|\s+(?=\d+[.)]\s)|(?<=\S)\s*[•·]\s*")


def split_sentences(text: str) -> list[str]:
    """Split free text into sentences at . ! ? ; line breaks and bullets.

    Abbreviations (e.g., i.e., etc.) and decimals (3.5) do not end a sentence.

    Example
    -------
    >>> split_sentences("Plants need light, e.g. sunlight. They make 2.5 g of sugar!\\n- roots absorb water")
    ['Plants need light, e.g. sunlight.', 'They make 2.5 g of sugar!', '- roots absorb water']
    """
    protected = text
    for i, abbr in enumerate(_ABBREVIATIONS):
        protected = re.sub(rf"(?i)(?<!\w){re.escape(abbr)}", f"\x00{i}\x00", protected)
    parts = _SENTENCE_END.split(protected)
    out: list[str] = []
    for part in parts:
        restored = re.sub(r"\x00(\d+)\x00", lambda m: _restore(m, text), part).strip()
        if restored:
            out.append(restored)
    return out


def _restore(match: re.Match[str], original: str) -> str:
    abbr = _ABBREVIATIONS[int(match.group(1))]
    # keep the writer's capitalisation of the abbreviation
    found = re.search(re.escape(abbr), original, flags=re.IGNORECASE)
    return found.group(0) if found else abbr


def words(text: str) -> list[str]:
    """Normalised word tokens (apostrophes removed, so "don't" becomes "dont").

    Example
    -------
    >>> words("Plants DON'T eat soil.")
    ['plants', 'dont', 'eat', 'soil']
    """
    return normalize_text(re.sub(r"[’']", "", text)).split()


def stem(word: str) -> str:
    """A light suffix-stripping stem, enough to match plural, verb and adjective forms.

    Example
    -------
    >>> [stem(w) for w in ["cells", "dividing", "divided", "studies", "glasses", "process"]]
    ['cell', 'divid', 'divid', 'study', 'glass', 'process']
    >>> [stem(w) for w in ["eukaryotes", "eukaryotic", "eukaryote", "enzymes", "enzymatic"]]
    ['eukaryot', 'eukaryot', 'eukaryot', 'enzym', 'enzym']
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("ly", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + repl
            break
    else:
        if word.endswith("es") and word[-3:-2] in ("s", "x", "z") and len(word) > 4:
            word = word[:-2]
        elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
    for suffix in ("atic", "ical", "ic", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> list[str]:
    """Stems of the words that are neither stopwords nor negations.

    Example
    -------
    >>> content_stems("The cells are not dividing")
    ['cell', 'divid']
    """
    return list(_content_stems(text))


@functools.lru_cache(maxsize=65536)
def _content_stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text) if w not in STOPWORDS and w not in _NEGATIONS)


def is_negated(text: str) -> bool:
    """True when the text contains a negation cue (not, no, never, n't, without, ...).

    Presence, not parity: "no nucleus and no organelles" is one negative claim, not two
    negations cancelling out.

    Example
    -------
    >>> is_negated("Plants do not need light"), is_negated("Prokaryotes have no nucleus and no organelles")
    (True, True)
    >>> is_negated("Plants need light")
    False
    """
    return any(w in _NEGATIONS for w in words(text))


_CLAUSE_BREAK = re.compile(
    r"\s*(?:;|:|,\s*(?:and|but|while|whereas|so|because)\b|\bwhile\b|\bwhereas\b|\bbut\b)\s*"
)


def split_clauses(sentence: str) -> list[str]:
    """Split a sentence at semicolons and coordinating connectives (for polarity checks).

    Example
    -------
    >>> split_clauses("Prokaryotes have no nucleus; their DNA lies in the cytoplasm, but it is circular.")
    ['Prokaryotes have no nucleus', 'their DNA lies in the cytoplasm', 'it is circular.']
    """
    return [c for c in (p.strip() for p in _CLAUSE_BREAK.split(sentence)) if len(c.split()) >= 3]


def _char_ngrams(text: str, low: int = 3, high: int = 5) -> list[str]:
    grams: list[str] = []
    for w in content_stems(text):
        padded = f" {w} "
        for n in range(low, high + 1):
            grams.extend(padded[i : i + n] for i in range(max(len(padded) - n + 1, 0)))
    return grams


@functools.lru_cache(maxsize=65536)
def _features(text: str, char_weight: float) -> dict[str, float]:
    """TF weights of one text's features (cached: engines vectorise the same sentences often)."""
    stems = content_stems(text)
    feats: defaultdict[str, float] = defaultdict(float)
    for s in stems:
        feats[f"w:{s}"] += 1.0
    for a, b in itertools.pairwise(stems):
        feats[f"b:{a} {b}"] += 0.5
    if char_weight > 0:
        for g in _char_ngrams(text):
            feats[f"c:{g}"] += char_weight / 4
    return dict(feats)


def self_similarity(texts: Sequence[str], *, char_weight: float = 0.5) -> np.ndarray:
    """Cosine similarities among ``texts`` in the TF-IDF space fitted on ``texts`` themselves.

    The same numbers as ``v = TfidfVectors(char_weight=...).fit(texts)`` followed by
    ``v.similarity(v.transform(texts), v.transform(texts))``, which it is: item checks and
    assembly ask for it for every item and question of a bank.

    Example
    -------
    >>> S = self_similarity(["plants need light", "plant needs light", "cells divide"])
    >>> round(float(S[0, 1]), 2), round(float(S[0, 2]), 2)
    (1.0, 0.0)
    """
    vec = TfidfVectors(char_weight=char_weight).fit(texts)
    X = vec.transform(texts)
    return vec.similarity(X, X)


class TfidfVectors:
    """L2-normalised TF-IDF vectors over word stems, stem bigrams and character n-grams.

    Fitted on a corpus; :meth:`transform` maps new texts into the same space (unknown
    features are ignored). IDF is smoothed: ``idf = ln((1 + n) / (1 + df)) + 1``.
    Character n-grams make spelling variants ("photosynthesis"/"photosynthsis") similar.

    Example
    -------
    >>> v = TfidfVectors().fit(["plants need light", "plants need water", "cells divide"])
    >>> S = v.similarity(v.transform(["plant needs light"]), v.transform(["plants need light"]))
    >>> round(float(S[0, 0]), 2)
    1.0
    """

    def __init__(self, *, char_weight: float = 0.5) -> None:
        self.char_weight = char_weight

    def fit(self, corpus: Sequence[str]) -> TfidfVectors:
        """Learn the vocabulary and IDF weights from ``corpus``; returns self."""
        df: Counter[str] = Counter()
        for text in corpus:
            df.update(_features(text, self.char_weight).keys())  # a text's features are distinct
        terms = sorted(df)
        self.vocabulary_ = {f: i for i, f in enumerate(terms)}
        n = len(corpus)
        counts = np.fromiter((df[f] for f in terms), dtype=float, count=len(terms))
        self.idf_ = np.log((1 + n) / (1 + counts)) + 1
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Vectors of ``texts`` (rows L2-normalised; an empty text gives a zero row).

        The rows are built in compressed form directly (each text's features are distinct,
        so there is nothing to sum): item checks vectorise every item's options this way.
        """
        vocab = self.vocabulary_
        indptr = [0]
        cols: list[int] = []
        tfs: list[float] = []
        for text in texts:
            for f, tf in _features(text, self.char_weight).items():
                j = vocab.get(f)
                if j is not None:
                    cols.append(j)
                    tfs.append(tf)
            indptr.append(len(cols))
        col = np.asarray(cols, dtype=np.int64)
        vals = np.asarray(tfs, dtype=float) * self.idf_[col]
        row = np.repeat(np.arange(len(texts)), np.diff(indptr))
        norms = np.zeros(len(texts))
        np.add.at(norms, row, vals * vals)
        norms = np.sqrt(norms)
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(
            (vals / norms[row], col, np.asarray(indptr)), shape=(len(texts), len(vocab))
        )

    @staticmethod
    def similarity(A: sparse.csr_matrix, B: sparse.csr_matrix) -> np.ndarray:
        """Cosine similarities between the rows of ``A`` and ``B`` (dense array)."""
        return np.asarray((A @ B.T).toarray())

    @staticmethod
    def containment(A: sparse.csr_matrix, B: sparse.csr_matrix) -> np.ndarray:
        """How well each row of ``B`` covers each row of ``A``: the cosine of ``A_i`` with
        ``B_j`` restricted to the features of ``A_i`` (1 when ``B_j`` says all ``A_i`` says,
        however much more it says).

        Example
        -------
        >>> v = TfidfVectors(char_weight=0).fit(["plants need light", "plants need light and water and soil"])
        >>> A, B = v.transform(["plants need light"]), v.transform(["plants need light and water and soil"])
        >>> round(float(v.containment(A, B)[0, 0]), 2), round(float(v.similarity(A, B)[0, 0]), 2)
        (1.0, 0.64)
        """
        mask = A.copy()
        mask.data = np.ones_like(mask.data)
        covered = np.sqrt(np.asarray((mask @ B.multiply(B).T).toarray()))
        dots = np.asarray((A @ B.T).toarray())
        return np.divide(dots, covered, out=np.zeros_like(dots), where=covered > 0)


def cluster(
    similarity: np.ndarray, threshold: float, *, cannot_link: np.ndarray | None = None
) -> np.ndarray:
    """Average-linkage clusters of items whose mean cosine similarity reaches ``threshold``.

    Parameters
    ----------
    similarity : ndarray, shape (n, n)
        Symmetric cosine similarities.
    threshold : float
        Clusters merge while their average similarity is at least this.
    cannot_link : ndarray of bool, shape (n, n), optional
        Pairs that must not share a cluster (e.g. opposite polarity); their distance is set
        to the maximum, so average linkage keeps them apart unless everything else pulls.

    Returns
    -------
    ndarray of int
        Cluster label per item, 0-based, numbered in order of first appearance.

    Example
    -------
    >>> S = np.array([[1, .9, .1], [.9, 1, .1], [.1, .1, 1]])
    >>> cluster(S, 0.5).tolist()
    [0, 0, 1]
    """
    n = similarity.shape[0]
    if n == 0:
        return np.zeros(0, dtype=int)
    if n == 1:
        return np.zeros(1, dtype=int)
    D = 1.0 - np.clip(similarity, 0.0, 1.0)
    if cannot_link is not None:
        D = np.where(cannot_link, 2.0, D)
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0.0)
    condensed = D[np.triu_indices(n, 1)]
    Z = linkage(condensed, method="average")
    raw = fcluster(Z, t=1.0 - threshold, criterion="distance")
    relabel: dict[int, int] = {}
    return np.array([relabel.setdefault(int(c), len(relabel)) for c in raw])

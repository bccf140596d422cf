"""Evidence that a student sentence is correct or a misconception, from grades and the reference.

The instructor grades whole answers, not sentences, so grades are attributed with care:

* an answer graded 1 is fully correct: each of its sentences is evidence *for* (weight 1);
* an answer graded 0 holds at least one wrong sentence. Its sentences that closely
  paraphrase correct text are spared. Of the rest, the one least like correct text is the
  prime suspect (evidence *against* 1); each other suspect gets ``0.5 (1 - c / paraphrase)``,
  less the closer (cosine ``c``) it comes to correct text;
* a partially credited answer (0 < g < 1) usually misses something rather than states
  something wrong, so it gives no evidence either way;
* a sentence that closely paraphrases a reference clause (cosine >= ``paraphrase``) is
  evidence for; one whose closest correct text (cosine >= ``contradict``) differs in polarity
  — one of the two is negated — is evidence against ("simple cues such as negation").

"Correct text" is the reference answer (sentences and clauses) and the sentences of other
answers graded 1. Ungraded sentences otherwise carry no evidence: they add support to the
claims graded answers establish, but lexical similarity alone cannot tell "most of the
mass comes from the soil" from "most of the mass comes from the air".

When a question has no graded answer at all, similarity to the reference is all there is:
sentences far from every reference clause (cosine < ``unlike``) and on topic then count as
half a unit of evidence against, so it takes two students to make such a foil.

A cluster's probability of being correct is ``(P + 1/2) / (P + N + 1)`` for its summed
evidence for (P) and against (N): a Beta(1/2, 1/2)-smoothed share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Evidence", "GradedSentence", "cluster_probability", "sentence_evidence"]


@dataclass(frozen=True)
class GradedSentence:
    """A usable sentence of one answer and that answer's grade (None when ungraded)."""

    answer_id: str
    grade: float | None
    text: str


@dataclass(frozen=True)
class Evidence:
    """Per-sentence evidence for (``pos``) and against (``neg``) being correct."""

    pos: np.ndarray
    neg: np.ndarray


def sentence_evidence(
    sentences: Sequence[GradedSentence],
    S: np.ndarray,
    to_reference: np.ndarray,
    polarity: np.ndarray,
    reference_polarity: np.ndarray,
    *,
    on_topic: np.ndarray | None = None,
    paraphrase: float = 0.6,
    contradict: float = 0.6,
    unlike: float = 0.15,
) -> Evidence:
    """Evidence for and against each sentence being correct.

    Parameters
    ----------
    sentences : sequence of GradedSentence
        The usable sentences of one question's answers.
    S : ndarray, shape (n, n)
        Cosine similarities between the sentences.
    to_reference : ndarray, shape (n, m)
        Cosine similarities to the m reference sentences and clauses (m may be 0).
    polarity, reference_polarity : ndarray of bool
        Whether each sentence / reference clause is negated.
    on_topic : ndarray of bool, optional
        Sentences sharing a content word with the question or reference (default: all).
    paraphrase : float
        Cosine at which a sentence paraphrases correct text.
    contradict : float
        Least cosine at which a polarity difference counts as a contradiction.
    unlike : float
        Below this cosine to every reference clause a sentence is unlike the reference
        (used only when the question has no graded answer).

    Returns
    -------
    Evidence

    Example
    -------
    >>> s = [GradedSentence("a1", 1.0, "Plants make sugar."), GradedSentence("a2", 0.0, "Plants eat soil.")]
    >>> S = np.array([[1.0, 0.1], [0.1, 1.0]])
    >>> e = sentence_evidence(s, S, np.zeros((2, 0)), np.array([False, False]), np.zeros(0, bool))
    >>> e.pos.tolist(), e.neg.tolist()
    ([1.0, 0.0], [0.0, 1.0])
    """
    n = len(sentences)
    answer = np.array([s.answer_id for s in sentences])
    grade = np.array([np.nan if s.grade is None else s.grade for s in sentences])
    graded_one = grade >= 1.0
    # columns: other answers' sentences graded 1, then reference sentences and clauses
    sims = np.hstack(
        [
            np.where((answer[:, None] != answer[None, :]) & graded_one[None, :], S, -1.0),
            to_reference,
        ]
    )
    pols = np.hstack(
        [
            np.broadcast_to(polarity, (n, n)),
            np.broadcast_to(reference_polarity, (n, len(reference_polarity))),
        ]
    )
    if sims.shape[1]:
        best = np.argmax(sims, axis=1)
        closest = sims[np.arange(n), best]
        flipped = pols[np.arange(n), best] != polarity
    else:
        closest = np.zeros(n)
        flipped = np.zeros(n, dtype=bool)
    contradicts = (closest >= contradict) & flipped & ~graded_one
    paraphrases = (closest >= paraphrase) & ~flipped
    ref_closest = to_reference.max(axis=1) if to_reference.shape[1] else np.zeros(n)

    pos = np.where(graded_one | paraphrases, 1.0, 0.0)
    neg = np.zeros(n)
    for a in np.unique(answer):
        rows = np.flatnonzero(answer == a)
        if grade[rows[0]] <= 0.0:
            suspects = [i for i in rows if not paraphrases[i]]
            if not suspects:
                continue
            # the sentence least like correct text is the prime suspect; the others share
            # less blame the closer they come to correct text
            prime = min(suspects, key=lambda i: (closest[i], i))
            for i in suspects:
                neg[i] = (
                    1.0 if i == prime else 0.5 * max(0.0, 1.0 - max(closest[i], 0.0) / paraphrase)
                )
    if np.all(np.isnan(grade)) and to_reference.shape[1]:
        topical = np.ones(n, dtype=bool) if on_topic is None else on_topic
        neg = np.where((ref_closest < unlike) & topical, 0.5, neg)
    neg = np.where(contradicts, np.maximum(neg, 1.0), neg)
    pos = np.where(contradicts, 0.0, pos)
    return Evidence(pos=pos, neg=neg)


def cluster_probability(pos: float, neg: float) -> float:
    """Smoothed probability that a claim is correct: ``(pos + 1/2) / (pos + neg + 1)``.

    Example
    -------
    >>> cluster_probability(1, 0), cluster_probability(0, 1), cluster_probability(0, 0)
    (0.75, 0.25, 0.5)
    """
    return (pos + 0.5) / (pos + neg + 1.0)

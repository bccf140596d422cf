"""Claims: what students say, clustered, with a predicted truth the instructor can settle.

A *claim* is a cluster of student sentences that say the same thing. It has a
representative text, the answers behind it (``answer_ids``, one per student answer), a
predicted truth and a confidence:

``correct``
    a true statement (graded-correct answers state it and no graded-wrong answer blames it);
``foil``
    a misconception (graded-wrong answers state it, it is the part of those answers least
    like correct text, and no graded-correct answer states it);
``unsure``
    the evidence is weak or mixed: a claim only ungraded answers make, one that graded
    answers disagree on, or one that true-but-incomplete answers make;
``off_topic``
    text that does not address the question.

Truth is never judged by word overlap alone. The grades settle what they can (see
:mod:`edutools.generate._evidence`), the instructor's labels settle the rest, and both train
the judgement of the claims nobody settled (similarity-weighted votes of the settled
sentences). Where the evidence is weak the claim stays ``unsure`` and is not used as an
option unless the instructor labels it.

Claim ids are stable: a hash of the question and of the sentences behind the claim, so a
claims file written by ``edutools claims`` can be labelled and read back by
``edutools generate --claims`` as long as the course is unchanged.

Within a question, claims come in the order in which labelling them helps most (see
:func:`labelling_order`).
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from edutools.generate._evidence import (
    WRONG_AT,
    Unit,
    UnitEvidence,
    binary_grading,
    mine_units,
    reference_options,
    unit_evidence,
)
from edutools.schema import Basis, Course, Question
from edutools.text import TfidfVectors, cluster, content_stems, is_negated, words

__all__ = [
    "CLAIM_LABELS",
    "PREDICTIONS",
    "Claim",
    "ClaimLabel",
    "ClaimReview",
    "Prediction",
    "labelling_order",
    "mine_claims",
]

Prediction = Literal["correct", "foil", "unsure", "off_topic"]
ClaimLabel = Literal["correct", "foil", "off_topic"]
PREDICTIONS: tuple[Prediction, ...] = ("correct", "foil", "unsure", "off_topic")
CLAIM_LABELS: tuple[ClaimLabel, ...] = ("correct", "foil", "off_topic")


@dataclass(frozen=True)
class ClaimReview:
    """What the instructor said about one question's claims.

    ``labels`` maps claim ids to ``correct``/``foil``/``off_topic``; ``texts`` maps claim
    ids to an edited representative text; ``merges`` maps a claim id to the claim it was
    merged into (the merged claim keeps the target's id, label and text).
    """

    labels: Mapping[str, ClaimLabel] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)
    merges: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.labels or self.texts or self.merges)


@dataclass(frozen=True)
class Claim:
    """A cluster of student sentences that say the same thing (see the module docstring).

    ``truth`` is the instructor's label when there is one, else the prediction.
    ``confidence`` is the estimated probability that ``predicted`` is right. ``basis``
    says what settled a ``correct``/``foil`` truth: ``instructor``, ``grades`` or
    ``engine`` (similarity votes only). ``sentences`` are the member sentences as
    ``(answer_id, text)``; ``n_students`` counts distinct students.
    """

    id: str
    question_id: str
    text: str
    predicted: Prediction
    confidence: float
    answer_ids: tuple[str, ...]
    n_students: int
    sentences: tuple[tuple[str, str], ...]
    p_correct: float
    p_wrong: float
    graded_correct: int = 0
    graded_wrong: int = 0
    graded_partial: int = 0
    label: ClaimLabel | None = None
    edited: bool = False
    basis: Basis | None = None

    @property
    def truth(self) -> Prediction:
        """The instructor's label, else the prediction."""
        return self.label if self.label is not None else self.predicted

    @property
    def confirmed(self) -> bool:
        """Truth settled by the instructor or by agreeing grades."""
        return self.basis in ("instructor", "grades")


def claim_id(question_id: str, keys: Sequence[str]) -> str:
    """A stable id from the question and the member sentences' keys.

    Example
    -------
    >>> claim_id("Q1", ["a1:0", "a2:1"]) == claim_id("Q1", ["a2:1", "a1:0"])
    True
    """
    digest = hashlib.sha1("\n".join(sorted(keys)).encode()).hexdigest()[:8]
    return f"{question_id}-c{digest}"


# --------------------------------------------------------------------------- mining


@dataclass(frozen=True)
class _Group:
    members: tuple[int, ...]
    id: str


def _groups(units: Sequence[Unit], S: np.ndarray, threshold: float) -> list[_Group]:
    polarity = np.array([is_negated(u.text) for u in units])
    labels = cluster(S, threshold, cannot_link=polarity[:, None] != polarity[None, :])
    out = []
    for c in range(int(labels.max()) + 1 if len(labels) else 0):
        members = tuple(int(i) for i in np.flatnonzero(labels == c))
        out.append(_Group(members, ""))
    return out


def _split_mixed(
    groups: list[_Group],
    units: Sequence[Unit],
    S: np.ndarray,
    evidence: UnitEvidence,
    threshold: float,
    ceiling: float = 0.85,
) -> list[_Group]:
    """Re-cluster groups that hold both graded-correct and blamed graded-wrong sentences."""
    out: list[_Group] = []
    todo = [(g, threshold) for g in groups]
    while todo:
        g, t = todo.pop()
        idx = list(g.members)
        mixed = evidence.hard_pos[idx].any() and evidence.hard_neg[idx].any()
        if not mixed or t >= ceiling or len(idx) < 2:
            out.append(g)
            continue
        sub = _groups([units[i] for i in idx], S[np.ix_(idx, idx)], min(t + 0.1, ceiling))
        if len(sub) == 1:
            out.append(g)
            continue
        todo.extend(
            (_Group(tuple(idx[j] for j in s.members), ""), min(t + 0.1, ceiling)) for s in sub
        )
    return sorted(out, key=lambda g: min(g.members))


def _representative(idx: list[int], units: Sequence[Unit], S: np.ndarray, lean: np.ndarray) -> int:
    """The member that is central, carries the evidence and reads as an option."""
    pool = [i for i in idx if lean[i] > 0] or idx
    centrality = S[np.ix_(pool, idx)].mean(axis=1)
    scores = []
    for j, i in enumerate(pool):
        u = units[i]
        n = len(words(u.text))
        penalty = 0.2 * u.fragment + 0.1 * (n < 5) + 0.1 * (n > 25) + 0.05 * (n > 35)
        scores.append(centrality[j] + 0.15 * float(lean[i]) - penalty)
    return pool[int(np.argmax(scores))]


def mine_claims(
    course: Course,
    question: Question,
    *,
    review: ClaimReview | None = None,
    similarity: float = 0.45,
    min_confidence: float = 0.7,
) -> list[Claim]:
    """The claims of one question's answers, in labelling order.

    Parameters
    ----------
    course : Course
        The course (grades of the question's answers are used).
    question : Question
        The question; its reference answers are correct text.
    review : ClaimReview, optional
        The instructor's labels, edits and merges.
    similarity : float
        Average cosine similarity at which sentences count as the same claim.
    min_confidence : float
        A claim predicted from similarity votes alone is ``unsure`` below this.

    Returns
    -------
    list of Claim

    Example
    -------
    >>> from edutools import io
    >>> course = io.read_course(io.example_course_dir())
    >>> claims = mine_claims(course, course.questions[4])
    >>> sorted({c.predicted for c in claims}) == sorted(set(PREDICTIONS) & {c.predicted for c in claims})
    True
    """
    review = review or ClaimReview()
    units = mine_units(course, question)
    if not units:
        return []
    texts = [u.text for u in units]
    refs = list(question.references)
    vec = TfidfVectors().fit([*texts, *refs, question.text])
    X = vec.transform(texts)
    S = vec.similarity(X, X)
    evidence = unit_evidence(units, S, vec, question, binary=binary_grading(course))
    groups = _split_mixed(_groups(units, S, similarity), units, S, evidence, similarity)
    groups = [
        _Group(g.members, claim_id(question.id, [units[i].key for i in g.members])) for g in groups
    ]
    groups = _merge(groups, review.merges)

    # the instructor's labels are evidence for the other claims too
    seeds_pos = evidence.hard_pos.astype(float).copy()
    seeds_neg = evidence.hard_neg.astype(float).copy()
    for g in groups:
        label = review.labels.get(g.id)
        if label in ("correct", "foil"):
            for i in g.members:
                seeds_pos[i], seeds_neg[i] = (1.0, 0.0) if label == "correct" else (0.0, 1.0)
    votes_pos, votes_neg = _votes(S, seeds_pos, seeds_neg, evidence.ref_similarity)

    context = _Context(
        units=units,
        S=S,
        evidence=evidence,
        votes_pos=votes_pos,
        votes_neg=votes_neg,
        topic=frozenset(content_stems(" ".join([question.text, *refs]))),
        density=_density(S),
        settled=bool(evidence.hard_pos.any() or evidence.hard_neg.any() or review.labels),
        prior_wrong=_prior_wrong(course, question, vec),
        question=question,
        review=review,
        min_confidence=min_confidence,
    )
    return labelling_order(
        [_decide(g, context) for g in groups], n_reference=len(reference_options(question))
    )


def _prior_wrong(course: Course, question: Question, vec: TfidfVectors) -> dict[str, float]:
    """Per answer, a weak prior that it is wrong, for questions nothing settles yet.

    Answers least like the reference answers rank highest (from 0.7 down to 0.1 by rank
    within the question). On the development data, low similarity to the reference picks
    wrong answers with an AUC of 0.63 (example course) and 0.77 (SAF): enough to order the
    claims to label first, never enough to call a claim wrong.
    """
    answers = [a for a in course.answers_to(question.id) if a.text.strip()]
    if not answers:
        return {}
    sim = vec.similarity(
        vec.transform([a.text for a in answers]), vec.transform(list(question.references))
    ).max(axis=1)
    rank = sim.argsort(kind="stable").argsort() / max(1, len(answers) - 1)
    return {a.id: 0.1 + 0.6 * (1.0 - float(r)) for a, r in zip(answers, rank, strict=True)}


@dataclass(frozen=True)
class _Context:
    units: Sequence[Unit]
    S: np.ndarray
    evidence: UnitEvidence
    votes_pos: np.ndarray
    votes_neg: np.ndarray
    topic: frozenset[str]
    density: np.ndarray
    settled: bool
    prior_wrong: Mapping[str, float]
    question: Question
    review: ClaimReview
    min_confidence: float


def _density(S: np.ndarray, top: int = 3) -> np.ndarray:
    """Mean similarity of each sentence to its ``top`` most similar other sentences."""
    if S.shape[0] < 2:
        return np.zeros(S.shape[0])
    other = S - np.eye(S.shape[0]) * 2.0
    n = min(top, S.shape[0] - 1)
    return np.sort(other, axis=1)[:, -n:].mean(axis=1)


def _merge(groups: list[_Group], merges: Mapping[str, str]) -> list[_Group]:
    if not merges:
        return groups
    by_id = {g.id: g for g in groups}

    def root(cid: str) -> str:
        seen = set()
        while cid in merges and merges[cid] in by_id and cid not in seen:
            seen.add(cid)
            cid = merges[cid]
        return cid

    members: dict[str, list[int]] = {}
    for g in groups:
        members.setdefault(root(g.id), []).extend(g.members)
    return [_Group(tuple(sorted(m)), cid) for cid, m in members.items()]


def _votes(
    S: np.ndarray, pos: np.ndarray, neg: np.ndarray, ref_similarity: np.ndarray, k: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Similarity-weighted votes of the k most similar settled sentences, per sentence.

    Sentences with no settled neighbour get a weak prior from the reference: close to it
    leans correct. Returns (P(correct), P(wrong)) per sentence.
    """
    n = S.shape[0]
    settled = np.flatnonzero((pos > 0) | (neg > 0))
    p_pos = np.full(n, 0.5)
    p_neg = np.full(n, 0.5)
    prior = np.clip(ref_similarity, 0.0, 1.0)
    for i in range(n):
        cand = settled[settled != i]
        if len(cand):
            sims = S[i, cand]
            top = cand[np.argsort(-sims)[:k]]
            w = np.clip(S[i, top], 0.0, 1.0) ** 2
        else:
            top, w = np.zeros(0, dtype=int), np.zeros(0)
        # the reference is one more, always-settled neighbour on the correct side
        wp = float(np.sum(w * pos[top])) + prior[i] ** 2
        wn = float(np.sum(w * neg[top]))
        total = wp + wn
        if total < 0.05:
            continue
        # shrink towards 1/2 when the evidence is thin (0.3 units of weight are worth 1/2)
        p_pos[i] = (wp + 0.15) / (total + 0.3)
        p_neg[i] = (wn + 0.15) / (total + 0.3)
    return p_pos, p_neg


def _decide(g: _Group, ctx: _Context) -> Claim:
    units, ev, idx = ctx.units, ctx.evidence, list(g.members)
    answers: dict[str, str] = {}
    students: set[str] = set()
    for i in idx:
        answers.setdefault(units[i].answer_id, units[i].text)
        students.add(units[i].student_id)
    # each answer counts once: graded correct, blamed (graded wrong, and this sentence is the
    # wrong part), spared (graded wrong, but this sentence restates correct text), partly
    # correct, or ungraded
    kind: dict[str, str] = {}
    for i in idx:
        a, u = units[i].answer_id, units[i]
        if ev.hard_pos[i]:
            k = "correct"
        elif ev.hard_neg[i]:
            k = "blamed"
        elif u.grade is not None and u.grade <= WRONG_AT:
            k = "spared"
        elif ev.partial[i]:
            k = "partial"
        else:
            k = "ungraded"
        if kind.get(a) != "blamed":  # a blamed sentence makes the whole answer count as blamed
            kind[a] = k
    counts = Counter(kind.values())
    n_pos, n_neg, n_part = counts["correct"], counts["blamed"], counts["partial"]
    n_spared, n_free = counts["spared"], counts["ungraded"]
    unsettled = [i for i in idx if kind[units[i].answer_id] == "ungraded"]
    soft_pos = float(np.mean(ctx.votes_pos[unsettled])) if unsettled else 0.0
    soft_neg = float(np.mean(ctx.votes_neg[unsettled])) if unsettled else 0.0
    n_answers = len(kind)
    # expected share of the claim's answers that are right / wrong answers
    share_pos = (n_pos + soft_pos * n_free) / n_answers
    share_neg = (n_neg + n_spared + soft_neg * n_free) / n_answers

    stems = [set(content_stems(units[i].text)) for i in idx]
    on_topic = max((len(s & ctx.topic) / len(s) for s in stems if s), default=0.0)
    isolated = float(ctx.density[idx].max()) < 0.15 and on_topic < 0.3
    ref_sim = float(ev.ref_similarity[idx].max())
    predicted: Prediction
    basis: Basis | None = None
    if (on_topic == 0.0 or isolated) and n_pos == 0:
        # far from the question and from what others wrote: off-topic, even if graded wrong
        predicted, confidence = "off_topic", 0.6 if isolated else 0.7
    elif n_pos * 2 > n_answers and not n_neg:
        # most of the answers that make the claim were graded correct
        predicted, basis = "correct", "grades"
        confidence = _confidence(n_pos, n_part, share_pos)
    elif n_neg and not n_pos and not n_part and _likely_most(n_neg, n_free) >= 0.8:
        # most of the claim's answers are wrong answers, judging by the graded ones and the
        # rate at which ungraded companions of a graded-wrong answer turn out wrong
        if ev.paraphrase[idx].any():
            predicted, confidence = "unsure", 0.5
        else:
            predicted, basis = "foil", "grades"
            confidence = _confidence(n_neg, n_part, share_neg)
    elif n_pos or n_neg or n_part or n_spared:
        predicted = "unsure"
        total = n_pos + n_neg + n_part + n_spared
        confidence = 1.0 - max(n_pos, n_neg) / total
    elif not ctx.settled:
        # nothing in this question is graded or labelled: the reference is all there is
        if ref_sim >= 0.5 and not ev.opposed[idx].any():
            predicted, basis, confidence = "correct", "engine", min(0.9, 0.5 + ref_sim / 2)
        elif (ref_sim < 0.15 or ev.opposed[idx].any()) and len(students) >= 2:
            predicted, basis, confidence = "foil", "engine", 0.5
        else:
            predicted, confidence = "unsure", 0.5
    elif soft_neg >= ctx.min_confidence:
        predicted, basis, confidence = "foil", "engine", soft_neg
    elif soft_pos >= ctx.min_confidence:
        predicted, basis, confidence = "correct", "engine", soft_pos
    else:
        predicted, confidence = "unsure", 1.0 - abs(soft_pos - soft_neg)

    lean = ev.hard_neg.astype(float) if predicted == "foil" else ev.hard_pos.astype(float)
    rep = _representative(idx, units, ctx.S, lean)
    text = units[rep].text
    label = ctx.review.labels.get(g.id)
    edited = bool(ctx.review.texts.get(g.id, "").strip())
    if edited:
        text = ctx.review.texts[g.id].strip()
    if not ctx.settled:
        share_neg = float(np.mean([ctx.prior_wrong.get(a, 0.4) for a in kind]))
        share_pos = 1.0 - share_neg
    claim = Claim(
        id=g.id,
        question_id=ctx.question.id,
        text=text,
        predicted=predicted,
        confidence=round(float(confidence), 3),
        answer_ids=tuple(answers),
        n_students=len(students),
        sentences=tuple((units[i].answer_id, units[i].text) for i in idx),
        p_correct=round(share_pos, 3),
        p_wrong=round(share_neg, 3),
        graded_correct=n_pos,
        graded_wrong=n_neg,
        graded_partial=n_part,
        label=label,
        edited=edited,
        basis=basis,
    )
    if label is not None:
        claim = replace(claim, basis="instructor" if label != "off_topic" else None)
    return claim


#: Share of ungraded answers that turned out wrong when they made the same claim as an answer
#: graded wrong (measured on the development data: the example course and SAF v2.0, a third
#: graded, 5 seeds).
UNGRADED_WRONG_RATE = 0.6


def _likely_most(n_wrong: int, n_ungraded: int, rate: float = UNGRADED_WRONG_RATE) -> float:
    """P(more than half of the answers are wrong) when ``n_wrong`` are known wrong and each of
    ``n_ungraded`` others is wrong with probability ``rate``.

    Example
    -------
    >>> round(_likely_most(1, 1), 2), round(_likely_most(1, 2), 2), _likely_most(2, 1)
    (0.6, 0.84, 1.0)
    """
    n = n_wrong + n_ungraded
    need = n // 2 + 1 - n_wrong  # ungraded answers that must be wrong for a majority
    return float(sum(math.comb(n_ungraded, k) * rate**k * (1 - rate) ** (n_ungraded - k)
                     for k in range(max(need, 0), n_ungraded + 1)))  # fmt: skip


def _confidence(n_hard: int, n_partial: int, share: float) -> float:
    """Agreeing graded answers, discounted by true-but-incomplete ones and unsettled members."""
    base = (n_hard + 0.5) / (n_hard + n_partial + 1.0)
    return float(min(0.99, base * (0.5 + 0.5 * share)))


# --------------------------------------------------------------------------- ordering


def labelling_order(claims: Sequence[Claim], *, k: int = 4, n_reference: int = 0) -> list[Claim]:
    """Claims in the order in which labelling them helps most.

    Labels are spent where they make options: a claim the instructor labels ``foil`` or
    ``correct`` becomes an option (with ``--confirmed-only``, only labelled claims and the
    reference answers do), and foils are what students' answers uniquely give; correct
    statements also come from the reference answers (``n_reference`` usable sentences).
    Greedily, each next claim maximises

    ``(P(wrong) * need_foil + P(correct) * need_correct) * (1 + 0.1 * log2(n_students))``

    where ``P(wrong)``/``P(correct)`` are the claim's expected shares of wrong/right
    answers and the needs fall as the expected number of labelled foils (``k - 1`` make a
    ``correct_key`` item) and of correct statements (reference sentences included) grows.
    Larger claims win ties: their label also settles more answers. Claims predicted
    off-topic come after the others, and claims the instructor already labelled come last.

    Example
    -------
    >>> def c(i, pw, n):
    ...     return Claim(id=i, question_id="q", text="x", predicted="unsure", confidence=0.5,
    ...                  answer_ids=(), n_students=n, sentences=(), p_correct=1 - pw, p_wrong=pw)
    >>> [x.id for x in labelling_order([c("big-true", 0.1, 30), c("foil", 0.9, 2), c("mixed", 0.5, 5)])]
    ['foil', 'mixed', 'big-true']
    """
    todo = [c for c in claims if c.label is None and c.predicted != "off_topic"]
    off = [c for c in claims if c.label is None and c.predicted == "off_topic"]
    done = [c for c in claims if c.label is not None]
    expect_foil = float(sum(c.label == "foil" for c in claims))
    expect_correct = float(n_reference + sum(c.label == "correct" for c in claims))
    p_wrong = np.array([c.p_wrong for c in todo])
    p_correct = np.array([c.p_correct for c in todo])
    size = 1.0 + 0.1 * np.log2(np.array([c.n_students for c in todo], dtype=float).clip(1))
    # ties go to the larger claim, then to the smaller id
    tiebreak = np.empty(len(todo))
    tiebreak[sorted(range(len(todo)), key=lambda i: (-todo[i].n_students, todo[i].id))] = np.arange(
        len(todo)
    )
    left = np.ones(len(todo), dtype=bool)
    order: list[Claim] = []
    while left.any():
        need_foil = 1.0 if expect_foil < k - 1 else 0.6 if expect_foil < 2 * (k - 1) else 0.3
        need_correct = 0.6 if expect_correct < k - 1 else 0.15
        gain = (p_wrong * need_foil + p_correct * need_correct) * size
        gain = np.where(left, gain - 1e-9 * tiebreak, -np.inf)
        best = int(np.argmax(gain))
        left[best] = False
        order.append(todo[best])
        expect_foil += p_wrong[best]
        expect_correct += p_correct[best]
    order.extend(sorted(off, key=lambda c: (-c.n_students, c.id)))
    order.extend(done)
    return order

"""The ``local`` engine: assertions and items from student answers without any LLM.

For each question:

1. split every answer into sentences, clean them (PII masked, hedges and fillers removed)
   and drop empty ones, non-answers, text addressed to the grader, and sentences too short
   or too long to be an option;
2. vectorise sentences (TF-IDF over word stems, stem bigrams and character n-grams) and
   cluster near-duplicates by average linkage on cosine similarity, never joining two
   sentences of opposite polarity ("X does" / "X does not");
3. label each cluster from the instructor's grades of the answers it comes from and from
   close paraphrases or contradictions of the reference answer (see
   :mod:`edutools.generate._label`); clusters without evidence either way are left out;
4. take the most central, self-contained sentence of each cluster as its assertion, with
   ``support`` = the ids of the answers in the cluster, and rank foils by support;
5. top up correct assertions from the reference answer when students gave too few, then
   assemble items as every engine does and run the item-writing checks.

Everything is deterministic and offline. Lexical similarity cannot judge truth: where
answers are ungraded, only claims that graded answers (or the reference) settle are used,
and a question with no graded answer at all is labelled from the reference alone.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

import edutools
from edutools.generate._clean import clean_sentence, is_fragment, reject_reason
from edutools.generate._fingerprint import code_hash
from edutools.generate._label import (
    Evidence,
    GradedSentence,
    cluster_probability,
    sentence_evidence,
)
from edutools.generate.assemble import (
    DEFAULT_MIX,
    FormMix,
    QuestionResult,
    assemble_with_notes,
    rank_by_support,
)
from edutools.generate.quality import check_item
from edutools.schema import Assertion, Course, Item, ItemBank, Provenance, Question, Truth, Usage
from edutools.text import (
    TfidfVectors,
    cluster,
    content_stems,
    is_negated,
    split_clauses,
    split_sentences,
    words,
)

__all__ = ["LocalEngine", "generate_local"]


@dataclass(frozen=True)
class _Cluster:
    members: tuple[int, ...]
    representative: int
    support: tuple[str, ...]
    p_correct: float
    on_topic: bool


class LocalEngine:
    """Deterministic, offline engine: sentence mining, clustering, grades and the reference.

    Parameters
    ----------
    k : int
        Options per item.
    mix : FormMix
        Shares of correct-key, foil-key and select-all items.
    seed : int
        Seeds option order.
    max_items : int or None
        Upper bound on items per question.
    cluster_similarity : float
        Average cosine similarity at which sentences count as the same claim.
    correct_above, foil_below : float
        A cluster is correct when its probability is at least ``correct_above``, a foil
        when at most ``foil_below``, and left out otherwise.
    min_foil_support : int
        Students needed for a foil.
    use_reference : bool
        Add reference-answer sentences as correct assertions when students gave fewer
        than ``k - 1``.

    Example
    -------
    >>> from edutools import io
    >>> course = io.read_course(io.example_course_dir())
    >>> result = LocalEngine().process(course, course.questions[0])
    >>> result.items[0].id, result.usage.calls
    ('local-Q01-01', 0)
    """

    name = "local"

    def __init__(
        self,
        *,
        k: int = 4,
        mix: FormMix = DEFAULT_MIX,
        seed: int = 0,
        max_items: int | None = None,
        cluster_similarity: float = 0.35,
        correct_above: float = 0.7,
        foil_below: float = 0.3,
        min_foil_support: int = 1,
        use_reference: bool = True,
    ) -> None:
        self.k = k
        self.mix = mix
        self.seed = seed
        self.max_items = max_items
        self.cluster_similarity = cluster_similarity
        self.correct_above = correct_above
        self.foil_below = foil_below
        self.min_foil_support = min_foil_support
        self.use_reference = use_reference

    def parameters(self) -> dict[str, object]:
        """The settings that shape the output, for provenance."""
        return {
            "k": self.k,
            "mix": dataclasses.asdict(self.mix),
            "seed": self.seed,
            "max_items": self.max_items,
            "cluster_similarity": self.cluster_similarity,
            "correct_above": self.correct_above,
            "foil_below": self.foil_below,
            "min_foil_support": self.min_foil_support,
            "use_reference": self.use_reference,
        }

    def provenance(self, course: Course) -> Provenance:
        """Provenance of this engine's output for ``course``."""
        return Provenance(
            engine=self.name,
            parameters=self.parameters(),
            input_hash=course.content_hash(),
            edutools_version=edutools.__version__,
            code_hash=code_hash("local"),
            usage=Usage(),
        )

    # ------------------------------------------------------------------ mining

    def _sentences(
        self, course: Course, question: Question
    ) -> tuple[list[GradedSentence], Counter[str]]:
        known_ids = sorted({a.student_id for a in course.answers})
        sentences: list[GradedSentence] = []
        dropped: Counter[str] = Counter()
        for answer in course.answers_to(question.id):
            seen: set[str] = set()
            for raw in split_sentences(answer.text):
                text = clean_sentence(raw, known_ids=known_ids)
                reason = reject_reason(raw, text)
                if reason:
                    dropped[reason] += 1
                elif text.lower() not in seen:
                    seen.add(text.lower())
                    sentences.append(GradedSentence(answer.id, answer.grade, text))
        return sentences, dropped

    def mine(self, course: Course, question: Question) -> tuple[list[Assertion], list[str]]:
        """Correct assertions and foils for one question, with notes on what was left out.

        Parameters
        ----------
        course : Course
            The course (its answers to ``question`` are mined).
        question : Question
            The question.

        Returns
        -------
        assertions : list of Assertion
            Correct ones first, then foils ranked by support.
        notes : list of str
        """
        sentences, dropped = self._sentences(course, question)
        notes = [
            f"{len(course.answers_to(question.id))} answers, {len(sentences)} usable sentences"
        ]
        if dropped:
            notes.append(
                "dropped sentences: " + ", ".join(f"{n} {r}" for r, n in sorted(dropped.items()))
            )
        reference = [
            s for s in (clean_sentence(r) for r in split_sentences(question.reference_answer)) if s
        ]
        if not sentences:
            return self._with_reference(question, reference, []), notes

        texts = [s.text for s in sentences]
        # whole reference sentences and their clauses: clauses match short student claims,
        # sentences keep the context a clause may lose
        ref_parts = [*reference, *(c for r in reference for c in split_clauses(r))]
        vec = TfidfVectors().fit([*texts, *reference, question.text])
        X = vec.transform(texts)
        S = vec.similarity(X, X)
        polarity = np.array([is_negated(t) for t in texts])
        labels = cluster(
            S, self.cluster_similarity, cannot_link=polarity[:, None] != polarity[None, :]
        )
        topic = set(content_stems(f"{question.text} {question.reference_answer}"))
        on_topic = np.array([bool(set(content_stems(t)) & topic) for t in texts])
        evidence = sentence_evidence(
            sentences,
            S,
            vec.similarity(X, vec.transform(ref_parts)) if ref_parts else np.zeros((len(texts), 0)),
            polarity,
            np.array([is_negated(r) for r in ref_parts], dtype=bool),
            on_topic=on_topic,
        )
        clusters = [
            self._summarise(np.flatnonzero(labels == c), sentences, S, evidence, on_topic)
            for c in range(int(labels.max()) + 1)
        ]

        found: dict[Truth, list[Assertion]] = {"correct": [], "foil": []}
        undecided = off_topic = thin = 0
        for c in sorted(clusters, key=lambda c: (-len(c.support), c.representative)):
            if not c.on_topic and len(c.support) < 2:
                off_topic += 1
                continue
            truth: Truth
            if c.p_correct >= self.correct_above:
                truth = "correct"
            elif c.p_correct <= self.foil_below:
                if len(c.support) < self.min_foil_support:
                    thin += 1
                    continue
                truth = "foil"
            else:
                undecided += 1
                continue
            n = len(found[truth]) + 1
            found[truth].append(
                Assertion(
                    id=f"{self.name}-{question.id}-{truth[0]}{n:02d}",
                    question_id=question.id,
                    text=sentences[c.representative].text,
                    truth=truth,
                    support=list(c.support),
                )
            )
        notes.append(
            f"{len(clusters)} claims: {len(found['correct'])} correct, {len(found['foil'])} foils, "
            f"{undecided} without enough evidence, {off_topic} off-topic"
            + (f", {thin} foils held by too few students" if thin else "")
        )
        correct = self._with_reference(question, reference, found["correct"])
        return correct + rank_by_support(found["foil"]), notes

    @staticmethod
    def _summarise(
        members: np.ndarray,
        sentences: Sequence[GradedSentence],
        S: np.ndarray,
        evidence: Evidence,
        on_topic: np.ndarray,
    ) -> _Cluster:
        idx = [int(i) for i in members]
        # each answer counts once, with its strongest evidence
        pos: dict[str, float] = {}
        neg: dict[str, float] = {}
        for i in idx:
            a = sentences[i].answer_id
            pos[a] = max(pos.get(a, 0.0), float(evidence.pos[i]))
            neg[a] = max(neg.get(a, 0.0), float(evidence.neg[i]))
        p = cluster_probability(sum(pos.values()), sum(neg.values()))
        # the representative should carry the evidence behind the label (a cluster can mix
        # "the DNA is the same" with "they have different DNA"), then be central, stand on
        # its own and have an option's length
        leaning = evidence.neg if p < 0.5 else evidence.pos
        pool = [i for i in idx if leaning[i] > 0] or idx
        centrality = S[np.ix_(pool, idx)].mean(axis=1)
        score = []
        for j, i in enumerate(pool):
            n_words = len(words(sentences[i].text))
            penalty = (
                0.15 * is_fragment(sentences[i].text) + 0.1 * (n_words < 5) + 0.1 * (n_words > 25)
            )
            score.append(centrality[j] + 0.2 * float(leaning[i]) - penalty)
        best = pool[int(np.argmax(score))]
        return _Cluster(
            members=tuple(idx),
            representative=best,
            support=tuple(sorted(pos)),
            p_correct=p,
            on_topic=bool(on_topic[idx].any()),
        )

    def _with_reference(
        self, question: Question, reference: list[str], correct: list[Assertion]
    ) -> list[Assertion]:
        """Students' correct assertions, topped up from the reference answer to ``k - 1``."""
        out = list(rank_by_support(correct))
        if not self.use_reference or len(out) >= self.k - 1:
            return out
        vec = TfidfVectors().fit([*reference, *(a.text for a in out)])
        have: sparse.csr_matrix | None = vec.transform([a.text for a in out]) if out else None
        for n, text in enumerate(reference, start=1):
            if len(out) >= self.k - 1:
                break
            if len(words(text)) > 30 or reject_reason(text, text):
                continue
            if have is not None and vec.similarity(vec.transform([text]), have).max() >= 0.6:
                continue  # a student already said it
            out.append(
                Assertion(
                    id=f"{self.name}-{question.id}-r{n:02d}",
                    question_id=question.id,
                    text=text,
                    truth="correct",
                )
            )
        return out

    # ------------------------------------------------------------------ engine API

    def process(self, course: Course, question: Question) -> QuestionResult:
        """Mine assertions for one question and assemble checked items from them.

        Parameters
        ----------
        course : Course
            The course the question belongs to.
        question : Question
            The question to process.

        Returns
        -------
        QuestionResult
            Assertions, flagged items, zero usage, and notes.
        """
        assertions, notes = self.mine(course, question)
        assembly = assemble_with_notes(
            question,
            assertions,
            k=self.k,
            mix=self.mix,
            source=self.name,
            provenance=self.provenance(course),
            seed=self.seed,
            max_items=self.max_items,
        )
        by_id = {a.id: a for a in assertions}
        items = tuple(
            item.model_copy(update={"flags": check_item(item, question=question, assertions=by_id)})
            for item in assembly.items
        )
        return QuestionResult(
            question_id=question.id,
            assertions=tuple(assertions),
            items=items,
            usage=Usage(),
            notes=tuple(notes) + assembly.notes,
        )


def generate_local(
    course: Course, *, k: int = 4, mix: FormMix = DEFAULT_MIX, seed: int = 0
) -> ItemBank:
    """Run the local engine over every question of a course.

    Parameters
    ----------
    course : Course
        The course with questions, reference answers and student answers.
    k : int
        Options per item.
    mix : FormMix
        Shares of the item forms.
    seed : int
        Seeds option order.

    Returns
    -------
    ItemBank
        Items, the assertions they use (foils carry their supporting answer ids) and the
        run's provenance (engine ``local``, parameters, the course's content hash).

    Example
    -------
    >>> from edutools import io
    >>> bank = generate_local(io.read_course(io.example_course_dir()))
    >>> bank.run.engine, bank.k, all(a.support for a in bank.assertions if a.truth == "foil")
    ('local', 4, True)
    """
    engine = LocalEngine(k=k, mix=mix, seed=seed)
    items: list[Item] = []
    assertions: list[Assertion] = []
    for question in course.questions:
        result = engine.process(course, question)
        items.extend(result.items)
        assertions.extend(result.assertions)
    return ItemBank(
        course_id=course.id, k=k, items=items, assertions=assertions, run=engine.provenance(course)
    )

"""Benchmark: how good are the local engine's items, on the example course and on real answers?

Every figure is an :func:`edutools.generate.evaluate.evaluate` of the bank against per-answer
labels (foil precision: most of a foil's supporting answers are labelled wrong; key
precision: most of a key's supporting answers are labelled correct; chance: labels shuffled
within each question). Three settings:

* **no grades** -- the course as an instructor first uploads it;
* **a third graded** -- a seeded random third of each question's answers carry the
  instructor's grade, from the labels: correct 1, partial 0.5, anything else 0;
  ``binary`` grades partial answers 0 instead (an instructor who grades only 0/1);
* **claim labels** -- a simulated instructor labels the first N claims of each question in
  the order ``edutools claims`` lists them, from the answer labels (the plurality of the
  claim's answers: wrong -> foil, correct or partial -> correct, off-topic -> off_topic),
  on the third-graded course; with ``--confirmed-only`` only labelled claims (and the
  reference answers) become options.

Corpora: the bundled example course (synthetic, written for this project: it flatters every
engine) and, when ``../shared/data/saf_en`` exists, the SAF v2.0 English corpus (2,981 real
university students' answers to 31 communication-networks questions, tutor labels correct /
partially correct / incorrect; Filighera et al., ACL 2022, MIT licence). SAF has no
``contradictory`` or ``off_topic`` label and only 173 incorrect answers.

Run: ``.venv/bin/python benchmarks/bench_generate_quality.py [--corpus example saf] [--labels 0 2 4 8 16]``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _corpora

from edutools.generate.claims import Claim, ClaimLabel, ClaimReview
from edutools.generate.evaluate import WRONG, Evaluation, evaluate
from edutools.generate.local import LocalEngine, generate_local
from edutools.schema import Course


def simulated_label(claim: Claim, labels: dict[str, str]) -> ClaimLabel:
    """What an instructor who knows every answer's label would say of a claim."""
    votes: Counter[str] = Counter()
    for a in claim.answer_ids:
        lab = labels.get(a)
        if lab in WRONG:
            votes["foil"] += 1
        elif lab in ("correct", "partial"):
            votes["correct"] += 1
        elif lab == "off_topic":
            votes["off_topic"] += 1
    if not votes:
        return "off_topic"
    best = max(votes.values())
    for label in ("correct", "foil", "off_topic"):  # ties go to the kinder reading
        if votes[label] == best:
            return label  # type: ignore[return-value]
    raise AssertionError


def label_first(course: Course, labels: dict[str, str], n: int) -> dict[str, ClaimReview]:
    """Reviews in which the first ``n`` claims of every question are labelled."""
    engine = LocalEngine()
    reviews = {}
    for q in course.questions:
        claims = engine.claims(course, q)[:n]
        reviews[q.id] = ClaimReview(labels={c.id: simulated_label(c, labels) for c in claims})
    return reviews


def row(name: str, e: Evaluation, seconds: float) -> str:
    def f(x: float | None) -> str:
        return "  n/a" if x is None else f"{x:5.2f}"

    return (
        f"| {name:34s} | {e.items:5d} | {e.sound_items:5d} | {f(e.foil_precision)} ({e.foils_judged:3d}) "
        f"| {f(e.foil_chance)} | {e.unconfirmed_foils:4d} | {f(e.key_precision)} ({e.keys_judged:3d}) "
        f"| {f(e.item_coverage)} ({e.questions_min_wrong_with_item}/{e.questions_min_wrong}) "
        f"| {f(e.answer_coverage)} | {seconds:5.1f} |"
    )


HEADER = (
    "| setting                            | items | sound | foil prec. (n)   | chance | unconf "
    "| key prec. (n)    | >=5 wrong: item  | wrong ans. covered | s |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", nargs="+", default=["example", "saf"])
    parser.add_argument("--labels", nargs="+", type=int, default=[0, 2, 4, 8, 16])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    corpora = []
    if "example" in args.corpus:
        corpora.append(_corpora.example())
    if "saf" in args.corpus:
        saf = _corpora.saf()
        if saf is None:
            print("SAF corpus not found at ../shared/data/saf_en: skipped")
        else:
            corpora.append(saf)
    for corpus in corpora:
        print(f"\n## {corpus.name}: {len(corpus.course.questions)} questions, "
              f"{len(corpus.course.answers)} answers\n")  # fmt: skip
        print(HEADER)
        third = _corpora.graded(corpus.course, corpus.labels, 1 / 3, seed=args.seed)
        settings = [
            ("no grades", _corpora.ungraded(corpus.course), None, False),
            ("a third graded", third, None, False),
            (
                "a third graded, binary grades",
                _corpora.graded(corpus.course, corpus.labels, 1 / 3, seed=args.seed, partial=0.0),
                None,
                False,
            ),
        ]
        for n in args.labels:
            if n > 0:
                reviews = label_first(third, corpus.labels, n)
                settings.append((f"third graded + {n} labels", third, reviews, False))
                settings.append((f"third graded + {n} labels, confirmed", third, reviews, True))
        questions = {a.id: a.question_id for a in corpus.course.answers}
        for name, course, reviews, confirmed in settings:
            start = time.perf_counter()
            bank = generate_local(course, reviews=reviews, confirmed_only=confirmed)
            seconds = time.perf_counter() - start
            e = evaluate(bank, corpus.labels, questions=questions, n_shuffles=100, seed=args.seed)
            print(row(name, e, seconds))


if __name__ == "__main__":
    main()

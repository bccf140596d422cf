"""The local engine on real student answers (a subset of SAF v2.0; see tests/data/saf_en).

The thresholds sit below what was measured when they were written, to catch regressions,
not to restate a benchmark (``benchmarks/bench_generate_quality.py`` prints the figures).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from edutools.generate.evaluate import evaluate
from edutools.generate.local import generate_local
from edutools.schema import ItemBank

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import _corpora
from bench_generate_quality import label_first


def _v(share: float | None) -> float:
    """A share, with None (nothing to judge) as NaN so any comparison fails."""
    return float("nan") if share is None else share


DATA = Path(__file__).resolve().parents[1] / "data" / "saf_en"


@pytest.fixture(scope="module")
def corpus() -> _corpora.Corpus:
    found = _corpora.saf(DATA)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def third(corpus: _corpora.Corpus) -> _corpora.Course:
    return _corpora.graded(corpus.course, corpus.labels, 1 / 3, seed=0)


@pytest.fixture(scope="module")
def third_bank(third: _corpora.Course) -> ItemBank:
    return generate_local(third)


def test_a_third_graded_gives_precise_foils_and_keys(
    corpus: _corpora.Corpus, third_bank: ItemBank
) -> None:
    bank = third_bank
    e = evaluate(bank, corpus.labels, n_shuffles=20)
    assert e.foils_judged >= 8
    assert _v(e.foil_precision) >= 0.85, e.rows()
    assert _v(e.key_precision) >= 0.85, e.rows()
    assert _v(e.foil_chance) < 0.3
    assert _v(e.item_coverage) >= 0.66, e.rows()
    # foils settled by grades are not flagged unconfirmed; nothing true is used as wrong
    assert e.unconfirmed_foils == 0
    assert "true_distractor" not in e.flags


def test_without_grades_every_foil_is_flagged(corpus: _corpora.Corpus) -> None:
    bank = generate_local(_corpora.ungraded(corpus.course))
    e = evaluate(bank, corpus.labels, n_shuffles=0)
    assert e.foils == e.unconfirmed_foils


def test_eight_labels_confirmed_only(corpus: _corpora.Corpus, third: _corpora.Course) -> None:
    reviews = label_first(third, corpus.labels, 8)
    bank = generate_local(third, reviews=reviews, confirmed_only=True)
    e = evaluate(bank, corpus.labels, n_shuffles=0)
    assert e.foil_precision == 1.0, e.rows()
    assert _v(e.item_coverage) >= 0.8, e.rows()
    labelled = {c for r in reviews.values() for c in r.labels}
    used = {o.assertion_id for i in bank.items for o in i.options}
    assert used <= labelled | {a.id for a in bank.assertions if a.basis == "reference"}


def test_options_read_as_sentences(third_bank: ItemBank) -> None:
    bank = third_bank
    texts = [o.text for i in bank.items for o in i.options]
    assert texts
    assert all(t[0].isupper() or not t[0].isalpha() for t in texts)
    assert all(t.endswith((".", "?", "!")) for t in texts)
    fragments = sum(1 for i in bank.items for f in i.flags if f.check == "option_fragment")
    assert fragments / len(bank.items) < 0.2

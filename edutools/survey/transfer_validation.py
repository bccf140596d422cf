"""Validation of style rewrites: do they hit their targets, and do they keep the content?

:func:`validate_transfer` checks rewrites from :func:`edutools.survey.transfer.rewrite_responses`:
Spearman's rho between target level and the measured style of each dimension, leakage into
the other dimensions, content similarity to the base response, and per-rewrite flags
(unchanged, empty, refusal, content drift, off target, failed).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from edutools.errors import DataError
from edutools.schema import normalize_text
from edutools.survey.config import StudyDefinition
from edutools.survey.styles import measure_styles
from edutools.text import TfidfVectors

__all__ = ["TransferReport", "content_similarity", "validate_transfer"]

# Opening phrases of refusals and meta-replies instead of a rewrite.
_REFUSAL = re.compile(
    r"^\s*(?:i'?m sorry|sorry,|i cannot|i can't|i am unable|i'm unable|as an ai\b|"
    r"here is the rewritten|here's the rewritten|rewritten answer:)",
    re.IGNORECASE,
)


def content_similarity(pairs: Sequence[tuple[str, str]], corpus: Sequence[str]) -> np.ndarray:
    """Cosine similarity of TF-IDF vectors of content-word stems, for each (base, rewrite) pair.

    The vectors are :class:`edutools.text.TfidfVectors` over word stems and stem bigrams
    (no character n-grams), fitted on ``corpus`` (all base responses and rewrites), so topic
    words of one base item weigh more than words every text shares. 1 means the same words in
    the same proportions; unrelated texts score near 0.

    Example
    -------
    >>> base, other = "Drink water every day.", "Bake bread in a hot oven."
    >>> sims = content_similarity([(base, base), (base, other)], [base, other])
    >>> [round(float(v), 2) for v in sims]
    [1.0, 0.0]
    """
    vectors = TfidfVectors(char_weight=0.0).fit(list(corpus))
    left = vectors.transform([a for a, _ in pairs])
    right = vectors.transform([b for _, b in pairs])
    return np.asarray(left.multiply(right).sum(axis=1)).ravel()


@dataclass(frozen=True)
class TransferReport:
    """The validation of a set of rewrites.

    Attributes
    ----------
    rewrites
        One row per rewrite: targets, measures, ``similarity``, ``flags`` (';'-joined).
    dimensions
        Per dimension: the ``measure`` used, ``n``, Spearman ``rho`` and ``p_value`` between
        target level and measure, ``level_means`` (the mean measure at each target level, in
        level order), ``monotonic`` (each level's mean above the previous one's) and whether
        it is ``ok`` (rho > 0, p < 0.05 and monotonic).
    leakage
        Per (target dimension, other dimension's measure): ``rho``, and ``leak`` when
        |rho| > ``max_leakage``.
    """

    rewrites: pd.DataFrame
    dimensions: pd.DataFrame
    leakage: pd.DataFrame

    @property
    def flagged(self) -> pd.DataFrame:
        """The rewrites with at least one flag."""
        return self.rewrites[self.rewrites["flags"] != ""]

    def to_markdown(self) -> str:
        """A short Markdown report of the checks."""
        lines = ["# Style-transfer validation", ""]
        n, bad = len(self.rewrites), len(self.flagged)
        lines += [f"{n} rewrites, {bad} flagged.", "", "## Target level vs measured style", ""]
        lines += [
            "| dimension | measure | n | Spearman rho | p | monotonic | ok |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in self.dimensions.itertuples():
            rho = "n/a" if math.isnan(r.rho) else f"{r.rho:.3f}"
            p = "n/a" if math.isnan(r.p_value) else f"{r.p_value:.3g}"
            lines.append(
                f"| {r.dimension} | {r.measure} | {r.n} | {rho} | {p} | "
                f"{'yes' if r.monotonic else 'NO'} | {'yes' if r.ok else 'NO'} |"
            )
        lines += ["", "## Mean measure by target level", ""]
        for r in self.dimensions.itertuples():
            if not r.level_means:
                continue
            cells = " | ".join(f"{level:g}: {mean:.3f}" for level, mean in r.level_means)
            lines.append(f"- {r.dimension} ({r.measure}): {cells}")
        leaks = self.leakage[self.leakage["leak"]]
        lines += ["", "## Leakage", ""]
        if leaks.empty:
            lines.append("No target moved another dimension's measure beyond the threshold.")
        for r in leaks.itertuples():
            lines.append(f"- target {r.target} moves {r.measured} ({r.measure}): rho = {r.rho:.3f}")
        lines += ["", "## Flagged rewrites", ""]
        counts = self.flagged["flags"].str.split(";").explode().value_counts()
        for flag, count in counts.items():
            lines.append(f"- {flag}: {count}")
        if counts.empty:
            lines.append("None.")
        return "\n".join(lines) + "\n"


_DIMENSION_COLUMNS = [
    "dimension", "measure", "n", "rho", "p_value", "level_means", "monotonic", "ok",
]  # fmt: skip


_DIMENSION_COLUMNS = [
    "dimension", "measure", "n", "rho", "p_value", "level_means", "monotonic", "ok",
]  # fmt: skip


def _measure_column(measures: pd.DataFrame, spec: str) -> pd.Series | None:
    name = spec.removeprefix("-")
    if name not in measures.columns:
        return None
    col = measures[name].astype(float)
    return -col if spec.startswith("-") else col


def _spearman(x: pd.Series, y: pd.Series) -> tuple[float, float, int]:
    ok = x.notna() & y.notna()
    n = int(ok.sum())
    if n < 3 or x[ok].nunique() < 2 or y[ok].nunique() < 2:
        return math.nan, math.nan, n
    rho, p = spearmanr(x[ok], y[ok])
    return float(rho), float(p), n


def validate_transfer(
    study: StudyDefinition,
    rewrites: pd.DataFrame,
    *,
    judge: Callable[[list[str]], pd.DataFrame] | None = None,
) -> TransferReport:
    """Check rewrites against their targets and their base responses.

    Parameters
    ----------
    study
        Gives the dimensions, base responses and thresholds (``transfer`` section).
    rewrites
        From :func:`rewrite_responses` (``base_item``, dimension columns, ``text``, ``status``).
        Extra ``judge_<dimension>`` columns are used as judge ratings.
    judge
        Optional: rates the texts when the frame has no judge columns (e.g.
        :func:`llm_style_judge`).

    Returns
    -------
    TransferReport
        Flags per rewrite: ``failed`` (no text), ``empty`` (< 3 words), ``unchanged``
        (identical to the base once case, spacing and punctuation are ignored), ``refusal``
        (opens like a refusal or a comment), ``content_drift`` (similarity below
        ``min_similarity``), ``off_target:<dim>`` (judge rating misses the target by more than
        ``max_judge_error``).
    """
    names = [d.name for d in study.gsp_dimensions]
    missing = [c for c in ("base_item", "text", *names) if c not in rewrites.columns]
    if missing:
        raise DataError(f"rewrites: missing column(s) {', '.join(missing)}")
    cfg = study.transfer
    frame = rewrites.reset_index(drop=True).copy()
    if "status" not in frame.columns:
        frame["status"] = np.where(frame["text"].isna(), "failed", "ok")
    texts = frame["text"].where(frame["text"].notna(), "").astype(str)
    bases = {b.id: b.response for b in study.base_items}
    base_text = frame["base_item"].map(bases)
    if base_text.isna().any():
        raise DataError(
            f"rewrites: unknown base item {frame.loc[base_text.isna(), 'base_item'].iloc[0]!r}"
        )
    measures = measure_styles(list(texts)).drop(columns="response_id")
    judged = [c for c in frame.columns if c.startswith("judge_")]
    if not judged and judge is not None:
        ok_rows = frame["status"] == "ok"
        ratings = judge(list(texts[ok_rows]))
        ratings.index = frame.index[ok_rows]
        frame = frame.join(ratings)
        judged = list(ratings.columns)
    for col in judged:
        measures[col] = frame[col].astype(float)
    frame = frame.join(measures.drop(columns=judged))
    corpus = [*bases.values(), *texts]
    frame["similarity"] = content_similarity(list(zip(base_text, texts, strict=True)), corpus)

    flags: list[list[str]] = [[] for _ in range(len(frame))]
    for i, row in frame.iterrows():
        k = int(i)
        if row["status"] != "ok":
            flags[k].append("failed")
            continue
        if measures.loc[k, "n_words"] < 3:
            flags[k].append("empty")
        if normalize_text(texts[k]) == normalize_text(base_text[k]):
            flags[k].append("unchanged")
        if _REFUSAL.search(texts[k]):
            flags[k].append("refusal")
        if row["similarity"] < cfg.min_similarity:
            flags[k].append("content_drift")
        for name in names:
            col = f"judge_{name}"
            if (
                col in frame.columns
                and pd.notna(row[col])
                and abs(float(row[col]) - float(row[name])) > cfg.max_judge_error
            ):
                flags[k].append(f"off_target:{name}")
    frame["flags"] = [";".join(f) for f in flags]

    usable = frame["status"] == "ok"
    specs = {n: cfg.validation_measures.get(n, f"judge_{n}") for n in names}
    dim_rows, leak_rows = [], []
    for name in names:
        col = _measure_column(measures[usable], specs[name])
        rho, p, n = (
            (math.nan, math.nan, 0) if col is None else _spearman(frame.loc[usable, name], col)
        )
        means: list[tuple[float, float]] = []
        if col is not None:
            by_level = col.groupby(frame.loc[usable, name].astype(float)).mean().sort_index()
            means = [(float(k), float(v)) for k, v in by_level.items()]
        monotonic = len(means) >= 2 and all(b[1] > a[1] for a, b in itertools.pairwise(means))
        dim_rows.append(
            {
                "dimension": name,
                "measure": specs[name] if col is not None else f"{specs[name]} (not measured)",
                "n": n,
                "rho": rho,
                "p_value": p,
                "level_means": means,
                "monotonic": monotonic,
                "ok": bool(rho > 0 and p < 0.05 and monotonic),
            }
        )
        for other in names:
            other_col = _measure_column(measures[usable], specs[other])
            if other == name or other_col is None:
                continue
            r, _, _ = _spearman(frame.loc[usable, name], other_col)
            leak_rows.append(
                {
                    "target": name,
                    "measured": other,
                    "measure": specs[other],
                    "rho": r,
                    "leak": bool(abs(r) > cfg.max_leakage) if not math.isnan(r) else False,
                }
            )
    return TransferReport(
        rewrites=frame,
        dimensions=pd.DataFrame(dim_rows, columns=_DIMENSION_COLUMNS),
        leakage=pd.DataFrame(leak_rows, columns=["target", "measured", "measure", "rho", "leak"]),
    )

"""Style transfer: rewrite base responses to target style vectors, judge them, validate them.

* :func:`style_targets` lists the target vectors (every level combination, or one dimension
  at a time) for each base item.
* :func:`rewrite_responses` sends one ``style_transfer`` prompt per target through the LLM
  layer (:class:`edutools.llm.LLMClient`: cache, retries, re-asks, usage accounting).
* :func:`llm_style_judge` rates responses on every dimension with the ``style_judge`` prompt;
  it plugs into :func:`edutools.survey.styles.measure_styles` as ``judge``.
* :func:`validate_transfer` checks the rewrites: Spearman's rho between target level and the
  measured style of each dimension, leakage into the other dimensions, content similarity to
  the base response, and per-rewrite flags (unchanged, empty, refusal, content drift, off
  target, failed).

The prompt files are chosen by the study (``transfer.prompt``, ``transfer.judge_prompt``), so
a study with other dimensions can ship its own prompt files.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.stats import spearmanr

from edutools.errors import DataError, GenerationError, StudyError
from edutools.llm import LLMClient, fence_nonce, load_prompt, run_async
from edutools.schema import Usage, normalize_text
from edutools.settings import Settings
from edutools.survey.config import StudyDefinition, StyleDimension
from edutools.survey.styles import measure_styles

__all__ = [
    "DimensionRating",
    "StyleRatings",
    "StyleRewrite",
    "TransferReport",
    "content_similarity",
    "find_rewrite",
    "llm_style_judge",
    "rewrite_responses",
    "style_targets",
    "validate_transfer",
]

# Opening phrases of refusals and meta-replies instead of a rewrite.
_REFUSAL = re.compile(
    r"^\s*(?:i'?m sorry|sorry,|i cannot|i can't|i am unable|i'm unable|as an ai\b|"
    r"here is the rewritten|here's the rewritten|rewritten answer:)",
    re.IGNORECASE,
)
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "you",
        "your",
        "i",
        "we",
        "our",
        "they",
        "them",
        "their",
        "he",
        "she",
        "his",
        "her",
        "not",
        "no",
        "do",
        "does",
        "did",
        "so",
        "than",
        "then",
        "there",
        "here",
        "which",
        "who",
        "what",
        "when",
        "where",
        "why",
        "how",
        "can",
        "could",
        "would",
        "should",
        "will",
        "may",
        "might",
        "must",
        "also",
        "very",
        "more",
        "most",
        "some",
        "any",
        "each",
        "all",
        "about",
        "into",
        "over",
    ]
)


# --------------------------------------------------------------------------- LLM outputs


class StyleRewrite(BaseModel):
    """The answer rewritten in the target style."""

    model_config = ConfigDict(extra="forbid")
    rewritten: str = Field(min_length=1, description="The rewritten answer, nothing else.")


class DimensionRating(BaseModel):
    """One dimension's rating."""

    model_config = ConfigDict(extra="forbid")
    dimension: str
    rating: float


class StyleRatings(BaseModel):
    """Ratings of an answer's style, one per dimension."""

    model_config = ConfigDict(extra="forbid")
    ratings: list[DimensionRating]


# --------------------------------------------------------------------------- targets


def style_targets(
    study: StudyDefinition,
    *,
    design: str = "factorial",
    base_items: Sequence[str] | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Target style vectors per base item, one row each: ``base_item`` and one column per dimension.

    Parameters
    ----------
    study
        The study; its GSP dimensions (all dimensions without a gsp section) are used.
    design
        ``factorial``: every combination of the levels (what GSP with snapped sliders needs);
        ``axes``: one dimension at a time at each of its levels, the others at their middle
        level (a cheap validation set).
    base_items
        Ids to use (default all).
    sample
        Draw this many targets per base item at random (seeded) instead of all.

    Example
    -------
    >>> targets = style_targets(study, design="axes")  # doctest: +SKIP
    """
    dims = study.gsp_dimensions
    if design == "factorial":
        combos = list(itertools.product(*(d.level_values for d in dims)))
    elif design == "axes":
        middle = [d.level_values[(len(d.levels) - 1) // 2] for d in dims]
        seen: dict[tuple[float, ...], None] = {}
        for i, d in enumerate(dims):
            for v in d.level_values:
                vec = list(middle)
                vec[i] = v
                seen[tuple(vec)] = None
        combos = list(seen)
    else:
        raise StudyError(f"design {design!r}: use 'factorial' or 'axes'")
    items = list(base_items) if base_items is not None else [b.id for b in study.base_items]
    for item in items:
        study.base_item(item)
    rows: list[dict[str, Any]] = []
    rng = np.random.default_rng(seed)
    for item in items:
        chosen = combos
        if sample is not None and sample < len(combos):
            picks = rng.choice(len(combos), size=sample, replace=False)
            chosen = [combos[int(k)] for k in sorted(picks)]
        rows.extend(
            {"base_item": item, **dict(zip([d.name for d in dims], c, strict=True))} for c in chosen
        )
    return pd.DataFrame(rows, columns=["base_item", *(d.name for d in dims)])


def _fmt(x: float) -> str:
    return f"{x:g}"


def _target_variables(
    study: StudyDefinition, item_id: str, target: dict[str, float]
) -> dict[str, Any]:
    item = study.base_item(item_id)
    targets = []
    for name, value in target.items():
        dim = study.dimension(name)
        if not dim.low <= value <= dim.high:
            raise StudyError(f"target {name}={value} lies outside [{dim.low}, {dim.high}]")
        level = dim.nearest_level(value)
        targets.append(
            {
                "name": dim.name,
                "description": dim.description.rstrip("."),
                "value": _fmt(value),
                "low": _fmt(dim.low),
                "high": _fmt(dim.high),
                "label": level.label,
                "descriptor": level.descriptor,
            }
        )
    nonce = fence_nonce([item.prompt, item.response], salt="style_transfer")
    return {"nonce": nonce, "question": item.prompt, "response": item.response, "targets": targets}


# --------------------------------------------------------------------------- rewriting


async def arewrite_responses(
    client: LLMClient, study: StudyDefinition, targets: pd.DataFrame
) -> pd.DataFrame:
    """Async :func:`rewrite_responses` on an open client (concurrency bounded by the client)."""
    prompt = load_prompt(study.transfer.prompt)
    names = [c for c in targets.columns if c != "base_item"]

    async def one(row: dict[str, Any]) -> dict[str, Any]:
        target = {n: float(row[n]) for n in names}
        variables = _target_variables(study, str(row["base_item"]), target)
        out: dict[str, Any] = {**row, "text": None, "status": "ok", "error": ""}
        try:
            result = await client.structured(prompt, StyleRewrite, variables)
        except GenerationError as exc:
            out.update(status="failed", error=str(exc))
        else:
            out["text"] = result.rewritten.strip()
        return out

    rows = await asyncio.gather(*(one(r) for r in targets.to_dict("records")))
    frame = pd.DataFrame(rows, columns=[*targets.columns, "text", "status", "error"])
    frame["prompt"] = prompt.name
    frame["prompt_sha256"] = prompt.sha256
    frame["model"] = client.model
    return frame


def rewrite_responses(
    study: StudyDefinition,
    targets: pd.DataFrame,
    settings: Settings,
    **client_options: Any,
) -> tuple[pd.DataFrame, Usage]:
    """Rewrite base responses to target styles through the configured LLM (cached).

    Parameters
    ----------
    study
        Gives the base items, the dimension descriptors and ``transfer.prompt``.
    targets
        From :func:`style_targets`: ``base_item`` and one column per dimension.
    settings
        Provider and cache settings (:class:`edutools.settings.Settings`).
    **client_options
        Passed to :class:`edutools.llm.LLMClient` (``model``, ``cache``, ...);
        ``temperature`` defaults to the study's ``transfer.temperature``.

    Returns
    -------
    (pandas.DataFrame, Usage)
        The targets with ``text`` (None when failed), ``status`` (``ok`` | ``failed``),
        ``error``, ``prompt``, ``prompt_sha256`` and ``model``; and the calls' usage. A
        failed rewrite does not stop the others.
    """
    client_options.setdefault("temperature", study.transfer.temperature)

    async def main() -> tuple[pd.DataFrame, Usage]:
        async with LLMClient(settings, **client_options) as llm:
            frame = await arewrite_responses(llm, study, targets)
            return frame, llm.usage()

    return run_async(main)


def find_rewrite(rewrites: pd.DataFrame, base_item: str, vector: dict[str, float]) -> str:
    """The rewritten text of ``base_item`` at the style ``vector`` (e.g. a GSP trial's).

    Raises StudyError when no successful rewrite exists there.
    """
    mask = rewrites["base_item"] == base_item
    for name, value in vector.items():
        mask &= np.isclose(rewrites[name].astype(float), float(value))
    hits = rewrites[mask & (rewrites["status"] == "ok")]
    if hits.empty:
        raise StudyError(f"no rewrite of {base_item!r} at {vector}; generate it first")
    return str(hits["text"].iloc[0])


# --------------------------------------------------------------------------- judging


def _check_ratings(dims: list[StyleDimension]) -> Callable[[StyleRatings], None]:
    def check(value: StyleRatings) -> None:
        got = [r.dimension for r in value.ratings]
        wanted = [d.name for d in dims]
        if sorted(got) != sorted(wanted):
            raise ValueError(f"rate exactly these dimensions, once each: {', '.join(wanted)}")
        for r in value.ratings:
            d = next(d for d in dims if d.name == r.dimension)
            if not d.low <= r.rating <= d.high:
                raise ValueError(f"{d.name}: rating {r.rating} is outside {d.low} to {d.high}")

    return check


async def ajudge_styles(
    client: LLMClient, study: StudyDefinition, texts: Sequence[str], questions: Sequence[str]
) -> pd.DataFrame:
    """Async LLM-judge ratings: one row per text, a ``judge_<dimension>`` column per dimension."""
    prompt = load_prompt(study.transfer.judge_prompt)
    dims = list(study.dimensions)
    shown = [
        {
            "name": d.name,
            "description": d.description,
            "low": _fmt(d.low),
            "high": _fmt(d.high),
            "levels": [
                {"value": _fmt(lv.value), "label": lv.label, "descriptor": lv.descriptor}
                for lv in d.levels
            ],
        }
        for d in dims
    ]
    check = _check_ratings(dims)

    async def one(text: str, question: str) -> dict[str, float]:
        nonce = fence_nonce([text, question], salt="style_judge")
        variables = {"nonce": nonce, "dimensions": shown, "question": question, "answer": text}
        out = await client.structured(prompt, StyleRatings, variables, check=check)
        return {f"judge_{r.dimension}": float(r.rating) for r in out.ratings}

    rows = await asyncio.gather(*(one(t, q) for t, q in zip(texts, questions, strict=True)))
    return pd.DataFrame(rows, columns=[f"judge_{d.name}" for d in dims])


def llm_style_judge(
    study: StudyDefinition,
    settings: Settings,
    *,
    questions: Sequence[str] | None = None,
    **client_options: Any,
) -> Callable[[list[str]], pd.DataFrame]:
    """A ``judge`` for :func:`edutools.survey.styles.measure_styles` that asks the LLM.

    ``questions`` are the user prompts the texts answer (default: none shown). Ratings are
    validated (every dimension once, inside its range) and re-asked when wrong.
    """

    def judge(texts: list[str]) -> pd.DataFrame:
        qs = list(questions) if questions is not None else ["(not given)"] * len(texts)
        if len(qs) != len(texts):
            raise DataError(f"{len(qs)} questions for {len(texts)} texts; give one per text")

        async def main() -> pd.DataFrame:
            async with LLMClient(settings, **client_options) as llm:
                return await ajudge_styles(llm, study, texts, qs)

        return run_async(main)

    return judge


# --------------------------------------------------------------------------- validation


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "ly", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _content_words(text: str) -> list[str]:
    return [_stem(w) for w in normalize_text(text).split() if w not in _STOPWORDS and len(w) > 2]


def content_similarity(pairs: Sequence[tuple[str, str]], corpus: Sequence[str]) -> np.ndarray:
    """Cosine similarity of TF-IDF vectors of content words, for each (base, rewrite) pair.

    Words are lower-cased, stop words dropped and crudely stemmed; IDF is
    ``log((1 + n) / (1 + df)) + 1`` over ``corpus`` (all base responses and rewrites), so topic
    words of one base item weigh more than words every text shares. 1 means the same words in
    the same proportions; unrelated texts score near 0.

    Example
    -------
    >>> base, other = "Drink water every day.", "Bake bread in a hot oven."
    >>> sims = content_similarity([(base, base), (base, other)], [base, other])
    >>> [round(float(v), 2) for v in sims]
    [1.0, 0.0]
    """
    docs = [_content_words(t) for t in corpus]
    vocab = {w: i for i, w in enumerate(sorted({w for d in docs for w in d}))}
    df = np.zeros(len(vocab))
    for d in docs:
        for w in set(d):
            df[vocab[w]] += 1
    idf = np.log((1 + len(docs)) / (1 + df)) + 1

    def vec(text: str) -> np.ndarray:
        v = np.zeros(len(vocab))
        for w in _content_words(text):
            if w in vocab:
                v[vocab[w]] += 1
        v *= idf
        norm = np.linalg.norm(v)
        return v / norm if norm else v

    return np.array([float(vec(a) @ vec(b)) for a, b in pairs])


@dataclass(frozen=True)
class TransferReport:
    """The validation of a set of rewrites.

    Attributes
    ----------
    rewrites
        One row per rewrite: targets, measures, ``similarity``, ``flags`` (';'-joined).
    dimensions
        Per dimension: the ``measure`` used, ``n``, Spearman ``rho`` and ``p_value`` between
        target level and measure, and whether it is ``ok`` (rho > 0 and p < 0.05).
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
            "| dimension | measure | n | Spearman rho | p | ok |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.dimensions.itertuples():
            rho = "n/a" if math.isnan(r.rho) else f"{r.rho:.3f}"
            p = "n/a" if math.isnan(r.p_value) else f"{r.p_value:.3g}"
            lines.append(
                f"| {r.dimension} | {r.measure} | {r.n} | {rho} | {p} | {'yes' if r.ok else 'NO'} |"
            )
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
        dim_rows.append(
            {
                "dimension": name,
                "measure": specs[name] if col is not None else f"{specs[name]} (not measured)",
                "n": n,
                "rho": rho,
                "p_value": p,
                "ok": bool(rho > 0 and p < 0.05),
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
        dimensions=pd.DataFrame(
            dim_rows, columns=["dimension", "measure", "n", "rho", "p_value", "ok"]
        ),
        leakage=pd.DataFrame(leak_rows, columns=["target", "measured", "measure", "rho", "leak"]),
    )

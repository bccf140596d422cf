"""Style transfer: rewrite base responses to target style vectors, judge them, validate them.

* :func:`style_targets` lists the target vectors (every level combination, or one dimension
  at a time) for each base item.
* :func:`rewrite_responses` sends one ``style_transfer`` prompt per target through the LLM
  layer (:class:`edutools.llm.LLMClient`: cache, retries, re-asks, usage accounting).
* :func:`llm_style_judge` rates responses on every dimension with the ``style_judge`` prompt;
  it plugs into :func:`edutools.survey.styles.measure_styles` as ``judge``.
* :func:`edutools.survey.transfer_validation.validate_transfer` checks the rewrites.

The prompt files are chosen by the study (``transfer.prompt``, ``transfer.judge_prompt``), so
a study with other dimensions can ship its own prompt files.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from edutools.errors import DataError, GenerationError, StudyError
from edutools.llm import LLMClient, fence_nonce, load_prompt, run_async
from edutools.schema import Usage
from edutools.settings import Settings
from edutools.survey.config import StudyDefinition, StyleDimension

__all__ = [
    "DimensionRating",
    "StyleRatings",
    "StyleRewrite",
    "find_rewrite",
    "llm_style_judge",
    "rewrite_responses",
    "style_targets",
]

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

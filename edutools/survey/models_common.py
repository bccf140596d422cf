"""Pieces the Study 1 and Study 2 models share: participant filtering, trait z-scores, corrections."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from edutools.errors import DataError, StudyError
from edutools.survey.data import StudyExport

__all__ = [
    "CORRECTIONS",
    "adjust_pvalues",
    "attribute_table",
    "included_participants",
    "score_questionnaires",
    "trait_scores_of",
    "trait_table",
    "zscore",
]

CORRECTIONS = ("holm", "fdr_bh", "none")


def zscore(values: pd.Series, label: str = "value") -> pd.Series:
    """``(x - mean) / sd`` with the sample SD (ddof = 1); a constant column is an error.

    Example
    -------
    >>> zscore(pd.Series([1.0, 2.0, 3.0])).tolist()
    [-1.0, 0.0, 1.0]
    """
    sd = float(values.std(ddof=1))
    if not np.isfinite(sd) or sd == 0.0:
        raise StudyError(
            f"'{label}' does not vary across participants or responses; it cannot be standardised"
        )
    return (values - values.mean()) / sd


def included_participants(export: StudyExport) -> list[str]:
    """Participant ids that did not fail the attention check (blank counts as passed)."""
    p = export.participants
    keep = p["attention_passed"].map(lambda v: v is not False and v is not np.False_)
    return list(p.loc[keep, "participant_id"])


def _moderator_subscales(instrument: Any) -> list[Any]:
    """Subscales that do not contain another subscale's items (a total is not a moderator too)."""
    sets = {s.id: set(s.items) for s in instrument.subscales}
    return [
        s for s in instrument.subscales if not any(o != s.id and sets[o] < sets[s.id] for o in sets)
    ]


def score_questionnaires(questionnaires: pd.DataFrame) -> pd.DataFrame:
    """Score raw item responses (``questionnaires.csv``) into traits with the instrument files.

    Each instrument named in the ``instrument`` column is loaded from
    ``edutools/survey/instruments`` and scored with its reverse keys and missing-item rule
    (:func:`edutools.survey.instruments.scoring.score_instrument`). Subscales that contain
    another subscale's items (totals) are left out, so the traits are not collinear. A trait is
    called by its subscale id, prefixed with the instrument id when two instruments share it.

    Returns
    -------
    pandas.DataFrame
        ``participant_id, trait, score`` (the shape of ``traits.csv``); missing scores dropped.
    """
    from edutools.survey.instruments import load_instrument
    from edutools.survey.instruments.scoring import score_instrument, to_wide

    frames = []
    for name in sorted(set(questionnaires["instrument"])):
        instrument = load_instrument(name)
        wide = to_wide(questionnaires, instrument=name)
        unknown = sorted(set(wide.columns) - set(instrument.item_ids))
        if unknown:
            raise DataError(
                f"questionnaires.csv: item '{unknown[0]}' is not an item of instrument '{name}'; "
                f"its items are {', '.join(instrument.item_ids)}"
            )
        scored = score_instrument(instrument, wide.reindex(columns=instrument.item_ids))
        keep = {s.id for s in _moderator_subscales(instrument)}
        frames.append(scored[scored["subscale"].isin(keep)])
    if not frames:
        return pd.DataFrame(columns=["participant_id", "trait", "score"])
    scores = pd.concat(frames, ignore_index=True)
    shared = scores.groupby("subscale")["instrument"].nunique()
    scores["trait"] = [
        f"{i}_{s}" if shared[s] > 1 else s
        for i, s in zip(scores["instrument"], scores["subscale"], strict=True)
    ]
    out = scores.dropna(subset=["score"])[["participant_id", "trait", "score"]]
    return out.reset_index(drop=True)


def trait_scores_of(export: StudyExport) -> pd.DataFrame:
    """``traits.csv`` when the export has it, else the scored ``questionnaires.csv``."""
    if not export.traits.empty or export.questionnaires.empty:
        return export.traits
    return score_questionnaires(export.questionnaires)


def trait_table(
    export: StudyExport, participants: list[str], traits: list[str] | None = None
) -> pd.DataFrame:
    """Wide table of z-scored traits (index participant_id), standardised over ``participants``.

    The scores come from ``traits.csv`` or, without it, from scoring ``questionnaires.csv``.
    Every included participant needs every requested trait.
    """
    scores = trait_scores_of(export)
    if scores.empty:
        if traits:
            raise DataError(
                f"traits.csv: missing; the analysis asks for traits {', '.join(traits)} but the export has no scored traits"
            )
        return pd.DataFrame(index=pd.Index(participants, name="participant_id"))
    wide = scores.pivot(index="participant_id", columns="trait", values="score")
    wanted = list(wide.columns) if traits is None else traits
    for t in wanted:
        if t not in wide.columns:
            raise DataError(
                f"traits.csv: no trait '{t}'; traits in the export: {', '.join(map(str, wide.columns))}"
            )
    wide = wide.reindex(participants)[wanted]
    missing = wide.isna().any(axis=1)
    if missing.any():
        pid = wide.index[missing][0]
        col = wide.columns[wide.loc[pid].isna()][0]
        raise DataError(
            f"traits.csv: participant '{pid}' has no score for trait '{col}' (too many unanswered items?); "
            "drop the participant or choose other traits"
        )
    return pd.DataFrame({t: zscore(wide[t], t) for t in wanted}, index=wide.index)


def attribute_table(
    export: StudyExport,
    participants: list[str],
    attributes: dict[str, list[str] | None] | None = None,
) -> pd.DataFrame:
    """Wide table of user attributes (index participant_id) from ``attributes.csv``.

    ``attributes`` maps each wanted attribute to its levels (reference first) for a categorical
    attribute, or to None: then an attribute whose values are all numbers is z-scored over
    ``participants`` and any other is categorical with levels in sorted order. Default: every
    attribute in the export.
    """
    table = export.attributes
    names = sorted(set(table["attribute"])) if attributes is None else list(attributes)
    out = pd.DataFrame(index=pd.Index(participants, name="participant_id"))
    if not names:
        return out
    if table.empty:
        raise DataError(
            f"attributes.csv: missing; the analysis asks for attributes {', '.join(names)}"
        )
    wide = table.pivot(index="participant_id", columns="attribute", values="value")
    for name in names:
        if name not in wide.columns:
            raise DataError(
                f"attributes.csv: no attribute '{name}'; attributes in the export: {', '.join(map(str, wide.columns))}"
            )
        col = wide[name].reindex(participants)
        if col.isna().any():
            raise DataError(
                f"attributes.csv: participant '{col.index[col.isna()][0]}' has no value for attribute '{name}'"
            )
        levels = None if attributes is None else attributes[name]
        numeric = pd.to_numeric(col, errors="coerce")
        if levels is None and not numeric.isna().any():
            out[name] = zscore(numeric.astype(float), name)
            continue
        order = levels if levels is not None else sorted(set(col))
        unknown = sorted(set(col) - set(order))
        if unknown:
            raise DataError(
                f"attributes.csv: attribute '{name}' has the value '{unknown[0]}'; expected one of {', '.join(order)}"
            )
        out[name] = pd.Categorical(col, categories=order)
    return out


def adjust_pvalues(p: pd.Series, method: str) -> pd.Series:
    """Holm (family-wise) or Benjamini–Hochberg (FDR) adjusted p-values; ``none`` returns them as is.

    Holm, S. (1979), Scand. J. Statist. 6; Benjamini & Hochberg (1995), JRSS B 57.

    Example
    -------
    >>> adjust_pvalues(pd.Series([0.01, 0.04, 0.03]), "holm").round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    if method not in CORRECTIONS:
        raise StudyError(
            f"correction '{method}' is unknown; expected one of {', '.join(CORRECTIONS)}"
        )
    if method == "none" or p.empty:
        return p.copy()
    values = p.to_numpy(dtype=float)
    m = len(values)
    order = np.argsort(values, kind="mergesort")
    ranked = values[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        adj = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return pd.Series(out, index=p.index)

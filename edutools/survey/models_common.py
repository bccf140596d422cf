"""Pieces the Study 1 and Study 2 models share: participant filtering, trait z-scores, corrections."""

from __future__ import annotations

import numpy as np
import pandas as pd

from edutools.errors import DataError, StudyError
from edutools.survey.data import StudyExport

__all__ = ["CORRECTIONS", "adjust_pvalues", "included_participants", "trait_table", "zscore"]

CORRECTIONS = ("holm", "fdr_bh", "none")


def zscore(values: pd.Series, label: str = "value") -> pd.Series:
    """``(x - mean) / sd`` with the sample SD (ddof = 1); a constant column is an error."""
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


def trait_table(
    export: StudyExport, participants: list[str], traits: list[str] | None = None
) -> pd.DataFrame:
    """Wide table of z-scored traits (index participant_id), standardised over ``participants``.

    The scores come from ``traits.csv``. Every included participant needs every requested trait.
    """
    if export.traits.empty:
        if traits:
            raise DataError(
                f"traits.csv: missing; the analysis asks for traits {', '.join(traits)} but the export has no scored traits"
            )
        return pd.DataFrame(index=pd.Index(participants, name="participant_id"))
    wide = export.traits.pivot(index="participant_id", columns="trait", values="score")
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
        raise DataError(f"traits.csv: participant '{pid}' has no score for trait '{col}'")
    return pd.DataFrame({t: zscore(wide[t], t) for t in wanted}, index=wide.index)


def adjust_pvalues(p: pd.Series, method: str) -> pd.Series:
    """Holm (family-wise) or Benjamini–Hochberg (FDR) adjusted p-values; ``none`` returns them as is.

    Holm, S. (1979), Scand. J. Statist. 6; Benjamini & Hochberg (1995), JRSS B 57.
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

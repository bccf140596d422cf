"""Option-level (distractor) analysis from the raw options persons selected.

For every item and option: how many persons chose it, the share among those who answered
the item, the point-biserial correlation between choosing it and the rest score (the
number of other items answered correctly), and the mean rest score of its choosers. A
distractor chosen by fewer than ``min_share`` (5 %) of respondents is flagged as
non-functioning (Haladyna & Downing, 1993); a distractor with a positive point-biserial
attracts stronger students and is flagged as well.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from edutools.errors import DataError
from edutools.schema import ItemBank

__all__ = ["distractor_analysis", "keys_from_bank", "score_choices", "score_select_all"]


def keys_from_bank(bank: ItemBank) -> dict[str, tuple[str, list[str]]]:
    """Key letter and option letters (A, B, ...) of every single-key item of a bank.

    ``select_all`` items have no single key and are left out.
    """
    out: dict[str, tuple[str, list[str]]] = {}
    for item in bank.items:
        if item.form == "select_all":
            continue
        letters = list(string.ascii_uppercase[: item.k])
        out[item.id] = (letters[item.key_indices[0]], letters)
    return out


def _keys(
    key: Mapping[str, Any] | pd.Series | ItemBank, columns: list[str]
) -> dict[str, tuple[str, list[str]]]:
    if isinstance(key, ItemBank):
        found = keys_from_bank(key)
    else:
        found = {str(k): (str(v), []) for k, v in dict(key).items()}
    missing = [c for c in columns if c not in found]
    if missing:
        raise DataError(
            f"no key for item(s) {', '.join(missing[:5])}; give a key for every item column"
        )
    return found


def _clean(choices: pd.DataFrame) -> pd.DataFrame:
    def cell(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return np.nan
        text = str(v).strip()
        if isinstance(v, float) and v.is_integer():
            text = str(int(v))
        return text if text and text.lower() not in ("na", "nan", "") else np.nan

    return choices.map(cell)


def score_choices(
    choices: pd.DataFrame, key: Mapping[str, Any] | pd.Series | ItemBank
) -> pd.DataFrame:
    """Score selected options against the key: 1 for the key, 0 for another option, NaN omitted.

    Example
    -------
    >>> score_choices(pd.DataFrame({"Q1": ["A", "B", None]}), {"Q1": "A"})["Q1"].tolist()
    [1.0, 0.0, nan]
    """
    if not isinstance(choices, pd.DataFrame):
        raise DataError("choices must be a DataFrame of selected options, persons × items")
    cols = [str(c) for c in choices.columns]
    keys = _keys(key, cols)
    clean = _clean(choices.set_axis(cols, axis=1))
    out = pd.DataFrame(index=choices.index)
    for c in cols:
        chosen = clean[c]
        out[c] = np.where(chosen.isna(), np.nan, (chosen == keys[c][0]).astype(float))
    return out


def distractor_analysis(
    choices: pd.DataFrame,
    key: Mapping[str, Any] | pd.Series | ItemBank,
    *,
    min_share: float = 0.05,
) -> pd.DataFrame:
    """Choice shares and point-biserials of every option of every item.

    Parameters
    ----------
    choices : DataFrame
        Persons × items; each cell is the option a person selected (e.g. "A"), blank/NaN
        when omitted.
    key : mapping item -> key option, or ItemBank
        With an ItemBank the options are lettered A, B, ... in bank order, so options no
        one chose are listed (and flagged) too.
    min_share : float
        Distractors chosen by fewer than this share of respondents are non-functioning.

    Returns
    -------
    DataFrame
        Columns item, option, is_key, n, share, pbis, mean_rest, non_functioning,
        positive_pbis.

    Example
    -------
    >>> distractor_analysis(choices, {"Q1": "B", "Q2": "A"})  # doctest: +SKIP
    """
    scored = score_choices(choices, key)
    cols = list(scored.columns)
    keys = _keys(key, cols)
    clean = _clean(choices.set_axis(cols, axis=1))
    total = scored.sum(axis=1, min_count=1).to_numpy(dtype=float)
    rows = []
    for c in cols:
        answered = clean[c].notna().to_numpy()
        rest = total - np.nan_to_num(scored[c].to_numpy())
        seen = sorted(set(clean[c].dropna()))
        options = list(dict.fromkeys([*keys[c][1], *seen]))
        n_answered = int(answered.sum())
        for opt in options:
            pick = (clean[c] == opt).to_numpy() & answered
            n = int(pick.sum())
            share = n / n_answered if n_answered else np.nan
            r = rest[answered]
            x = pick[answered].astype(float)
            pbis = (
                float(np.corrcoef(x, r)[0, 1])
                if n_answered > 2 and 0 < x.sum() < x.size and r.std() > 0
                else np.nan
            )
            is_key = opt == keys[c][0]
            rows.append(
                {
                    "item": c,
                    "option": opt,
                    "is_key": is_key,
                    "n": n,
                    "share": share,
                    "pbis": pbis,
                    "mean_rest": float(rest[pick].mean()) if n else np.nan,
                    "non_functioning": (not is_key) and bool(share < min_share),
                    "positive_pbis": (not is_key) and bool(np.nan_to_num(pbis) > 0),
                }
            )
    return pd.DataFrame(rows)


_NO_SELECTION = ("-", "none")


def _select_all_keys(
    key: Mapping[str, tuple[Any, Any]] | ItemBank, columns: list[str]
) -> dict[str, tuple[set[str], list[str]]]:
    if isinstance(key, ItemBank):
        found = {
            item.id: (
                {string.ascii_uppercase[i] for i in item.key_indices},
                list(string.ascii_uppercase[: item.k]),
            )
            for item in key.items
            if item.form == "select_all"
        }
    else:
        found = {str(k): ({str(x) for x in v[0]}, [str(x) for x in v[1]]) for k, v in key.items()}
    missing = [c for c in columns if c not in found]
    if missing:
        raise DataError(
            f"no select-all key for item(s) {', '.join(missing[:5])}; give the keyed and all "
            "option letters of every item column (or an item bank with select_all items)"
        )
    return found


def score_select_all(
    choices: pd.DataFrame,
    key: Mapping[str, tuple[Any, Any]] | ItemBank,
    *,
    scoring: str = "partial_credit",
) -> pd.DataFrame:
    """Score select-all items from the options each person ticked.

    Every option of a select-all item is a true/false judgement: judged right when a keyed
    option is ticked or an unkeyed one is left alone.

    Parameters
    ----------
    choices : DataFrame
        Persons × items; each cell lists the ticked option letters, separated by ``;``,
        ``,`` or spaces (``"A;C"``), ``"-"`` or ``"none"`` for an answer that ticks nothing,
        blank/NaN for an item not answered.
    key : mapping item -> (keyed letters, all option letters), or ItemBank
        E.g. ``{"Q1": ("AC", "ABCD")}``; with an ItemBank its ``select_all`` items.
    scoring : {"partial_credit", "per_option"}
        ``partial_credit``: one column per item with the number of options judged right,
        0..k, for the polytomous models (PCM, GPCM, GRM). ``per_option``: one 0/1 column per
        option (``Q1_A``, ``Q1_B``, ...), each a dichotomous item.

    Returns
    -------
    DataFrame
        Float scores, NaN where the item was not answered.

    Example
    -------
    >>> ticks = pd.DataFrame({"Q1": ["A;C", "A", None, "-"]})
    >>> score_select_all(ticks, {"Q1": ("AC", "ABCD")})["Q1"].tolist()
    [4.0, 3.0, nan, 2.0]
    >>> score_select_all(ticks, {"Q1": ("AC", "ABCD")}, scoring="per_option").iloc[1].tolist()
    [1.0, 1.0, 0.0, 1.0]
    """
    if scoring not in ("partial_credit", "per_option"):
        raise DataError(f"scoring={scoring!r}; expected 'partial_credit' or 'per_option'")
    if not isinstance(choices, pd.DataFrame):
        raise DataError("choices must be a DataFrame of ticked options, persons × items")
    cols = [str(c) for c in choices.columns]
    keys = _select_all_keys(key, cols)
    frame = choices.set_axis(cols, axis=1)
    out: dict[str, np.ndarray] = {}
    for c in cols:
        keyed, options = keys[c]
        judged = np.full((len(frame), len(options)), np.nan)
        for i, cell in enumerate(frame[c].tolist()):
            if cell is None or (isinstance(cell, float) and np.isnan(cell)):
                continue
            text = str(cell).strip()
            if text == "":
                continue
            ticked = (
                set()
                if text.lower() in _NO_SELECTION
                else {t for t in text.replace(",", ";").replace(" ", ";").split(";") if t}
            )
            unknown = sorted(ticked - set(options))
            if unknown:
                raise DataError(
                    f"item '{c}', person {frame.index[i]}: option '{unknown[0]}' is not one of "
                    f"{', '.join(options)}; list ticked letters like A;C, or - for none"
                )
            judged[i] = [(opt in ticked) == (opt in keyed) for opt in options]
        if scoring == "partial_credit":
            out[c] = judged.sum(axis=1, where=~np.isnan(judged), initial=0.0)
            out[c][np.isnan(judged).all(axis=1)] = np.nan
        else:
            for k, opt in enumerate(options):
                out[f"{c}_{opt}"] = judged[:, k]
    return pd.DataFrame(out, index=choices.index)

"""lme4 model formulas: random intercepts by hand, the fixed-effect part through formulaic.

Syntax::

    y ~ x1 * x2 + x3:x4 - 1 + (1 | participant) + (1 | item) + (1 | school/class)

* The fixed-effect part is R's formula language as `formulaic <https://matthewwardrop.github.io/formulaic/>`_
  implements it: ``+`` adds terms, ``*`` crosses them (``a*b`` = ``a + b + a:b``), ``:`` forms
  interactions, ``/`` nests, parentheses group, ``0``/``- 1`` drop the intercept. Terms come in
  R's order (by interaction order, then by appearance) and factors are treatment-coded, with
  indicators where R's ``model.matrix`` uses them (a factor in ``x:f`` without ``f`` itself).
* ``(1 | g)`` is a random intercept for grouping factor ``g``; ``(1 | a:b)`` groups by the
  combination of ``a`` and ``b``; ``(1 | a/b)`` is ``(1 | a) + (1 | a:b)``. These lme4 terms are
  the only syntax handled here, because formulaic has no random effects.

Column names follow R, not formulaic: ``(Intercept)``, ``x``, ``styleformal`` (formulaic's
``style[T.formal]``), ``x:styleformal``, ``flagTRUE`` (a boolean column is a FALSE/TRUE factor).
One difference from R remains: an interaction of two factors with neither margin in the model
(``y ~ f:g``) is coded by formulaic's full-rank rule, where R gives a rank-deficient matrix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix
from formulaic.errors import FormulaicError

from edutools.errors import DataError, StudyError

__all__ = ["ModelFrame", "ParsedFormula", "build_model_frame", "parse_formula"]

_NAME = re.compile(r"^\s*(`[^`]+`|[A-Za-z_.][A-Za-z0-9_.]*)\s*$")
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?)(?![\w.])")
_ANSI = re.compile(r"\x1b\[[0-9;]*m|[⧚⧛]")
# formulaic's column names for factor levels: f[T.b] (contrast) and f[a] (indicator)
_LEVEL = re.compile(r"([A-Za-z_.][A-Za-z0-9_.]*|`[^`]+`)\[(?:T\.)?([^\]]*)\]")


@dataclass(frozen=True)
class ParsedFormula:
    """The pieces of a formula: response, fixed terms (tuples of variables), intercept, groups."""

    response: str
    fixed: str  # the fixed-effect right-hand side, in formulaic's (R's) syntax
    terms: tuple[tuple[str, ...], ...]
    intercept: bool
    groups: tuple[tuple[str, ...], ...]  # each random intercept's grouping variables
    variables: tuple[str, ...]  # data columns of the fixed part, in order of first appearance


def _error(formula: str, problem: str) -> StudyError:
    return StudyError(f"formula '{formula}': {problem}")


def _random_terms(formula: str, rhs: str) -> tuple[str, list[tuple[str, ...]]]:
    """The right-hand side without its ``(1 | g)`` terms, and the grouping variables of each."""
    groups: list[tuple[str, ...]] = []
    out: list[str] = []
    i = 0
    while i < len(rhs):
        if rhs[i] != "(":
            out.append(rhs[i])
            i += 1
            continue
        depth, j = 0, i
        while j < len(rhs):
            depth += {"(": 1, ")": -1}.get(rhs[j], 0)
            if depth == 0:
                break
            j += 1
        if depth:
            raise _error(formula, "a '(' has no matching ')'")
        inner = rhs[i + 1 : j]
        if "|" not in inner:
            out.append(rhs[i : j + 1])
            i = j + 1
            continue
        lhs, _, grouping = inner.partition("|")
        if lhs.strip() != "1" or "|" in grouping:
            raise _error(
                formula,
                f"random term '({inner.strip()})' is not supported; "
                "only random intercepts '(1 | group)' are",
            )
        nested = "/" in grouping
        names = re.split(r"[/:]", grouping)
        parsed = []
        for name in names:
            m = _NAME.match(name)
            if m is None:
                raise _error(
                    formula, f"expected a grouping variable after '|' but found '{name.strip()}'"
                )
            parsed.append(m.group(1).strip("`"))
        if nested:
            groups.extend(tuple(parsed[:k]) for k in range(1, len(parsed) + 1))
        else:
            groups.append(tuple(parsed))
        # drop the '+' that joined the random term to the rest
        while out and out[-1].isspace():
            out.pop()
        if out and out[-1] == "+":
            out.pop()
        i = j + 1
    fixed = "".join(out).strip()
    fixed = re.sub(r"^\+\s*", "", fixed)
    return fixed, groups


def _first_use(text: str, name: str) -> int:
    m = re.search(rf"(?<![\w.`]){re.escape(name)}(?![\w.`])", text)
    return m.start() if m else len(text)


def parse_formula(formula: str) -> ParsedFormula:
    """Split an lme4 formula into response, fixed terms and random-intercept groups.

    Parameters
    ----------
    formula : str
        For example ``"chose_a ~ d_certainty * trust + (1 | participant) + (1 | prompt)"``.

    Returns
    -------
    ParsedFormula

    Example
    -------
    >>> f = parse_formula("y ~ a * b + (1 | g)")
    >>> f.terms, f.groups
    ((('a',), ('b',), ('a', 'b')), (('g',),))
    """
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise StudyError(
            f"formula {formula!r}: expected one '~', as in 'y ~ x + (1 | participant)'"
        )
    lhs, rhs = formula.split("~")
    m = _NAME.match(lhs)
    if m is None:
        raise _error(formula, "the left of '~' must be one response column, as in 'y ~ x'")
    if not rhs.strip():
        raise _error(formula, "nothing after '~'; write 'y ~ 1' for an intercept-only model")
    fixed, groups = _random_terms(formula, rhs)
    for number in _NUMBER.findall(fixed):
        if number not in ("0", "1"):
            raise _error(
                formula, f"the number {number} is not a term; only 0 and 1 (intercept) are"
            )
    try:
        parsed = Formula(fixed or "1")
    except FormulaicError as exc:
        problem = _ANSI.sub("", str(exc)).strip().splitlines()[0]
        raise _error(formula, problem.rstrip(".")) from None
    terms = [tuple(str(f) for f in t.factors) for t in parsed]
    intercept = ("1",) in terms
    ordered = tuple(t for t in terms if t != ("1",))
    if not ordered and not intercept:
        raise _error(formula, "no fixed effects and no intercept; keep at least one")
    required = {str(v) for v in parsed.required_variables}
    variables = sorted(required, key=lambda v: (_first_use(fixed, v), v))
    return ParsedFormula(
        response=m.group(1).strip("`"),
        fixed=fixed or "1",
        terms=ordered,
        intercept=intercept,
        groups=tuple(groups),
        variables=tuple(variables),
    )


# --------------------------------------------------------------------------- model matrix


@dataclass(frozen=True)
class ModelFrame:
    """Numeric design built from a formula and a data frame (rows with missing values dropped)."""

    y: np.ndarray
    X: np.ndarray
    columns: tuple[str, ...]
    groups: tuple[np.ndarray, ...]  # integer codes per random intercept
    group_names: tuple[str, ...]
    group_levels: tuple[tuple[str, ...], ...]
    n_dropped: int
    levels: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _r_name(name: str) -> str:
    """formulaic's column name in R's spelling: ``x:f[T.b]`` -> ``x:fb``."""
    if name == "Intercept":
        return "(Intercept)"
    return _LEVEL.sub(lambda m: m.group(1).strip("`") + m.group(2), name)


def _as_factor(col: pd.Series) -> pd.Series | pd.Categorical | None:
    """The column as an R-like factor (categorical), or None when it is numeric."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.rename_categories([str(c) for c in col.cat.categories])
    if pd.api.types.is_bool_dtype(col):
        return pd.Categorical(np.where(col, "TRUE", "FALSE"), categories=["FALSE", "TRUE"])
    if pd.api.types.is_numeric_dtype(col):
        return None
    text = col.astype(str)
    return pd.Categorical(text, categories=sorted(set(text)))


def build_model_frame(
    formula: ParsedFormula, data: pd.DataFrame, label: str = "data"
) -> ModelFrame:
    """Build the response, the treatment-coded fixed-effect matrix and the group codes.

    Parameters
    ----------
    formula : ParsedFormula
    data : pandas.DataFrame
    label : str
        What error messages call ``data``.

    Returns
    -------
    ModelFrame
    """
    grouping = sorted({v for g in formula.groups for v in g})
    needed = list(dict.fromkeys([formula.response, *formula.variables, *grouping]))
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise DataError(
            f"{label}: no column '{missing[0]}' for the formula; available columns: "
            f"{', '.join(map(str, data.columns))}"
        )
    frame = data[needed]
    keep = ~frame.isna().any(axis=1).to_numpy()
    frame = frame.loc[keep].reset_index(drop=True)
    if len(frame) == 0:
        raise DataError(f"{label}: no complete rows for the formula's columns {', '.join(needed)}")

    y_raw = frame[formula.response]
    if pd.api.types.is_bool_dtype(y_raw):
        y = y_raw.to_numpy().astype(float)
    elif pd.api.types.is_numeric_dtype(y_raw):
        y = y_raw.to_numpy().astype(float)
        bad = ~np.isin(y, (0.0, 1.0))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{label}: row {data.index[keep][row]}, column '{formula.response}': {y[row]!r} "
                "is not a binary outcome; expected 0 or 1"
            )
    else:
        raise DataError(
            f"{label}: column '{formula.response}' is not numeric; expected a 0/1 or boolean outcome"
        )

    levels: dict[str, tuple[str, ...]] = {}
    design = frame.drop(columns=[formula.response]).copy()
    for var in formula.variables:
        factor = _as_factor(frame[var])
        if factor is None:
            design[var] = frame[var].astype(float)
            continue
        cats = tuple(str(c) for c in pd.Categorical(factor).categories)
        if len(cats) < 2:
            raise DataError(
                f"{label}: column '{var}' has a single level '{cats[0]}'; a factor needs at least two"
            )
        levels[var] = cats
        design[var] = pd.Categorical(factor, categories=list(cats))
    matrix = model_matrix(formula.fixed, design, na_action="raise")
    X = np.asarray(matrix, dtype=float).reshape(len(frame), -1)
    columns = tuple(_r_name(str(c)) for c in matrix.columns)

    group_codes: list[np.ndarray] = []
    group_names: list[str] = []
    group_levels: list[tuple[str, ...]] = []
    for g in formula.groups:
        key = (
            frame[list(g)].astype(str).agg(":".join, axis=1)
            if len(g) > 1
            else frame[g[0]].astype(str)
        )
        uniq, inverse = np.unique(key.to_numpy(), return_inverse=True)
        group_codes.append(inverse.astype(np.intp))
        group_names.append(":".join(g))
        group_levels.append(tuple(str(u) for u in uniq))
    return ModelFrame(
        y=y,
        X=X,
        columns=columns,
        groups=tuple(group_codes),
        group_names=tuple(group_names),
        group_levels=tuple(group_levels),
        n_dropped=int((~keep).sum()),
        levels=levels,
    )

"""A small parser for lme4 model formulas and R's treatment-coded model matrix.

Supported syntax (a subset of R's ``terms.formula`` plus lme4's bars)::

    y ~ x1 * x2 + x3:x4 - 1 + (1 | participant) + (1 | item) + (1 | school/class)

* ``+`` adds terms, ``*`` crosses them (``a*b`` = ``a + b + a:b``), ``:`` forms interactions,
  parentheses group, ``0``/``-1`` drop the intercept and ``1`` keeps it.
* ``(1 | g)`` is a random intercept for grouping factor ``g``; ``(1 | a:b)`` groups by the
  combination of ``a`` and ``b``; ``(1 | a/b)`` is ``(1 | a) + (1 | a:b)``.

Terms are ordered as R orders them (by interaction order, then by first appearance) and a
factor inside a term is coded by treatment contrasts when the term without it is in the model
(or is the intercept), by indicators otherwise, as R's ``model.matrix`` does. Column names follow
R: ``x``, ``styleformal``, ``x:styleformal``, ``flagTRUE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from edutools.errors import DataError, StudyError

__all__ = ["ModelFrame", "ParsedFormula", "build_model_frame", "parse_formula"]

_TOKEN = re.compile(
    r"\s*(?:(?P<name>`[^`]+`|[A-Za-z_.][A-Za-z0-9_.]*)|(?P<num>\d+)|(?P<op>[~+*:|()/-]))"
)


@dataclass(frozen=True)
class ParsedFormula:
    """The pieces of a formula: response, fixed terms (tuples of variables), intercept, groups."""

    response: str
    terms: tuple[tuple[str, ...], ...]
    intercept: bool
    groups: tuple[tuple[str, ...], ...]  # each random intercept's grouping variables
    variables: tuple[str, ...]  # fixed-effect variables in order of first appearance


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise StudyError(
                f"formula '{text}': unexpected character '{text[pos:].strip()[:1]}' at position {pos + 1}; "
                "expected names, numbers and the operators ~ + * : | ( ) / -"
            )
        kind = m.lastgroup or "op"
        value = m.group(kind)
        if kind == "name":
            value = value.strip("`")
        tokens.append((kind, value))
        pos = m.end()
    return tokens


class _Parser:
    """Recursive descent over ``+``/``-`` (lowest), ``*``, ``/``, ``:`` (highest)."""

    def __init__(self, text: str, tokens: list[tuple[str, str]]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.order: list[str] = []
        self.groups: list[tuple[str, ...]] = []
        self.intercept: bool | None = None

    def _error(self, problem: str) -> StudyError:
        return StudyError(f"formula '{self.text}': {problem}")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise self._error("ends too early; expected a term after the last operator")
        if value is not None and tok[1] != value:
            raise self._error(f"expected '{value}' but found '{tok[1]}'")
        self.i += 1
        return tok

    def _var(self, name: str) -> frozenset[str]:
        if name not in self.order:
            self.order.append(name)
        return frozenset([name])

    def sum_(self) -> list[frozenset[str]]:
        terms = self.product()
        while (tok := self.peek()) is not None and tok[1] in "+-":
            self.take()
            if tok[1] == "-":
                nxt = self.take()
                if nxt[1] in ("1", "0"):
                    self.intercept = False
                    continue
                raise self._error(
                    f"'- {nxt[1]}' is not supported; only '- 1' (drop the intercept) is"
                )
            terms = _union(terms, self.product())
        return terms

    def product(self) -> list[frozenset[str]]:
        terms = self.interaction()
        while (tok := self.peek()) is not None and tok[1] in "*/":
            self.take()
            right = self.interaction()
            if tok[1] == "*":
                terms = _union(_union(terms, right), _cross(terms, right))
            else:  # a/b = a + a:b
                outer = frozenset().union(*terms) if terms else frozenset()
                terms = _union(terms, [outer | r for r in right])
        return terms

    def interaction(self) -> list[frozenset[str]]:
        terms = self.atom()
        while (tok := self.peek()) is not None and tok[1] == ":":
            self.take()
            terms = _cross(terms, self.atom())
        return terms

    def atom(self) -> list[frozenset[str]]:
        kind, value = self.take()
        if kind == "name":
            return [self._var(value)]
        if kind == "num":
            if value not in ("0", "1"):
                raise self._error(f"the number {value} is not a term; only 0 and 1 (intercept) are")
            self.intercept = value == "1"
            return []
        if value == "(":
            start = self.i
            depth = 0
            for j in range(start, len(self.tokens)):
                t = self.tokens[j][1]
                if t == "(":
                    depth += 1
                elif t == ")":
                    if depth == 0:
                        break
                    depth -= 1
                elif t == "|" and depth == 0:
                    return self._random_term()
            inner = self.sum_()
            self.take(")")
            return inner
        raise self._error(f"unexpected '{value}'; expected a variable name, 0, 1 or '('")

    def _random_term(self) -> list[frozenset[str]]:
        lhs = []
        while (tok := self.peek()) is not None and tok[1] != "|":
            lhs.append(self.take()[1])
        if lhs != ["1"]:
            raise self._error(
                f"random term '({' '.join(lhs)} | ...)' is not supported; only random intercepts '(1 | group)' are"
            )
        self.take("|")
        names: list[str] = []
        nested = False
        while True:
            kind, value = self.take()
            if kind != "name":
                raise self._error(f"expected a grouping variable after '|' but found '{value}'")
            names.append(value)
            tok = self.take()
            if tok[1] == ")":
                break
            if tok[1] == "/":
                nested = True
            elif tok[1] != ":":
                raise self._error(
                    f"unexpected '{tok[1]}' in a grouping term; expected ':', '/' or ')'"
                )
        if nested:
            for k in range(1, len(names) + 1):
                self.groups.append(tuple(names[:k]))
        else:
            self.groups.append(tuple(names))
        return []


def _union(a: list[frozenset[str]], b: list[frozenset[str]]) -> list[frozenset[str]]:
    return a + [t for t in b if t not in a]


def _cross(a: list[frozenset[str]], b: list[frozenset[str]]) -> list[frozenset[str]]:
    out: list[frozenset[str]] = []
    for x in a:
        for y in b:
            if (t := x | y) not in out:
                out.append(t)
    return out


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
    tokens = _tokenize(formula)
    split = next(i for i, t in enumerate(tokens) if t[1] == "~")
    lhs = tokens[:split]
    if len(lhs) != 1 or lhs[0][0] != "name":
        raise StudyError(
            f"formula '{formula}': the left of '~' must be one response column, as in 'y ~ x'"
        )
    parser = _Parser(formula, tokens[split + 1 :])
    if not parser.tokens:
        raise StudyError(
            f"formula '{formula}': nothing after '~'; write 'y ~ 1' for an intercept-only model"
        )
    terms = parser.sum_()
    if parser.peek() is not None:
        raise parser._error(f"unexpected '{parser.peek()[1]}'")  # type: ignore[index]
    rank = {name: k for k, name in enumerate(parser.order)}
    ordered = sorted(
        (tuple(sorted(t, key=rank.__getitem__)) for t in terms if t),
        key=lambda t: len(t),
    )
    intercept = parser.intercept is not False
    if not ordered and not intercept:
        raise StudyError(
            f"formula '{formula}': no fixed effects and no intercept; keep at least one"
        )
    return ParsedFormula(
        response=lhs[0][1],
        terms=tuple(ordered),
        intercept=intercept,
        groups=tuple(parser.groups),
        variables=tuple(parser.order),
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


def _levels(col: pd.Series) -> tuple[str, ...] | None:
    """Factor levels as R would order them, or None for a numeric column."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return tuple(str(c) for c in col.cat.categories)
    if pd.api.types.is_bool_dtype(col):
        return ("FALSE", "TRUE")
    if pd.api.types.is_numeric_dtype(col):
        return None
    return tuple(sorted({str(v) for v in col}))


def _factor_codes(col: pd.Series, levels: tuple[str, ...]) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col):
        return col.to_numpy().astype(np.intp)
    lookup = {v: k for k, v in enumerate(levels)}
    return np.array([lookup.get(str(v), -1) for v in col], dtype=np.intp)


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
    needed = [
        formula.response,
        *formula.variables,
        *[g for g in grouping if g not in formula.variables],
    ]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise DataError(
            f"{label}: no column '{missing[0]}' for the formula; available columns: {', '.join(map(str, data.columns))}"
        )
    frame = data[needed]
    keep = ~frame.isna().any(axis=1).to_numpy()
    frame = frame.loc[keep]
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
                f"{label}: row {frame.index[row]}, column '{formula.response}': {y[row]!r} is not a binary "
                "outcome; expected 0 or 1"
            )
    else:
        raise DataError(
            f"{label}: column '{formula.response}' is not numeric; expected a 0/1 or boolean outcome"
        )

    levels: dict[str, tuple[str, ...]] = {}
    codes: dict[str, np.ndarray] = {}
    numeric: dict[str, np.ndarray] = {}
    for var in formula.variables:
        lv = _levels(frame[var])
        if lv is None:
            numeric[var] = frame[var].to_numpy().astype(float)
        else:
            if len(lv) < 2:
                raise DataError(
                    f"{label}: column '{var}' has a single level '{lv[0]}'; a factor needs at least two"
                )
            levels[var] = lv
            codes[var] = _factor_codes(frame[var], lv)

    present = {frozenset(t) for t in formula.terms}
    if formula.intercept:
        present.add(frozenset())
    cols: list[np.ndarray] = []
    names: list[str] = []
    if formula.intercept:
        cols.append(np.ones(len(frame)))
        names.append("(Intercept)")
    for term in formula.terms:
        pieces: list[list[tuple[str, np.ndarray]]] = []
        for var in term:
            if var in numeric:
                pieces.append([(var, numeric[var])])
                continue
            lv = levels[var]
            contrast = frozenset(term) - {var} in present
            used = lv[1:] if contrast else lv
            pieces.append(
                [(f"{var}{level}", (codes[var] == lv.index(level)).astype(float)) for level in used]
            )
        # R varies the first variable of a term fastest
        combos: list[tuple[str, np.ndarray]] = [("", np.ones(len(frame)))]
        for piece in pieces:
            combos = [
                (f"{name}:{pname}" if name else pname, vec * pvec)
                for pname, pvec in piece
                for name, vec in combos
            ]
        for name, vec in combos:
            names.append(name)
            cols.append(vec)
    X = np.column_stack(cols) if cols else np.empty((len(frame), 0))

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
        columns=tuple(names),
        groups=tuple(group_codes),
        group_names=tuple(group_names),
        group_levels=tuple(group_levels),
        n_dropped=int((~keep).sum()),
        levels=levels,
    )

"""Automated test assembly: forms drawn from a calibrated item bank by mixed-integer programming.

A binary x_jf says whether item j is on form f (van der Linden, 2005, *Linear Models for
Optimal Test Design*, ch. 4-6). With the item information I_j(θ_k) at the target abilities
θ_1 … θ_K the default model is the maximin

    maximise    y
    subject to  Σ_j I_j(θ_k) x_jf ≥ y               every form f, every target θ_k
                Σ_j x_jf = n                         every form
                lo ≤ Σ_{j ∈ c} x_jf ≤ hi             every concept c, every form
                Σ_{j ∈ E} x_jf ≤ 1                   every enemy set E, every form
                Σ_f x_jf ≤ 1                         every item (forms share no item), or
                Σ_j z_jfg ≤ m,  z_jfg ≥ x_jf + x_jg − 1   (forms f, g share at most m items)

which, for one form and one θ, maximises the information at θ. Items that share an assertion
(an option with the same ``assertion_id``) form an enemy set: a student who read one of them
knows part of the answer to the other. With a target information curve T_k at θ_k the
objective is either the largest absolute deviation d, minimised, with
|Σ_j I_j(θ_k) x_jf − T_k| ≤ d (``relative=False``), or van der Linden's relative target:
maximise y with Σ_j I_j(θ_k) x_jf ≥ y T_k. HiGHS (scipy.optimize.milp) solves the program.

Example
-------
>>> from edutools import io
>>> cal = json.loads(Path("calibration.json").read_text())  # doctest: +SKIP
>>> bank = io.read_item_bank("items.json")  # doctest: +SKIP
>>> result = assemble(cal, bank, Spec(n_items=20, per_concept=(1, 3)))  # doctest: +SKIP
>>> result.forms[0]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from edutools.errors import DataError
from edutools.irt.information import item_information
from edutools.irt.result import Calibration
from edutools.irt.result_poly import PolyCalibration
from edutools.schema import ItemBank, Provenance

__all__ = [
    "Assembly",
    "Pool",
    "Spec",
    "assemble",
    "check_forms",
    "form_banks",
    "information_chart",
    "information_table",
    "objective_value",
    "random_forms",
]

# HiGHS stops when the objective is proven within this fraction of the optimum. Parallel
# forms at several θs take seconds at 0.5 % and can take minutes near 0.
MIP_GAP = 5e-3
GRID = np.round(np.linspace(-4.0, 4.0, 81), 10)
_MAX_ITEMS_LISTED = 5


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_MAX_ITEMS_LISTED])
    more = len(names) - _MAX_ITEMS_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


# --------------------------------------------------------------------------- inputs


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _from_json(calibration: Mapping[str, Any]) -> Calibration | PolyCalibration:
    """A calibration rebuilt from the object ``edutools calibrate --json`` prints."""
    rows = calibration.get("items")
    if not isinstance(rows, list) or not rows:
        raise DataError(
            "the calibration has no 'items' list; expected the JSON object of "
            "'edutools calibrate --json'"
        )
    model = str(calibration.get("model", "2pl")).lower()
    rows = [r for r in rows if isinstance(r, Mapping)]
    if any(r.get("thresholds") is not None for r in rows):
        usable = [
            r
            for r in rows
            if _finite(r.get("a"))
            and isinstance(r.get("thresholds"), list)
            and r["thresholds"]
            and all(_finite(v) for v in r["thresholds"])
        ]
        if not usable:
            raise DataError("no item of the calibration has a finite slope a and thresholds")
        return PolyCalibration.from_parameters(
            [str(r["item"]) for r in usable],
            model,
            [float(r["a"]) for r in usable],
            [[float(v) for v in r["thresholds"]] for r in usable],
        )
    usable = [r for r in rows if _finite(r.get("a")) and _finite(r.get("d"))]
    if not usable:
        raise DataError("no item of the calibration has finite parameters a and d")
    cs = [r.get("c") for r in usable]
    c = None if all(v is None for v in cs) else [0.0 if v is None else float(v) for v in cs]
    return Calibration.from_parameters(
        [str(r["item"]) for r in usable],
        [float(r["a"]) for r in usable],
        d=[float(r["d"]) for r in usable],
        c=c,
        model=model,
    )


def information_table(
    calibration: Mapping[str, Any] | Calibration | PolyCalibration, theta: Any
) -> pd.DataFrame:
    """Item information at each θ (rows) for every calibrated item (columns).

    Parameters
    ----------
    calibration : mapping, Calibration or PolyCalibration
        The object ``edutools calibrate --json`` prints (``model`` and ``items`` with ``a``,
        ``d`` and ``c``, or ``a`` and ``thresholds`` for the polytomous models), or a fitted
        calibration. Items whose parameters are missing (excluded from the fit) are left
        out. Information is a² P (1 − P) for 0/1 items (with the 3PL's correction for c),
        a² Var(X | θ) for divide-by-total models and Samejima's for the graded model.
    theta : array-like
        Where to evaluate.

    Returns
    -------
    DataFrame indexed by ``theta``.

    Example
    -------
    >>> cal = {"model": "2pl", "items": [{"item": "Q1", "a": 1.0, "d": 0.0, "c": None}]}
    >>> float(information_table(cal, [0.0]).iloc[0, 0])
    0.25
    """
    cal = calibration if not isinstance(calibration, Mapping) else _from_json(calibration)
    if isinstance(cal, Calibration):
        return item_information(cal, theta)
    th = np.atleast_1d(np.asarray(theta, dtype=float))
    return pd.DataFrame(
        cal.item_information(th), index=pd.Index(th, name="theta"), columns=list(cal.items)
    )


@dataclass(frozen=True)
class Pool:
    """The items a form may draw from: ids, their concepts and the enemy sets among them.

    ``enemies`` holds sets of item positions of which a form may hold at most one (items
    whose options share an assertion).
    """

    items: tuple[str, ...]
    concepts: tuple[str, ...]
    enemies: tuple[tuple[int, ...], ...] = ()

    @classmethod
    def from_bank(cls, bank: ItemBank, items: Collection[str] | None = None) -> Pool:
        """The bank's items (all, or those in ``items``), their concepts and shared assertions.

        Rejected items are never in the pool.

        Example
        -------
        >>> pool = Pool.from_bank(bank, calibrated_items)  # doctest: +SKIP
        """
        wanted = None if items is None else set(items)
        chosen = [
            i for i in bank.items if i.status != "rejected" and (wanted is None or i.id in wanted)
        ]
        position = {item.id: j for j, item in enumerate(chosen)}
        by_assertion: dict[str, set[int]] = defaultdict(set)
        for item in chosen:
            for option in item.options:
                if option.assertion_id is not None:
                    by_assertion[option.assertion_id].add(position[item.id])
        sets = {tuple(sorted(s)) for s in by_assertion.values() if len(s) > 1}
        # A set inside a larger one adds nothing.
        enemies = [s for s in sets if not any(set(s) < set(t) for t in sets)]
        return cls(
            items=tuple(i.id for i in chosen),
            concepts=tuple(i.concept_id for i in chosen),
            enemies=tuple(sorted(enemies)),
        )

    def enemy_pairs(self) -> set[tuple[int, int]]:
        """Every pair of item positions that may not share a form."""
        return {p for s in self.enemies for p in itertools.combinations(s, 2)}


@dataclass(frozen=True)
class Spec:
    """What the forms must satisfy.

    Attributes
    ----------
    n_items : int
        Items per form.
    n_forms : int
        Number of forms.
    per_concept : (min, max) or None
        Items of every concept of the pool on each form; max None means no upper limit.
    overlap : int
        Items any two forms may share (0: none).
    target_theta : tuple of float
        Abilities at which information counts.
    target_info : tuple of float or None
        A target information value at each ``target_theta``; None maximises the smallest
        information over the targets instead.
    relative : bool
        With ``target_info``: maximise the fraction of the target reached at every θ
        (relative target) instead of minimising the largest absolute deviation.
    enemies : bool
        Keep items that share an assertion off the same form.
    """

    n_items: int
    n_forms: int = 1
    per_concept: tuple[int, int | None] | None = None
    overlap: int = 0
    target_theta: tuple[float, ...] = (0.0,)
    target_info: tuple[float, ...] | None = None
    relative: bool = False
    enemies: bool = True

    def __post_init__(self) -> None:
        if self.n_items < 1:
            raise DataError(f"items per form must be at least 1, got {self.n_items}")
        if self.n_forms < 1:
            raise DataError(f"the number of forms must be at least 1, got {self.n_forms}")
        if self.overlap < 0:
            raise DataError(f"overlap must be 0 or more items, got {self.overlap}")
        if not self.target_theta:
            raise DataError("give at least one target θ")
        if not all(math.isfinite(t) for t in self.target_theta):
            raise DataError("target θ values must be finite numbers")
        if self.target_info is not None:
            if len(self.target_info) != len(self.target_theta):
                raise DataError(
                    f"{len(self.target_info)} target information values for "
                    f"{len(self.target_theta)} target θ values; give one per θ"
                )
            if not all(math.isfinite(v) and v >= 0 for v in self.target_info):
                raise DataError("target information values must be finite and non-negative")
            if self.relative and not any(v > 0 for v in self.target_info):
                raise DataError("a relative target needs some positive target information")
        if self.per_concept is not None:
            lo, hi = self.per_concept
            if lo < 0 or (hi is not None and hi < lo):
                raise DataError(
                    f"per-concept limits {lo}:{'' if hi is None else hi} are not MIN:MAX with "
                    "0 <= MIN <= MAX"
                )

    @property
    def mode(self) -> str:
        """``maximin`` (no target curve), ``absolute`` or ``relative``."""
        if self.target_info is None:
            return "maximin"
        return "relative" if self.relative else "absolute"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings."""
        out = asdict(self)
        out["mode"] = self.mode
        return out


@dataclass(frozen=True)
class Assembly:
    """Assembled forms and how well they measure.

    Attributes
    ----------
    spec : Spec
    forms : tuple of tuples of item ids
        One tuple per form, in the bank's order.
    at_targets : DataFrame
        Columns form, theta, information, target (NaN without a target curve).
    curves : DataFrame
        Columns form, theta, information, se over θ in [-4, 4] (and the target curve as
        form ``target`` when one was given).
    objective : float
        The smallest information at a target (maximin), the largest absolute deviation from
        the target (absolute) or the smallest fraction of the target reached (relative).
    status : str
        ``optimal``, or ``time limit`` when the solver stopped early with a feasible solution.
    gap : float
        The solver's relative MIP gap at the end.
    pool_size : int
        Items that were eligible.
    notes : tuple of str
    """

    spec: Spec
    forms: tuple[tuple[str, ...], ...]
    at_targets: pd.DataFrame
    curves: pd.DataFrame
    objective: float
    status: str
    gap: float
    pool_size: int
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> pd.DataFrame:
        """One row per form and target θ: information, SE = 1/sqrt(I) and the target."""
        out = self.at_targets.copy()
        out["se"] = 1.0 / np.sqrt(out["information"])
        return out[["form", "theta", "information", "se", "target"]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result (NaN becomes None)."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            clean = frame.astype(object).where(frame.notna(), None)
            return [dict(r) for r in clean.to_dict(orient="records")]

        return {
            "spec": self.spec.to_dict(),
            "forms": [list(f) for f in self.forms],
            "objective": self.objective,
            "status": self.status,
            "gap": self.gap if math.isfinite(self.gap) else None,
            "pool_size": self.pool_size,
            "notes": list(self.notes),
            "at_targets": records(self.at_targets),
            "curves": records(self.curves),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Assembly:
        """Rebuild a result saved with :meth:`to_dict`."""
        spec_data = {k: v for k, v in data["spec"].items() if k != "mode"}
        for name in ("target_theta", "target_info", "per_concept"):
            if spec_data.get(name) is not None:
                spec_data[name] = tuple(spec_data[name])
        gap = data.get("gap")
        return cls(
            spec=Spec(**spec_data),
            forms=tuple(tuple(f) for f in data["forms"]),
            at_targets=pd.DataFrame(data["at_targets"]).astype({"target": float}),
            curves=pd.DataFrame(data["curves"]),
            objective=float(data["objective"]),
            status=str(data["status"]),
            gap=math.nan if gap is None else float(gap),
            pool_size=int(data["pool_size"]),
            notes=tuple(data.get("notes", ())),
        )


# --------------------------------------------------------------------------- the program


@dataclass
class _Rows:
    """Sparse constraint rows collected one at a time."""

    n_vars: int
    rows: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    vals: list[float] = field(default_factory=list)
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)

    def add(self, coef: Mapping[int, float], lo: float, hi: float) -> None:
        r = len(self.lb)
        for c, v in coef.items():
            self.rows.append(r)
            self.cols.append(c)
            self.vals.append(v)
        self.lb.append(lo)
        self.ub.append(hi)

    def constraint(self) -> LinearConstraint:
        A = sparse.csr_array((self.vals, (self.rows, self.cols)), shape=(len(self.lb), self.n_vars))
        return LinearConstraint(A, np.array(self.lb), np.array(self.ub))


@dataclass(frozen=True)
class _Solution:
    forms: list[list[int]]
    objective: float
    status: str
    gap: float


def _concept_groups(pool: Pool) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for j, c in enumerate(pool.concepts):
        groups[c].append(j)
    return dict(groups)


def _solve(
    info: np.ndarray,
    pool: Pool,
    spec: Spec,
    *,
    use_concepts: bool = True,
    use_enemies: bool = True,
    use_overlap: bool = True,
    time_limit: float = 60.0,
    mip_gap: float = MIP_GAP,
) -> _Solution | None:
    """Solve the program; None when it is infeasible. ``info`` is targets × items."""
    J, F, n = len(pool.items), spec.n_forms, spec.n_items
    n_x = J * F
    pairs = list(itertools.combinations(range(F), 2))
    with_z = use_overlap and F > 1 and 0 < spec.overlap < n
    n_z = J * len(pairs) if with_z else 0
    y = n_x  # the objective variable
    # A variable fixed at 1 adds a constant to the objective, so that HiGHS's relative gap
    # stays meaningful when the best deviation from a target is about 0.
    offset = n_x + 1 + n_z
    n_vars = n_x + 2 + n_z
    rows = _Rows(n_vars)

    def x(j: int, f: int) -> int:
        return f * J + j

    T = None if spec.target_info is None else np.asarray(spec.target_info, dtype=float)
    for f in range(F):
        for k in range(info.shape[0]):
            coef: dict[int, float] = {x(j, f): float(info[k, j]) for j in range(J)}
            if spec.mode == "maximin":
                rows.add({**coef, y: -1.0}, 0.0, np.inf)
            elif spec.mode == "relative":
                assert T is not None
                rows.add({**coef, y: -float(T[k])}, 0.0, np.inf)
            else:
                assert T is not None
                rows.add({**coef, y: -1.0}, -np.inf, float(T[k]))
                rows.add({**coef, y: 1.0}, float(T[k]), np.inf)
        rows.add({x(j, f): 1.0 for j in range(J)}, n, n)
        if use_concepts and spec.per_concept is not None:
            lo, hi = spec.per_concept
            for members in _concept_groups(pool).values():
                rows.add({x(j, f): 1.0 for j in members}, lo, np.inf if hi is None else hi)
        if use_enemies and spec.enemies:
            for group in pool.enemies:
                rows.add({x(j, f): 1.0 for j in group}, -np.inf, 1.0)
    if use_overlap and F > 1 and spec.overlap == 0:
        for j in range(J):
            rows.add({x(j, f): 1.0 for f in range(F)}, -np.inf, 1.0)
    if with_z:
        for p, (f, g) in enumerate(pairs):
            for j in range(J):
                z = n_x + 1 + p * J + j
                rows.add({x(j, f): 1.0, x(j, g): 1.0, z: -1.0}, -np.inf, 1.0)
            rows.add({n_x + 1 + p * J + j: 1.0 for j in range(J)}, -np.inf, spec.overlap)
    c = np.zeros(n_vars)
    c[y] = 1.0 if spec.mode == "absolute" else -1.0
    if spec.mode == "absolute":
        assert T is not None
        c[offset] = max(float(T.mean()), 1e-3)
    integrality = np.zeros(n_vars)
    integrality[:n_x] = 1
    lower = np.zeros(n_vars)
    upper = np.ones(n_vars)
    upper[y] = np.inf
    lower[offset] = 1.0
    res = milp(
        c,
        constraints=rows.constraint(),
        integrality=integrality,
        bounds=Bounds(lower, upper),
        options={"time_limit": float(time_limit), "mip_rel_gap": mip_gap, "disp": False},
    )
    if res.x is None:
        if res.status == 1:  # time limit with no feasible point found yet
            raise DataError(
                f"no form found within the {time_limit:g} s time limit; allow more time or "
                "relax the constraints"
            )
        return None
    sol = np.round(res.x[:n_x]).reshape(F, J)
    forms = [[int(j) for j in np.flatnonzero(sol[f] > 0.5)] for f in range(F)]
    gap = float(getattr(res, "mip_gap", math.nan) or 0.0)
    return _Solution(
        forms=forms,
        objective=float(res.x[y]),
        status="optimal" if res.status == 0 else "time limit",
        gap=gap,
    )


def _precheck(pool: Pool, spec: Spec) -> None:
    """Constraints that cannot be met whatever the items, named with what to relax."""
    J, n, F = len(pool.items), spec.n_items, spec.n_forms
    if n > J:
        raise DataError(
            f"{n} items per form, but only {J} eligible items in the pool; lower the number "
            "of items"
        )
    if F > 1 and spec.overlap == 0 and n * F > J:
        raise DataError(
            f"{F} forms of {n} items that share no item need {n * F} items; the pool has {J}: "
            "lower the number of items or forms, or allow an overlap between forms"
        )
    if spec.per_concept is None:
        return
    lo, hi = spec.per_concept
    groups = _concept_groups(pool)
    nc = len(groups)
    if lo * nc > n:
        raise DataError(
            f"at least {lo} item(s) from each of {nc} concepts is {lo * nc} items, more than "
            f"the {n} per form; lower the per-concept minimum or raise the number of items"
        )
    if hi is not None and hi * nc < n:
        raise DataError(
            f"at most {hi} item(s) from each of {nc} concepts is {hi * nc} items, fewer than "
            f"the {n} per form; raise the per-concept maximum or lower the number of items"
        )
    need = lo * (F if spec.overlap == 0 else 1)
    short = sorted(c for c, members in groups.items() if len(members) < need)
    if short:
        have = min(len(groups[c]) for c in short)
        raise DataError(
            f"concept(s) {_listed(short)} have only {have} eligible item(s), fewer than the "
            f"per-concept minimum of {need}"
            + (f" ({lo} on each of {F} forms)" if need != lo else "")
            + "; lower the minimum"
        )


def _infeasible(
    info: np.ndarray, pool: Pool, spec: Spec, time_limit: float, mip_gap: float
) -> DataError:
    """Name the constraint whose relaxation makes the program feasible."""
    hints = []
    if spec.per_concept is not None:
        hints.append(("use_concepts", "relax the per-concept limits"))
    if spec.enemies and pool.enemies:
        hints.append(("use_enemies", "allow items that share an assertion on one form"))
    if spec.n_forms > 1:
        hints.append(("use_overlap", "allow more overlap between forms"))
    works = [
        hint
        for flag, hint in hints
        if _solve(info, pool, spec, time_limit=time_limit, mip_gap=mip_gap, **{flag: False})
        is not None
    ]
    if works:
        return DataError(
            f"no form of {spec.n_items} items meets every constraint; it would be possible "
            f"if you {' or '.join(works)} (or lower the number of items)"
        )
    return DataError(
        f"no form of {spec.n_items} items meets the constraints; lower the number of items, "
        "relax the per-concept limits or allow more overlap between forms"
    )


def objective_value(info: np.ndarray, spec: Spec) -> float:
    """The objective of one form whose information at the targets is ``info`` (one per θ).

    The smallest information (maximin), the largest absolute deviation from the target
    (absolute; smaller is better) or the smallest fraction of the target (relative).
    """
    values = np.asarray(info, dtype=float)
    if spec.target_info is None:
        return float(values.min())
    target = np.asarray(spec.target_info, dtype=float)
    if spec.relative:
        positive = target > 0
        return float((values[positive] / target[positive]).min())
    return float(np.abs(values - target).max())


def assemble(
    calibration: Mapping[str, Any] | Calibration | PolyCalibration,
    bank: ItemBank,
    spec: Spec,
    *,
    calibrated_only: bool = False,
    time_limit: float = 60.0,
    mip_gap: float = MIP_GAP,
) -> Assembly:
    """Assemble ``spec.n_forms`` forms from the calibrated items of ``bank``.

    Parameters
    ----------
    calibration : mapping, Calibration or PolyCalibration
        Item parameters: the JSON object of ``edutools calibrate --json`` (any model,
        dichotomous or polytomous) or a fitted calibration. Its item names are the bank's
        item ids.
    bank : ItemBank
        Item content, concepts and assertions (enemy sets). Rejected items are never chosen.
    spec : Spec
        Form length, number of forms, per-concept limits, overlap, targets.
    calibrated_only : bool
        Draw from the calibrated items of the bank and ignore the others; by default a bank
        item without parameters is an error.
    time_limit : float
        Seconds the solver may take.
    mip_gap : float
        Stop once the forms are proven within this fraction of the optimum (0.5 % by default).

    Returns
    -------
    Assembly

    Raises
    ------
    DataError
        Items without parameters, or constraints no form can meet (the message says what to
        relax).

    Example
    -------
    >>> result = assemble(cal, bank, Spec(n_items=10, per_concept=(1, 2)))  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    """
    if isinstance(calibration, Mapping):
        calibration = _from_json(calibration)
    thetas = np.asarray(spec.target_theta, dtype=float)
    at_targets = information_table(calibration, thetas)
    calibrated = set(at_targets.columns)
    candidates = [i.id for i in bank.items if i.status != "rejected"]
    missing = [i for i in candidates if i not in calibrated]
    notes: list[str] = []
    if missing and not calibrated_only:
        raise DataError(
            f"{len(missing)} item(s) of the bank have no parameters in the calibration "
            f"({_listed(missing)}); calibrate responses that include them, or draw from the "
            f"{len(candidates) - len(missing)} calibrated items only"
        )
    if missing:
        notes.append(f"{len(missing)} bank item(s) without parameters were left out")
    rejected = sum(i.status == "rejected" for i in bank.items)
    if rejected:
        notes.append(f"{rejected} rejected item(s) were left out")
    pool = Pool.from_bank(bank, calibrated)
    if not pool.items:
        raise DataError(
            "no item of the bank is in the calibration; the bank's item ids must be the "
            "calibration's item names"
        )
    _precheck(pool, spec)
    info = at_targets[list(pool.items)].to_numpy(dtype=float)
    solution = _solve(info, pool, spec, time_limit=time_limit, mip_gap=mip_gap)
    if solution is None:
        raise _infeasible(info, pool, spec, time_limit, mip_gap)
    if solution.status != "optimal":
        notes.append(
            f"the solver stopped at the time limit; the forms are feasible but may be up to "
            f"{solution.gap:.1%} from the optimum"
        )
    forms = tuple(tuple(pool.items[j] for j in sorted(f)) for f in solution.forms)
    grid_info = information_table(calibration, GRID)
    curve_rows, target_rows = [], []
    for f, form in enumerate(forms, start=1):
        total = grid_info[list(form)].sum(axis=1).to_numpy()
        curve_rows.append(
            pd.DataFrame(
                {"form": str(f), "theta": GRID, "information": total, "se": 1 / np.sqrt(total)}
            )
        )
        at = at_targets[list(form)].sum(axis=1).to_numpy()
        target_rows.append(
            pd.DataFrame(
                {
                    "form": str(f),
                    "theta": thetas,
                    "information": at,
                    "target": np.nan if spec.target_info is None else list(spec.target_info),
                }
            )
        )
    if spec.target_info is not None:
        curve_rows.append(
            pd.DataFrame(
                {
                    "form": "target",
                    "theta": thetas,
                    "information": list(spec.target_info),
                    "se": 1 / np.sqrt(np.asarray(spec.target_info, dtype=float)),
                }
            )
        )
    at_frame = pd.concat(target_rows, ignore_index=True)
    objective = min(
        (objective_value(g["information"].to_numpy(), spec) for _, g in at_frame.groupby("form")),
        key=lambda v: -v if spec.mode == "absolute" else v,
    )
    with np.errstate(divide="ignore"):
        curves = pd.concat(curve_rows, ignore_index=True)
    return Assembly(
        spec=spec,
        forms=forms,
        at_targets=at_frame,
        curves=curves,
        objective=float(objective),
        status=solution.status,
        gap=solution.gap,
        pool_size=len(pool.items),
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- checks, baselines


def check_forms(pool: Pool, spec: Spec, forms: Sequence[Sequence[str]]) -> list[str]:
    """Every constraint of ``spec`` that ``forms`` break, as sentences (empty when none).

    An independent check of a solution: it counts items, concepts, enemies and overlaps
    directly rather than through the program.
    """
    problems = []
    index = {item: j for j, item in enumerate(pool.items)}
    pairs = pool.enemy_pairs()
    if len(forms) != spec.n_forms:
        problems.append(f"{len(forms)} forms instead of {spec.n_forms}")
    for f, form in enumerate(forms, start=1):
        unknown = [i for i in form if i not in index]
        if unknown:
            problems.append(f"form {f}: item(s) not in the pool: {_listed(unknown)}")
            continue
        if len(set(form)) != len(form):
            problems.append(f"form {f}: an item appears twice")
        if len(form) != spec.n_items:
            problems.append(f"form {f}: {len(form)} items instead of {spec.n_items}")
        if spec.per_concept is not None:
            lo, hi = spec.per_concept
            counts = Counter(pool.concepts[index[i]] for i in form)
            for concept in sorted(set(pool.concepts)):
                k = counts.get(concept, 0)
                if k < lo or (hi is not None and k > hi):
                    problems.append(f"form {f}: concept {concept} has {k} items")
        if spec.enemies:
            positions = sorted(index[i] for i in form)
            for p in itertools.combinations(positions, 2):
                if p in pairs:
                    problems.append(
                        f"form {f}: {pool.items[p[0]]} and {pool.items[p[1]]} share an assertion"
                    )
    for (f, a), (g, b) in itertools.combinations(enumerate(forms, start=1), 2):
        shared = len(set(a) & set(b))
        if shared > spec.overlap:
            problems.append(f"forms {f} and {g} share {shared} items (at most {spec.overlap})")
    return problems


def random_forms(pool: Pool, spec: Spec, n: int, *, seed: int = 0) -> list[tuple[str, ...]]:
    """``n`` random single forms that meet the per-form constraints of ``spec``.

    Each draw shuffles the pool, first takes each concept's minimum in that order, then
    fills the form, skipping items that would break a maximum or an enemy set; draws that
    cannot be completed are discarded. A baseline for what an optimised form gains.

    Raises
    ------
    DataError
        When 100 × n draws give fewer than n feasible forms.
    """
    rng = np.random.default_rng(seed)
    one = Spec(**{**asdict(spec), "n_forms": 1, "overlap": 0})
    J = len(pool.items)
    concept_of = np.array(pool.concepts)
    enemies_of: dict[int, set[int]] = defaultdict(set)
    for a, b in pool.enemy_pairs() if spec.enemies else ():
        enemies_of[a].add(b)
        enemies_of[b].add(a)
    lo, hi = spec.per_concept if spec.per_concept is not None else (0, None)
    concepts = sorted(set(pool.concepts))
    out: list[tuple[str, ...]] = []
    for _ in range(100 * n):
        order = rng.permutation(J)
        chosen: list[int] = []
        blocked: set[int] = set()
        counts: Counter[str] = Counter()
        minima = [(c, j) for c in rng.permutation(concepts) for j in order if concept_of[j] == c]
        for stage in (minima, [(None, j) for j in order]):
            for concept, j in stage:
                c = concept_of[j]
                if concept is not None and counts[c] >= lo:
                    continue
                if len(chosen) >= spec.n_items or j in blocked:
                    continue
                if hi is not None and counts[c] >= hi:
                    continue
                chosen.append(j)
                blocked.update(enemies_of[j])
                blocked.add(j)
                counts[c] += 1
        form = tuple(pool.items[j] for j in sorted(chosen))
        if not check_forms(pool, one, [form]):
            out.append(form)
            if len(out) == n:
                return out
    raise DataError(
        f"found only {len(out)} random feasible forms in {100 * n} draws; the constraints "
        "leave little room"
    )


# --------------------------------------------------------------------------- outputs


def form_banks(
    bank: ItemBank,
    assembly: Assembly,
    *,
    inputs: Mapping[str, str] | None = None,
    version: str | None = None,
) -> list[ItemBank]:
    """One item bank per form: its items (accepted, in bank order) and their assertions.

    The items are marked ``accepted``: an assembled form is the researcher's selection, so
    ``edutools export`` writes every item of it. The bank's ``run`` records the assembly
    (engine ``assembly``, the spec, the form, the input hashes).
    """
    by_id = {i.id: i for i in bank.items}
    banks = []
    for f, form in enumerate(assembly.forms, start=1):
        items = [by_id[i].model_copy(update={"status": "accepted"}) for i in form]
        used = {o.assertion_id for i in items for o in i.options if o.assertion_id}
        summary = assembly.at_targets[assembly.at_targets["form"] == str(f)]
        parameters: dict[str, Any] = {
            **assembly.spec.to_dict(),
            "form": f,
            "information_at_targets": [round(float(v), 6) for v in summary["information"]],
            "source_engine": bank.run.engine,
        }
        payload = json.dumps([parameters, dict(inputs or {})], sort_keys=True, default=str)
        run = Provenance(
            engine="assembly",
            parameters=parameters,
            input_hash=hashlib.sha256(payload.encode()).hexdigest(),
            created_at=datetime.now(UTC),
            edutools_version=version,
        )
        banks.append(
            ItemBank(
                course_id=bank.course_id,
                k=bank.k,
                items=items,
                assertions=[a for a in bank.assertions if a.id in used],
                run=run,
            )
        )
    return banks


def information_chart(assembly: Assembly) -> Any:
    """Test information (left) and standard error of θ (right) of every form over θ.

    Target θs are marked by dashed rules; a target curve is drawn as diamonds. The SE axis
    stops at 2 so that the range where a form measures well stays readable.
    """
    import altair as alt

    curves = assembly.curves[assembly.curves["form"] != "target"].copy()
    curves["form"] = "form " + curves["form"]
    target = assembly.curves[assembly.curves["form"] == "target"]
    rules = pd.DataFrame({"theta": list(assembly.spec.target_theta)})
    colour = alt.Color("form:N", title=None, legend=alt.Legend(orient="top"))
    x = alt.X("theta:Q", title="θ (ability)", scale=alt.Scale(domain=[-4, 4]))

    def panel(column: str, y: alt.Y) -> Any:
        lines = (
            alt.Chart(curves)
            .mark_line(strokeWidth=2, clip=True)
            .encode(
                x=x,
                y=y,
                color=colour,
                tooltip=[
                    "form",
                    alt.Tooltip("theta:Q", format=".2f"),
                    alt.Tooltip(f"{column}:Q", format=".3f"),
                ],
            )
        )
        marks = alt.Chart(rules).mark_rule(strokeDash=[4, 3], color="#888").encode(x="theta:Q")
        layers: list[Any] = [marks, lines]
        if not target.empty:
            layers.append(
                alt.Chart(target)
                .mark_point(shape="diamond", size=80, filled=True, color="black")
                .encode(x="theta:Q", y=f"{column}:Q", tooltip=["theta", column])
            )
        return alt.layer(*layers).properties(width=320, height=240)

    left = panel("information", alt.Y("information:Q", title="Test information"))
    right = panel(
        "se",
        alt.Y("se:Q", title="Standard error of θ", scale=alt.Scale(domain=[0, 2])),
    )
    n_forms = len(assembly.forms)
    forms = "One form" if n_forms == 1 else f"{n_forms} forms"
    subtitle = "dashed lines: target θ" + ("; diamonds: target information" if len(target) else "")
    title = alt.Title(f"{forms} of {assembly.spec.n_items} items", subtitle=subtitle)
    return alt.hconcat(left, right).properties(title=title)

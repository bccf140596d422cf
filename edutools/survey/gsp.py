"""Gibbs Sampling with People (GSP): the pure sampler and an in-memory coordinator.

GSP (Harrison et al., 2020) treats participants as the conditional samplers of a Gibbs
sampler over a D-dimensional stimulus space (here: a response's style vector). This module
follows the semantics of PsyNet's ``psynet.trial.gibbs``:

* A chain starts at a random vector and a random initial dimension. Node ``k`` of a chain
  frees one *active* dimension, cycling through the chain's dimension order from the initial
  one (``randomize_dimension_order`` draws a new order per chain).
* Each trial at a node starts the slider at a fresh random value of the active dimension
  (``resample_start_value``) and reverses the slider with probability ``reverse_probability``.
  The participant moves the slider until the stimulus is best; the value is the response.
* After ``trials_per_node`` responses the node's value on the active dimension is their
  mean, median or KDE mode (``aggregation``); the next node frees the next dimension.
* A chain is full after ``max_nodes_per_chain`` nodes have been answered. Within-participant
  chains belong to one participant (``chains_per_participant`` each); across-participant
  chains form a shared pool (``chains_per_experiment``) and pass from person to person.
* A participant is given the eligible chain with the fewest completed nodes
  (``balance_across_chains``), ties broken at random, and never answers the same node twice;
  across chains are not revisited unless ``allow_revisiting_chains``.
* A chain's head is *claimed* before its trial is shown; a claim not answered within
  ``claim_timeout_seconds`` lapses and another participant may take the chain.

The pure functions (:func:`chain_start`, :func:`active_dimension`, :func:`make_trial`,
:func:`aggregate`, :func:`next_vector`, :func:`choose_chain`) hold every rule and never touch
storage. :class:`InMemoryGSP` runs whole experiments in memory (for simulation);
:class:`edutools.studyflow.gsp.DatabaseGSP` runs the same rules on the rows of
:mod:`edutools.store.gsp`, whose writes make the claims atomic.
All randomness is derived from ``seed`` and the chain key, so a run is reproducible.

Reference: Harrison, P. M. C., Marjieh, R., Adolfi, F., van Rijn, P., Anglada-Tort, M.,
Tchernichovski, O., Larrouy-Maestri, P., & Jacoby, N. (2020). Gibbs Sampling with People.
Advances in Neural Information Processing Systems 33.
"""

from __future__ import annotations

import hashlib
import math
import statistics
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from edutools.errors import StudyError

if TYPE_CHECKING:
    from edutools.survey.config import StudyDefinition

__all__ = [
    "ChainPlan",
    "ChainStatus",
    "GSPDesign",
    "GSPDimension",
    "InMemoryGSP",
    "Trial",
    "UtilityResponder",
    "active_dimension",
    "aggregate",
    "base_items_for",
    "chain_start",
    "choose_chain",
    "make_trial",
    "next_vector",
    "node_columns",
    "trial_columns",
    "trial_row",
]

Aggregation = Literal["mean", "median", "kde_mode"]


def stable_int(*parts: object) -> int:
    """A 63-bit integer from ``parts`` that is the same on every machine and run."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng(stable_int(*parts))


# --------------------------------------------------------------------------- design


@dataclass(frozen=True)
class GSPDimension:
    """One dimension of the style space: its range and, optionally, the levels it snaps to."""

    name: str
    low: float
    high: float
    levels: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise StudyError(f"dimension {self.name!r}: low {self.low} must be below {self.high}")
        if any(not self.low <= v <= self.high for v in self.levels):
            raise StudyError(f"dimension {self.name!r}: levels must lie in [low, high]")

    def sample(self, rng: np.random.Generator) -> float:
        """A uniformly random value: a random level when snapping, else uniform on the range."""
        if self.levels:
            return float(self.levels[int(rng.integers(len(self.levels)))])
        return float(rng.uniform(self.low, self.high))

    def snap(self, value: float) -> float:
        """``value`` clipped to the range and, with levels, moved to the nearest level."""
        clipped = min(max(float(value), self.low), self.high)
        if not self.levels:
            return clipped
        return float(min(self.levels, key=lambda lv: (abs(lv - clipped), lv)))


@dataclass(frozen=True)
class GSPDesign:
    """Everything the sampler needs; build it from a study with :meth:`from_study`.

    Field meanings and defaults are those of :class:`edutools.survey.config.GSPSettings`.
    """

    dimensions: tuple[GSPDimension, ...]
    base_items: tuple[str, ...]
    chain_type: Literal["within", "across"] = "within"
    chains_per_participant: int = 4
    chains_per_experiment: int | None = None
    max_nodes_per_chain: int = 16
    trials_per_node: int = 1
    max_trials_per_participant: int | None = None
    aggregation: Aggregation = "mean"
    kde_bandwidth: str | float = "scott"
    randomize_dimension_order: bool = False
    resample_start_value: bool = True
    reverse_probability: float = 0.5
    balance_across_chains: bool = True
    allow_revisiting_chains: bool = False
    claim_timeout_seconds: float = 300.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.dimensions:
            raise StudyError("a GSP design needs at least one dimension")
        if not self.base_items:
            raise StudyError("a GSP design needs at least one base item")
        if self.chain_type == "across" and not self.chains_per_experiment:
            raise StudyError("across-participant chains need chains_per_experiment >= 1")
        for name in ("chains_per_participant", "max_nodes_per_chain", "trials_per_node"):
            if getattr(self, name) < 1:
                raise StudyError(f"{name} must be >= 1, not {getattr(self, name)}")
        if self.aggregation not in ("mean", "median", "kde_mode"):
            raise StudyError(f"aggregation {self.aggregation!r}: use mean, median or kde_mode")

    @classmethod
    def from_study(cls, study: StudyDefinition) -> GSPDesign:
        """The design of a validated GSP study (its ``gsp`` section and dimensions)."""
        if study.gsp is None:
            raise StudyError(f"study {study.id!r} has no gsp section; it is a {study.design} study")
        g = study.gsp
        snap = g.snap_to_levels
        dims = tuple(
            GSPDimension(d.name, d.low, d.high, d.level_values if snap else ())
            for d in study.gsp_dimensions
        )
        return cls(
            dimensions=dims,
            base_items=tuple(b.id for b in study.base_items),
            chain_type=g.chain_type,
            chains_per_participant=g.chains_per_participant,
            chains_per_experiment=g.chains_per_experiment,
            max_nodes_per_chain=g.max_nodes_per_chain,
            trials_per_node=g.trials_per_node,
            max_trials_per_participant=g.max_trials_per_participant,
            aggregation=g.aggregation,
            kde_bandwidth=g.kde_bandwidth,
            randomize_dimension_order=g.randomize_dimension_order,
            resample_start_value=g.resample_start_value,
            reverse_probability=g.reverse_probability,
            balance_across_chains=g.balance_across_chains,
            allow_revisiting_chains=g.allow_revisiting_chains,
            claim_timeout_seconds=g.claim_timeout_seconds,
            seed=g.seed,
        )

    @property
    def names(self) -> tuple[str, ...]:
        """Dimension names in vector order."""
        return tuple(d.name for d in self.dimensions)

    @property
    def trial_cap(self) -> int:
        """Most trials one participant gives (``max_trials_per_participant`` or its default)."""
        if self.max_trials_per_participant is not None:
            return self.max_trials_per_participant
        per_chain = self.max_nodes_per_chain * self.trials_per_node
        if self.chain_type == "within":
            return self.chains_per_participant * per_chain
        pool = int(self.chains_per_experiment or 0)
        return pool * (per_chain if self.allow_revisiting_chains else 1)


# --------------------------------------------------------------------------- pure rules


@dataclass(frozen=True)
class ChainPlan:
    """What is fixed for a chain when it is created: order, first dimension, start vector."""

    chain: str
    base_item: str
    order: tuple[int, ...]
    start_position: int
    start_vector: tuple[float, ...]


def chain_start(design: GSPDesign, chain: str, base_item: str) -> ChainPlan:
    """The seeded start of chain ``chain``: a random vector and a random initial dimension.

    As PsyNet's ``GibbsNode.create_initial_seed``: every dimension is sampled at random and the
    initial active dimension is uniform; the order is shuffled when
    ``randomize_dimension_order`` is set.

    Example
    -------
    >>> d = GSPDesign((GSPDimension("x", 0, 1), GSPDimension("y", 0, 1)), ("b1",))
    >>> plan = chain_start(d, "p1/0", "b1")
    >>> sorted(plan.order), len(plan.start_vector)
    ([0, 1], 2)
    """
    rng = _rng(design.seed, "chain", chain)
    n = len(design.dimensions)
    order = (
        tuple(int(i) for i in rng.permutation(n))
        if design.randomize_dimension_order
        else tuple(range(n))
    )
    start = int(rng.integers(n))
    vector = tuple(d.sample(rng) for d in design.dimensions)
    return ChainPlan(chain, base_item, order, start, vector)


def active_dimension(order: Sequence[int], start_position: int, node: int) -> int:
    """Index of the dimension node ``node`` frees: the chain's order, cycled from its start."""
    return int(order[(start_position + node) % len(order)])


@dataclass(frozen=True)
class Trial:
    """One slider trial: the stimulus vector, which dimension moves, and how the slider looks.

    ``vector`` is the node's vector with the active dimension set to the slider's start value.
    With ``reverse`` the slider runs from ``high`` (left) to ``low`` (right); responses are
    always reported on the dimension's own scale. ``token`` identifies the claim that
    produced the trial (empty for a trial made outside a coordinator).
    """

    chain: str
    base_item: str
    node: int
    slot: int
    active: int
    dimension: str
    vector: tuple[float, ...]
    node_vector: tuple[float, ...]
    reverse: bool
    low: float
    high: float
    levels: tuple[float, ...] = ()
    token: str = ""

    @property
    def start_value(self) -> float:
        """Where the slider starts, on the dimension's scale."""
        return self.vector[self.active]

    def value_at(self, position: float) -> float:
        """The dimension value at slider ``position`` in [0, 1] (left to right), snapped."""
        p = min(max(float(position), 0.0), 1.0)
        if self.reverse:
            p = 1.0 - p
        value = self.low + p * (self.high - self.low)
        return GSPDimension(self.dimension, self.low, self.high, self.levels).snap(value)

    def position_of(self, value: float) -> float:
        """The slider position in [0, 1] that shows ``value``."""
        p = (min(max(float(value), self.low), self.high) - self.low) / (self.high - self.low)
        return 1.0 - p if self.reverse else p

    def with_response(self, value: float) -> tuple[float, ...]:
        """The vector the participant chose: the node's vector with ``value`` on the active dim."""
        out = list(self.node_vector)
        out[self.active] = float(value)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for storage and the app)."""
        return {
            "chain": self.chain,
            "base_item": self.base_item,
            "node": self.node,
            "slot": self.slot,
            "active": self.active,
            "dimension": self.dimension,
            "vector": list(self.vector),
            "node_vector": list(self.node_vector),
            "reverse": self.reverse,
            "low": self.low,
            "high": self.high,
            "levels": list(self.levels),
            "token": self.token,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trial:
        """Inverse of :meth:`to_dict`."""
        return cls(
            chain=str(data["chain"]),
            base_item=str(data["base_item"]),
            node=int(data["node"]),
            slot=int(data["slot"]),
            active=int(data["active"]),
            dimension=str(data["dimension"]),
            vector=tuple(float(v) for v in data["vector"]),
            node_vector=tuple(float(v) for v in data["node_vector"]),
            reverse=bool(data["reverse"]),
            low=float(data["low"]),
            high=float(data["high"]),
            levels=tuple(float(v) for v in data.get("levels", ())),
            token=str(data.get("token", "")),
        )


def make_trial(
    design: GSPDesign,
    plan: ChainPlan,
    node: int,
    slot: int,
    node_vector: Sequence[float],
    token: str = "",
) -> Trial:
    """Trial ``slot`` at node ``node`` of a chain (deterministic given the seed).

    As PsyNet's ``GibbsTrial.make_definition``: the node's vector with the active dimension
    resampled at random, and a random slider reversal.

    Example
    -------
    >>> d = GSPDesign((GSPDimension("x", 1, 5, (1, 2, 3, 4, 5)),), ("b1",))
    >>> t = make_trial(d, chain_start(d, "c0", "b1"), 0, 0, (3.0,))
    >>> t.dimension, t.start_value in (1, 2, 3, 4, 5), t.node_vector
    ('x', True, (3.0,))
    """
    active = active_dimension(plan.order, plan.start_position, node)
    dim = design.dimensions[active]
    rng = _rng(design.seed, "trial", plan.chain, node, slot)
    vector = [float(v) for v in node_vector]
    start = dim.sample(rng)
    if design.resample_start_value:
        vector[active] = start
    reverse = bool(rng.random() < design.reverse_probability)
    return Trial(
        chain=plan.chain,
        base_item=plan.base_item,
        node=node,
        slot=slot,
        active=active,
        dimension=dim.name,
        vector=tuple(vector),
        node_vector=tuple(float(v) for v in node_vector),
        reverse=reverse,
        low=dim.low,
        high=dim.high,
        levels=dim.levels,
        token=token,
    )


def aggregate(
    values: Sequence[float],
    method: Aggregation = "mean",
    bandwidth: str | float = "scott",
    grid_points: int = 501,
) -> float:
    """Summarise a node's responses: mean, median, or the mode of a Gaussian KDE.

    ``kde_mode`` evaluates a Gaussian kernel density on ``grid_points`` equally spaced points
    between the smallest and largest response and returns the argmax, as PsyNet's
    ``GibbsNode.kernel_summarize`` does. The bandwidth is ``factor * SD`` with scipy's
    ``gaussian_kde`` factors: Scott ``n**(-1/5)``, Silverman ``(3n/4)**(-1/5)``, or a given
    number (PsyNet uses statsmodels' cross-validated bandwidth by default). One response, or
    identical responses, are their own mode.

    Example
    -------
    >>> aggregate([1.0, 2.0, 6.0], "median")
    2.0
    """
    if not len(values):
        raise StudyError("cannot aggregate a node without responses")
    xs = [float(v) for v in values]
    if method == "mean":
        return statistics.fmean(xs)
    if method == "median":
        return float(statistics.median(xs))
    if method != "kde_mode":
        raise StudyError(f"aggregation {method!r}: use mean, median or kde_mode")
    lo, hi = min(xs), max(xs)
    if len(xs) == 1 or math.isclose(lo, hi):
        return xs[0]
    x = np.asarray(xs)
    h = _kde_factor(bandwidth, len(xs)) * float(x.std(ddof=1))
    grid = np.linspace(lo, hi, grid_points)
    density = np.exp(-0.5 * ((grid[:, None] - x[None, :]) / h) ** 2).sum(axis=1)
    return float(grid[int(np.argmax(density))])


def _kde_factor(bandwidth: str | float, n: int) -> float:
    """scipy.stats.gaussian_kde's bandwidth factor in one dimension (times the sample SD)."""
    if bandwidth == "scott":
        return float(n ** (-1 / 5))
    if bandwidth == "silverman":
        return float((n * 3 / 4) ** (-1 / 5))
    if isinstance(bandwidth, int | float) and bandwidth > 0:
        return float(bandwidth)
    raise StudyError(f"kde_bandwidth {bandwidth!r}: use 'scott', 'silverman' or a positive number")


def next_vector(
    design: GSPDesign, node_vector: Sequence[float], active: int, responses: Sequence[float]
) -> tuple[float, ...]:
    """The next node's vector: the active dimension set to the (snapped) aggregate.

    Example
    -------
    >>> d = GSPDesign((GSPDimension("x", 1, 5, (1, 2, 3, 4, 5)), GSPDimension("y", 0, 1)),
    ...               ("b1",), aggregation="median")
    >>> next_vector(d, (3.0, 0.5), 0, [4.0, 5.0, 1.0])
    (4.0, 0.5)
    """
    dim = design.dimensions[active]
    value = dim.snap(aggregate(responses, design.aggregation, design.kde_bandwidth))
    out = [float(v) for v in node_vector]
    out[active] = value
    return tuple(out)


def base_items_for(design: GSPDesign, first_chain: int, count: int) -> list[str]:
    """Base items of ``count`` chains numbered from ``first_chain``: round robin over items.

    Numbering chains across the whole study spreads base items evenly over chains.

    Example
    -------
    >>> base_items_for(GSPDesign((GSPDimension("x", 0, 1),), ("a", "b", "c")), 2, 3)
    ['c', 'a', 'b']
    """
    items = design.base_items
    return [items[(first_chain + k) % len(items)] for k in range(count)]


@dataclass(frozen=True)
class ChainStatus:
    """What the allocation rule needs to know about a chain."""

    chain: str
    n_nodes_done: int
    n_responses: int
    full: bool
    claimed_by_other: bool
    answered_head: bool
    visited: bool


def choose_chain(
    design: GSPDesign, chains: Sequence[ChainStatus], rng: np.random.Generator
) -> ChainStatus | None:
    """The chain a participant should answer next, or None when none is eligible.

    Eligible: not full, not claimed by someone else, head node not yet answered by this
    participant and, for across chains without ``allow_revisiting_chains``, not visited
    before. With ``balance_across_chains`` the least advanced chains (fewest completed nodes,
    then fewest responses at the head) are preferred; ties, or all chains without balancing,
    are drawn uniformly at random.

    Example
    -------
    >>> d = GSPDesign((GSPDimension("x", 0, 1),), ("b1",))
    >>> chains = [ChainStatus("a", 3, 0, False, False, False, False),
    ...           ChainStatus("b", 1, 0, False, False, False, False)]
    >>> choose_chain(d, chains, np.random.default_rng(0)).chain
    'b'
    """
    no_revisit = design.chain_type == "across" and not design.allow_revisiting_chains
    eligible = [
        c
        for c in chains
        if not c.full
        and not c.claimed_by_other
        and not c.answered_head
        and not (no_revisit and c.visited)
    ]
    if not eligible:
        return None
    if design.balance_across_chains:
        best = min((c.n_nodes_done, c.n_responses) for c in eligible)
        eligible = [c for c in eligible if (c.n_nodes_done, c.n_responses) == best]
    return eligible[int(rng.integers(len(eligible)))]


def allocation_rng(design: GSPDesign, participant: str, n_answered: int) -> np.random.Generator:
    """The generator that breaks a participant's allocation ties (reproducible)."""
    return _rng(design.seed, "allocate", participant, n_answered)


def new_token() -> str:
    """A fresh claim token."""
    return uuid.uuid4().hex


# --------------------------------------------------------------------------- in memory


@dataclass
class _Chain:
    plan: ChainPlan
    owner: str | None
    vectors: list[tuple[float, ...]]
    responses: list[list[tuple[str, float]]] = field(default_factory=list)
    claim: tuple[str, Trial, float] | None = None

    @property
    def head(self) -> int:
        return len(self.vectors) - 1

    @property
    def n_done(self) -> int:
        return len(self.vectors) - 1


class InMemoryGSP:
    """Runs GSP chains in memory with the same rules as the database-backed store.

    Parameters
    ----------
    design
        The sampler's design.
    clock
        Seconds since any epoch; inject one to test claim timeouts.

    Example
    -------
    >>> d = GSPDesign((GSPDimension("x", 0, 1),), ("b1",), chains_per_participant=1,
    ...               max_nodes_per_chain=3)
    >>> gsp = InMemoryGSP(d)
    >>> gsp.join("p1")
    >>> while (t := gsp.next_trial("p1")) is not None:
    ...     _ = gsp.submit("p1", t, 0.5)
    >>> gsp.nodes_frame()["x"].round(2).tolist()[-1]
    0.5
    """

    def __init__(self, design: GSPDesign, clock: Callable[[], float] = time.monotonic) -> None:
        self.design = design
        self.clock = clock
        self._chains: dict[str, _Chain] = {}
        self._answered: dict[str, int] = {}
        self._visited: dict[str, set[str]] = {}
        self._done_tokens: set[str] = set()
        self._trials: list[dict[str, Any]] = []
        self._owned: dict[str, list[str]] = {}
        self._held: dict[str, str] = {}
        self._n_within = 0
        if design.chain_type == "across":
            n = int(design.chains_per_experiment or 0)
            for k, item in enumerate(base_items_for(design, 0, n)):
                self._add_chain(f"across/{k}", item, None)

    def _add_chain(self, key: str, item: str, owner: str | None) -> None:
        plan = chain_start(self.design, key, item)
        self._chains[key] = _Chain(plan, owner, [plan.start_vector], [[]])
        if owner is not None:
            self._owned.setdefault(owner, []).append(key)

    def _open_to(self, participant: str) -> list[_Chain]:
        """Chains the participant may ever answer: their own (within) or the pool (across)."""
        if self.design.chain_type == "within":
            return [self._chains[k] for k in self._owned.get(participant, [])]
        return list(self._chains.values())

    def join(self, participant: str) -> None:
        """Register a participant; within designs create their chains (idempotent)."""
        self._answered.setdefault(participant, 0)
        self._visited.setdefault(participant, set())
        if self.design.chain_type != "within":
            return
        if participant in self._owned:
            return
        count = self.design.chains_per_participant
        for k, item in enumerate(base_items_for(self.design, self._n_within, count)):
            self._add_chain(f"{participant}/{k}", item, participant)
        self._n_within += count

    def _status(self, c: _Chain, participant: str, now: float) -> ChainStatus:
        claimed_other = c.claim is not None and c.claim[0] != participant and c.claim[2] > now
        return ChainStatus(
            chain=c.plan.chain,
            n_nodes_done=c.n_done,
            n_responses=len(c.responses[-1]),
            full=c.n_done >= self.design.max_nodes_per_chain,
            claimed_by_other=claimed_other,
            answered_head=any(p == participant for p, _ in c.responses[-1]),
            visited=c.plan.chain in self._visited.get(participant, set()),
        )

    def next_trial(self, participant: str) -> Trial | None:
        """Claim a chain head for ``participant`` and return its trial (None: nothing to do).

        A participant who already holds a claim gets the same trial back (a page reload).
        """
        self.join(participant)
        now = self.clock()
        held = self._chains.get(self._held.get(participant, ""))
        if held is not None and held.claim is not None and held.claim[0] == participant:
            held.claim = (participant, held.claim[1], now + self.design.claim_timeout_seconds)
            return held.claim[1]
        if self._answered[participant] >= self.design.trial_cap:
            return None
        statuses = [self._status(c, participant, now) for c in self._open_to(participant)]
        rng = allocation_rng(self.design, participant, self._answered[participant])
        chosen = choose_chain(self.design, statuses, rng)
        if chosen is None:
            return None
        c = self._chains[chosen.chain]
        trial = make_trial(
            self.design, c.plan, c.head, len(c.responses[-1]), c.vectors[-1], new_token()
        )
        c.claim = (participant, trial, now + self.design.claim_timeout_seconds)
        self._held[participant] = c.plan.chain
        return trial

    def submit(
        self, participant: str, trial: Trial, value: float, rt_ms: float | None = None
    ) -> bool:
        """Record the response to ``trial``; True when it completed the node.

        Submitting the same trial twice is a no-op. A trial whose claim lapsed and was taken by
        someone else is refused with a StudyError.
        """
        if trial.token in self._done_tokens:
            return False
        c = self._chains.get(trial.chain)
        if c is None or c.claim is None or c.claim[1].token != trial.token:
            raise StudyError(
                f"trial {trial.chain}#{trial.node} is no longer claimed by {participant!r} "
                "(the claim timed out and another participant took it); fetch a new trial"
            )
        dim = self.design.dimensions[trial.active]
        response = _checked(dim, value)
        c.responses[-1].append((participant, response))
        c.claim = None
        self._held.pop(participant, None)
        self._done_tokens.add(trial.token)
        self._answered[participant] = self._answered.get(participant, 0) + 1
        self._visited.setdefault(participant, set()).add(c.plan.chain)
        self._trials.append(trial_row(self.design, participant, trial, response, rt_ms))
        if len(c.responses[-1]) < self.design.trials_per_node:
            return False
        values = [v for _, v in c.responses[-1]]
        c.vectors.append(next_vector(self.design, c.vectors[-1], trial.active, values))
        c.responses.append([])
        return True

    def release(self, participant: str) -> None:
        """Give up the participant's claim at once (they left)."""
        c = self._chains.get(self._held.pop(participant, ""))
        if c is not None and c.claim is not None and c.claim[0] == participant:
            c.claim = None

    def is_finished(self, participant: str) -> bool:
        """True when the participant has nothing left to answer, now or later."""
        if self._answered.get(participant, 0) >= self.design.trial_cap:
            return True
        statuses = [
            replace(self._status(c, participant, -math.inf), claimed_by_other=False)
            for c in self._open_to(participant)
        ]
        return choose_chain(self.design, statuses, np.random.default_rng(0)) is None

    def nodes_frame(self) -> pd.DataFrame:
        """One row per node: chain, owner, base item, node, active dimension, vector, done."""
        rows = []
        d = self.design
        for c in self._chains.values():
            for k, vec in enumerate(c.vectors):
                done = k < len(c.responses) and len(c.responses[k]) >= d.trials_per_node
                full_end = k == d.max_nodes_per_chain
                rows.append(_node_row(d, c.plan, c.owner, k, vec, done, None if full_end else k))
        return pd.DataFrame(rows, columns=node_columns(d))

    def trials_frame(self) -> pd.DataFrame:
        """One row per answered trial (see :func:`trial_columns`)."""
        return pd.DataFrame(self._trials, columns=trial_columns(self.design))


def _checked(dim: GSPDimension, value: float) -> float:
    v = float(value)
    if not math.isfinite(v) or not dim.low <= v <= dim.high:
        raise StudyError(
            f"response {value!r} on {dim.name!r} is outside its range [{dim.low}, {dim.high}]"
        )
    return dim.snap(v)


def node_columns(design: GSPDesign) -> list[str]:
    """Columns of a nodes table."""
    return ["chain", "owner", "base_item", "node", "active_dimension", "complete", *design.names]


def trial_columns(design: GSPDesign) -> list[str]:
    """Columns of a trials table; ``context_<dim>`` hold the node's vector."""
    return [
        "participant",
        "chain",
        "base_item",
        "node",
        "slot",
        "dimension",
        "start_value",
        "reverse",
        "response",
        "rt_ms",
        *(f"context_{n}" for n in design.names),
    ]


def _node_row(
    design: GSPDesign,
    plan: ChainPlan,
    owner: str | None,
    node: int,
    vector: Sequence[float],
    complete: bool,
    active_node: int | None,
) -> dict[str, Any]:
    active = (
        None
        if active_node is None
        else design.names[active_dimension(plan.order, plan.start_position, active_node)]
    )
    row: dict[str, Any] = {
        "chain": plan.chain,
        "owner": owner,
        "base_item": plan.base_item,
        "node": node,
        "active_dimension": active,
        "complete": complete,
    }
    row.update(zip(design.names, (float(v) for v in vector), strict=True))
    return row


def trial_row(
    design: GSPDesign, participant: str, trial: Trial, response: float, rt_ms: float | None
) -> dict[str, Any]:
    """One row of a trials table (see :func:`trial_columns`)."""
    row: dict[str, Any] = {
        "participant": participant,
        "chain": trial.chain,
        "base_item": trial.base_item,
        "node": trial.node,
        "slot": trial.slot,
        "dimension": trial.dimension,
        "start_value": trial.start_value,
        "reverse": trial.reverse,
        "response": response,
        "rt_ms": rt_ms,
    }
    row.update(
        {f"context_{n}": float(v) for n, v in zip(design.names, trial.node_vector, strict=True)}
    )
    return row


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class UtilityResponder:
    """A simulated participant with a known preferred point and softmax response noise.

    Utility ``U(x) = -z' A z`` with ``z_d = (x_d - optimum_d) / (high_d - low_d)`` and a
    positive-definite ``precision`` matrix ``A`` (default the identity; off-diagonal terms make
    the dimensions interact). On a trial the responder picks a value ``v`` for the active
    dimension with probability proportional to ``exp(U(x with v) / temperature)`` over the
    dimension's levels (or ``grid`` equally spaced values on a continuous dimension). The
    chain is then a Gibbs sampler of ``exp(U / temperature)``, whose mode is ``optimum``
    (Harrison et al., 2020).

    Example
    -------
    >>> t = Trial("c", "b", 0, 0, 0, "x", (0.2,), (0.2,), False, 0.0, 1.0)
    >>> r = UtilityResponder((0.7,), temperature=1e-6, seed=1)
    >>> round(r(t), 2)
    0.7
    """

    optimum: tuple[float, ...]
    precision: tuple[tuple[float, ...], ...] | None = None
    temperature: float = 0.05
    seed: int = 0
    grid: int = 101

    def utility(self, z: np.ndarray) -> np.ndarray:
        """``-z' A z`` for each row of the standardized deviations ``z``."""
        a = np.eye(z.shape[-1]) if self.precision is None else np.asarray(self.precision)
        return -np.einsum("...i,ij,...j->...", z, a, z)

    def __call__(self, trial: Trial) -> float:
        """The response to ``trial`` (seeded by the trial's chain, node and slot)."""
        i = trial.active
        candidates = (
            np.asarray(trial.levels, dtype=float)
            if trial.levels
            else np.linspace(trial.low, trial.high, self.grid)
        )
        # Only the active dimension's span is known from the trial; the others are scored
        # on the same span, which is exact when all dimensions share a range.
        span = trial.high - trial.low
        x = np.tile(np.asarray(trial.node_vector, dtype=float), (len(candidates), 1))
        x[:, i] = candidates
        z = (x - np.asarray(self.optimum, dtype=float)) / span
        logits = self.utility(z) / self.temperature
        p = np.exp(logits - logits.max())
        p /= p.sum()
        rng = _rng(self.seed, "respond", trial.chain, trial.node, trial.slot)
        return float(candidates[int(rng.choice(len(candidates), p=p))])

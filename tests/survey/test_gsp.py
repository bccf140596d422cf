"""GSP: the pure Gibbs-sampler rules, the in-memory coordinator, and convergence.

Convergence is checked with simulated participants (a planted optimum, softmax response
noise; see UtilityResponder): on a 1-5 scale with five levels per dimension, each
participant's post-burn-in mean lies within 0.5 of their optimum on every dimension and the
RMSE over participants and dimensions is below 0.2.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest

import edutools.survey.gsp as gsp_module
from edutools.errors import StudyError
from edutools.survey.config import load_study
from edutools.survey.gsp import (
    ChainStatus,
    GSPDesign,
    GSPDimension,
    InMemoryGSP,
    Trial,
    UtilityResponder,
    active_dimension,
    aggregate,
    base_items_for,
    chain_start,
    choose_chain,
    make_trial,
    next_vector,
)

STUDY = Path(__file__).resolve().parents[2] / "studies" / "style_preference" / "study.yaml"
LEVELS = (1.0, 2.0, 3.0, 4.0, 5.0)


def _dims(n: int = 3, levels: tuple[float, ...] = LEVELS) -> tuple[GSPDimension, ...]:
    return tuple(GSPDimension(f"d{i}", 1.0, 5.0, levels) for i in range(n))


def _design(**kw: object) -> GSPDesign:
    base: dict[str, object] = {"dimensions": _dims(), "base_items": ("b1", "b2", "b3")}
    base.update(kw)
    return GSPDesign(**base)  # type: ignore[arg-type]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_doctests() -> None:
    result = doctest.testmod(gsp_module)
    assert result.failed == 0
    assert result.attempted >= 4


# --------------------------------------------------------------------------- design


def test_design_from_shipped_study() -> None:
    design = GSPDesign.from_study(load_study(STUDY))
    assert design.names == ("authoritativeness", "certainty", "articulateness", "verbosity")
    assert design.dimensions[0].levels == LEVELS
    assert design.trial_cap == 4 * 12
    assert len(design.base_items) == 8


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        pytest.param({"dimensions": ()}, "at least one dimension", id="no-dimensions"),
        pytest.param({"base_items": ()}, "at least one base item", id="no-base-items"),
        pytest.param({"chain_type": "across"}, "chains_per_experiment", id="across-no-pool"),
        pytest.param({"trials_per_node": 0}, "trials_per_node must be >= 1", id="zero-trials"),
        pytest.param({"aggregation": "mode"}, "use mean, median or kde_mode", id="aggregation"),
    ],
)
def test_invalid_designs(kw: dict[str, object], message: str) -> None:
    with pytest.raises(StudyError, match=message):
        _design(**kw)


@pytest.mark.parametrize(
    ("kw", "cap"),
    [
        pytest.param({"chains_per_participant": 3, "max_nodes_per_chain": 5}, 15, id="within"),
        pytest.param({"max_nodes_per_chain": 5, "trials_per_node": 2}, 40, id="within-k2"),
        pytest.param({"chain_type": "across", "chains_per_experiment": 6}, 6, id="across"),
        pytest.param(
            {"chain_type": "across", "chains_per_experiment": 6, "allow_revisiting_chains": True,
             "max_nodes_per_chain": 5},
            30,
            id="across-revisit",
        ),
        pytest.param({"max_trials_per_participant": 7}, 7, id="explicit"),
    ],
)  # fmt: skip
def test_trial_cap(kw: dict[str, object], cap: int) -> None:
    assert _design(**kw).trial_cap == cap


def test_dimension_snap_and_range() -> None:
    dim = GSPDimension("x", 1.0, 5.0, LEVELS)
    assert [dim.snap(v) for v in (0.0, 1.4, 2.5, 2.51, 9.0)] == [1.0, 1.0, 2.0, 3.0, 5.0]
    assert GSPDimension("y", 0.0, 1.0).snap(0.37) == 0.37
    with pytest.raises(StudyError, match="must be below"):
        GSPDimension("z", 1.0, 1.0)
    with pytest.raises(StudyError, match="levels must lie"):
        GSPDimension("z", 1.0, 2.0, (3.0,))


# --------------------------------------------------------------------------- pure rules


def test_chain_start_is_seeded_and_random() -> None:
    design = _design(randomize_dimension_order=True)
    a, b = chain_start(design, "p1/0", "b1"), chain_start(design, "p1/0", "b1")
    assert a == b
    plans = [chain_start(design, f"c{k}", "b1") for k in range(300)]
    assert {p.order for p in plans} == {
        tuple(o) for o in __import__("itertools").permutations(range(3))
    }
    starts = np.bincount([p.start_position for p in plans], minlength=3)
    assert starts.min() > 60  # uniform initial dimension
    assert all(v in LEVELS for p in plans for v in p.start_vector)
    fixed = chain_start(_design(), "c0", "b1")
    assert fixed.order == (0, 1, 2)
    assert chain_start(_design(seed=1), "c0", "b1") != chain_start(_design(seed=2), "c0", "b1")


@pytest.mark.parametrize(
    ("order", "start", "expected"),
    [
        pytest.param((0, 1, 2), 0, [0, 1, 2, 0, 1, 2], id="identity"),
        pytest.param((0, 1, 2), 2, [2, 0, 1, 2, 0, 1], id="random-start"),
        pytest.param((2, 0, 1), 1, [0, 1, 2, 0, 1, 2], id="shuffled"),
        pytest.param((1, 0), 0, [1, 0, 1, 0, 1, 0], id="two-dims"),
    ],
)
def test_active_dimension_cycles(order: tuple[int, ...], start: int, expected: list[int]) -> None:
    assert [active_dimension(order, start, k) for k in range(6)] == expected


def test_trials_resample_the_active_dimension_and_reverse_at_random() -> None:
    design = _design()
    plan = chain_start(design, "c", "b1")
    node_vector = (3.0, 3.0, 3.0)
    trials = [make_trial(design, plan, 4, s, node_vector) for s in range(400)]
    active = active_dimension(plan.order, plan.start_position, 4)
    assert {t.active for t in trials} == {active}
    for t in trials:
        others = [v for i, v in enumerate(t.vector) if i != active]
        assert others == [3.0, 3.0]
        assert t.start_value in LEVELS
    assert {t.start_value for t in trials} == set(LEVELS)
    n_reversed = sum(t.reverse for t in trials)
    assert 160 < n_reversed < 240  # Binomial(400, 0.5): 4 SD either side
    assert make_trial(design, plan, 4, 7, node_vector) == trials[7]  # deterministic


@pytest.mark.parametrize(
    ("kw", "reversed_share", "resampled"),
    [
        pytest.param({"reverse_probability": 0.0}, 0.0, True, id="never-reverse"),
        pytest.param({"reverse_probability": 1.0}, 1.0, True, id="always-reverse"),
        pytest.param({"resample_start_value": False}, None, False, id="no-resample"),
    ],
)
def test_trial_options(
    kw: dict[str, object], reversed_share: float | None, resampled: bool
) -> None:
    design = _design(**kw)
    plan = chain_start(design, "c", "b1")
    trials = [make_trial(design, plan, 0, s, (3.0, 3.0, 3.0)) for s in range(50)]
    if reversed_share is not None:
        assert np.mean([t.reverse for t in trials]) == reversed_share
    assert any(t.vector != t.node_vector for t in trials) == resampled


@pytest.mark.parametrize("reverse", [False, True])
def test_slider_mapping(reverse: bool) -> None:
    t = Trial("c", "b", 0, 0, 0, "x", (2.0,), (2.0,), reverse, 1.0, 5.0, LEVELS)
    assert t.value_at(0.0) == (5.0 if reverse else 1.0)
    assert t.value_at(1.0) == (1.0 if reverse else 5.0)
    assert t.value_at(0.3) in LEVELS
    for v in LEVELS:
        assert t.value_at(t.position_of(v)) == v
    assert t.with_response(4.0) == (4.0,)
    assert Trial.from_dict(t.to_dict()) == t


@pytest.mark.parametrize(
    ("values", "method", "expected"),
    [
        pytest.param([1.0, 2.0, 6.0], "mean", 3.0, id="mean"),
        pytest.param([1.0, 2.0, 6.0], "median", 2.0, id="median-odd"),
        pytest.param([1.0, 2.0, 3.0, 6.0], "median", 2.5, id="median-even"),
        pytest.param([4.2], "kde_mode", 4.2, id="kde-single"),
        pytest.param([3.0, 3.0, 3.0], "kde_mode", 3.0, id="kde-identical"),
    ],
)
def test_aggregate(values: list[float], method: str, expected: float) -> None:
    assert aggregate(values, method) == pytest.approx(expected)  # type: ignore[arg-type]


def test_kde_mode_finds_the_dense_cluster() -> None:
    values = [2.0, 2.1, 2.2, 2.05, 2.15, 4.5, 5.0]
    mode = aggregate(values, "kde_mode")
    assert 2.0 <= mode <= 2.25
    assert aggregate(values, "mean") > 2.8  # the mean is pulled away; the mode is not
    # Outside reference: scipy's gaussian_kde on the same grid, for each bandwidth rule.
    from scipy.stats import gaussian_kde

    grid = np.linspace(min(values), max(values), 501)
    for bw in ("scott", "silverman", 0.3):
        density = gaussian_kde(np.asarray(values), bw_method=bw)(grid)
        assert aggregate(values, "kde_mode", bw) == pytest.approx(grid[np.argmax(density)])
    with pytest.raises(StudyError, match="kde_bandwidth"):
        aggregate(values, "kde_mode", "wide")


@pytest.mark.parametrize(
    ("values", "method", "message"),
    [
        pytest.param([], "mean", "without responses", id="empty"),
        pytest.param([1.0], "mode", "use mean, median or kde_mode", id="unknown"),
    ],
)
def test_aggregate_errors(values: list[float], method: str, message: str) -> None:
    with pytest.raises(StudyError, match=message):
        aggregate(values, method)  # type: ignore[arg-type]


def test_next_vector_snaps_the_aggregate() -> None:
    design = _design(aggregation="mean")
    assert next_vector(design, (1.0, 1.0, 1.0), 1, [4.0, 5.0, 5.0]) == (1.0, 5.0, 1.0)
    assert next_vector(design, (1.0, 1.0, 1.0), 2, [2.0, 3.0]) == (1.0, 1.0, 2.0)  # tie: lower


def _status(name: str, nodes: int = 0, resp: int = 0, **kw: bool) -> ChainStatus:
    flags = {"full": False, "claimed_by_other": False, "answered_head": False, "visited": False}
    flags.update(kw)
    return ChainStatus(name, nodes, resp, **flags)


@pytest.mark.parametrize(
    ("kw", "chains", "allowed"),
    [
        pytest.param({}, [_status("a", 3), _status("b", 1), _status("c", 1, 1)], {"b"}, id="balance"),
        pytest.param({"balance_across_chains": False}, [_status("a", 3), _status("b", 1)], {"a", "b"},
                     id="no-balance"),
        pytest.param({}, [_status("a", 0, full=True), _status("b", 5)], {"b"}, id="full"),
        pytest.param({}, [_status("a", 0, claimed_by_other=True), _status("b", 5)], {"b"}, id="claimed"),
        pytest.param({}, [_status("a", 0, answered_head=True), _status("b", 5)], {"b"}, id="answered"),
        pytest.param({"chain_type": "across", "chains_per_experiment": 2},
                     [_status("a", 0, visited=True), _status("b", 5)], {"b"}, id="no-revisit"),
        pytest.param({"chain_type": "across", "chains_per_experiment": 2, "allow_revisiting_chains": True},
                     [_status("a", 0, visited=True), _status("b", 5)], {"a"}, id="revisit"),
        pytest.param({}, [_status("a", full=True)], set(), id="none-eligible"),
    ],
)  # fmt: skip
def test_choose_chain(kw: dict[str, object], chains: list[ChainStatus], allowed: set[str]) -> None:
    design = _design(**kw)
    picks = {
        (c.chain if c else None)
        for c in (choose_chain(design, chains, np.random.default_rng(s)) for s in range(40))
    }
    assert picks == (allowed or {None})


def test_base_items_round_robin() -> None:
    design = _design()
    assert base_items_for(design, 0, 4) == ["b1", "b2", "b3", "b1"]
    assert base_items_for(design, 4, 2) == ["b2", "b3"]


# --------------------------------------------------------------------------- coordinator


def _run(g: InMemoryGSP, participants: dict[str, UtilityResponder]) -> None:
    """Participants take turns, one trial each, until all are done (interleaved like a lab)."""
    active = dict(participants)
    while active:
        for name in list(active):
            t = g.next_trial(name)
            if t is None:
                if g.is_finished(name):
                    del active[name]
                continue
            g.submit(name, t, active[name](t))


def test_within_chains_fill_and_balance_base_items() -> None:
    design = _design(chains_per_participant=2, max_nodes_per_chain=6)
    g = InMemoryGSP(design)
    people = {f"p{i}": UtilityResponder((3.0, 3.0, 3.0), seed=i) for i in range(6)}
    _run(g, people)
    nodes, trials = g.nodes_frame(), g.trials_frame()
    assert nodes["chain"].nunique() == 12
    assert (nodes.groupby("chain")["node"].max() == 6).all()
    assert (trials.groupby("participant").size() == design.trial_cap).all()
    per_item = nodes.drop_duplicates("chain")["base_item"].value_counts()
    assert per_item.max() - per_item.min() <= 1
    assert (nodes.dropna(subset=["owner"]).groupby("chain")["owner"].nunique() == 1).all()
    # Every trial is on its owner's chain, and the active dimension cycles along the chain.
    assert (trials["chain"].str.split("/").str[0] == trials["participant"]).all()
    for _, chain in trials.groupby("chain"):
        dims = chain.sort_values("node")["dimension"].tolist()
        assert all(dims[i] != dims[i + 1] for i in range(len(dims) - 1))
        assert dims[:3] == dims[3:6]
    assert all(g.is_finished(p) for p in people)


def test_node_values_are_the_aggregates_of_their_trials() -> None:
    design = _design(
        chain_type="across", chains_per_experiment=3, trials_per_node=3, max_nodes_per_chain=4,
        aggregation="median", allow_revisiting_chains=True,
    )  # fmt: skip
    g = InMemoryGSP(design)
    _run(g, {f"p{i}": UtilityResponder((2.0, 4.0, 3.0), temperature=0.5, seed=i) for i in range(5)})
    nodes, trials = g.nodes_frame(), g.trials_frame()
    assert len(trials) == 3 * 4 * 3
    for (chain, node), grp in trials.groupby(["chain", "node"]):
        assert grp["participant"].nunique() == 3  # nobody answers the same node twice
        dim = grp["dimension"].iloc[0]
        after = nodes[(nodes.chain == chain) & (nodes.node == node + 1)].iloc[0]
        expected = GSPDimension(dim, 1, 5, LEVELS).snap(float(np.median(grp["response"])))
        assert after[dim] == expected
        before = nodes[(nodes.chain == chain) & (nodes.node == node)].iloc[0]
        for other in design.names:
            if other != dim:
                assert after[other] == before[other]
                assert (grp[f"context_{other}"] == before[other]).all()


def test_reload_returns_the_same_trial_and_double_submit_is_a_no_op() -> None:
    g = InMemoryGSP(_design(chains_per_participant=1, max_nodes_per_chain=2))
    t1 = g.next_trial("p")
    assert t1 is not None
    assert g.next_trial("p") == t1
    assert g.submit("p", t1, 3.0) is True
    assert g.submit("p", t1, 3.0) is False
    assert len(g.trials_frame()) == 1


def test_claim_timeout_hands_the_chain_to_someone_else() -> None:
    clock = _Clock()
    design = _design(chain_type="across", chains_per_experiment=1, claim_timeout_seconds=60)
    g = InMemoryGSP(design, clock=clock)
    t1 = g.next_trial("p1")
    assert t1 is not None
    clock.now = 59.0
    assert g.next_trial("p2") is None
    assert not g.is_finished("p2")  # waiting, not done
    clock.now = 61.0
    t2 = g.next_trial("p2")
    assert t2 is not None
    assert (t2.chain, t2.node, t2.slot) == (t1.chain, t1.node, t1.slot)
    with pytest.raises(StudyError, match="no longer claimed"):
        g.submit("p1", t1, 3.0)
    assert g.submit("p2", t2, 3.0) is True


def test_release_frees_the_chain() -> None:
    g = InMemoryGSP(_design(chain_type="across", chains_per_experiment=1))
    assert g.next_trial("p1") is not None
    g.release("p1")
    assert g.next_trial("p2") is not None


@pytest.mark.parametrize("value", [0.0, 5.5, float("nan")])
def test_out_of_range_response(value: float) -> None:
    g = InMemoryGSP(_design())
    t = g.next_trial("p")
    assert t is not None
    with pytest.raises(StudyError, match="outside its range"):
        g.submit("p", t, value)


# --------------------------------------------------------------------------- convergence


def _preferred(nodes: object, names: tuple[str, ...], burn_in: int) -> np.ndarray:
    import pandas as pd

    assert isinstance(nodes, pd.DataFrame)
    return nodes[nodes["node"] >= burn_in][list(names)].mean().to_numpy()


def test_within_chains_converge_to_each_participants_optimum() -> None:
    design = _design(
        chains_per_participant=4, max_nodes_per_chain=12, randomize_dimension_order=True,
        base_items=("b1", "b2", "b3", "b4"), seed=7,
    )  # fmt: skip
    rng = np.random.default_rng(3)
    errors, start_errors = [], []
    for p in range(30):
        optimum = tuple(rng.uniform(1.5, 4.5, 3))
        g = InMemoryGSP(design)
        _run(g, {f"p{p}": UtilityResponder(optimum, temperature=0.03, seed=p)})
        nodes = g.nodes_frame()
        errors.append(_preferred(nodes, design.names, 4) - optimum)
        start = nodes[nodes["node"] == 0][list(design.names)].mean().to_numpy()
        start_errors.append(start - optimum)
    err = np.asarray(errors)
    assert np.abs(err).max() < 0.5
    assert np.sqrt((err**2).mean()) < 0.2
    assert np.sqrt((np.asarray(start_errors) ** 2).mean()) > 0.6  # the chains moved there


def test_across_chains_converge_with_interacting_dimensions() -> None:
    design = GSPDesign(
        dimensions=tuple(GSPDimension(f"d{i}", 0.0, 1.0) for i in range(3)),
        base_items=("b1",),
        chain_type="across",
        chains_per_experiment=8,
        max_nodes_per_chain=30,
        trials_per_node=3,
        aggregation="kde_mode",
        allow_revisiting_chains=True,
        seed=11,
    )
    optimum = (0.3, 0.7, 0.55)
    precision = ((1.0, 0.6, 0.0), (0.6, 1.0, 0.3), (0.0, 0.3, 1.0))  # positive definite
    g = InMemoryGSP(design)
    people = {
        f"p{i}": UtilityResponder(optimum, precision, temperature=0.01, seed=i) for i in range(12)
    }
    _run(g, people)
    nodes = g.nodes_frame()
    assert (nodes.groupby("chain")["node"].max() == 30).all()
    estimate = _preferred(nodes, design.names, 9)
    assert np.abs(estimate - np.asarray(optimum)).max() < 0.05

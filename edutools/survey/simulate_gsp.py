"""Seeded synthetic Study 2 (GSP) studies: simulated participants drive the GSP engine.

Each participant has an ideal point in style space that their traits shift
(:class:`GSPTruth`); a :class:`~edutools.survey.gsp.UtilityResponder` answers every trial
:class:`~edutools.survey.gsp.InMemoryGSP` gives them, so the chains sample around it. The
planted values are the estimands of :func:`edutools.survey.models_gsp.fit_preferred_regression`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from edutools.errors import StudyError
from edutools.survey.data import Dimension, Manifest, StudyExport
from edutools.survey.simulate import SimulatedStudy, _participants, _simulate_traits

__all__ = ["DEFAULT_GSP", "GSPTruth", "gsp_truth_for_study", "simulate_gsp"]


@dataclass(frozen=True)
class GSPTruth:
    """Planted Study 2 effects: each participant's ideal point in style space.

    ``ideal_{i,b,d} = means[d] + sum_t moderation[(d, t)] z_{i,t} + e_{i,d} + p_{b,d}`` with
    ``e ~ N(0, person_sd)`` per participant and dimension and ``p ~ N(0, prompt_sd)`` per base
    item and dimension (centred over items). Responses follow
    :class:`edutools.survey.gsp.UtilityResponder` (softmax over the slider with
    ``temperature``), so a chain samples around the participant's ideal point.
    """

    dimensions: dict[str, tuple[float, float]]  # name -> (low, high)
    means: dict[str, float]
    traits: tuple[str, ...]
    moderation: dict[tuple[str, str], float]
    person_sd: float = 0.05
    prompt_sd: float = 0.03
    temperature: float = 0.02


DEFAULT_GSP = GSPTruth(
    dimensions={"authoritativeness": (0.0, 1.0), "certainty": (0.0, 1.0), "verbosity": (0.0, 1.0)},
    means={"authoritativeness": 0.55, "certainty": 0.6, "verbosity": 0.4},
    traits=("trust", "openness"),
    moderation={("certainty", "trust"): 0.08, ("verbosity", "openness"): -0.06},
)


def simulate_gsp(
    n_participants: int = 60,
    truth: GSPTruth = DEFAULT_GSP,
    design: Any = None,
    attention_fail_rate: float = 0.05,
    seed: int = 0,
    instruments: dict[str, str] | None = None,
) -> SimulatedStudy:
    """Simulate a Study 2 export: simulated participants drive the GSP engine.

    Each participant gets trait scores, an ideal point that the traits shift (see
    :class:`GSPTruth`) and a :class:`~edutools.survey.gsp.UtilityResponder`; they answer every
    trial :class:`~edutools.survey.gsp.InMemoryGSP` gives them. Participants who fail the
    attention check answer at random. The planted values (index ``(dimension, term)``, terms
    ``(Intercept)`` and the traits) are the estimands of the per-dimension regression of the
    preferred point on z-scored traits in :mod:`edutools.survey.models_gsp`.

    Parameters
    ----------
    n_participants : int
    truth : GSPTruth
        Planted ideal points (default :data:`DEFAULT_GSP`).
    design : edutools.survey.gsp.GSPDesign, optional
        The sampler's design (for example ``GSPDesign.from_study(study)``); by default three
        chains of 12 nodes per participant on a continuous slider over ``truth.dimensions``.
        Its dimensions must be the truth's.
    attention_fail_rate : float
    seed : int
    instruments : dict, optional
        Trait -> instrument id; see :func:`simulate_pairwise`.

    Returns
    -------
    SimulatedStudy

    Example
    -------
    >>> sim = simulate_gsp(n_participants=4, seed=2)
    >>> sim.export.design, sorted(sim.export.trials["dimension"].unique())
    ('gsp', ['authoritativeness', 'certainty', 'verbosity'])
    """
    from edutools.survey.gsp import GSPDesign, GSPDimension, InMemoryGSP, UtilityResponder

    if n_participants < 3:
        raise StudyError("simulate_gsp needs at least 3 participants")
    for d, t in truth.moderation:
        if d not in truth.dimensions or t not in truth.traits:
            raise StudyError(f"moderation ({d}, {t}) names an unknown dimension or trait")
    if set(truth.means) != set(truth.dimensions):
        raise StudyError("GSPTruth.means needs one value per dimension")
    if design is None:
        design = GSPDesign(
            dimensions=tuple(GSPDimension(n, lo, hi) for n, (lo, hi) in truth.dimensions.items()),
            base_items=tuple(f"B{k + 1:02d}" for k in range(4)),
            chains_per_participant=3,
            max_nodes_per_chain=12,
            seed=seed,
        )
    names = list(design.names)
    if set(names) != set(truth.dimensions):
        raise StudyError(
            f"the design's dimensions {', '.join(names)} differ from the truth's {', '.join(truth.dimensions)}"
        )
    rng = np.random.default_rng(seed)
    people = _participants(rng, n_participants, {}, attention_fail_rate)
    traits, questionnaires, z = _simulate_traits(rng, people, truth.traits, instruments)
    passed = people["attention_passed"].to_numpy()
    ideal = np.array([[truth.means[d] for d in names]] * n_participants, dtype=float)
    for (d, t), v in truth.moderation.items():
        ideal[:, names.index(d)] += v * z[t]
    ideal += rng.normal(0.0, truth.person_sd, ideal.shape)
    prompt = rng.normal(0.0, truth.prompt_sd, (len(design.base_items), len(names)))
    prompt -= prompt.mean(axis=0)
    item_row = {b: k for k, b in enumerate(design.base_items)}

    engine = InMemoryGSP(design, clock=lambda: 0.0)
    for i, pid in enumerate(people["participant_id"]):
        temperature = truth.temperature if passed[i] else 1e6
        responders = {
            b: UtilityResponder(
                tuple(float(v) for v in ideal[i] + prompt[k]),
                temperature=temperature,
                seed=int(rng.integers(2**31)),
            )
            for b, k in item_row.items()
        }
        engine.join(pid)
        while (trial := engine.next_trial(pid)) is not None:
            engine.submit(pid, trial, responders[trial.base_item](trial))
    raw_trials = engine.trials_frame()
    trials = pd.DataFrame(
        {
            "participant_id": raw_trials["participant"],
            "chain_id": raw_trials["chain"],
            "node": raw_trials["node"].astype(int),
            "trial": raw_trials["slot"].astype(int) + 1,
            "prompt_id": raw_trials["base_item"],
            "dimension": raw_trials["dimension"],
            "start_value": raw_trials["start_value"].astype(float),
            "reversed": raw_trials["reverse"].astype(bool),
            "response": raw_trials["response"].astype(float),
            "rt_ms": None,
        }
    )
    nodes = engine.nodes_frame().melt(
        id_vars=["chain", "node"], value_vars=names, var_name="dimension", value_name="value"
    )
    nodes = nodes.rename(columns={"chain": "chain_id"}).sort_values(
        ["chain_id", "node", "dimension"]
    )
    people = people.assign(population="")
    export = StudyExport(
        manifest=Manifest(
            design="gsp",
            study_id=f"simulated_gsp_seed{seed}",
            dimensions=tuple(
                Dimension(name=d.name, low=d.low, high=d.high) for d in design.dimensions
            ),
        ),
        participants=people,
        trials=trials,
        questionnaires=questionnaires,
        traits=traits,
        responses=pd.DataFrame(columns=["response_id", "prompt_id", "text"]),
        styles=pd.DataFrame(columns=["response_id", "feature", "value"]),
        nodes=nodes.reset_index(drop=True),
    )
    planted = {(d, "(Intercept)"): truth.means[d] for d in names}
    for d in names:
        for t in sorted(z):
            planted[(d, t)] = truth.moderation.get((d, t), 0.0)
    return SimulatedStudy(
        export=export,
        truth=pd.Series(planted, name="truth"),
        settings={
            "design": "gsp",
            "n_participants": n_participants,
            "chains_per_participant": design.chains_per_participant,
            "max_nodes_per_chain": design.max_nodes_per_chain,
            "temperature": truth.temperature,
            "attention_fail_rate": attention_fail_rate,
            "seed": seed,
        },
    )


def gsp_truth_for_study(
    study: Any, traits: tuple[str, ...] = ("trust", "openness"), temperature: float = 0.1
) -> GSPTruth:
    """Illustrative planted ideal points for a GSP study definition (for demos and checks).

    Mean ideal points sit at 40 %, 50 % and 60 % of each dimension's range in turn; the first
    trait raises the second dimension's ideal point by 8 % of its range per SD and the second
    trait lowers the last dimension's by 6 %. The default ``temperature`` keeps responses on a
    few-level slider varied (a near-deterministic responder picks one level every time). No
    claim about people.
    """
    dims = study.gsp_dimensions
    means = {d.name: d.low + (d.high - d.low) * (0.4 + 0.1 * (k % 3)) for k, d in enumerate(dims)}
    moderation: dict[tuple[str, str], float] = {}
    if traits and len(dims) > 1:
        moderation[(dims[1].name, traits[0])] = 0.08 * (dims[1].high - dims[1].low)
    if len(traits) > 1:
        moderation[(dims[-1].name, traits[1])] = -0.06 * (dims[-1].high - dims[-1].low)
    span = max(d.high - d.low for d in dims)
    return GSPTruth(
        dimensions={d.name: (d.low, d.high) for d in dims},
        means=means,
        traits=traits,
        moderation=moderation,
        person_sd=0.05 * span,
        prompt_sd=0.03 * span,
        temperature=temperature,
    )

"""Seeded synthetic style-preference studies with planted effects, written in the export format.

Two designs:

* :func:`simulate_pairwise` (Study 1): participants from populations choose between two
  responses to the same prompt. Choices follow the Bradley–Terry / logistic model of
  :mod:`edutools.survey.models_pairwise` exactly, so its coefficients are the planted truth.
* :func:`simulate_gsp` (Study 2, in :mod:`edutools.survey.simulate_gsp`): simulated participants
  with an ideal point in style space drive the GSP engine.

Both return a :class:`SimulatedStudy`: the export (``write_export`` writes it to a folder) and
the planted values, named as the analysis names its estimates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from edutools.errors import StudyError
from edutools.survey.data import Manifest, StudyExport
from edutools.survey.models_common import zscore

__all__ = [
    "DEFAULT_PAIRWISE",
    "PairwiseTruth",
    "SimulatedStudy",
    "instruments_for_study",
    "pairwise_truth_for_study",
    "simulate_pairwise",
    "trait_scores",
]


@dataclass(frozen=True)
class SimulatedStudy:
    """A simulated export and the planted effects (index = the analysis's term names)."""

    export: StudyExport
    truth: pd.Series
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PairwiseTruth:
    """Planted Study 1 effects, in log-odds per SD of the feature difference.

    ``effects[f]`` is the feature's effect in the reference population (the first key of
    ``populations``) at average traits; ``population_effects[(f, p)]`` adds to it in
    population ``p``; ``moderation[(f, t)]`` adds per SD of trait ``t``. Populations go to the
    ``population`` column of participants.csv, or to attributes.csv under
    ``population_attribute`` when that is another name; ``other_attributes`` are categorical
    attributes drawn uniformly, without any effect.
    """

    effects: dict[str, float]
    populations: dict[
        str, float
    ]  # name -> share of participants; the first sorted is the reference
    population_effects: dict[tuple[str, str], float]
    traits: tuple[str, ...]
    moderation: dict[tuple[str, str], float]
    position_bias: float = 0.1
    population_attribute: str = "population"
    other_attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)


DEFAULT_PAIRWISE = PairwiseTruth(
    effects={"certainty": 0.5, "verbosity": -0.3, "formality": 0.0},
    populations={"crowd": 0.5, "students": 0.5},
    population_effects={("certainty", "students"): -0.3, ("verbosity", "students"): 0.2},
    traits=("trust", "openness"),
    moderation={("certainty", "trust"): 0.3, ("verbosity", "openness"): -0.2},
)

# natural units of each simulated feature: (mean, sd); the analysis z-scores them anyway
_FEATURE_SCALE = {"certainty": (0.5, 0.2), "verbosity": (180.0, 60.0), "formality": (3.0, 1.0)}


def trait_scores(
    rng: np.random.Generator, n: int, items: int = 2, low: int = 1, high: int = 5
) -> np.ndarray:
    """Scale scores as a questionnaire gives them: the mean of ``items`` Likert items.

    A latent normal trait plus item noise is rounded to the response scale, so scores are
    discrete (steps of 1/items) and bounded, like BFI-10 or trust-scale subscale means.
    """
    latent = rng.normal(size=(n, 1))
    raw = (low + high) / 2 + 0.9 * latent + rng.normal(0.0, 0.6, size=(n, items))
    return np.clip(np.rint(raw), low, high).mean(axis=1)


def _questionnaire_items(
    rng: np.random.Generator, ids: np.ndarray, instrument_id: str, latent: dict[str, np.ndarray]
) -> pd.DataFrame:
    """Likert answers to every item of an instrument from one latent normal per subscale.

    An item follows the smallest subscale that contains it (a total contains its parts); a
    reverse-keyed item of that subscale runs against its latent. Subscales not in ``latent``
    get an independent latent of their own.
    """
    from edutools.survey.instruments import load_instrument

    inst = load_instrument(instrument_id)
    lo, hi = inst.scale.min, inst.scale.max
    mid, spread = (lo + hi) / 2, (hi - lo) / 4
    owner = {}
    for s in sorted(inst.subscales, key=lambda s: -len(s.items)):
        for item in s.items:
            owner[item] = s
    rows = []
    n = len(ids)
    for item in inst.item_ids:
        sub = owner.get(item)
        if sub is None:
            values = rng.integers(int(lo), int(hi) + 1, n).astype(float)
        else:
            if sub.id not in latent:
                latent[sub.id] = rng.normal(size=n)
            sign = -1.0 if item in sub.reverse else 1.0
            raw = mid + sign * spread * 1.2 * latent[sub.id] + rng.normal(0.0, spread * 0.8, n)
            values = np.clip(np.rint(raw), lo, hi)
        rows.append(
            pd.DataFrame(
                {"participant_id": ids, "instrument": inst.id, "item": item, "response": values}
            )
        )
    return pd.concat(rows, ignore_index=True)


def _simulate_traits(
    rng: np.random.Generator,
    people: pd.DataFrame,
    traits: tuple[str, ...],
    instruments: dict[str, str] | None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, np.ndarray]]:
    """Trait scores (traits.csv) or raw questionnaires, and z-scores over passing participants.

    Without ``instruments`` each trait is a 2-item scale mean (:func:`trait_scores`). With
    ``instruments`` (trait -> instrument id with a subscale of that name) every listed
    instrument is answered item by item and scored exactly as the analysis scores it; the
    returned z-scores cover every trait the analysis will see (unplanted ones too).
    """
    from edutools.survey.models_common import score_questionnaires

    ids = people["participant_id"].to_numpy()
    passed = people["attention_passed"].to_numpy(bool)
    empty_q = pd.DataFrame(columns=["participant_id", "instrument", "item", "response"])
    if instruments is None:
        scores = {t: trait_scores(rng, len(ids)) for t in traits}
        table = pd.DataFrame(
            [
                {"participant_id": pid, "trait": t, "score": scores[t][i]}
                for i, pid in enumerate(ids)
                for t in traits
            ],
            columns=["participant_id", "trait", "score"],
        )
        questionnaires = empty_q
    else:
        unmapped = [t for t in traits if t not in instruments]
        if unmapped:
            raise StudyError(
                f"trait '{unmapped[0]}' has no instrument; map every trait to an instrument"
            )
        latents: dict[str, dict[str, np.ndarray]] = {}
        for t, inst in instruments.items():
            latents.setdefault(inst, {})[t] = rng.normal(size=len(ids))
        questionnaires = pd.concat(
            [_questionnaire_items(rng, ids, inst, latents[inst]) for inst in sorted(latents)],
            ignore_index=True,
        )
        table = score_questionnaires(questionnaires)
        missing = sorted(set(traits) - set(table["trait"]))
        if missing:
            raise StudyError(
                f"trait '{missing[0]}' is not a scored subscale of {', '.join(sorted(latents))}"
            )
    wide = table.pivot(index="participant_id", columns="trait", values="score").reindex(ids)
    z = {}
    for t in wide.columns:
        col = np.zeros(len(ids))
        col[passed] = zscore(wide.loc[passed, t], t).to_numpy()
        z[str(t)] = col
    return (table if instruments is None else table.iloc[0:0]), questionnaires, z


def _participants(
    rng: np.random.Generator, n: int, populations: dict[str, float], fail_rate: float
) -> pd.DataFrame:
    names = list(populations)
    shares = np.array([populations[p] for p in names], dtype=float)
    if names and ((shares < 0).any() or shares.sum() <= 0):
        raise StudyError("population shares must be non-negative and sum to more than zero")
    pop = rng.choice(names, size=n, p=shares / shares.sum()) if names else np.array([""] * n)
    return pd.DataFrame(
        {
            "participant_id": [f"P{i + 1:04d}" for i in range(n)],
            "population": pop,
            "attention_passed": rng.random(n) >= fail_rate,
        }
    )


def simulate_pairwise(
    n_participants: int = 200,
    trials_per_participant: int = 30,
    n_prompts: int = 12,
    responses_per_prompt: int = 4,
    truth: PairwiseTruth = DEFAULT_PAIRWISE,
    tie_rate: float = 0.05,
    attention_fail_rate: float = 0.05,
    seed: int = 0,
    instruments: dict[str, str] | None = None,
) -> SimulatedStudy:
    """Simulate a Study 1 export (pairwise choices) with planted style effects.

    Each response gets style features in natural units; the analysis z-scores them over all
    responses and the simulator plants effects on exactly those z-scores (and on traits
    z-scored over the participants who pass the attention check), so the planted values are
    the analysis's estimands::

        logit P(A) = position_bias + sum_f (effects[f] + population_effects[f, pop]
                                             + sum_t moderation[f, t] z_t) (z_Af - z_Bf)

    A tie happens with probability ``tie_rate`` regardless of the responses. Participants who
    fail the attention check choose at random.

    Parameters
    ----------
    n_participants, trials_per_participant, n_prompts, responses_per_prompt : int
        Design size.
    truth : PairwiseTruth
        Planted effects (default :data:`DEFAULT_PAIRWISE`).
    tie_rate, attention_fail_rate : float
        Probabilities of a tie and of failing the attention check.
    seed : int
        Seed of ``np.random.default_rng``.
    instruments : dict, optional
        Trait -> instrument id (e.g. ``{"trust": "trust_automation"}``): participants then
        answer whole questionnaires (questionnaires.csv) instead of having trait scores, and
        the planted effects act on the scores the analysis computes from them.

    Returns
    -------
    SimulatedStudy

    Example
    -------
    >>> sim = simulate_pairwise(n_participants=20, seed=1)
    >>> sorted(sim.export.trials["choice"].unique())
    ['A', 'B', 'tie']
    """
    if (
        n_participants < 2
        or trials_per_participant < 1
        or n_prompts < 1
        or responses_per_prompt < 2
    ):
        raise StudyError(
            "simulate_pairwise needs at least 2 participants, 1 trial each, 1 prompt and 2 responses per prompt"
        )
    rng = np.random.default_rng(seed)
    features = list(truth.effects)
    reference = next(iter(truth.populations), None)
    for f, p in truth.population_effects:
        if f not in features or p not in truth.populations or p == reference:
            raise StudyError(
                f"population effect ({f}, {p}) must name a feature and a population other than the reference '{reference}'"
            )
    for f, t in truth.moderation:
        if f not in features or t not in truth.traits:
            raise StudyError(f"moderation ({f}, {t}) names an unknown feature or trait")

    n_resp = n_prompts * responses_per_prompt
    responses = pd.DataFrame(
        {
            "response_id": [f"R{i + 1:04d}" for i in range(n_resp)],
            "prompt_id": [f"Q{i // responses_per_prompt + 1:03d}" for i in range(n_resp)],
        }
    )
    raw = {}
    for f in features:
        mean, sd = _FEATURE_SCALE.get(f, (0.0, 1.0))
        raw[f] = np.round(rng.normal(mean, sd, n_resp), 4)
    responses["text"] = [
        "simulated response (" + ", ".join(f"{f} {raw[f][i]:g}" for f in features) + ")"
        for i in range(n_resp)
    ]
    styles = pd.DataFrame(
        [
            {"response_id": rid, "feature": f, "value": raw[f][i]}
            for i, rid in enumerate(responses["response_id"])
            for f in features
        ]
    )
    z = np.column_stack([zscore(pd.Series(raw[f]), f).to_numpy() for f in features])

    people = _participants(rng, n_participants, truth.populations, attention_fail_rate)
    traits, questionnaires, ztraits = _simulate_traits(rng, people, truth.traits, instruments)
    passed = people["attention_passed"].to_numpy()

    # per-participant weight of each feature difference
    slope = np.tile(np.array([truth.effects[f] for f in features]), (n_participants, 1))
    for (f, p), v in truth.population_effects.items():
        slope[:, features.index(f)] += v * (people["population"].to_numpy() == p)
    for (f, t), v in truth.moderation.items():
        slope[:, features.index(f)] += v * ztraits[t]

    n_trials = n_participants * trials_per_participant
    who = np.repeat(np.arange(n_participants), trials_per_participant)
    prompt = rng.integers(n_prompts, size=n_trials)
    first = rng.integers(responses_per_prompt, size=n_trials)
    second = (first + rng.integers(1, responses_per_prompt, size=n_trials)) % responses_per_prompt
    a, b = prompt * responses_per_prompt + first, prompt * responses_per_prompt + second
    p_a = expit(truth.position_bias + np.einsum("tf,tf->t", slope[who], z[a] - z[b]))
    p_a = np.where(passed[who], p_a, 0.5)
    chose_a = rng.random(n_trials) < p_a
    tie = rng.random(n_trials) < tie_rate
    trials = pd.DataFrame(
        {
            "participant_id": people["participant_id"].to_numpy()[who],
            "trial": np.tile(np.arange(1, trials_per_participant + 1), n_participants),
            "prompt_id": responses["prompt_id"].to_numpy()[a],
            "response_a": responses["response_id"].to_numpy()[a],
            "response_b": responses["response_id"].to_numpy()[b],
            "choice": np.where(tie, "tie", np.where(chose_a, "A", "B")),
        }
    )
    attr_rows = []
    if truth.population_attribute != "population":
        attr_rows += [
            {"participant_id": pid, "attribute": truth.population_attribute, "value": pop}
            for pid, pop in zip(people["participant_id"], people["population"], strict=True)
        ]
        people = people.assign(population="")
    for name, levels in truth.other_attributes.items():
        drawn = rng.choice(list(levels), size=n_participants)
        attr_rows += [
            {"participant_id": pid, "attribute": name, "value": v}
            for pid, v in zip(people["participant_id"], drawn, strict=True)
        ]
    export = StudyExport(
        manifest=Manifest(design="pairwise", study_id=f"simulated_pairwise_seed{seed}"),
        attributes=pd.DataFrame(attr_rows, columns=["participant_id", "attribute", "value"]),
        participants=people,
        trials=trials,
        questionnaires=questionnaires,
        traits=traits,
        responses=responses,
        styles=styles,
        nodes=pd.DataFrame(columns=["chain_id", "node", "dimension", "value"]),
    )
    planted: dict[str, float] = {"(Intercept)": truth.position_bias}
    planted.update({f: truth.effects[f] for f in features})
    for f in features:
        for p in truth.populations:
            if p != reference:
                planted[f"{f}:{truth.population_attribute}{p}"] = truth.population_effects.get(
                    (f, p), 0.0
                )
        for t in sorted(ztraits):
            planted[f"{f}:{t}"] = truth.moderation.get((f, t), 0.0)
    return SimulatedStudy(
        export=export,
        truth=pd.Series(planted, name="truth"),
        settings={
            "design": "pairwise",
            "n_participants": n_participants,
            "trials_per_participant": trials_per_participant,
            "n_prompts": n_prompts,
            "responses_per_prompt": responses_per_prompt,
            "tie_rate": tie_rate,
            "attention_fail_rate": attention_fail_rate,
            "seed": seed,
        },
    )


# --------------------------------------------------------------------------- truths for a study


def pairwise_truth_for_study(study: Any) -> PairwiseTruth:
    """Illustrative planted effects for a pairwise study definition (for demos and checks).

    The first feature gets +0.4, the second −0.25 (log-odds per SD), the rest 0; the first
    categorical population attribute shifts the first feature by −0.3 in its last level; the
    first numeric attribute (or a ``trust`` trait) moderates the first feature by +0.3 per SD.
    These numbers only make the simulated data interesting; they are no claim about people.
    """
    if study.pairwise is None:
        raise StudyError(f"study '{study.id}' has no pairwise section")
    feats = list(study.pairwise.features)
    effects = {f: 0.0 for f in feats}
    effects[feats[0]] = 0.4
    if len(feats) > 1:
        effects[feats[1]] = -0.25
    attrs = study.pairwise.population_attributes
    categorical = [a for a in attrs if a.kind == "categorical"]
    numeric = tuple(a.name for a in attrs if a.kind == "numeric") or ("trust",)
    populations: dict[str, float] = {}
    population_effects: dict[tuple[str, str], float] = {}
    population_attribute = "population"
    if categorical:
        levels = list(categorical[0].levels or [])
        populations = {lv: 1.0 / len(levels) for lv in levels}
        population_effects = {(feats[0], levels[-1]): -0.3}
        population_attribute = categorical[0].name
    return PairwiseTruth(
        effects=effects,
        populations=populations,
        population_effects=population_effects,
        traits=numeric,
        moderation={(feats[0], numeric[0]): 0.3},
        population_attribute=population_attribute,
        other_attributes={a.name: tuple(a.levels or ()) for a in categorical[1:]},
    )


def instruments_for_study(study: Any, traits: tuple[str, ...]) -> dict[str, str] | None:
    """Trait -> instrument of the study that has a subscale of that name; None unless all map."""
    from edutools.survey.instruments import load_instrument

    mapping: dict[str, str] = {}
    for use in study.instruments:
        inst = load_instrument(use.id)
        for t in traits:
            if t not in mapping and any(s.id == t for s in inst.subscales):
                mapping[t] = inst.id
    return mapping if set(mapping) == set(traits) else None

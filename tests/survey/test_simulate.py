"""Simulators and the export format: round trips, determinism, planted truth, validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from edutools.errors import DataError, StudyError
from edutools.survey.data import Manifest, read_export, write_export
from edutools.survey.gsp import GSPDesign, GSPDimension
from edutools.survey.models_common import score_questionnaires, trait_table
from edutools.survey.simulate import DEFAULT_PAIRWISE, PairwiseTruth, simulate_pairwise
from edutools.survey.simulate_gsp import DEFAULT_GSP, GSPTruth, simulate_gsp

FRAMES = (
    "participants",
    "trials",
    "traits",
    "questionnaires",
    "attributes",
    "responses",
    "styles",
    "nodes",
)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False, rtol=1e-9
    )


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: simulate_pairwise(n_participants=30, seed=1), id="pairwise"),
        pytest.param(lambda: simulate_gsp(n_participants=6, seed=1), id="gsp"),
        pytest.param(
            lambda: simulate_gsp(
                n_participants=6,
                seed=1,
                instruments={"trust": "trust_automation", "openness": "bfi10"},
            ),
            id="gsp-questionnaires",
        ),
    ],
)
def test_export_round_trip(tmp_path: Path, make: object) -> None:
    sim = make()  # type: ignore[operator]
    back = read_export(write_export(sim.export, tmp_path / "x"))
    assert back.manifest == sim.export.manifest
    for name in FRAMES:
        original, loaded = getattr(sim.export, name), getattr(back, name)
        if original.empty:
            assert loaded.empty
        else:
            _same(original, loaded)


def test_same_seed_same_study_and_other_seed_differs() -> None:
    a, b, c = (simulate_pairwise(n_participants=20, seed=s) for s in (3, 3, 4))
    _same(a.export.trials, b.export.trials)
    assert not a.export.trials["choice"].equals(c.export.trials["choice"])
    g1, g2 = simulate_gsp(n_participants=5, seed=3), simulate_gsp(n_participants=5, seed=3)
    _same(g1.export.trials, g2.export.trials)
    _same(g1.export.nodes, g2.export.nodes)


def test_gsp_simulation_runs_the_engine_design() -> None:
    design = GSPDesign(
        (GSPDimension("certainty", 0, 1), GSPDimension("verbosity", 0, 1)),
        ("B1", "B2"),
        chains_per_participant=2,
        max_nodes_per_chain=6,
        seed=1,
    )
    truth = GSPTruth(
        dimensions={"certainty": (0.0, 1.0), "verbosity": (0.0, 1.0)},
        means={"certainty": 0.7, "verbosity": 0.3},
        traits=("trust",),
        moderation={},
        person_sd=0.0,
        prompt_sd=0.0,
        temperature=0.005,
    )
    sim = simulate_gsp(
        n_participants=10, truth=truth, design=design, attention_fail_rate=0.0, seed=2
    )
    trials, nodes = sim.export.trials, sim.export.nodes
    assert len(trials) == 10 * 2 * 6
    assert trials.groupby("chain_id")["node"].max().eq(5).all()
    assert nodes.groupby("chain_id")["node"].max().eq(6).all()  # the vector after the last node
    late = trials[trials["node"] >= 2].groupby("dimension")["response"].mean()
    assert late["certainty"] == pytest.approx(0.7, abs=0.03)
    assert late["verbosity"] == pytest.approx(0.3, abs=0.03)


def test_questionnaire_traits_are_scored_as_the_analysis_scores_them() -> None:
    sim = simulate_pairwise(
        n_participants=40, seed=5, instruments={"trust": "trust_automation", "openness": "bfi10"}
    )
    ex = sim.export
    assert ex.traits.empty
    assert set(ex.questionnaires["instrument"]) == {"bfi10", "trust_automation"}
    scored = score_questionnaires(ex.questionnaires)
    assert "trust_total" not in set(scored["trait"])  # a total contains the trust items
    assert {"trust", "distrust", "openness", "extraversion"} <= set(scored["trait"])
    z = trait_table(ex, list(ex.participants["participant_id"]))
    assert z.mean().abs().max() < 1e-12
    assert sim.truth["certainty:trust"] == DEFAULT_PAIRWISE.moderation[("certainty", "trust")]
    assert sim.truth["certainty:extraversion"] == 0.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(
            lambda: simulate_pairwise(n_participants=1), "at least 2 participants", id="too-few"
        ),
        pytest.param(
            lambda: simulate_pairwise(
                truth=PairwiseTruth({"x": 1.0}, {"a": 0.5, "b": 0.5}, {("x", "a"): 0.2}, (), {})
            ),
            "other than the reference 'a'",
            id="effect-on-reference-population",
        ),
        pytest.param(
            lambda: simulate_pairwise(
                truth=PairwiseTruth({"x": 1.0}, {}, {}, ("t",), {("y", "t"): 0.2})
            ),
            "unknown feature or trait",
            id="unknown-moderated-feature",
        ),
        pytest.param(lambda: simulate_gsp(n_participants=2), "at least 3", id="gsp-too-few"),
        pytest.param(
            lambda: simulate_gsp(design=GSPDesign((GSPDimension("tone", 0, 1),), ("b",))),
            "differ from the truth's",
            id="design-truth-mismatch",
        ),
        pytest.param(
            lambda: simulate_gsp(n_participants=5, instruments={"trust": "trust_automation"}),
            "trait 'openness' has no instrument",
            id="unmapped-trait",
        ),
    ],
)
def test_simulator_errors(call: object, match: str) -> None:
    with pytest.raises(StudyError, match=match):
        call()  # type: ignore[operator]


def test_default_truths_name_the_analysis_terms() -> None:
    sim = simulate_pairwise(n_participants=20, seed=0)
    assert "certainty:populationstudents" in sim.truth.index
    g = simulate_gsp(n_participants=5, seed=0)
    assert g.truth[("certainty", "trust")] == DEFAULT_GSP.moderation[("certainty", "trust")]


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        pytest.param(
            {"design": "gsp", "study_id": "s"}, "needs its dimensions", id="gsp-without-dimensions"
        ),
        pytest.param(
            {"design": "gsp", "study_id": "s", "dimensions": [{"name": "x", "low": 1, "high": 0}]},
            "must be below high",
            id="reversed-range",
        ),
        pytest.param({"design": "survey", "study_id": "s"}, "pairwise", id="unknown-design"),
        pytest.param(
            {"design": "pairwise", "study_id": "s", "extra": 1}, "Extra inputs", id="unknown-key"
        ),
    ],
)
def test_manifest_validation(payload: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Manifest.model_validate(payload)


def test_cross_file_checks(tmp_path: Path) -> None:
    sim = simulate_pairwise(n_participants=10, seed=2)
    folder = write_export(sim.export, tmp_path / "x")
    styles = pd.read_csv(folder / "styles.csv")
    styles.iloc[1:].to_csv(folder / "styles.csv", index=False)  # R0001 loses one feature
    with pytest.raises(DataError, match="response 'R0001' lacks some of the features"):
        read_export(folder)
    folder = write_export(sim.export, tmp_path / "y")
    people = pd.read_csv(folder / "participants.csv", keep_default_na=False)
    pd.concat([people, people.iloc[[0]]]).to_csv(folder / "participants.csv", index=False)
    with pytest.raises(
        DataError, match=r"participants\.csv, row 12, column 'participant_id': duplicate id 'P0001'"
    ):
        read_export(folder)
    assert np.isfinite(sim.truth).all()

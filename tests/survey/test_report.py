"""analyze_export: tables equal the models' output, reports are reproducible, options validate."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from edutools.errors import DataError, StudyError
from edutools.survey.config import load_study
from edutools.survey.models_gsp import fit_preferred_regression, gsp_trials, preferred_points
from edutools.survey.models_pairwise import fit_preference, pairwise_trials
from edutools.survey.report import AnalysisOptions, analyze_export, markdown_table
from edutools.survey.simulate import simulate_pairwise
from edutools.survey.simulate_gsp import simulate_gsp

STUDIES = Path(__file__).parents[2] / "studies" / "style_preference"


def test_pairwise_report_tables_equal_the_model(tmp_path: Path) -> None:
    sim = simulate_pairwise(n_participants=80, seed=9)
    rep = analyze_export(
        sim.export, tmp_path, options=AnalysisOptions(n_bootstrap=0, correction="fdr_bh")
    )
    table = pd.read_csv(rep.tables["coefficients"])
    data = pairwise_trials(sim.export)
    direct = fit_preference(
        data,
        ["certainty", "formality", "verbosity"],
        group=["population"],
        moderators=["openness", "trust"],
        n_boot=0,
        correction="fdr_bh",
    ).coefficients
    np.testing.assert_allclose(table["estimate"], direct["estimate"], rtol=1e-5)
    np.testing.assert_allclose(table["p_adjusted"], direct["p_adjusted"], rtol=1e-5)
    text = rep.report.read_text()
    assert "fdr_bh adjustment" in text
    assert "![effect forest](figures/effect_forest.png)" in text
    assert set(rep.figures) == {"effect_forest", "moderation_slopes"}


def test_gsp_report_tables_equal_the_model(tmp_path: Path) -> None:
    sim = simulate_gsp(n_participants=30, seed=9)
    rep = analyze_export(
        sim.export, tmp_path, options=AnalysisOptions(burn_in=2, preferred_point="kde_mode")
    )
    table = pd.read_csv(rep.tables["preferred_regression"])
    pts = preferred_points(
        gsp_trials(sim.export), burn_in=2, method="kde_mode", traits=["openness", "trust"]
    )
    direct = fit_preferred_regression(pts, ["openness", "trust"])
    np.testing.assert_allclose(table["estimate"], direct["estimate"], rtol=1e-5)
    assert set(rep.figures) == {"gsp_chains", "effect_forest", "moderation_slopes"}
    assert "kde_mode of their responses at nodes 2 and later" in rep.report.read_text()


def test_report_is_reproducible(tmp_path: Path) -> None:
    sim = simulate_pairwise(n_participants=40, seed=1)
    opts = AnalysisOptions(n_bootstrap=60, seed=3)
    a = analyze_export(sim.export, tmp_path / "a", options=opts)
    b = analyze_export(sim.export, tmp_path / "b", options=opts)
    assert a.report.read_text() == b.report.read_text()
    for name, path in a.tables.items():
        assert path.read_bytes() == b.tables[name].read_bytes()


def test_options_from_the_study_files() -> None:
    gsp = AnalysisOptions.from_study(load_study(STUDIES / "study.yaml"))
    assert gsp.burn_in == 4
    assert gsp.seed == 20251101
    pairwise = AnalysisOptions.from_study(load_study(STUDIES / "pairwise.yaml"), correction="none")
    assert list(pairwise.features or ()) == [
        "n_words", "certainty_index", "authority_index", "formality_index", "fk_grade",
    ]  # fmt: skip
    # the app collects questionnaires only: the traits moderate, no attribute columns
    assert not pairwise.attributes
    assert pairwise.correction == "none"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"correction": "bonferroni"}, "correction 'bonferroni'", id="bad-correction"),
        pytest.param({"confidence": 95}, "between 0 and 1", id="confidence-as-percent"),
        pytest.param({"burn_in": -1}, "0 or more", id="negative-burn-in"),
    ],
)
def test_option_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(StudyError, match=match):
        AnalysisOptions(**kwargs)


def test_study_attributes_missing_from_the_export(tmp_path: Path) -> None:
    sim = simulate_pairwise(n_participants=20, seed=1)
    with pytest.raises(DataError, match="no attribute 'age_group'"):
        analyze_export(
            sim.export,
            tmp_path,
            options=AnalysisOptions(n_bootstrap=0, attributes={"age_group": None}),
        )


def test_design_mismatch(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="the export is 'pairwise'"):
        analyze_export(simulate_pairwise(n_participants=20, seed=1).export, tmp_path, design="gsp")


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        pytest.param(
            pd.DataFrame({"a": [1.23456], "b": ["x|y"]}),
            "| a | b |\n|---|---|\n| 1.235 | x\\|y |",
            id="float-and-pipe",
        ),
        pytest.param(pd.DataFrame({"a": [np.nan]}), "| a |\n|---|\n|  |", id="nan-blank"),
    ],
)
def test_markdown_table(frame: pd.DataFrame, expected: str) -> None:
    assert markdown_table(frame) == expected


def test_too_few_participants_is_said_before_any_model_is_fitted(tmp_path: Path) -> None:
    from edutools.survey.report import minimum_participants

    sim = simulate_gsp(n_participants=40, seed=3)
    needed = minimum_participants(sim.export)
    assert needed >= 4
    few = sim.export.participants.head(needed - 1)
    export = replace(sim.export, participants=few)
    with pytest.raises(
        StudyError,
        match=rf"needs at least {needed} completed participants \(now {needed - 1}\)",
    ):
        analyze_export(export, tmp_path, options=AnalysisOptions(n_bootstrap=0))
    assert not (tmp_path / "tables").exists(), "nothing was fitted or written"

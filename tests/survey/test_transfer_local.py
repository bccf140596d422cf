"""The offline style-transfer engine: measures move with every level, text stays well-formed."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from edutools.errors import StudyError
from edutools.survey.config import StudyDefinition, load_study, parse_study
from edutools.survey.styles import measure_styles, split_sentences, strip_markdown
from edutools.survey.transfer import style_targets
from edutools.survey.transfer_local import local_rewrite, rewrite_responses_local
from edutools.survey.transfer_validation import validate_transfer

ROOT = Path(__file__).parents[2]
STUDY = ROOT / "studies" / "style_preference" / "study.yaml"
DIMS = ("authoritativeness", "certainty", "articulateness", "verbosity")
MEASURE = {
    "authoritativeness": "authority_index",
    "certainty": "certainty_index",
    "articulateness": "formality_index",
    "verbosity": "n_words",
}


@pytest.fixture(scope="module")
def study() -> StudyDefinition:
    return load_study(STUDY)


@pytest.fixture(scope="module")
def factorial(study: StudyDefinition) -> pd.DataFrame:
    """Every level combination of three base items (1875 rewrites)."""
    targets = style_targets(study, design="factorial", base_items=["water", "python", "loans"])
    return rewrite_responses_local(study, targets)


@pytest.fixture(scope="module")
def measured(factorial: pd.DataFrame) -> pd.DataFrame:
    return measure_styles(list(factorial["text"]))


def test_the_middle_level_is_the_base_response(study: StudyDefinition) -> None:
    for item in study.base_items:
        assert local_rewrite(study, item.id, dict.fromkeys(DIMS, 3.0)) == " ".join(
            split_sentences(strip_markdown(item.response))
        )


def test_rewrites_are_deterministic(study: StudyDefinition, factorial: pd.DataFrame) -> None:
    again = rewrite_responses_local(study, factorial[["base_item", *DIMS]].head(50))
    assert again["text"].tolist() == factorial["text"].head(50).tolist()
    assert factorial["text"].nunique() == len(factorial), "every target reads differently"


@pytest.mark.parametrize("dimension", DIMS)
def test_each_measure_rises_with_every_level_of_its_dimension(
    factorial: pd.DataFrame, measured: pd.DataFrame, dimension: str
) -> None:
    means = measured[MEASURE[dimension]].groupby(factorial[dimension].to_numpy()).mean()
    assert list(means.index) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert means.diff().dropna().min() > 0, means
    rho = factorial[dimension].corr(measured[MEASURE[dimension]], method="spearman")
    assert rho > 0.8
    # and the other dimensions' measures barely notice this one (the study allows 0.3)
    for other in DIMS:
        if other != dimension:
            leak = factorial[dimension].corr(measured[MEASURE[other]], method="spearman")
            assert abs(leak) < 0.25, (other, leak)


def test_validation_report_passes_and_content_is_kept(
    study: StudyDefinition, factorial: pd.DataFrame
) -> None:
    report = validate_transfer(study, factorial)
    dims = report.dimensions.set_index("dimension")
    assert dims["monotonic"].all()
    assert dims["ok"].all()
    assert (dims["rho"] > 0.8).all(), dims["rho"]
    assert not report.leakage["leak"].any()
    assert report.rewrites["similarity"].min() > study.transfer.min_similarity
    # only rewrites that differ from the base in punctuation alone are "unchanged"
    flags = set(report.flagged["flags"])
    assert flags <= {"unchanged"}


_PROBLEMS = {
    "a repeated word": re.compile(r"\b(\w+) \1\b", re.IGNORECASE),
    "a stray space or comma": re.compile(r" [,.;:]|,,|\.\.|,\.|  "),
    "two stance adverbs in a row": re.compile(
        r"\b(?:perhaps|possibly|clearly|certainly|definitely),? (?:perhaps|possibly|clearly|"
        r"certainly|definitely|but|and|so|say)\b",
        re.IGNORECASE,
    ),
    "a sentence opening in lower case": re.compile(r"(?:^|[.!?] )[a-z]"),
    "a lower-case name": re.compile(r"\b(?:earth's|python from|vs code|bitwarden)\b"),
}


@pytest.mark.parametrize("problem", list(_PROBLEMS))
def test_every_rewrite_is_well_formed(factorial: pd.DataFrame, problem: str) -> None:
    pattern = _PROBLEMS[problem]
    bad = [t for t in factorial["text"] if pattern.search(t.replace("python.org", "PYTHON.ORG"))]
    assert not bad, f"{problem}: {bad[0][:300]}"


def test_three_levels_reach_the_extremes(study: StudyDefinition) -> None:
    pairwise = load_study(STUDY.with_name("pairwise.yaml"))
    five = {d: 5.0 for d in DIMS}
    assert local_rewrite(pairwise, "water", five) == local_rewrite(study, "water", five)


def _custom(dimensions: list[dict[str, object]], details: bool = True) -> StudyDefinition:
    data = yaml.safe_load(STUDY.read_text(encoding="utf-8"))
    data["dimensions"] = dimensions
    data["gsp"].pop("dimensions", None)
    data["transfer"]["validation_measures"] = {}
    if not details:
        for item in data["base_items"]:
            item.pop("details", None)
    return parse_study(data, "custom")


def _dim(name: str) -> dict[str, object]:
    levels = [{"value": v, "label": str(v), "descriptor": f"level {v}"} for v in (1, 2, 3)]
    return {"name": name, "description": name, "range": [1, 3], "levels": levels}


def test_formatting_turns_prose_into_a_list() -> None:
    study = _custom([_dim("formatting")])
    prose = local_rewrite(study, "sleep", {"formatting": 1})
    listed = local_rewrite(study, "sleep", {"formatting": 3})
    assert "\n" not in prose
    m = measure_styles([prose, listed])
    assert (m.loc[0, "n_list_items"], m.loc[1, "n_list_items"]) == (0, 5)
    assert listed.startswith("**In short:** Keeping a regular schedule")


def test_without_details_high_verbosity_adds_a_summary() -> None:
    study = _custom([_dim("verbosity")], details=False)
    long = local_rewrite(study, "water", {"verbosity": 3})
    assert long.startswith("There are a few parts to the answer. Most healthy adults")
    assert long.endswith("In short, most healthy adults do well with about 2 to 3 litres of "
                         "fluid a day, but the right amount depends on your body size, how active "
                         "you are and the climate you live in.")  # fmt: skip


@pytest.mark.parametrize(
    ("target", "match"),
    [
        pytest.param({"humour": 2.0}, "unknown dimension 'humour'", id="unknown-dimension"),
        pytest.param({"certainty": 9.0}, r"certainty=9.0 lies outside \[1.0, 5.0\]", id="range"),
    ],
)
def test_bad_targets(study: StudyDefinition, target: dict[str, float], match: str) -> None:
    with pytest.raises(StudyError, match=match):
        local_rewrite(study, "water", target)


def test_a_dimension_without_a_transform_is_named() -> None:
    study = _custom([_dim("humour")])
    with pytest.raises(StudyError, match="no transform for dimension 'humour'; it knows"):
        local_rewrite(study, "water", {"humour": 1.0})

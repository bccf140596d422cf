"""Study definitions: the shipped files validate; every kind of mistake names its key path."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from edutools.errors import StudyError
from edutools.survey.config import GSPSettings, load_study, parse_study

ROOT = Path(__file__).resolve().parents[2]
STUDY = ROOT / "studies" / "style_preference" / "study.yaml"
PAIRWISE = ROOT / "studies" / "style_preference" / "pairwise.yaml"


def _base() -> dict[str, Any]:
    return yaml.safe_load(STUDY.read_text(encoding="utf-8"))


def test_shipped_gsp_study_is_complete() -> None:
    study = load_study(STUDY)
    assert study.design == "gsp"
    assert [d.name for d in study.dimensions] == [
        "authoritativeness",
        "certainty",
        "articulateness",
        "verbosity",
    ]
    assert all(
        len(d.levels) >= 2 and all(lv.descriptor for lv in d.levels) for d in study.dimensions
    )
    assert 6 <= len(study.base_items) <= 10
    assert {u.id for u in study.instruments} == {"bfi10", "trust_automation"}
    assert study.gsp is not None
    assert study.gsp.chains_per_participant >= 1
    assert study.completion is not None
    assert study.completion.code in str(study.completion.prolific_url)
    assert study.consent is not None
    assert study.attention.checks
    assert study.dimension("certainty").nearest_level(3.4).value == 3


def test_pairwise_features_must_be_style_measures() -> None:
    data = yaml.safe_load(PAIRWISE.read_text(encoding="utf-8"))
    data["pairwise"]["features"] = ["n_words", "judge_certainty", "politeness"]
    with pytest.raises(StudyError) as info:
        parse_study(data, "pairwise.yaml")
    assert str(info.value).startswith(
        "pairwise.yaml: pairwise.features[2]: unknown style feature 'politeness'; valid: n_words"
    )


def test_shipped_pairwise_study_validates() -> None:
    study = load_study(PAIRWISE)
    assert study.design == "pairwise"
    assert study.pairwise is not None
    assert study.pairwise.features


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(d: dict[str, Any]) -> None:
        *head, last = path.split(".")
        node: Any = d
        for part in head:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return apply


_DELETE = object()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(
            _set("gsp.chains_per_participant", 0),
            "study.yaml: gsp.chains_per_participant: must be >= 1",
            id="bound",
        ),
        pytest.param(
            _set("gsp.chain_typ", "within"),
            "study.yaml: gsp.chain_typ: unknown key; valid keys: dimensions, chain_type",
            id="unknown-key-lists-valid-keys",
        ),
        pytest.param(
            _set("gsp.aggregation", "mode"),
            "study.yaml: gsp.aggregation: must be one of 'mean', 'median' or 'kde_mode'",
            id="literal",
        ),
        pytest.param(
            _set("gsp.chain_type", "across"),
            "study.yaml: gsp.chains_per_experiment: required when chain_type is 'across'",
            id="across-needs-pool",
        ),
        pytest.param(
            _set("gsp.burn_in_nodes", 12),
            "study.yaml: gsp.burn_in_nodes: 12 leaves no nodes",
            id="burn-in-too-long",
        ),
        pytest.param(
            _set("gsp.dimensions", ["verbosity", "tone"]),
            "study.yaml: gsp.dimensions[1]: unknown dimension 'tone'",
            id="unknown-gsp-dimension",
        ),
        pytest.param(
            _set("dimensions.1.levels.2.value", 9),
            "study.yaml: dimensions[1].levels[2].value: 9.0 lies outside range [1.0, 5.0]",
            id="level-outside-range",
        ),
        pytest.param(
            _set("dimensions.0.levels.1.value", 1),
            "study.yaml: dimensions[0].levels[1].value: 1.0 must be greater than",
            id="levels-not-increasing",
        ),
        pytest.param(
            _set("dimensions.0.range", [5, 1]),
            "study.yaml: dimensions[0].range: low 5.0 must be below high 1.0",
            id="range-reversed",
        ),
        pytest.param(
            _set("dimensions.2.name", "certainty"),
            "study.yaml: dimensions[2].name: duplicate 'certainty'",
            id="duplicate-dimension",
        ),
        pytest.param(
            _set("dimensions.0.name", "Authority"),
            "study.yaml: dimensions[0].name: 'Authority' must match",
            id="bad-name",
        ),
        pytest.param(
            _set("dimensions.0.levels.0.descriptor", _DELETE),
            "study.yaml: dimensions[0].levels[0].descriptor: required key is missing",
            id="missing-descriptor",
        ),
        pytest.param(
            _set("base_items.1.id", "water"),
            "study.yaml: base_items[1].id: duplicate 'water'",
            id="duplicate-base-item",
        ),
        pytest.param(
            _set("base_items", []),
            "study.yaml: base_items: a GSP study needs at least one base item",
            id="no-base-items",
        ),
        pytest.param(
            _set("instruments.0.id", "neo_pi_r"),
            "study.yaml: instruments[0].id: unknown instrument 'neo_pi_r'; available: bfi10",
            id="unknown-instrument",
        ),
        pytest.param(
            _set("attention.checks.0.correct", "Orange"),
            "study.yaml: attention.checks[0].correct: 'Orange' is not one of the options",
            id="attention-answer-not-an-option",
        ),
        pytest.param(
            _set("completion.code", "OTHER123"),
            "study.yaml: completion.prolific_url: cc=STYLEPREF1 does not match completion.code",
            id="completion-code-mismatch",
        ),
        pytest.param(
            _set("completion.prolific_url", "http://example.org/?cc=STYLEPREF1"),
            "study.yaml: completion.prolific_url: must be an https:// URL",
            id="completion-url-not-https",
        ),
        pytest.param(
            _set("consent", _DELETE),
            "study.yaml: consent: required when design is 'gsp'",
            id="gsp-needs-consent",
        ),
        pytest.param(
            _set("design", "pairwise"),
            "study.yaml: pairwise: required when design is 'pairwise'",
            id="pairwise-needs-settings",
        ),
        pytest.param(
            _set("transfer.validation_measures.verbosity", "length"),
            "study.yaml: transfer.validation_measures.verbosity: unknown measure 'length'",
            id="unknown-validation-measure",
        ),
        pytest.param(
            _set("transfer.validation_measures.tone", "n_words"),
            "study.yaml: transfer.validation_measures.tone: unknown dimension",
            id="validation-measure-unknown-dimension",
        ),
        pytest.param(
            _set("gsp.reverse_probability", "often"),
            "study.yaml: gsp.reverse_probability: expected a float (got 'often')",
            id="type",
        ),
    ],
)
def test_invalid_definitions_name_the_key(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    data = copy.deepcopy(_base())
    mutate(data)
    with pytest.raises(StudyError) as info:
        parse_study(data, "study.yaml")
    message = str(info.value)
    assert message.startswith(expected), message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("id: [unclosed\n", "invalid YAML", id="syntax"),
        pytest.param("- just\n- a list\n", "the top level must be a mapping", id="not-a-mapping"),
        pytest.param("id: a\nid: b\n", "line 2: duplicate key 'id'", id="duplicate-key"),
    ],
)
def test_unreadable_files(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "study.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StudyError, match=expected) as info:
        load_study(path)
    assert str(info.value).startswith(str(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="no such file"):
        load_study(tmp_path / "absent.yaml")


def test_defaults_are_documented() -> None:
    for name, field in GSPSettings.model_fields.items():
        assert field.description, f"GSPSettings.{name} has no description"

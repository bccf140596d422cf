"""Style transfer through the LLM layer against the stub server, and its validation report.

The stub's responder plays a crude style-transfer model: it shortens or lengthens the base
response for verbosity and adds hedges or boosters for certainty, cannot change the other two
dimensions, and returns one base response unchanged. The report must see all of that.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from edutools.errors import StudyError
from edutools.llm.stubserver import StubServer
from edutools.settings import Settings
from edutools.survey.config import StudyDefinition, load_study
from edutools.survey.transfer import (
    find_rewrite,
    llm_style_judge,
    rewrite_responses,
    style_targets,
)
from edutools.survey.transfer_validation import content_similarity, validate_transfer

STUDY_PATH = Path(__file__).resolve().parents[2] / "studies" / "style_preference" / "study.yaml"
UNCHANGED_ITEM = "sleep"  # the fake model returns this base response untouched


@pytest.fixture(scope="module")
def study() -> StudyDefinition:
    return load_study(STUDY_PATH)


def _user(body: dict[str, Any]) -> str:
    return next(m["content"] for m in body["messages"] if m["role"] == "user")


def _fenced(text: str, kind: str) -> str:
    m = re.search(rf"<{kind}-([0-9a-f]{{12}})>\n(.*?)\n</{kind}-\1>", text, re.DOTALL)
    assert m is not None, f"no fenced {kind} block"
    return m.group(2)


def fake_model(body: dict[str, Any]) -> dict[str, Any]:
    """A deterministic stand-in for an LLM, for the style_transfer and style_judge stages."""
    text = _user(body)
    stage = (body.get("response_format") or {}).get("json_schema", {}).get("name")
    if stage == "style_transfer":
        base = _fenced(text, "response")
        if "Your bedroom" in base or "regular schedule" in base:
            return {"rewritten": base}
        level = {m[0]: float(m[1]) for m in re.findall(r"- (\w+) \(.*?\): level ([\d.]+) on", text)}
        sentences = re.split(r"(?<=[.!?])\s+", base)
        keep = max(1, round(len(sentences) * level["verbosity"] / 3))
        body_sentences = (sentences * 2)[:keep]
        prefix = {
            1: "Perhaps it might be that ",
            2: "Perhaps ",
            3: "",
            4: "Clearly, ",
            5: "Clearly and certainly, ",
        }
        p = prefix[int(level["certainty"])]
        out = " ".join(p + s[0].lower() + s[1:] if p else s for s in body_sentences)
        return {"rewritten": out}
    if stage == "style_judge":
        answer = _fenced(text, "answer")
        words = len(answer.split())
        certainty = 3 + answer.count("Clearly") / 3 - answer.count("Perhaps") / 3
        return {
            "ratings": [
                {"dimension": "authoritativeness", "rating": 3.0},
                {"dimension": "certainty", "rating": float(min(5, max(1, certainty)))},
                {"dimension": "articulateness", "rating": 3.0},
                {"dimension": "verbosity", "rating": float(min(5, max(1, words / 40)))},
            ]
        }
    raise AssertionError(f"unexpected stage {stage!r}")


@pytest.fixture
def stub(stub_server: StubServer) -> StubServer:
    stub_server.responder = fake_model
    return stub_server


def test_doctests() -> None:
    import doctest

    import edutools.survey.transfer as transfer_module
    import edutools.survey.transfer_validation as validation_module

    attempted = 0
    for module in (transfer_module, validation_module):
        result = doctest.testmod(module)
        assert result.failed == 0
        attempted += result.attempted
    assert attempted >= 3


def test_targets(study: StudyDefinition) -> None:
    factorial = style_targets(study)
    assert len(factorial) == 8 * 5**4
    assert list(factorial.columns) == ["base_item", *(d.name for d in study.dimensions)]
    axes = style_targets(study, design="axes", base_items=["water"])
    assert len(axes) == 1 + 4 * 4  # the all-middle vector once, then 4 other levels per axis
    assert (
        (axes[["authoritativeness", "certainty", "articulateness", "verbosity"]] != 3).sum(axis=1)
        <= 1
    ).all()
    sampled = style_targets(study, sample=10, seed=1)
    assert len(sampled) == 80
    assert sampled.equals(style_targets(study, sample=10, seed=1))
    with pytest.raises(StudyError, match="use 'factorial' or 'axes'"):
        style_targets(study, design="grid")
    with pytest.raises(StudyError, match="unknown base item 'tea'"):
        style_targets(study, base_items=["tea"])


def test_rewrites_go_through_the_llm_layer_and_are_cached(
    study: StudyDefinition, stub: StubServer, settings: Settings
) -> None:
    targets = style_targets(study, design="axes", base_items=["water", "loans"])
    s = stub.settings(settings)
    first, usage = rewrite_responses(study, targets, s)
    assert usage.calls == len(targets) == 34
    assert (first["status"] == "ok").all()
    sent = stub.requests[0]
    assert sent.stage == "style_transfer"
    # The base response is fenced as data; each target level's descriptor is in the prompt.
    assert "<response-" in sent.text
    assert study.dimension("verbosity").levels[0].descriptor in "".join(
        r.text for r in stub.requests
    )
    again, usage2 = rewrite_responses(study, targets, s)
    assert usage2.calls == 0
    assert usage2.cached_calls == len(targets)
    pd.testing.assert_frame_equal(first, again)
    vec = {"authoritativeness": 3.0, "certainty": 5.0, "articulateness": 3.0, "verbosity": 3.0}
    assert find_rewrite(first, "water", vec).startswith("Clearly and certainly, ")
    with pytest.raises(StudyError, match="no rewrite of 'water'"):
        find_rewrite(first, "water", {**vec, "certainty": 4.5})


def test_target_outside_range(study: StudyDefinition, stub: StubServer, settings: Settings) -> None:
    targets = (
        style_targets(study, design="axes", base_items=["water"]).head(1).assign(verbosity=9.0)
    )
    with pytest.raises(StudyError, match=r"target verbosity=9.0 lies outside \[1.0, 5.0\]"):
        rewrite_responses(study, targets, stub.settings(settings))


def test_validation_report_flags_what_went_wrong(
    study: StudyDefinition, stub: StubServer, settings: Settings
) -> None:
    s = stub.settings(settings, max_retries=0)
    study = _judged(study)
    targets = style_targets(
        study, design="axes", base_items=["water", "loans", "python", UNCHANGED_ITEM]
    )

    # One rewrite fails for good: every attempt returns JSON of the wrong shape.
    def python_very_brief(body: dict[str, Any]) -> bool:
        text = _user(body)
        return "How do I get started" in text and '5, "very brief"' in text

    stub.inject("schema_invalid", count=3, when=python_very_brief)
    rewrites, _ = rewrite_responses(study, targets, s, cache=False)
    assert (rewrites["status"] == "failed").sum() == 1
    report = validate_transfer(study, rewrites, judge=llm_style_judge(study, s, cache=False))
    flags = report.rewrites.set_index("base_item")["flags"]

    # The unchanged base response is flagged on every one of its rewrites; elsewhere exactly
    # where the fake model had nothing it could change (certainty and verbosity at 3).
    assert flags[UNCHANGED_ITEM].str.contains("unchanged").all()
    others = report.rewrites[report.rewrites["base_item"] != UNCHANGED_ITEM]
    nothing_to_do = (others["certainty"] == 3) & (others["verbosity"] == 3)
    assert (others["flags"].str.contains("unchanged") == nothing_to_do).all()
    assert report.rewrites["flags"].str.contains("failed").sum() == 1
    # The fake model cannot move authoritativeness: the judge sees 3 where 1 or 5 was asked.
    off = report.rewrites[report.rewrites["authoritativeness"].isin([1.0, 5.0])]
    assert off["flags"].str.contains("off_target:authoritativeness").all()

    dims = report.dimensions.set_index("dimension")
    assert dims.loc["verbosity", "measure"] == "n_words"
    assert dims.loc["verbosity", "rho"] > 0.5
    assert dims.loc["certainty", "measure"] == "-hedge_rate"
    assert dims.loc["certainty", "rho"] > 0.3
    assert bool(dims.loc["verbosity", "ok"])
    assert bool(dims.loc["certainty", "ok"])
    assert math.isnan(dims.loc["authoritativeness", "rho"])  # the judge rating never varies
    assert not bool(dims.loc["authoritativeness", "ok"])
    # In an axes design no target should move another dimension's measure much.
    leak = report.leakage.set_index(["target", "measured"])
    assert abs(leak.loc[("verbosity", "certainty"), "rho"]) < 0.3
    assert report.rewrites["similarity"].between(0, 1 + 1e-9).all()
    md = report.to_markdown()
    assert "| verbosity | n_words |" in md
    assert "- unchanged: " in md


def test_content_similarity() -> None:
    a = "Drink about two litres of water each day, more when it is hot."
    b = "Each day, drink roughly two litres of water; drink more in hot weather."
    c = "Bake sourdough in a preheated Dutch oven for a better rise."
    corpus = [a, b, c, "Install Python and practise every day."]
    same, para, other = content_similarity([(a, a), (a, b), (a, c)], corpus)
    assert same == pytest.approx(1.0)
    assert para > 0.4
    assert other < 0.1
    assert para > other


def _judged(study: StudyDefinition) -> StudyDefinition:
    """The study validated by the LLM judge on authoritativeness and articulateness.

    The shipped study file validates with offline measures, which the fake model does not move.
    """
    measures = {
        "authoritativeness": "judge_authoritativeness",
        "certainty": "-hedge_rate",
        "articulateness": "judge_articulateness",
        "verbosity": "n_words",
    }
    transfer = study.transfer.model_copy(update={"validation_measures": measures})
    return study.model_copy(update={"transfer": transfer})


def test_report_without_judge_uses_measures_only(study: StudyDefinition) -> None:
    study = _judged(study)
    base = study.base_item("water").response
    rows = []
    for v in (1.0, 2.0, 3.0, 4.0, 5.0):
        n = int(v)
        text = " ".join([base] * n)
        rows.append({"base_item": "water", "authoritativeness": 3.0, "certainty": 3.0,
                     "articulateness": 3.0, "verbosity": v, "text": text, "status": "ok"})  # fmt: skip
    rows.append({**rows[0], "verbosity": 2.0, "text": "I'm sorry, I cannot help with that."})
    report = validate_transfer(study, pd.DataFrame(rows))
    dims = report.dimensions.set_index("dimension")
    assert dims.loc["verbosity", "rho"] > 0.8
    assert "not measured" in dims.loc["authoritativeness", "measure"]
    last = report.rewrites.iloc[-1]["flags"].split(";")
    assert "refusal" in last
    assert "content_drift" in last
    assert report.rewrites.iloc[0]["flags"] == "unchanged"
    assert np.isclose(report.rewrites.iloc[0]["similarity"], 1.0)

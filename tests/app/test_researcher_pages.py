"""AppTests of the Calibrate, Compare and Downloads pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from edutools import io
from edutools.app import research
from edutools.generate import run
from edutools.settings import Settings

DATA = Path(__file__).parents[1] / "data"
LSAT7_A = [0.988, 1.081, 1.706, 0.7651, 0.7358]  # mirt's published 2PL slopes (DESIGN.md)


def _calibrate(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Calibrate").click()
    return at.run()


def _charts(at: AppTest) -> list[object]:
    return list(at.get("vega_lite_chart"))


def test_calibrate_the_example_course_responses(app: Callable[..., AppTest]) -> None:
    at = app(page="calibrate").run()
    at.radio[0].set_value("Example course").run()
    at = _calibrate(at)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Persons"], metrics["Items"]) == ("600", "68")
    params = at.dataframe[0].value
    assert {"a", "se_a", "b", "se_b", "p", "source"} <= set(params.columns)
    assert len(at.dataframe) == 3  # parameters, fit, classical (no option choices)
    assert "selected options" in at.info[-1].value
    assert len(_charts(at)) == 3  # ICC, information, Wright map


def test_calibrate_an_upload_matches_mirt(app: Callable[..., AppTest]) -> None:
    at = app(page="calibrate").run()
    at.file_uploader(key="responses_upload").set_value(
        ("lsat7.csv", (DATA / "lsat7.csv").read_bytes(), "text/csv")
    )
    at.run()
    at = _calibrate(at)
    assert not at.exception
    a = at.dataframe[0].value["a"].to_numpy()
    np.testing.assert_allclose(a, LSAT7_A, atol=0.005)


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        pytest.param(
            "r.csv",
            b"Q1,Q2\n1,0\n2,1\n",
            "r.csv, row 3, column 'Q1': score '2' is not 0 or 1",
            id="bad-score",
        ),
        pytest.param(
            "r.csv",
            b"Q1,Q2\nA,B\nC,A\n",
            "need an item bank (.json) as metadata",
            id="letters-without-bank",
        ),
    ],
)
def test_upload_errors(
    app: Callable[..., AppTest], name: str, payload: bytes, message: str
) -> None:
    at = app(page="calibrate").run()
    at.file_uploader(key="responses_upload").set_value((name, payload, "text/csv"))
    at.run()
    assert message in at.error[0].value
    assert next(b for b in at.button if b.label == "Calibrate").disabled


def _bank_and_choices(tmp_path: Path) -> tuple[bytes, bytes]:
    course = io.read_course(io.example_course_dir())
    bank = run(course, "local", Settings.from_env(), question_ids=["Q01", "Q02"])
    single = bank.model_copy(
        update={"items": [i for i in bank.items if i.form != "select_all"][:8]}
    )
    rng = np.random.default_rng(3)
    theta = rng.normal(size=400)
    rows = {}
    for j, item in enumerate(single.items):
        key = "ABCD"[item.key_indices[0]]
        p = 1 / (1 + np.exp(-(1.2 * theta - 0.3 + 0.1 * j)))
        wrong = [x for x in "ABCD" if x != key]
        rows[item.id] = np.where(rng.random(400) < p, key, rng.choice(wrong, 400))
    choices = pd.DataFrame(rows)
    path = io.write_item_bank(single, tmp_path / "bank.json")
    return choices.to_csv(index=False).encode(), path.read_bytes()


def test_selected_options_give_a_distractor_analysis(
    app: Callable[..., AppTest], tmp_path: Path
) -> None:
    choices, bank = _bank_and_choices(tmp_path)
    at = app(page="calibrate").run()
    at.file_uploader(key="responses_upload").set_value(("choices.csv", choices, "text/csv"))
    at.file_uploader(key="metadata_upload").set_value(("bank.json", bank, "application/json"))
    at.run()
    at = _calibrate(at)
    assert not at.exception
    assert not at.error, at.error[0].value
    distractors = at.dataframe[3].value
    assert {"item", "option", "is_key", "share", "pbis", "non_functioning"} <= set(
        distractors.columns
    )
    assert distractors.groupby("item")["is_key"].sum().eq(1).all()


@pytest.fixture
def report() -> research.CalibrationReport:
    return research.run_calibration(research.example_data(), "2pl")


def test_compare_by_key_polarity(
    app: Callable[..., AppTest], report: research.CalibrationReport
) -> None:
    at = app(page="compare")
    at.session_state["research_report"] = report
    at.run()
    assert at.selectbox[0].options == ["source", "form", "key_polarity"]
    at.selectbox[0].set_value("key_polarity").run()
    table = at.dataframe[0].value
    assert list(table["metric"]) == ["a"] * 3 + ["b"] * 3 + ["p"] * 3  # three pairs of groups
    assert {"kruskal_p", "p_holm", "cliffs_delta", "tost_p"} <= set(table.columns)
    assert set(table["group_1"]) | set(table["group_2"]) == {"correct", "foil", "select_all"}
    assert len(_charts(at)) == 1


def test_compare_and_downloads_need_a_calibration(app: Callable[..., AppTest]) -> None:
    assert "Calibrate responses first" in app(page="compare").run().info[-1].value
    assert "calibrate responses first" in app(page="downloads").run().info[-1].value


def test_downloads_offer_every_table_and_chart(
    app: Callable[..., AppTest], report: research.CalibrationReport
) -> None:
    at = app(page="downloads")
    at.session_state["research_report"] = report
    at.session_state["research_comparisons"] = {
        "source": research.compare(report, "source", n_boot=50)
    }
    at.run()
    labels = sorted(b.label for b in at.download_button)
    assert labels == sorted([
        "parameters.csv", "item_fit.csv", "ctt.csv", "abilities.csv", "comparison_by_source.csv",
        "icc.png", "information.png", "wright_map.png", "groups_by_source.png",
    ])  # fmt: skip
    png = research.chart_png(report.charts["wright_map"])
    assert png.startswith(b"\x89PNG")

"""AppTests of the Calibrate, Compare, Assemble and Downloads pages.

Analyses are stored, so a new session (a reload) shows the last one; the store is the test's
private SQLite database (EDUTOOLS_DATA_DIR is a fresh folder per test).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from edutools import io
from edutools.app import research, saved
from edutools.generate import run
from edutools.irt import simulate_items, simulate_responses
from edutools.settings import Settings
from edutools.store import Store

DATA = Path(__file__).parents[1] / "data"
LSAT7_A = [0.988, 1.081, 1.706, 0.7651, 0.7358]  # mirt's published 2PL slopes (DESIGN.md)


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def _charts(at: AppTest) -> list[object]:
    return list(at.get("vega_lite_chart"))


def _heading(at: AppTest) -> str:
    """The first subheading as the reader sees it (markdown escapes removed)."""
    return at.subheader[0].value.replace("\\", "")


def _store() -> Store:
    return Store.from_settings(Settings.from_env())


def _no_none_shown(at: AppTest) -> None:
    """Every table shows gaps with a placeholder and has no column without any value."""
    for frame in at.dataframe:
        assert frame.proto.placeholder == "–"
        assert not frame.value.isna().all().any(), list(frame.value.columns)


@pytest.fixture(scope="module")
def report() -> research.CalibrationReport:
    return research.run_calibration(research.example_data(), "2pl")


@pytest.fixture
def stored(report: research.CalibrationReport) -> int:
    """The example calibration saved in this test's database; its id."""
    store = _store()
    analysis_id = saved.save_calibration(store, report, "2pl")
    store.close()
    return analysis_id


def test_calibrate_the_example_and_reload(app: Callable[..., AppTest]) -> None:
    at = app(page="calibrate").run()
    at.radio(key="source").set_value("Example course").run()
    at = _click(at, "Calibrate")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Persons"], metrics["Items"]) == ("600", "68")
    params = at.dataframe[0].value
    assert {"a", "se_a", "b", "se_b", "p", "source"} <= set(params.columns)
    assert "c" not in params.columns  # a 2PL has no c: the column is left out, and named
    assert any("do not define them: c, se_c" in c.value for c in at.caption)
    assert len(at.dataframe) == 3  # parameters, fit, classical (no option choices)
    _no_none_shown(at)
    texts = " ".join(i.value for i in at.info)
    assert "needs the selected options" in texts  # the Distractors tab says what it needs
    assert "have no such column" in texts  # the DIF tab too
    template = next(b for b in at.get("download_button") if "Template" in b.proto.label)
    assert template.proto.label == "Template for these items (CSV)"
    assert len(_charts(at)) == 3  # ICC, information, Wright map
    assert [a.title for a in _store().list_analyses()] == [
        "2PL on example course responses (simulated)"
    ]
    # A new session (a page reload) shows the stored calibration without calibrating again.
    again = app(page="calibrate").run()
    assert not again.exception
    assert _heading(again) == "2PL on example course responses (simulated)"
    assert {m.label: m.value for m in again.metric}["Items"] == "68"
    pd.testing.assert_frame_equal(again.dataframe[0].value, at.dataframe[0].value)
    assert len(_charts(again)) == 3


def test_calibrate_an_upload_matches_mirt(app: Callable[..., AppTest]) -> None:
    at = app(page="calibrate").run()
    at.file_uploader(key="responses_upload").set_value(
        ("lsat7.csv", (DATA / "lsat7.csv").read_bytes(), "text/csv")
    )
    at.run()
    at = _click(at, "Calibrate")
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
        pytest.param(
            "r.csv",
            b"person,region,Q1,Q2\n1,north,1,0\n2,south,0,1\n",
            "goes under 'Person columns'",
            id="person-column-not-chosen",
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
    at = _click(at, "Calibrate")
    assert not at.exception
    assert not at.error, at.error[0].value
    distractors = at.dataframe[3].value
    assert {"item", "option", "is_key", "share", "pbis", "non_functioning"} <= set(
        distractors.columns
    )
    assert distractors.groupby("item")["is_key"].sum().eq(1).all()
    # Reopened in a new session, the option choices and keys come back from the store.
    again = app(page="calibrate").run()
    pd.testing.assert_frame_equal(again.dataframe[3].value, distractors)


def _dif_responses() -> bytes:
    """1200 persons, 8 items; item3 is 0.9 logits harder for the focal group (F)."""
    items = simulate_items(8, "2pl", seed=5, prefix="item")
    n = 1200
    gender = np.where(np.arange(n) % 2 == 0, "F", "M")
    theta = np.random.default_rng(6).normal(size=n)
    ref = simulate_responses(items, n, seed=7, theta=theta).responses
    shifted = items.copy()
    shifted.loc[shifted["item"] == "item3", "d"] -= (
        0.9 * shifted.loc[shifted["item"] == "item3", "a"]
    )
    foc = simulate_responses(shifted, n, seed=7, theta=theta).responses
    X = np.where((gender == "F")[:, None], foc.to_numpy(), ref.to_numpy())
    frame = pd.DataFrame(X.astype(int), columns=list(items["item"]))
    frame.insert(0, "gender", gender)
    frame.insert(0, "person", [f"p{i:04d}" for i in range(n)])
    return frame.to_csv(index=False).encode()


def test_dif_by_a_person_column(app: Callable[..., AppTest]) -> None:
    at = app(page="calibrate").run()
    at.file_uploader(key="responses_upload").set_value(("dif.csv", _dif_responses(), "text/csv"))
    at.run()
    assert at.multiselect[0].label == "Person columns (not items)"
    assert at.multiselect[0].value == ["gender"]  # recognised by its name
    at = _click(at, "Calibrate")
    assert not at.exception
    assert not at.error, at.error[0].value
    assert {m.label: m.value for m in at.metric}["Items"] == "8"
    at.selectbox(key="dif_ref_gender").set_value("M").run()
    dif = at.dataframe[-1].value
    assert list(dif["item"]) == [f"item{j}" for j in range(1, 9)]
    flagged = dif.set_index("item")["ets_class"]
    assert flagged["item3"] in ("B", "C")
    assert dif.set_index("item").loc["item3", "delta_mh"] < -1  # harder for the focal group
    assert (flagged.drop("item3") == "A").sum() >= 6
    assert len(_charts(at)) == 4  # the DIF chart and the three calibration charts
    _no_none_shown(at)
    again = app(page="calibrate").run()  # reopened: the person column came back with it
    assert again.selectbox(key="dif_column").value == "gender"
    assert again.selectbox(key="dif_ref_gender").value == "M"  # the last DIF, not the first
    stored = _store().list_analyses("dif")
    assert [a.title for a in stored] == [  # the default reference first, then the chosen one
        "DIF by gender: M vs the others",
        "DIF by gender: F vs the others",
    ]


def test_dif_needs_complete_responses(report: research.CalibrationReport) -> None:
    groups = pd.DataFrame(
        {"class": np.where(np.arange(600) % 2 == 0, "a", "b")}, index=report.data.scored.index
    )
    data = research.ResponseData("x", report.data.scored, groups=groups)
    with_groups = research.CalibrationReport(**{**report.__dict__, "data": data})
    with pytest.raises(Exception, match="needs persons who answered every item; 0 of 600 did"):
        research.run_dif(with_groups, "class", "a")


def _graded_answers() -> bytes:
    """800 persons' scores 0..2 on 8 items (free-text answers graded 0/1/2) from a GPCM."""
    from edutools.irt.simulate_poly import simulate_poly_items, simulate_polytomous

    items = simulate_poly_items(8, "gpcm", n_categories=3, seed=21, prefix="Q")
    X, _ = simulate_polytomous(items, 800, "gpcm", seed=22, missing_rate=0.05)
    return X.to_csv(na_rep="").encode()


@pytest.mark.parametrize(
    ("model", "method", "title"),
    [
        pytest.param("gpcm", "mml", "GPCM on graded.csv", id="gpcm"),
        pytest.param("pcm", "cml", "PCM by CML on graded.csv", id="pcm-cml"),
    ],
)
def test_polytomous_scores_with_category_curves(
    app: Callable[..., AppTest], model: str, method: str, title: str
) -> None:
    at = app(page="calibrate").run()
    at.selectbox(key="model").set_value(model).run()
    if method == "cml":
        at.radio(key="method").set_value(method).run()
    at.file_uploader(key="responses_upload").set_value(
        ("graded.csv", _graded_answers(), "text/csv")
    )
    at.run()
    at = _click(at, "Calibrate")
    assert not at.exception
    assert not at.error, at.error[0].value
    assert _heading(at) == title
    params = at.dataframe[0].value
    assert {"threshold_1", "threshold_2", "se_threshold_1", "b"} <= set(params.columns)
    assert len(params) == 8
    assert "P(X = k)" in " ".join(c.value for c in at.caption)
    assert len(_charts(at)) == 4  # ICC (expected scores), category curves, information, Wright
    _no_none_shown(at)
    again = app(page="calibrate").run()  # reopened from the store, category curves drawn again
    assert _heading(again) == title
    pd.testing.assert_frame_equal(again.dataframe[0].value, params)
    assert len(_charts(again)) == 4


def test_polytomous_scores_need_a_polytomous_model(app: Callable[..., AppTest]) -> None:
    at = app(page="calibrate").run()
    at.file_uploader(key="responses_upload").set_value(
        ("graded.csv", _graded_answers(), "text/csv")
    )
    at.run()
    assert "for scores 0..K choose the model pcm, gpcm, grm or rsm" in at.error[0].value


def test_compare_by_key_polarity_and_reload(app: Callable[..., AppTest], stored: int) -> None:
    at = app(page="compare").run()
    assert not at.exception
    assert at.selectbox[0].options == ["source", "form", "key_polarity"]
    at.selectbox[0].set_value("key_polarity").run()
    table = at.dataframe[0].value
    assert list(table["metric"]) == ["a"] * 3 + ["b"] * 3 + ["p"] * 3  # three pairs of groups
    assert {"kruskal_p", "p_holm", "cliffs_delta", "tost_p"} <= set(table.columns)
    assert set(table["group_1"]) | set(table["group_2"]) == {"correct", "foil", "select_all"}
    assert len(_charts(at)) == 1
    _no_none_shown(at)
    again = app(page="compare").run()  # a reload: the last comparison is selected again
    assert again.selectbox[0].value == "key_polarity"
    pd.testing.assert_frame_equal(again.dataframe[0].value, table)
    assert [a.title for a in _store().list_analyses("comparison", parent_id=stored)] == [
        "by key_polarity",
        "by source",
    ]


def test_pages_without_a_calibration(app: Callable[..., AppTest]) -> None:
    assert "Calibrate responses first" in app(page="compare").run().info[-1].value
    assert "calibrate responses first" in app(page="downloads").run().info[-1].value
    assert "Calibrate responses first" in app(page="assemble").run().info[-1].value


def test_assemble_a_form_and_reload(
    app: Callable[..., AppTest], stored: int, report: research.CalibrationReport
) -> None:
    at = app(page="assemble").run()
    assert not at.exception
    at = _click(at, "Assemble")
    assert not at.exception
    assert not at.error, at.error[0].value
    metrics = {m.label: float(m.value) for m in at.metric}
    form_info = metrics["Form 1: information"]
    assert form_info >= metrics["Best of 1000 random forms"]
    items = at.dataframe[0].value
    assert len(items) == 20
    assert items.groupby("concept").size().between(1, 3).all()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Form 1 item bank (.json)", "Moodle XML", "QTI zip (Canvas)", "GIFT", "CSV"]
    assert len(_charts(at)) == 1
    again = app(page="assemble").run()
    assert {m.label: float(m.value) for m in again.metric}["Form 1: information"] == form_info
    pd.testing.assert_frame_equal(again.dataframe[0].value, items)
    # Constraints no form can meet: one line that says what to relax.
    again.number_input[0].set_value(20).run()
    again.number_input[3].set_value(3).run()  # at least 3 of each of 10 concepts
    again = _click(again, "Assemble")
    assert "lower the per-concept minimum or raise the number of items" in again.error[0].value
    runs = saved.saved_assemblies(_store(), stored)
    assert len(runs) == 1


def test_downloads_regenerate_every_file(
    app: Callable[..., AppTest], stored: int, report: research.CalibrationReport
) -> None:
    from edutools.irt.assembly import Spec

    store = _store()
    saved.comparison(store, stored, report, "source", n_boot=50)
    spec = Spec(n_items=10, per_concept=(0, 2))
    n = saved.run_assembly(store, stored, report, spec, n_random=0).id
    store.close()
    at = app(page="downloads").run()
    assert not at.exception
    labels = sorted(b.label for b in at.download_button)
    expected = [
        "parameters.csv", "item_fit.csv", "ctt.csv", "abilities.csv", "comparison_by_source.csv",
        "icc.png", "information.png", "wright_map.png", "groups_by_source.png",
        *[f"assembly{n}_form1{s}" for s in (".json", ".gift", ".xml", ".zip", ".csv")],
        f"assembly{n}_information.png",
    ]  # fmt: skip
    assert labels == sorted(expected)
    png = research.chart_png(report.charts["wright_map"])
    assert png.startswith(b"\x89PNG")


def test_reopen_an_older_calibration(app: Callable[..., AppTest], stored: int) -> None:
    at = app(page="calibrate").run()
    at.file_uploader(key="responses_upload").set_value(
        ("lsat7.csv", (DATA / "lsat7.csv").read_bytes(), "text/csv")
    )
    at.run()
    at = _click(at, "Calibrate")
    assert _heading(at) == "2PL on lsat7.csv"
    picker = at.selectbox(key="saved_pick")
    assert len(picker.options) == 2
    picker.set_value(stored).run()
    at = _click(at, "Open")
    assert _heading(at) == "2PL on example course responses (simulated)"
    again = app(page="calibrate").run()  # the reopened one is now the last
    assert _heading(again) == "2PL on example course responses (simulated)"

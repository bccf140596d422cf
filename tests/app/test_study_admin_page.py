"""AppTest of the study admin page: create a study, its link, progress, downloads, analysis."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from edutools.settings import Settings
from edutools.store import Store
from edutools.studyflow import load_runtime

sys.path.insert(0, str(Path(__file__).parents[1] / "studyflow"))
from studyflow_fixtures import run_participant, write_small_study


def _admin(app: Callable[..., AppTest]) -> AppTest:
    return app(page="study_admin").run()


def test_create_study_and_watch_it(app: Callable[..., AppTest], tmp_path: Path) -> None:
    write_small_study(tmp_path / "studies" / "small")
    at = _admin(app)
    assert not at.exception
    assert at.title[0].value == "Study admin"
    assert at.info[-1].value == "No study has been created yet."
    at.text_input[0].set_value(str(tmp_path / "studies")).run()
    assert at.selectbox[0].value.study_id == "test-gsp-v1"
    next(b for b in at.button if b.label == "Create study").click()
    at.run()
    assert not at.exception
    assert at.success[0].value == "Study 'test-gsp-v1' is ready for participants."
    at.run()
    link = at.code[0].value
    assert "/?study=test-gsp-v1&PROLIFIC_PID={{%PROLIFIC_PID%}}" in link
    assert {m.label: m.value for m in at.metric}["Started"] == "0"

    store = Store.from_settings(Settings.from_env())
    runtime = load_runtime(store, "test-gsp-v1")
    assert runtime is not None
    for i in range(9):
        run_participant(store, runtime, f"W{i}", seed=i)
    run_participant(store, runtime, "X", ok=False)
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Started"], metrics["Completed"], metrics["Excluded (attention)"]) == (
        "10",
        "9",
        "1",
    )
    labels = [b.label for b in at.download_button]
    assert labels == ["Raw data (zip of CSV, with Prolific ids)", "Analysis export (pseudonymous)"]
    next(b for b in at.button if b.label == "Run the analysis").click()
    at.run()
    assert not at.exception
    assert not at.error, at.error[0].value
    assert any("A small GSP test study" in m.value for m in at.markdown)
    assert at.image, "the report's figures are shown"


def test_problem_files_cannot_be_created(app: Callable[..., AppTest], tmp_path: Path) -> None:
    path = write_small_study(tmp_path / "studies" / "small")
    (path.parent / "stimuli.csv").unlink()
    at = _admin(app)
    at.text_input[0].set_value(str(tmp_path / "studies")).run()
    assert "needs its rewrites in stimuli.csv" in at.warning[0].value
    assert next(b for b in at.button if b.label == "Create study").disabled

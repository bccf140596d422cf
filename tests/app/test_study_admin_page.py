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
    # the list of running studies shows the new study at once, without a reload
    assert at.success[0].value == "Study 'test-gsp-v1' is ready for participants."
    assert not any(i.value == "No study has been created yet." for i in at.info)
    link = at.code[0].value
    assert "/?study=test-gsp-v1&PROLIFIC_PID={{%PROLIFIC_PID%}}" in link
    assert {m.label: m.value for m in at.metric}["Started"] == "0"

    preview = next(b for b in at.get("link_button") if b.label.startswith("Preview"))
    assert preview.proto.url.endswith("/?study=test-gsp-v1&preview=1")
    assert "needs at least" not in " ".join(c.value for c in at.caption)
    assert next(b for b in at.button if b.label == "Run the analysis").disabled

    store = Store.from_settings(Settings.from_env())
    runtime = load_runtime(store, "test-gsp-v1")
    assert runtime is not None
    run_participant(store, runtime, "W0", seed=0)
    at.run()
    assert "The analysis needs at least 8 completed participants (now 1)." in [
        c.value for c in at.caption
    ]
    assert next(b for b in at.button if b.label == "Run the analysis").disabled
    for i in range(1, 9):
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
    (path.parent / "plan.yaml").write_text("seed: 1\npersons: 300\n")  # not a study
    at = _admin(app)
    at.text_input[0].set_value(str(tmp_path / "studies")).run()
    assert [o.rsplit("/", 1)[-1] for o in at.selectbox[0].options] == ["study.yaml)"]
    assert at.warning[0].value.startswith("Not runnable yet: stimuli.csv is missing")
    assert "--engine local" in at.warning[0].value
    assert next(b for b in at.button if b.label == "Create study").disabled

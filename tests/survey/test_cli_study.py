"""``edutools study simulate|analyze`` through the real CLI, including malformed exports."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from _cli import cli_runner

from edutools.cli import app

DATA = Path(__file__).parent / "data"
runner = cli_runner()


def _corrupt(tmp_path: Path, source: str, file: str, old: str, new: str) -> Path:
    folder = tmp_path / source
    shutil.copytree(DATA / source, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_simulate_then_analyze_pairwise(tmp_path: Path) -> None:
    export, out = tmp_path / "export", tmp_path / "report"
    sim = runner.invoke(
        app,
        [
            "study",
            "simulate",
            "--design",
            "pairwise",
            "--out",
            str(export),
            "--participants",
            "60",
            "--seed",
            "2",
        ],
    )
    assert sim.exit_code == 0, sim.stderr
    assert "60 participants" in sim.stdout
    res = runner.invoke(
        app,
        [
            "study",
            "analyze",
            str(export),
            "--design",
            "pairwise",
            "--out",
            str(out),
            "--n-boot",
            "50",
        ],
    )
    assert res.exit_code == 0, res.stderr
    report = (out / "report.md").read_text()
    assert "## Effects" in report
    assert "certainty:trust" in report
    for name in ("coefficients", "simple_slopes", "by_population", "model_fit"):
        assert (out / "tables" / f"{name}.csv").exists()
    for name in ("effect_forest", "moderation_slopes"):
        assert (out / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_simulate_then_analyze_gsp_with_study_settings(tmp_path: Path) -> None:
    study = Path(__file__).parents[2] / "studies" / "style_preference" / "study.yaml"
    export, out = tmp_path / "export", tmp_path / "report"
    sim = runner.invoke(
        app,
        [
            "study",
            "simulate",
            "--design",
            "gsp",
            "--out",
            str(export),
            "--participants",
            "30",
            "--study",
            str(study),
        ],
    )
    assert sim.exit_code == 0, sim.stderr
    res = runner.invoke(
        app,
        [
            "study",
            "analyze",
            str(export),
            "--design",
            "gsp",
            "--out",
            str(out),
            "--study",
            str(study),
        ],
    )
    assert res.exit_code == 0, res.stderr
    report = (out / "report.md").read_text()
    assert "burn-in 4" in report  # from the study's gsp.burn_in_nodes
    assert "## Trial-level mixed model" in report
    for name in ("gsp_chains", "effect_forest", "moderation_slopes"):
        assert (out / "figures" / f"{name}.png").exists()


@pytest.mark.parametrize(
    ("source", "file", "old", "new", "message"),
    [
        pytest.param(
            "pairwise_small",
            "trials.csv",
            "P0001,1,Q001,R0002,R0001,B",
            "P0001,1,Q001,R0002,R0001,C",
            "trials.csv, row 2, column 'choice': 'C' is not valid",
            id="bad-choice",
        ),
        pytest.param(
            "pairwise_small",
            "trials.csv",
            "P0001,2,Q002",
            "P9999,2,Q002",
            "trials.csv, row 3, column 'participant_id': unknown participant 'P9999'",
            id="unknown-participant",
        ),
        pytest.param(
            "pairwise_small",
            "trials.csv",
            "P0001,3,Q002,R0004,R0003",
            "P0001,3,Q002,R0004,R0099",
            "trials.csv, row 4, column 'response_b': unknown response 'R0099'",
            id="unknown-response",
        ),
        pytest.param(
            "pairwise_small",
            "trials.csv",
            "P0001,2,Q002",
            "P0001,two,Q002",
            "trials.csv, row 3, column 'trial': 'two' is not valid",
            id="non-integer-trial",
        ),
        pytest.param(
            "pairwise_small",
            "styles.csv",
            "R0001,certainty,0.3396",
            "R0001,certainty,high",
            "styles.csv, row 2, column 'value': 'high' is not valid",
            id="non-numeric-style",
        ),
        pytest.param(
            "pairwise_small",
            "participants.csv",
            "P0002,students,true",
            "P0002,students,maybe",
            "participants.csv, row 3, column 'attention_passed': 'maybe' is not valid",
            id="bad-boolean",
        ),
        pytest.param(
            "pairwise_small",
            "participants.csv",
            "participant_id,population",
            "participant_id,group",
            "participants.csv, row 1 \\(header\\): unexpected column 'group'",
            id="unexpected-column",
        ),
        pytest.param(
            "pairwise_small",
            "traits.csv",
            "P0001,trust,3",
            "P0001,trust,",
            "traits.csv, row 2, column 'score'",
            id="blank-trait-score",
        ),
        pytest.param(
            "pairwise_small",
            "trials.csv",
            "P0001,1,Q001,R0002,R0001,B",
            "P0001,1,Q001,R0002,R0001",
            "trials.csv, row 2: 5 fields but the header has 6",
            id="short-row",
        ),
        pytest.param(
            "gsp_small",
            "trials.csv",
            "P0001,P0001/0,0,1,B01,certainty,0.07207541713,false,0.73",
            "P0001,P0001/0,0,1,B01,certainty,0.07207541713,false,1.73",
            "trials.csv, row 2, column 'response': 1.73 is outside the range of 'certainty'",
            id="out-of-range",
        ),
        pytest.param(
            "gsp_small",
            "trials.csv",
            "P0001,P0001/0,1,1,B01,verbosity",
            "P0001,P0001/0,1,1,B01,tone",
            "trials.csv, row 3, column 'dimension': unknown dimension 'tone'",
            id="unknown-dimension",
        ),
        pytest.param(
            "gsp_small",
            "nodes.csv",
            "P0001/0,0,certainty,0.7099192024",
            "P0001/0,-1,certainty,0.7099192024",
            "nodes.csv, row 2, column 'node': '-1' is not valid: Input should be greater than or equal to 0",
            id="negative-node",
        ),
        pytest.param(
            "gsp_small",
            "manifest.json",
            '"version": 1',
            '"version": 2',
            "manifest.json, key 'version'",
            id="unknown-version",
        ),
    ],
)
def test_malformed_export_gives_one_line_naming_file_row_column(
    tmp_path: Path, source: str, file: str, old: str, new: str, message: str
) -> None:
    folder = _corrupt(tmp_path, source, file, old, new)
    design = "pairwise" if source.startswith("pairwise") else "gsp"
    res = runner.invoke(
        app, ["study", "analyze", str(folder), "--design", design, "--out", str(tmp_path / "out")]
    )
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ")
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "out" / "report.md").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--design", "gsp"],
            "the export is 'pairwise' but --design is 'gsp'",
            id="design-mismatch",
        ),
        pytest.param(
            ["--design", "pairwise", "--study", "nope.yaml"], "nope.yaml", id="missing-study-file"
        ),
    ],
)
def test_analyze_option_errors(tmp_path: Path, args: list[str], message: str) -> None:
    res = runner.invoke(
        app, ["study", "analyze", str(DATA / "pairwise_small"), "--out", str(tmp_path / "o"), *args]
    )
    assert res.exit_code == 2
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_missing_export_folder_and_manifest(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        [
            "study",
            "analyze",
            str(tmp_path / "none"),
            "--design",
            "pairwise",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 2
    assert "no such folder" in res.stderr
    (tmp_path / "empty").mkdir()
    res = runner.invoke(
        app,
        [
            "study",
            "analyze",
            str(tmp_path / "empty"),
            "--design",
            "pairwise",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 2
    assert "missing file 'manifest.json'" in res.stderr


def test_simulate_rejects_a_study_of_the_other_design(tmp_path: Path) -> None:
    study = Path(__file__).parents[2] / "studies" / "style_preference" / "study.yaml"
    res = runner.invoke(
        app,
        [
            "study",
            "simulate",
            "--design",
            "pairwise",
            "--out",
            str(tmp_path),
            "--study",
            str(study),
        ],
    )
    assert res.exit_code == 2
    assert "design is 'gsp' but --design is 'pairwise'" in res.stderr

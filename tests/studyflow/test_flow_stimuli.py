"""stimuli.csv: coverage checks and one-line errors naming row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from edutools.errors import DataError
from edutools.studyflow import read_stimuli
from edutools.survey.config import load_study


def _edit(path: Path, row: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert old in lines[row - 1]
    lines[row - 1] = lines[row - 1].replace(old, new, 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_complete_set_reads_and_looks_up(study_path: Path) -> None:
    study = load_study(study_path)
    stimuli = read_stimuli(study_path.parent / "stimuli.csv", study)
    assert len(stimuli.stimuli) == 2 * 3 * 3
    hit = stimuli.lookup("water", (5.0, 1))
    assert hit.id == "water-5-1"
    assert hit.text.startswith("[authoritativeness 5, certainty 1]")
    with pytest.raises(DataError, match="no rewrite of 'water' at authoritativeness=2"):
        stimuli.lookup("water", (2, 1))


@pytest.mark.parametrize(
    ("row", "old", "new", "message"),
    [
        pytest.param(1, "text", "body", "row 1 (header): missing column 'text'", id="header"),
        pytest.param(
            2,
            "water,1,1",
            "water,x,1",
            "row 2, column 'authoritativeness': 'x' is not a number",
            id="not-a-number",
        ),
        pytest.param(
            2,
            "water,1,1",
            "water,2,1",
            "row 2, column 'authoritativeness': 2 is not a level",
            id="not-a-level",
        ),
        pytest.param(
            3,
            ",water,",
            ",tea,",
            "row 3, column 'base_item': unknown base item 'tea'",
            id="unknown-item",
        ),
        pytest.param(
            3,
            "water-1-3",
            "water-1-1",
            "row 3, column 'stimulus_id': duplicate id 'water-1-1'",
            id="duplicate-id",
        ),
        pytest.param(
            3,
            "water,1,3",
            "water,1,1",
            "row 3: a second rewrite of 'water' at the same levels as row 2",
            id="duplicate-cell",
        ),
    ],
)
def test_bad_stimuli(study_path: Path, row: int, old: str, new: str, message: str) -> None:
    path = study_path.parent / "stimuli.csv"
    _edit(path, row, old, new)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_stimuli(path, load_study(study_path))


def test_gsp_study_needs_every_combination(study_path: Path) -> None:
    path = study_path.parent / "stimuli.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(
        DataError, match="no rewrite of base item 'loans' at authoritativeness=5, certainty=5"
    ):
        read_stimuli(path, load_study(study_path))


def test_missing_file(study_path: Path) -> None:
    with pytest.raises(DataError, match=r"needs its rewrites in stimuli\.csv"):
        read_stimuli(study_path.parent / "nope.csv", load_study(study_path))


def test_style_transfer_output_is_accepted(study_path: Path) -> None:
    """The rewrite table of edutools.survey.transfer, saved as CSV, is a stimulus file."""
    import pandas as pd

    path = study_path.parent / "stimuli.csv"
    frame = pd.read_csv(path).drop(columns=["stimulus_id"])
    frame["status"], frame["error"], frame["model"] = "ok", "", "stub"
    frame.to_csv(path, index=False)
    study = load_study(study_path)
    stimuli = read_stimuli(path, study)
    assert stimuli.lookup("loans", (3, 5)).id == "loans-3-5"
    frame.loc[frame.index[-1], "status"] = "failed"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match="no rewrite of base item 'loans' at authoritativeness=5"):
        read_stimuli(path, study)

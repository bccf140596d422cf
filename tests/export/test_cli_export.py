"""``edutools export``: every format from a bank file; one-line errors with exit code 2."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edutools import io
from edutools.cli import app
from edutools.schema import Item, ItemBank, Option, Provenance


@pytest.fixture
def bank_file(tmp_path: Path) -> Path:
    statuses = ["accepted", "accepted", "draft", "rejected"]
    items = [
        Item(
            id=f"i{n}",
            source="local",
            concept_id="c",
            form="correct_key",
            stem="Which is right?",
            options=[Option(text=f"option {j}", is_key=j == 0) for j in range(4)],
            status=status,  # type: ignore[arg-type]
        )
        for n, status in enumerate(statuses, start=1)
    ]
    bank = ItemBank(course_id="bio", k=4, items=items, run=Provenance(engine="local"))
    return io.write_item_bank(bank, tmp_path / "bank.json")


@pytest.mark.parametrize("fmt", ["gift", "moodle", "qti", "csv"])
def test_export_each_format_takes_accepted_items(bank_file: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"quiz.{fmt}"
    result = CliRunner().invoke(app, ["export", str(bank_file), "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote 2 accepted items (correct_key 2) as {fmt}" in result.output
    assert "left out: 1 draft, 1 rejected" in result.output
    assert out.stat().st_size > 0
    if fmt == "qti":
        assert "imsmanifest.xml" in zipfile.ZipFile(out).namelist()


@pytest.mark.parametrize(
    ("status", "rows"),
    [
        pytest.param("accepted", 2, id="accepted"),
        pytest.param("reviewed", 3, id="reviewed"),
        pytest.param("all", 4, id="all"),
    ],
)
def test_status_choice(bank_file: Path, tmp_path: Path, status: str, rows: int) -> None:
    out = tmp_path / "quiz.csv"
    result = CliRunner().invoke(
        app, ["export", str(bank_file), "-f", "csv", "-o", str(out), "--status", status]
    )
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == rows + 1


def test_include_rejected_is_status_all(bank_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    result = CliRunner().invoke(
        app, ["export", str(bank_file), "-f", "csv", "-o", str(out), "--include-rejected"]
    )
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 5


def test_nothing_accepted_says_how_to_accept(tmp_path: Path) -> None:
    item = Item(
        id="i1",
        source="local",
        concept_id="c",
        form="correct_key",
        stem="Which is right?",
        options=[Option(text=f"option {j}", is_key=j == 0) for j in range(4)],
    )
    bank = io.write_item_bank(
        ItemBank(course_id="bio", k=4, items=[item], run=Provenance(engine="local")),
        tmp_path / "bank.json",
    )
    out = tmp_path / "quiz.gift"
    result = CliRunner().invoke(app, ["export", str(bank), "-f", "gift", "-o", str(out)])
    assert result.exit_code == 2
    assert "no accepted items to export (1 draft, 0 rejected)" in result.output
    assert "edutools accept" in result.output
    assert not out.exists()
    accepted = CliRunner().invoke(app, ["accept", str(bank), "--all", "--out", str(bank)])
    assert accepted.exit_code == 0, accepted.output
    assert "1 item(s) newly accepted" in accepted.output
    again = CliRunner().invoke(app, ["export", str(bank), "-f", "gift", "-o", str(out)])
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["missing.json", "--format", "gift"], "no such file", id="missing-bank"),
        pytest.param(["{bank}", "--format", "docx"], "'docx' is not one of", id="bad-format"),
    ],
)
def test_errors(bank_file: Path, tmp_path: Path, args: list[str], message: str) -> None:
    args = [a.replace("{bank}", str(bank_file)) for a in args]
    result = CliRunner().invoke(app, ["export", *args, "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_invalid_bank_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bank.json"
    bad.write_text('{"course_id": "c", "items": [{"id": "x"}], "run": {"engine": "local"}}')
    result = CliRunner().invoke(
        app, ["export", str(bad), "--format", "gift", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert result.output.startswith("error: bank.json")
    assert len(result.output.strip().splitlines()) == 1

"""``edutools claims``, ``generate --claims``, ``evaluate`` and ``accept`` from the shell."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from edutools import io
from edutools.cli import app

COURSE = str(io.example_course_dir())
LABELS = str(io.example_course_dir() / "answer_labels.csv")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_claims_label_generate_evaluate(tmp_path: Path) -> None:
    claims = tmp_path / "claims.csv"
    code, out = invoke("claims", COURSE, "--out", str(claims), "-q", "Q05")
    assert code == 0, out
    assert "claims from 1 questions" in out
    with claims.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["question_id"] for r in rows} == {"Q05"}
    assert all(r["label"] == "" and r["answer_ids"] for r in rows)
    # the instructor labels the first 8 claims of the question from the ground truth
    with open(LABELS, encoding="utf-8") as fh:
        truth = {r["answer_id"]: r["label"] for r in csv.DictReader(fh)}
    for r in rows[:8]:
        ids = r["answer_ids"].split(";")
        wrong = sum(truth[a].startswith("misconception") for a in ids)
        r["label"] = "foil" if wrong * 2 > len(ids) else "correct"
    with claims.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    bank_path = tmp_path / "bank.json"
    code, out = invoke(
        "generate", COURSE, "-q", "Q05", "--claims", str(claims), "--confirmed-only",
        "--out", str(bank_path),
    )  # fmt: skip
    assert code == 0, out
    bank = io.read_item_bank(bank_path)
    labelled = {r["claim_id"] for r in rows[:8]}
    used = {o.assertion_id for i in bank.items for o in i.options}
    assert used <= labelled | {a.id for a in bank.assertions if a.basis == "reference"}
    assert bank.answer_ids["Q05"]
    code, out = invoke("evaluate", str(bank_path), "--labels", LABELS, "--json")
    assert code == 0, out
    figures = json.loads(out)
    assert figures["foil_precision"] == 1.0
    assert figures["items"] == len(bank.items)
    # the next round keeps the labels and asks for the rest
    again = tmp_path / "claims2.csv"
    code, out = invoke("claims", COURSE, "-q", "Q05", "--claims", str(claims), "--out", str(again))
    assert code == 0, out
    assert "8 labelled" in out
    with again.open(encoding="utf-8") as fh:
        second = list(csv.DictReader(fh))
    assert sorted(r["claim_id"] for r in second if r["label"]) == sorted(labelled)
    assert all(r["label"] for r in second[-8:])


def test_claims_for_the_wrong_engine_or_course(tmp_path: Path) -> None:
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "claim_id,question_id,text,predicted,confidence,n_students,answer_ids,label\n"
        "X-c1,X,Something.,foil,0.5,1,A1,foil\n",
        encoding="utf-8",
    )
    code, out = invoke(
        "generate", COURSE, "--claims", str(claims), "--out", str(tmp_path / "b.json")
    )
    assert code == 2
    assert "claims.csv, row 2, column 'question_id': unknown question 'X'" in out
    code, out = invoke(
        "generate",
        COURSE,
        "--engine",
        "anaquest",
        "--claims",
        str(claims),
        "--out",
        str(tmp_path / "b.json"),
    )
    assert code == 2
    assert "work with the local engine" in out


def test_confirmed_only_without_any_label_says_what_to_do(tmp_path: Path) -> None:
    claims = tmp_path / "claims.csv"
    code, _ = invoke("claims", COURSE, "-q", "Q05", "--out", str(claims))
    assert code == 0
    out_file = str(tmp_path / "b.json")
    code, out = invoke(
        "generate", COURSE, "--claims", str(claims), "--confirmed-only", "--out", out_file
    )
    assert code == 2
    assert "claims.csv has no label: fill the label column" in out
    assert len([line for line in out.splitlines() if line.strip()]) <= 2  # engine line, error
    code, out = invoke("generate", COURSE, "--confirmed-only", "--out", out_file)
    assert code == 2
    assert "no --claims file" in out
    assert not Path(out_file).exists()


def test_evaluate_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "labels.csv"
    bad.write_text("answer_id,label\nA0001,great\n", encoding="utf-8")
    bank = tmp_path / "bank.json"
    assert invoke("generate", COURSE, "-q", "Q01", "--out", str(bank))[0] == 0
    code, out = invoke("evaluate", str(bank), "--labels", str(bad))
    assert code == 2
    assert out.strip() == (
        "error: labels.csv, row 2, column 'label': 'great' is not a label; expected one of "
        "correct, partial, incorrect, contradictory, off_topic"
    )


def test_accept_unflagged_then_export(tmp_path: Path) -> None:
    bank = tmp_path / "bank.json"
    assert invoke("generate", COURSE, "-q", "Q02", "--out", str(bank))[0] == 0
    code, out = invoke("accept", str(bank), "--out", str(bank))
    assert code == 2
    assert "say which items to accept" in out
    code, out = invoke("accept", str(bank), "--unflagged", "--out", str(bank))
    assert code == 0, out
    accepted = [i for i in io.read_item_bank(bank).items if i.status == "accepted"]
    assert all(not [f for f in i.flags if f.severity != "info"] for i in accepted)
    code, out = invoke("export", str(bank), "--format", "moodle", "--out", str(tmp_path / "q.xml"))
    if accepted:
        assert code == 0, out
        assert f"wrote {len(accepted)} accepted items" in out
    else:
        assert code == 2

"""Test assembly: optimal against exhaustive search, better than random forms, CLI to four LMS formats."""

from __future__ import annotations

import csv
import itertools
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _cli import cli_runner

from edutools import io
from edutools.cli import app
from edutools.errors import DataError
from edutools.irt.assembly import (
    Assembly,
    Pool,
    Spec,
    assemble,
    check_forms,
    form_banks,
    information_chart,
    information_table,
    objective_value,
    random_forms,
)
from edutools.schema import Assertion, Item, ItemBank, Option, Provenance

EXAMPLE = Path(io.__file__).parents[1] / "data" / "example_responses"
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"


def _cli(*args: str) -> tuple[int, str, str]:
    result = cli_runner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def example_calibration(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``edutools calibrate --json`` on the example responses, saved as a file."""
    code, out, err = _cli("calibrate", str(EXAMPLE / "responses.csv"), "--model", "2pl", "--json")
    assert code == 0, err
    path = tmp_path_factory.mktemp("calibration") / "calibration.json"
    path.write_text(out)
    return path


@pytest.fixture(scope="module")
def example_bank() -> ItemBank:
    return io.read_item_bank(EXAMPLE / "items.json")


# --------------------------------------------------------------------------- a small pool


def _small_bank(n_concepts: int = 3, per: int = 4) -> tuple[ItemBank, dict[str, object]]:
    """Items in concepts with a few shared assertions, and a 2PL calibration of them."""
    rng = np.random.default_rng(11)
    assertions, items, cal_items = [], [], []
    shared = {1: "S1", 2: "S1", 5: "S2", 9: "S2", 10: "S3", 11: "S3", 6: "S4"}
    for j in range(n_concepts * per):
        own = [f"A{j}-{k}" for k in range(3)]
        aids = [*own[:2], shared.get(j, own[2])]
        items.append(
            Item(
                id=f"I{j:02d}",
                source="human",
                concept_id=f"C{j // per}",
                form="correct_key",
                stem=f"Which statement about topic {j} is correct?",
                options=[
                    Option(text=f"Statement {a} is right.", is_key=k == 0, assertion_id=a)
                    for k, a in enumerate(aids)
                ],
            )
        )
        a = float(rng.uniform(0.6, 2.2))
        cal_items.append({"item": f"I{j:02d}", "a": a, "d": -a * float(rng.normal()), "c": None})
    for aid in {o.assertion_id for i in items for o in i.options}:
        assert aid is not None
        truth = "correct" if aid.endswith("-0") else "foil"
        assertions.append(Assertion(id=aid, question_id="Q", text=f"{aid} text", truth=truth))
    bank = ItemBank(
        course_id="c", items=items, assertions=assertions, run=Provenance(engine="human")
    )
    return bank, {"model": "2pl", "items": cal_items}


def _brute_force(cal: dict[str, object], pool: Pool, spec: Spec) -> float:
    """The best objective over every feasible form (or disjoint pair of forms)."""
    info = information_table(cal, spec.target_theta)
    one = Spec(**{**spec.__dict__, "n_forms": 1, "overlap": 0})
    feasible = [
        f
        for f in itertools.combinations(pool.items, spec.n_items)
        if not check_forms(pool, one, [f])
    ]
    score = {f: objective_value(info[list(f)].sum(axis=1).to_numpy(), spec) for f in feasible}
    better = min if spec.mode == "absolute" else max
    if spec.n_forms == 1:
        return better(score.values())
    worst = max if spec.mode == "absolute" else min
    return better(
        worst(score[f], score[g])
        for f, g in itertools.combinations(feasible, 2)
        if not set(f) & set(g)
    )


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(Spec(n_items=4), id="max-at-0"),
        pytest.param(Spec(n_items=4, per_concept=(1, 2)), id="per-concept"),
        pytest.param(Spec(n_items=5, per_concept=(1, 2), target_theta=(-1.0, 1.0)), id="maximin"),
        pytest.param(
            Spec(n_items=4, target_theta=(-1.0, 0.0, 1.0), target_info=(1.0, 1.5, 1.0)),
            id="absolute-target",
        ),
        pytest.param(
            Spec(n_items=4, target_theta=(-1.0, 1.0), target_info=(1.0, 2.0), relative=True),
            id="relative-target",
        ),
        pytest.param(Spec(n_items=4, n_forms=2, per_concept=(1, 2)), id="two-forms"),
    ],
)
def test_optimal_as_exhaustive_search(spec: Spec) -> None:
    bank, cal = _small_bank()
    pool = Pool.from_bank(bank)
    assert pool.enemies == ((1, 2), (5, 9), (10, 11))  # I06's assertion S4 is its own
    result = assemble(cal, bank, spec, mip_gap=1e-9)  # the program is exact, not only close
    assert check_forms(pool, spec, result.forms) == []
    best = _brute_force(cal, pool, spec)
    if spec.mode == "absolute":
        assert result.objective == pytest.approx(best, abs=1e-6)
    else:
        assert result.objective == pytest.approx(best, rel=1e-6)
    assert result.status == "optimal"


def test_enemies_and_overlap_are_respected() -> None:
    bank, cal = _small_bank(n_concepts=3, per=6)
    pool = Pool.from_bank(bank)
    free = assemble(cal, bank, Spec(n_items=8, enemies=False))
    kept = assemble(cal, bank, Spec(n_items=8))
    assert check_forms(pool, Spec(n_items=8), kept.forms) == []
    assert kept.objective <= free.objective
    spec = Spec(n_items=7, n_forms=3, overlap=2)
    result = assemble(cal, bank, spec)
    assert check_forms(pool, spec, result.forms) == []
    shared = [len(set(a) & set(b)) for a, b in itertools.combinations(result.forms, 2)]
    assert max(shared) <= 2
    assert sum(len(f) for f in result.forms) > len(pool.items)  # overlap was needed


def test_check_forms_names_every_broken_constraint() -> None:
    bank, _ = _small_bank()
    pool = Pool.from_bank(bank)
    spec = Spec(n_items=3, n_forms=2, per_concept=(1, 1))
    problems = check_forms(pool, spec, [("I01", "I02", "I03"), ("I03", "I04", "I08")])
    assert "form 1: I01 and I02 share an assertion" in problems
    assert "form 1: concept C0 has 3 items" in problems
    assert "forms 1 and 2 share 1 items (at most 0)" in problems


# --------------------------------------------------------------------------- the example


def test_example_form_beats_1000_random_feasible_forms(
    example_calibration: Path, example_bank: ItemBank
) -> None:
    cal = json.loads(example_calibration.read_text())
    spec = Spec(n_items=20, per_concept=(1, 3))
    result = assemble(cal, example_bank, spec)
    pool = Pool.from_bank(example_bank)
    assert check_forms(pool, spec, result.forms) == []
    assert pool.enemies  # the example bank's select-all items share assertions
    info = information_table(cal, [0.0])
    randoms = random_forms(pool, spec, 1000, seed=20261206)
    assert len(set(randoms)) == 1000
    assert all(check_forms(pool, spec, [f]) == [] for f in randoms)
    best_random = max(float(info[list(f)].sum(axis=1).iloc[0]) for f in randoms)
    at_zero = float(result.at_targets["information"].iloc[0])
    assert at_zero == pytest.approx(float(info[list(result.forms[0])].sum(axis=1).iloc[0]))
    assert at_zero >= best_random
    # The same form from the Calibration object and from its JSON.
    assert result.to_dict()["forms"] == Assembly.from_dict(result.to_dict()).to_dict()["forms"]


def test_assemble_cli_and_export_in_four_formats(example_calibration: Path, tmp_path: Path) -> None:
    out = tmp_path / "form.json"
    code, stdout, err = _cli(
        "assemble", str(example_calibration), str(EXAMPLE / "items.json"),
        "--items", "20", "--per-concept", "1:3", "--out", str(out), "--json",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(stdout)
    form = summary["forms"][0]
    assert len(form) == 20
    assert summary["objective"] >= summary["random_baseline"]["best"]
    bank = io.read_item_bank(out)
    assert [i.id for i in bank.items] == form
    assert {i.status for i in bank.items} == {"accepted"}
    assert bank.run.engine == "assembly"
    png = tmp_path / "form-information.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    stems = {i.id: i.stem for i in bank.items}
    for fmt, name in [("gift", "q.gift"), ("moodle", "q.xml"), ("qti", "q.zip"), ("csv", "q.csv")]:
        code, _, err = _cli("export", str(out), "--format", fmt, "--out", str(tmp_path / name))
        assert code == 0, err
    gift = (tmp_path / "q.gift").read_text(encoding="utf-8")
    titles = re.findall(r"^::([^:]+)::", gift, flags=re.M)
    assert sorted(titles) == sorted(form)
    assert gift.count("{") - gift.count("\\{") == gift.count("}") - gift.count("\\}") >= 20
    root = ET.parse(tmp_path / "q.xml").getroot()
    names = [
        q.findtext("name/text", "") for q in root.iter("question") if q.get("type") != "category"
    ]
    assert sorted(names) == sorted(form)
    with zipfile.ZipFile(tmp_path / "q.zip") as zf:
        docs = [ET.fromstring(zf.read(n)) for n in zf.namelist() if n.endswith(".xml")]
    qti_items = [i for d in docs for i in d.iter(f"{QTI}item")]
    assert sorted(i.get("title", "") for i in qti_items) == sorted(form)
    with (tmp_path / "q.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["id"] for r in rows) == sorted(form)
    assert all(r["stem"] == stems[r["id"]] and r["status"] == "accepted" for r in rows)


def test_several_forms_from_the_cli(example_calibration: Path, tmp_path: Path) -> None:
    code, stdout, err = _cli(
        "assemble", str(example_calibration.parent), str(EXAMPLE / "items.json"),
        "--items", "15", "--forms", "3", "--per-concept", "1:2", "--target-theta", "-1,0,1",
        "--out", str(tmp_path / "form.json"),
    )  # fmt: skip
    assert code == 0, err
    assert "smallest information at the targets" in stdout
    forms = [io.read_item_bank(tmp_path / f"form-{f}.json") for f in (1, 2, 3)]
    ids = [{i.id for i in b.items} for b in forms]
    assert all(len(s) == 15 for s in ids)
    assert not (ids[0] & ids[1])
    assert not (ids[0] & ids[2])
    assert not (ids[1] & ids[2])


def test_target_curve_from_a_file(example_calibration: Path, tmp_path: Path) -> None:
    target = tmp_path / "target.csv"
    target.write_text("theta,information\n-1,4\n0,5\n1,4\n")
    code, stdout, err = _cli(
        "assemble", str(example_calibration), str(EXAMPLE / "items.json"), "--items", "20",
        "--target-info", str(target), "--out", str(tmp_path / "f.json"), "--json",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(stdout)
    got = [r["information"] for r in result["at_targets"]]
    assert np.abs(np.array(got) - [4, 5, 4]).max() == pytest.approx(result["objective"])
    assert result["objective"] < 0.05
    assert result["objective"] <= result["random_baseline"]["best"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--items", "20", "--per-concept", "3:3"],
            "at least 3 item(s) from each of 10 concepts is 30 items, more than the 20 per "
            "form; lower the per-concept minimum or raise the number of items",
            id="concept-minimum",
        ),
        pytest.param(
            ["--items", "30", "--forms", "3"],
            "3 forms of 30 items that share no item need 90 items; the pool has 68",
            id="too-many-forms",
        ),
        pytest.param(
            ["--items", "20", "--per-concept", "0:1"],
            "at most 1 item(s) from each of 10 concepts is 10 items, fewer than the 20",
            id="concept-maximum",
        ),
        pytest.param(["--items", "10", "--per-concept", "1:x"], "is not MIN:MAX", id="bad-range"),
        pytest.param(["--items", "10", "-t", "high"], "'high' is not a number", id="bad-theta"),
        pytest.param(["--items", "0"], "items per form must be at least 1", id="no-items"),
        pytest.param(["--items", "5", "--relative"], "--relative needs a target", id="relative"),
    ],
)
def test_errors_are_one_line(
    example_calibration: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    code, _stdout, err = _cli(
        "assemble", str(example_calibration), str(EXAMPLE / "items.json"),
        *args, "--out", str(tmp_path / "f.json"),
    )  # fmt: skip
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert not (tmp_path / "f.json").exists()


def test_infeasible_names_what_to_relax(example_bank: ItemBank, example_calibration: Path) -> None:
    cal = json.loads(example_calibration.read_text())
    # 3 items of each concept on each of 2 forms uses all 6 items of the six-item concepts,
    # some of which share assertions.
    message = (
        "it would be possible if you allow items that share an assertion on one form or "
        "allow more overlap between forms"
    )
    with pytest.raises(DataError, match=message):
        assemble(cal, example_bank, Spec(n_items=30, n_forms=2, per_concept=(3, 3)))


def test_missing_items_and_bad_files(
    example_calibration: Path, example_bank: ItemBank, tmp_path: Path
) -> None:
    cal = json.loads(example_calibration.read_text())
    cal["items"] = cal["items"][3:]
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(cal))
    bank = str(EXAMPLE / "items.json")
    code, _, err = _cli("assemble", str(partial), bank, "--items", "5", "--out", "f.json")
    assert code == 2
    assert err == (
        "error: items.json: 3 item(s) have no parameters in partial.json (H01, H02, H03); "
        "calibrate responses that include them, or pass --calibrated-only\n"
    )
    out = tmp_path / "f.json"
    code, _, err = _cli(
        "assemble", str(partial), bank, "--items", "5", "--calibrated-only", "--random", "0",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert "3 bank item(s) without parameters were left out" in err
    assert not {"H01", "H02", "H03"} & {i.id for i in io.read_item_bank(out).items}
    with pytest.raises(DataError, match="have no parameters in the calibration"):
        assemble(cal, example_bank, Spec(n_items=5))
    not_json = tmp_path / "x.json"
    not_json.write_text("{oops")
    code, _, err = _cli("assemble", str(not_json), bank, "--items", "5", "--out", str(out))
    assert code == 2
    assert "x.json: not JSON" in err
    bad_target = tmp_path / "t.csv"
    bad_target.write_text("theta,information\n0,5\n1,lots\n")
    code, _, err = _cli(
        "assemble", str(example_calibration), bank, "--items", "5",
        "--target-info", str(bad_target), "--out", str(out),
    )  # fmt: skip
    assert code == 2
    assert err == "error: t.csv, row 3, column 'information': 'lots' is not a finite number\n"


def test_form_banks_and_chart(example_calibration: Path, example_bank: ItemBank) -> None:
    cal = json.loads(example_calibration.read_text())
    spec = Spec(n_items=10, n_forms=2, per_concept=(0, 2), target_theta=(-1.0, 1.0))
    result = assemble(cal, example_bank, spec)
    banks = form_banks(example_bank, result, inputs={"bank": "abc"})
    for bank, form in zip(banks, result.forms, strict=True):
        assert tuple(i.id for i in bank.items) == form
        used = {o.assertion_id for i in bank.items for o in i.options}
        assert {a.id for a in bank.assertions} == used - {None}
        assert bank.run.parameters["n_items"] == 10
    assert banks[0].run.input_hash != banks[1].run.input_hash
    curves = result.curves
    assert set(curves["form"]) == {"1", "2"}
    peak = curves.loc[curves.groupby("form")["information"].idxmax(), "theta"]
    assert (peak.abs() <= 1.5).all()
    from edutools.app.research import chart_png

    assert chart_png(information_chart(result)).startswith(b"\x89PNG")
    # Saved and reloaded, the result is the same.
    again = Assembly.from_dict(json.loads(json.dumps(result.to_dict())))
    pd.testing.assert_frame_equal(again.at_targets, result.at_targets, check_dtype=False)
    assert again.spec == result.spec


def test_information_table_rejects_empty_input() -> None:
    with pytest.raises(DataError, match="no 'items' list"):
        information_table({"model": "2pl"}, [0.0])
    with pytest.raises(DataError, match="finite slope a and thresholds"):
        information_table(
            {"model": "gpcm", "items": [{"item": "Q1", "a": None, "thresholds": [0.0]}]}, [0]
        )


def _poly_json(model: str) -> dict[str, Any]:
    rng = np.random.default_rng(8)
    items = []
    for j in range(12):
        a = 1.0 if model == "pcm" else float(rng.uniform(0.7, 2.0))
        k = 1 + j % 3  # 0/1, 0..2 and 0..3 items mixed
        b = np.sort(rng.normal(size=k)) if model == "grm" else rng.normal(size=k)
        items.append({"item": f"I{j:02d}", "a": a, "thresholds": [float(v) for v in b]})
    return {"model": model, "items": items}


@pytest.mark.parametrize("model", ["gpcm", "pcm", "grm"])
def test_polytomous_information_and_optimal_forms(model: str) -> None:
    cal = _poly_json(model)
    theta = np.array([-1.0, 0.0, 0.7])
    info = information_table(cal, theta)
    # Fisher information from the category curves by numeric differentiation:
    # I(θ) = sum_k P_k'(θ)² / P_k(θ), for divide-by-total and graded models alike.
    from edutools.irt import PolyCalibration

    rows = cal["items"]
    poly = PolyCalibration.from_parameters(
        [r["item"] for r in rows], model, [r["a"] for r in rows], [r["thresholds"] for r in rows]
    )
    h = 1e-5
    up, mid, dn = (poly.category_probabilities(theta + s) for s in (h, 0.0, -h))
    fisher = np.column_stack(
        [(((u - d) / (2 * h)) ** 2 / m).sum(axis=1) for u, m, d in zip(up, mid, dn, strict=True)]
    )
    np.testing.assert_allclose(info.to_numpy(), fisher, rtol=1e-5)
    bank, _ = _small_bank()
    spec = Spec(n_items=4, per_concept=(1, 2), target_theta=(-1.0, 0.7))
    result = assemble(cal, bank, spec, mip_gap=1e-9)
    pool = Pool.from_bank(bank)
    assert check_forms(pool, spec, result.forms) == []
    assert result.objective == pytest.approx(_brute_force(cal, pool, spec), rel=1e-6)


def test_random_forms_are_seeded() -> None:
    bank, _ = _small_bank()
    pool = Pool.from_bank(bank)
    spec = Spec(n_items=4, per_concept=(1, 2))
    assert random_forms(pool, spec, 20, seed=3) == random_forms(pool, spec, 20, seed=3)
    assert random_forms(pool, spec, 20, seed=3) != random_forms(pool, spec, 20, seed=4)
    with pytest.raises(DataError, match="random feasible forms"):
        random_forms(pool, Spec(n_items=12, per_concept=(4, 4)), 5)


def test_cli_takes_a_polytomous_calibration(example_calibration: Path, tmp_path: Path) -> None:
    """A GPCM item with one threshold b is the 2PL item (a, b): the same forms, same objective."""
    cal = json.loads(example_calibration.read_text())
    gpcm = {
        "model": "gpcm",
        "items": [{"item": r["item"], "a": r["a"], "thresholds": [r["b"]]} for r in cal["items"]],
    }
    path = tmp_path / "gpcm.json"
    path.write_text(json.dumps(gpcm))
    results = []
    for source in (path, example_calibration):
        code, stdout, err = _cli(
            "assemble", str(source), str(EXAMPLE / "items.json"), "--items", "20",
            "--per-concept", "1:3", "--random", "0", "--out", str(tmp_path / "f.json"), "--json",
        )  # fmt: skip
        assert code == 0, err
        results.append(json.loads(stdout))
    assert results[0]["objective"] == pytest.approx(results[1]["objective"], rel=1e-9)
    assert results[0]["forms"] == results[1]["forms"]

"""``edutools calibrate``: the JSON contract, input shapes, outputs and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _cli import cli_runner

from edutools import io
from edutools.cli import app
from edutools.irt import simulate_items, simulate_responses
from edutools.schema import Item, ItemBank, Option, Provenance

KEYS = ["model", "n_persons", "n_items", "loglik", "aic", "bic", "items"]
ITEM_KEYS = ["item", "a", "b", "d", "c", "se_a", "se_b", "se_d"]


def _run(*args: str) -> tuple[int, str, str]:
    result = cli_runner().invoke(app, ["calibrate", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def lsat7_path(data_dir: Path) -> Path:
    return data_dir / "lsat7.csv"


def test_json_is_exactly_the_contract(lsat7_path: Path) -> None:
    code, out, _ = _run(str(lsat7_path), "--model", "2pl", "--json")
    assert code == 0
    obj = json.loads(out)
    assert list(obj) == KEYS
    assert [list(r) for r in obj["items"]] == [ITEM_KEYS] * 5
    assert obj["model"] == "2pl"
    assert obj["n_persons"] == 1000
    assert obj["n_items"] == 5
    assert obj["items"][0]["a"] == pytest.approx(0.988, abs=0.005)
    assert obj["items"][0]["c"] is None
    assert obj["aic"] == pytest.approx(-2 * obj["loglik"] + 20)


@pytest.mark.parametrize(
    ("model", "se_a_null", "c_null"),
    [
        pytest.param("rasch", True, True, id="rasch"),
        pytest.param("1pl", False, True, id="1pl"),
        pytest.param("3PL", False, False, id="3pl-any-case"),
    ],
)
def test_json_nulls_by_model(lsat7_path: Path, model: str, se_a_null: bool, c_null: bool) -> None:
    code, out, _ = _run(str(lsat7_path), "--model", model, "--json")
    assert code == 0
    row = json.loads(out)["items"][0]
    assert (row["se_a"] is None) == se_a_null
    assert (row["c"] is None) == c_null


@pytest.mark.parametrize("shape", ["long", "xlsx"])
def test_long_and_xlsx_inputs_give_the_same_fit(
    lsat7_path: Path, tmp_path: Path, shape: str
) -> None:
    frame = io.read_responses(lsat7_path)
    path = tmp_path / ("r.csv" if shape == "long" else "r.xlsx")
    io.write_responses(frame, path, shape="long" if shape == "long" else "wide")
    _, wide, _ = _run(str(lsat7_path), "--json")
    code, other, _ = _run(str(path), "--json")
    assert code == 0
    assert json.loads(other)["loglik"] == pytest.approx(json.loads(wide)["loglik"], abs=1e-8)


def test_constant_item_is_excluded_with_a_warning(lsat7_path: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(lsat7_path).assign(Q6=1)
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    code, out, err = _run(str(path), "--json")
    assert code == 0
    assert "warning: excluded 1 item(s) without variance" in err
    assert "Q6: all 1000 responses are 1" in err
    assert [r["item"] for r in json.loads(out)["items"]] == ["Q1", "Q2", "Q3", "Q4", "Q5"]


def _bank(path: Path) -> Path:
    items = []
    for j in range(1, 6):
        form = "correct_key" if j % 2 else "foil_key"
        keyed = 0 if form == "correct_key" else 1
        options = [Option(text=f"statement {j}.{k}", is_key=k == keyed) for k in range(4)]
        items.append(
            Item(
                id=f"Q{j}",
                source="human" if j <= 2 else "local",
                concept_id="c",
                form=form,
                stem="Which?",
                options=options,
            )
        )  # type: ignore[arg-type]
    bank = ItemBank(course_id="c", items=items, run=Provenance(engine="test"))
    io.write_item_bank(bank, path)
    return path


def test_out_writes_tables_charts_and_the_comparison(lsat7_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "cal"
    code, stdout, err = _run(
        str(lsat7_path), "--items", str(_bank(tmp_path / "bank.json")), "--out", str(out)
    )
    assert code == 0, err
    names = {p.name for p in out.iterdir()}
    assert names == {
        "items.csv",
        "abilities.csv",
        "fit.csv",
        "ctt.csv",
        "comparison.csv",
        "calibration.json",
        "icc.png",
        "information.png",
        "wright.png",
    }
    assert (out / "icc.png").read_bytes()[:4] == b"\x89PNG"
    items = pd.read_csv(out / "items.csv")
    assert items["source"].tolist() == ["human", "human", "local", "local", "local"]
    comparison = pd.read_csv(out / "comparison.csv")
    assert set(comparison["grouping"]) == {"source", "key_polarity"}
    assert set(comparison["metric"]) == {"a", "b", "p"}
    abilities = pd.read_csv(out / "abilities.csv")
    assert list(abilities.columns) == ["person", "theta", "se", "lz"]
    assert len(abilities) == 1000
    assert "2pl: 1000 persons" in stdout


def test_missing_data_still_writes_fit(tmp_path: Path) -> None:
    sim = simulate_responses(simulate_items(6, seed=1), 300, seed=2)
    X = sim.responses.to_numpy(copy=True)  # pandas 3 hands out read-only views
    X[np.arange(300), np.random.default_rng(0).integers(0, 6, 300)] = np.nan  # one gap per person
    path = tmp_path / "r.csv"
    pd.DataFrame(X, columns=sim.responses.columns).to_csv(path, index=False)
    code, _, err = _run(str(path), "--out", str(tmp_path / "o"))
    assert code == 0, err
    fit = pd.read_csv(tmp_path / "o" / "fit.csv")
    assert "infit" in fit.columns
    assert "S_X2" not in fit.columns  # no complete response vector


def test_unstructured_data_warn_about_extreme_estimates(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = (rng.random((300, 6)) < 0.6).astype(float)  # no latent trait at all
    path = tmp_path / "r.csv"
    pd.DataFrame(X, columns=[f"I{j}" for j in range(6)]).to_csv(path, index=False)
    code, _, err = _run(str(path), "--json")
    assert code == 0
    assert "extreme estimates" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["{lsat}", "--model", "4pl"],
            "error: --model '4pl' is not a model; choose one of rasch, 1pl, 2pl, 3pl",
            id="model",
        ),
        pytest.param(["missing.csv"], "error: missing.csv: no such file", id="no-file"),
        pytest.param(
            ["{lsat}", "--items", "{bank}", "--out", "{out}"],
            "error: no metadata for item(s) Q5",
            id="bank-lacks-item",
        ),
    ],
)
def test_errors_are_one_line_with_exit_code_2(
    lsat7_path: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    bank = _bank(tmp_path / "bank.json")
    data = json.loads(bank.read_text())
    data["items"] = data["items"][:4]
    bank.write_text(json.dumps(data))
    filled = [a.format(lsat=lsat7_path, bank=bank, out=tmp_path / "o") for a in args]
    code, _, err = _run(*filled)
    assert code == 2
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_fit_statistics_stay_finite_for_extreme_estimates(tmp_path: Path) -> None:
    """A slope of about -73 rounds P to exactly 0 or 1; lz, infit and outfit must not be NaN."""
    import warnings

    from edutools.irt import infit_outfit, person_fit
    from edutools.irt.report import fit_with_warnings

    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        (rng.random((300, 6)) < 0.6).astype(float), columns=[f"I{j}" for j in range(6)]
    )
    cal, messages = fit_with_warnings(X, "2pl")
    assert any("extreme estimates" in m for m in messages)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        lz = person_fit(cal, X)["lz"]
        fit = infit_outfit(cal, X)
    assert np.isfinite(lz).all()
    assert np.isfinite(fit[["infit", "outfit", "infit_t", "outfit_t"]].to_numpy()).all()

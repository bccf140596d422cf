"""Group comparison: a planted difference is found, a null one is not; references from statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import ttost_ind

from edutools.errors import DataError
from edutools.irt import TwoPL, compare_groups, holm, item_table
from edutools.irt.compare import bank_metadata
from edutools.schema import Item as BankItem
from edutools.schema import ItemBank, Option, Provenance

ALPHA = 0.05


def _items(shift: float, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "item": [f"i{k}" for k in range(2 * n)],
            "source": ["anaquest"] * n + ["human"] * n,
            "b": np.r_[rng.normal(shift, 0.6, n), rng.normal(0.0, 0.6, n)],
            "a": rng.lognormal(0, 0.25, 2 * n),
        }
    )


def test_planted_difference_is_found() -> None:
    out = compare_groups(_items(0.8, 40, seed=1), "source", metrics=["b"], alpha=ALPHA).iloc[0]
    assert out["significant"]
    assert out["p_holm"] < ALPHA
    assert out["median_diff_low"] > 0
    assert out["delta_low"] > 0
    assert not out["equivalent"]


def test_no_difference_is_not_found() -> None:
    out = compare_groups(_items(0.0, 40, seed=2), "source", metrics=["b", "a"], alpha=ALPHA)
    assert not out["significant"].any()
    assert (out["median_diff_low"] < 0).all()
    assert (out["median_diff_high"] > 0).all()


def test_false_positive_rate_stays_near_alpha() -> None:
    rejections = [
        bool(
            compare_groups(_items(0.0, 30, seed=s), "source", metrics=["b"], n_boot=10).iloc[0][
                "significant"
            ]
        )
        for s in range(200)
    ]
    assert np.mean(rejections) <= 0.09


def test_equivalence_within_margin_is_declared() -> None:
    out = compare_groups(
        _items(0.0, 200, seed=3), "source", metrics=["b"], margins={"b": 0.3}
    ).iloc[0]
    assert out["equivalent"]
    assert out["tost_p"] < ALPHA


def test_statistics_match_scipy_and_statsmodels() -> None:
    data = _items(0.4, 25, seed=4)
    out = compare_groups(data, "source", metrics=["b"]).iloc[0]
    x = data.loc[data["source"] == "anaquest", "b"].to_numpy()
    y = data.loc[data["source"] == "human", "b"].to_numpy()
    u = stats.mannwhitneyu(x, y, alternative="two-sided")
    assert out["mannwhitney_U"] == pytest.approx(u.statistic)
    assert out["p_value"] == pytest.approx(u.pvalue)
    assert out["cliffs_delta"] == pytest.approx(2 * u.statistic / (x.size * y.size) - 1)
    assert out["kruskal_p"] == pytest.approx(stats.kruskal(x, y).pvalue)
    p_tost, _, _ = ttost_ind(x, y, -0.5, 0.5, usevar="unequal")
    assert out["tost_p"] == pytest.approx(p_tost, rel=1e-8)


def test_three_groups_are_holm_adjusted() -> None:
    data = _items(0.0, 30, seed=5)
    data.loc[:19, "source"] = "baseline"
    out = compare_groups(data, "source", metrics=["b"])
    assert len(out) == 3
    np.testing.assert_allclose(out["p_holm"], multipletests(out["p_value"], method="holm")[1])
    assert out["kruskal_H"].nunique() == 1


@pytest.mark.parametrize("p", [[0.01, 0.04, 0.03], [0.5], [0.001, 0.2, 0.01, 0.04], [0.03, 0.03]])
def test_holm_matches_statsmodels(p: list[float]) -> None:
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"group": "colour"}, "no column 'colour'", id="column"),
        pytest.param({"group": "source", "metrics": ["z"]}, "none of the metrics", id="metric"),
        pytest.param({"group": "source", "alpha": 1.5}, "between 0 and 1", id="alpha"),
        pytest.param({"group": "one"}, "1 group", id="single-group"),
    ],
)
def test_compare_errors(kwargs: dict[str, object], match: str) -> None:
    data = _items(0.0, 5, seed=6).assign(one="x")
    with pytest.raises(DataError, match=match):
        compare_groups(data, **kwargs)  # type: ignore[arg-type]


def _bank() -> ItemBank:
    def item(i: str, form: str, source: str) -> BankItem:
        keyed = 0 if form == "correct_key" else 1
        opts = [Option(text=f"{i} option {k}", is_key=k == keyed) for k in range(4)]
        return BankItem(
            id=i, source=source, concept_id="c1", form=form, stem="Which?", options=opts
        )  # type: ignore[arg-type]

    items = [
        item("Q1", "correct_key", "human"),
        item("Q2", "foil_key", "human"),
        item("Q3", "correct_key", "local"),
        item("Q4", "foil_key", "local"),
        item("Q5", "correct_key", "local"),
    ]
    return ItemBank(course_id="c", items=items, run=Provenance(engine="test"))


def test_item_table_joins_bank_metadata(lsat7: pd.DataFrame) -> None:
    cal = TwoPL().fit(lsat7).calibration_
    table = item_table(cal, lsat7, _bank())
    assert table["key_polarity"].tolist() == ["correct", "foil", "correct", "foil", "correct"]
    assert table["p"].tolist() == pytest.approx([0.828, 0.658, 0.772, 0.606, 0.843])
    out = compare_groups(table, "key_polarity", n_boot=50)
    assert set(out["metric"]) == {"a", "b", "p"}
    assert bank_metadata(_bank())["source"].tolist() == [
        "human",
        "human",
        "local",
        "local",
        "local",
    ]


def test_item_table_requires_metadata_for_every_item(lsat7: pd.DataFrame) -> None:
    cal = TwoPL().fit(lsat7).calibration_
    with pytest.raises(DataError, match="no metadata for item"):
        item_table(cal, metadata=pd.DataFrame({"item": ["Q1"], "source": ["x"]}))

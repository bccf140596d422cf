"""Classical item analysis, distractor analysis and DIF: hand-checked cases and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from edutools.errors import DataError
from edutools.irt import distractor_analysis, item_analysis, mantel_haenszel, score_choices
from edutools.schema import Item as BankItem
from edutools.schema import ItemBank, Option, Provenance


def test_upper_lower_index_by_hand() -> None:
    # 10 persons: totals 0..4; with 27 % groups of 3 the lowest and highest three by total
    X = pd.DataFrame(
        {
            "A": [0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
            "B": [0, 0, 1, 1, 0, 1, 0, 1, 1, 1],
            "C": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
            "D": [0, 1, 0, 0, 0, 0, 0, 0, 1, 1],
        },
        dtype=float,
    )
    table = item_analysis(X).set_index("item")
    # totals: 0 1 1 1 1 2 2 3 4 4 -> lower = persons 0, 1, 2 ; upper = persons 7, 8, 9
    assert table.loc["A", "D"] == pytest.approx(1 - 0)
    assert table.loc["B", "D"] == pytest.approx(1 - 1 / 3)
    assert table.loc["D", "D"] == pytest.approx(2 / 3 - 1 / 3)
    assert table.loc["C", "p"] == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("data", "kwargs", "match"),
    [
        pytest.param(np.zeros((5, 2)), {}, "at least 3 items", id="two-items"),
        pytest.param(np.zeros((5, 4)), {"group_share": 0.7}, "group_share=0.7", id="share"),
    ],
)
def test_item_analysis_errors(data: np.ndarray, kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(DataError, match=match):
        item_analysis(data, **kwargs)


@pytest.fixture
def choices() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    theta = rng.normal(size=400)
    cols = {}
    for j, b in enumerate([-1.0, 0.0, 1.0]):
        p = 1 / (1 + np.exp(-(theta - b)))
        right = rng.random(400) < p
        wrong = rng.choice(["B", "C", "D"], size=400, p=[0.6, 0.38, 0.02])
        cols[f"Q{j + 1}"] = np.where(right, "A", wrong)
    frame = pd.DataFrame(cols)
    frame.iloc[0, 0] = None  # one omission
    return frame


def test_distractor_analysis_flags_rare_distractors(choices: pd.DataFrame) -> None:
    key = {"Q1": "A", "Q2": "A", "Q3": "A"}
    table = distractor_analysis(choices, key)
    rows = table.set_index(["item", "option"])
    assert rows.loc[("Q1", "A"), "is_key"]
    assert rows.loc[("Q1", "A"), "pbis"] > 0.2
    assert (rows.xs("D", level="option")["non_functioning"]).all()
    assert not rows.xs("B", level="option")["non_functioning"].any()
    shares = table.groupby("item")["share"].sum()
    np.testing.assert_allclose(shares, 1.0)
    assert (
        rows.loc[("Q1", "A"), "n"]
        + rows.loc[("Q1", "B"), "n"]
        + rows.loc[("Q1", "C"), "n"]
        + rows.loc[("Q1", "D"), "n"]
        == 399
    )


def test_distractor_analysis_with_a_bank_lists_unchosen_options() -> None:
    opts = [Option(text=t, is_key=(i == 1)) for i, t in enumerate(["w", "x", "y", "z"])]
    bank = ItemBank(
        course_id="c",
        items=[
            BankItem(
                id="Q1",
                source="human",
                concept_id="k",
                form="correct_key",
                stem="Which?",
                options=opts,
            )
        ],
        run=Provenance(engine="test"),
    )
    choices = pd.DataFrame({"Q1": ["B", "B", "A", "C", "B", "A"]})
    table = distractor_analysis(choices, bank).set_index("option")
    assert table.index.tolist() == ["A", "B", "C", "D"]
    assert table.loc["B", "is_key"]
    assert table.loc["D", "n"] == 0
    assert table.loc["D", "non_functioning"]
    assert score_choices(choices, bank)["Q1"].tolist() == [1, 1, 0, 0, 1, 0]


def test_distractor_errors() -> None:
    with pytest.raises(DataError, match="no key for item"):
        distractor_analysis(pd.DataFrame({"Q1": ["A"], "Q2": ["B"]}), {"Q1": "A"})
    with pytest.raises(DataError, match="must be a DataFrame"):
        score_choices([["A"]], {"Q1": "A"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"group": np.array(["r"] * 5)}, "5 labels for 10 persons", id="length"),
        pytest.param(
            {"group": np.array(["r"] * 10)}, "need persons in both groups", id="one-group"
        ),
    ],
)
def test_mantel_haenszel_errors(kwargs: dict[str, object], match: str) -> None:
    X = np.random.default_rng(0).integers(0, 2, (10, 4)).astype(float)
    with pytest.raises(DataError, match=match):
        mantel_haenszel(X, reference="r", **kwargs)  # type: ignore[arg-type]

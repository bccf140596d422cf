"""Saved analyses: natural keys, idempotent writes, last-opened order, JSON round trips.

The same tests run on SQLite and (when EDUTOOLS_TEST_PG_URL is set) PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from edutools.errors import DataError
from edutools.store import Store
from edutools.store.analyses import analyses, frame_from_json, frame_to_json, jsonable


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store.from_url(database_url)
    yield s
    s.close()


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item": ["Q1", "Q2", "Q3"],
            "a": [1.2, np.nan, 0.8],
            "n": [10, 20, 30],
            "is_key": [True, False, True],
            "flag": [None, "x", "y"],
        }
    )


def test_save_is_idempotent_and_keyed_by_inputs_and_settings(store: Store) -> None:
    data = store.save_input("responses", "lsat7.csv", {"values": [[1, 0], [None, 1]]})
    assert store.save_input("responses", "other name", {"values": [[1, 0], [None, 1]]}) == data
    first = store.save_analysis(
        "calibration", "2PL on lsat7", inputs={"responses": data}, settings={"model": "2pl"},
        result={"loglik": -2658.8},
    )  # fmt: skip
    again = store.save_analysis(
        "calibration", "a later title", inputs={"responses": data}, settings={"model": "2pl"},
        result={"loglik": 0.0},
    )  # fmt: skip
    assert again == first
    saved = store.get_analysis(first)
    assert saved is not None
    assert (saved.title, saved.result) == ("2PL on lsat7", {"loglik": -2658.8})  # first wins
    other = store.save_analysis(
        "calibration", "Rasch on lsat7", inputs={"responses": data}, settings={"model": "rasch"},
        result={"loglik": -2700.0},
    )  # fmt: skip
    assert other != first
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(analyses)).scalar_one() == 2
    assert store.load_input(data) == {"values": [[1, 0], [None, 1]]}
    found = store.find_analysis(
        "calibration", inputs={"responses": data}, settings={"model": "2pl"}
    )
    assert found is not None
    assert found.id == first


def test_last_opened_comes_first(store: Store) -> None:
    ids = []
    for model in ("rasch", "2pl", "3pl"):
        ids.append(
            store.save_analysis(
                "calibration", model, inputs={"r": "h"}, settings={"model": model}, result={}
            )
        )
        time.sleep(0.01)
    assert [a.id for a in store.list_analyses("calibration")] == ids[::-1]
    last = store.last_analysis("calibration")
    assert last is not None
    assert last.id == ids[2]
    time.sleep(0.01)
    store.open_analysis(ids[0])  # reopened from the list
    last = store.last_analysis("calibration")
    assert last is not None
    assert last.id == ids[0]
    comparison = store.save_analysis(
        "comparison", "by source", inputs={}, settings={"group": "source"}, result={},
        parent_id=ids[0],
    )  # fmt: skip
    assert [a.id for a in store.list_analyses(parent_id=ids[0])] == [comparison]
    assert store.list_analyses("comparison", parent_id=ids[1]) == []
    assert store.last_analysis("assembly") is None
    with pytest.raises(DataError, match="no saved analysis with id 999"):
        store.open_analysis(999)
    with pytest.raises(DataError, match="run the analysis again"):
        store.load_input("0" * 64)
    with pytest.raises(DataError, match="unknown analysis kind"):
        store.save_analysis("plot", "x", inputs={}, settings={}, result={})


def test_tables_round_trip_through_json_without_nan(store: Store) -> None:
    table = _table()
    abilities = pd.DataFrame(
        {"theta": [0.1, -0.4], "se": [0.3, np.inf]}, index=pd.Index(["s1", "s2"], name="person")
    )
    result = {
        "tables": {"parameters": frame_to_json(table), "abilities": frame_to_json(abilities, index=True)},
        "alpha": np.float64(np.nan),
        "n": np.int64(3),
        "vector": np.array([1.5, np.nan]),
    }  # fmt: skip
    analysis_id = store.save_analysis("calibration", "t", inputs={}, settings={}, result=result)
    saved = store.get_analysis(analysis_id)
    assert saved is not None
    assert saved.result["alpha"] is None
    assert saved.result["n"] == 3
    assert saved.result["vector"] == [1.5, None]
    back = frame_from_json(saved.result["tables"]["parameters"])
    pd.testing.assert_frame_equal(back, table)
    ab = frame_from_json(saved.result["tables"]["abilities"])
    assert list(ab.index) == ["s1", "s2"]
    assert ab.index.name == "person"
    assert np.isnan(ab.loc["s2", "se"])  # inf is not JSON: stored as missing


def test_frame_json_edge_cases() -> None:
    empty = frame_from_json(frame_to_json(pd.DataFrame(columns=["item", "a"])))
    assert list(empty.columns) == ["item", "a"]
    assert empty.empty
    ints = frame_from_json(frame_to_json(pd.DataFrame({"n": [1, 2]})))
    assert ints["n"].dtype == np.int64
    with pytest.raises(DataError, match="cannot store a object as JSON"):
        jsonable(object())


def test_concurrent_double_click_stores_once(store: Store) -> None:
    results: list[int] = []

    def save() -> None:
        results.append(
            store.save_analysis(
                "assembly", "form", inputs={"bank": "b"}, settings={"n": 20}, result={"f": [1]}
            )
        )

    threads = [threading.Thread(target=save) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert len(store.list_analyses("assembly")) == 1

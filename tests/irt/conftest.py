"""Fixtures of the IRT tests: the LSAT data of Bock & Lieberman (1970)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parents[1] / "data"
REFERENCE = Path(__file__).parent / "r"


@pytest.fixture(scope="session")
def lsat6() -> pd.DataFrame:
    """LSAT section 6, 1000 persons × 5 items."""
    return pd.read_csv(DATA / "lsat6.csv")


@pytest.fixture(scope="session")
def lsat7() -> pd.DataFrame:
    """LSAT section 7, 1000 persons × 5 items."""
    return pd.read_csv(DATA / "lsat7.csv")

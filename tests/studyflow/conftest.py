"""Fixtures of the participant-flow tests: a small GSP study registered in a fresh store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from studyflow_fixtures import write_small_study

from edutools.store import Store
from edutools.studyflow import StudyRuntime, load_bundle, load_runtime, register_study


@pytest.fixture
def study_path(tmp_path: Path) -> Path:
    """study.yaml and stimuli.csv of the small test study."""
    return write_small_study(tmp_path / "study")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A store on a fresh database (SQLite; PostgreSQL when configured)."""
    s = Store.from_url(database_url)
    yield s
    s.close()


@pytest.fixture
def runtime(store: Store, study_path: Path) -> StudyRuntime:
    """The small study, registered and loaded back from storage."""
    study, stimuli = load_bundle(study_path)
    register_study(store, study, stimuli)
    found = load_runtime(store, study.id)
    assert found is not None
    return found

"""Durable storage: SQLite (WAL) by default, PostgreSQL by URL; idempotent writes.

Build a :class:`Store` from settings and pass it to whatever needs it::

    store = Store.from_settings(Settings.from_env())
    run_id = store.start_run(course, provenance)
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from edutools.settings import Settings
from edutools.store.analyses import AnalysisRepo
from edutools.store.claims import ClaimReviewRepo
from edutools.store.courses import CourseInfo
from edutools.store.engine import StorageError, create_schema, insert_ignore, make_engine, upsert
from edutools.store.responses import ResponseRepo
from edutools.store.runs import RunInfo, RunRepo, run_key
from edutools.store.studies import Participant, StudyInfo, StudyProgress, StudyRepo
from edutools.store.tables import metadata

__all__ = [
    "CourseInfo",
    "Participant",
    "RunInfo",
    "StorageError",
    "Store",
    "StudyInfo",
    "StudyProgress",
    "insert_ignore",
    "make_engine",
    "metadata",
    "run_key",
    "upsert",
]


class Store(RunRepo, ResponseRepo, StudyRepo, AnalysisRepo, ClaimReviewRepo):
    """All repositories over one engine. Creates missing tables once per process and database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_schema(engine, metadata)

    @classmethod
    def from_url(cls, url: str) -> Store:
        """A store on the database at ``url``."""
        return cls(make_engine(url))

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """A store on ``settings.database_url``."""
        return cls.from_url(settings.database_url)

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

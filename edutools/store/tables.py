"""The database schema. Every table that takes repeated writes has a natural unique key.

Tables: courses; generation_runs, run_questions, assertions, items; response_datasets,
calibrations; studies, participants, trials, questionnaire_responses; events (append-only,
enforced by triggers on SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

__all__ = ["metadata", "utcnow"]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def utcnow() -> datetime:
    """Timezone-aware now, in UTC."""
    return datetime.now(UTC)


def _ts(name: str, **kw: object) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, default=utcnow, **kw)  # type: ignore[arg-type]


courses = sa.Table(
    "courses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("course_id", sa.String(200), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False, default=1),
    sa.Column("data", sa.JSON, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
)

generation_runs = sa.Table(
    "generation_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_key", sa.String(64), nullable=False, unique=True),
    sa.Column("course_id", sa.String(200), sa.ForeignKey("courses.course_id"), nullable=False),
    sa.Column("engine", sa.String(50), nullable=False),
    sa.Column("model", sa.String(200)),
    sa.Column("provenance", sa.JSON, nullable=False),
    sa.Column("usage", sa.JSON),
    sa.Column("status", sa.String(20), nullable=False, default="running"),
    _ts("created_at"),
    _ts("updated_at"),
)

run_questions = sa.Table(
    "run_questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("generation_runs.id"), nullable=False),
    sa.Column("question_id", sa.String(200), nullable=False),
    sa.Column("usage", sa.JSON),
    sa.Column("notes", sa.JSON),
    _ts("completed_at"),
    sa.UniqueConstraint("run_id", "question_id"),
)

assertions = sa.Table(
    "assertions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("generation_runs.id"), nullable=False),
    sa.Column("assertion_id", sa.String(200), nullable=False),
    sa.Column("question_id", sa.String(200), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.UniqueConstraint("run_id", "assertion_id"),
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("generation_runs.id"), nullable=False),
    sa.Column("item_id", sa.String(200), nullable=False),
    sa.Column("question_id", sa.String(200)),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, default="draft"),
    sa.Column("revision", sa.Integer, nullable=False, default=1),
    _ts("updated_at"),
    sa.UniqueConstraint("run_id", "item_id"),
)

response_datasets = sa.Table(
    "response_datasets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("dataset_key", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("n_persons", sa.Integer, nullable=False),
    sa.Column("n_items", sa.Integer, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    _ts("created_at"),
)

calibrations = sa.Table(
    "calibrations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("response_datasets.id"), nullable=False),
    sa.Column("model", sa.String(20), nullable=False),
    sa.Column("settings_hash", sa.String(64), nullable=False),
    sa.Column("result", sa.JSON, nullable=False),
    _ts("created_at"),
    sa.UniqueConstraint("dataset_id", "model", "settings_hash"),
)

studies = sa.Table(
    "studies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("study_key", sa.String(200), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("definition_hash", sa.String(64), nullable=False),
    _ts("created_at"),
)

participants = sa.Table(
    "participants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id"), nullable=False),
    sa.Column("participant_key", sa.String(200), nullable=False),
    sa.Column("prolific_pid", sa.String(200)),
    sa.Column("prolific_study_id", sa.String(200)),
    sa.Column("session_id", sa.String(200)),
    sa.Column("plan", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, default="started"),
    sa.Column("completion_code", sa.String(100)),
    _ts("started_at"),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("study_id", "participant_key"),
)

trials = sa.Table(
    "trials",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("participant_id", sa.Integer, sa.ForeignKey("participants.id"), nullable=False),
    sa.Column("trial_index", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("stimulus", sa.JSON, nullable=False),
    sa.Column("response", sa.JSON, nullable=False),
    sa.Column("rt_ms", sa.Float),
    _ts("created_at"),
    sa.UniqueConstraint("participant_id", "trial_index"),
)

questionnaire_responses = sa.Table(
    "questionnaire_responses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("participant_id", sa.Integer, sa.ForeignKey("participants.id"), nullable=False),
    sa.Column("instrument", sa.String(100), nullable=False),
    sa.Column("item_id", sa.String(100), nullable=False),
    sa.Column("value", sa.Float),
    _ts("created_at"),
    sa.UniqueConstraint("participant_id", "instrument", "item_id"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id")),
    sa.Column("participant_id", sa.Integer, sa.ForeignKey("participants.id")),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    _ts("created_at"),
)

# The event log is append-only: the database itself refuses UPDATE and DELETE.
sa.event.listen(
    events,
    "after_create",
    sa.DDL(
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
    ).execute_if(dialect="sqlite"),
)
sa.event.listen(
    events,
    "after_create",
    sa.DDL(
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
    ).execute_if(dialect="sqlite"),
)
sa.event.listen(
    events,
    "after_create",
    sa.DDL(
        "CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'events are append-only'; END; $$ LANGUAGE plpgsql; "
        "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION events_append_only()"
    ).execute_if(dialect="postgresql"),
)

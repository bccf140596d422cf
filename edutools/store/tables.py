"""The database schema. Every table that takes repeated writes has a natural unique key.

Tables: courses; generation_runs, run_questions, assertions, items; response_datasets,
calibrations; studies, study_secrets, participants, trials, questionnaire_responses; the GSP
chains of a study (gsp_chains, gsp_nodes, gsp_trials); events (append-only, enforced by
triggers on SQLite and PostgreSQL).

Every table lives on the one ``metadata``, so creating the schema (:class:`edutools.store.Store`
does it once per process and database) never depends on which modules were imported.
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

# A study's server-side secret: participants' session tokens and completion codes are HMACs
# under it. Kept apart from the study definition, which is exported and shown to staff.
study_secrets = sa.Table(
    "study_secrets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id"), nullable=False, unique=True),
    sa.Column("secret", sa.String(128), nullable=False),
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

# GSP chains (edutools.store.gsp): one row per chain holding its head and the current claim,
# the vector of every node, and every answered trial (unique per chain, node and slot, and per
# claim token).
gsp_chains = sa.Table(
    "gsp_chains",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.id"), nullable=False),
    sa.Column("chain_key", sa.String(200), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("participants.id")),
    sa.Column("base_item", sa.String(200), nullable=False),
    sa.Column("dimension_order", sa.JSON, nullable=False),
    sa.Column("start_position", sa.Integer, nullable=False),
    sa.Column("head_node", sa.Integer, nullable=False, default=0),
    sa.Column("head_vector", sa.JSON, nullable=False),
    sa.Column("n_responses", sa.Integer, nullable=False, default=0),
    sa.Column("full", sa.Boolean, nullable=False, default=False),
    sa.Column("claimed_by", sa.Integer, sa.ForeignKey("participants.id")),
    sa.Column("claim_token", sa.String(64)),
    # Epoch seconds: compares the same way on SQLite and PostgreSQL.
    sa.Column("claim_expires_at", sa.Float),
    sa.Column("claim_trial", sa.JSON),
    _ts("created_at"),
    sa.UniqueConstraint("study_id", "chain_key"),
)

gsp_nodes = sa.Table(
    "gsp_nodes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("chain_id", sa.Integer, sa.ForeignKey("gsp_chains.id"), nullable=False),
    sa.Column("node", sa.Integer, nullable=False),
    sa.Column("vector", sa.JSON, nullable=False),
    _ts("created_at"),
    sa.UniqueConstraint("chain_id", "node"),
)

gsp_trials = sa.Table(
    "gsp_trials",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("chain_id", sa.Integer, sa.ForeignKey("gsp_chains.id"), nullable=False),
    sa.Column("node", sa.Integer, nullable=False),
    sa.Column("slot", sa.Integer, nullable=False),
    sa.Column("participant_id", sa.Integer, sa.ForeignKey("participants.id"), nullable=False),
    sa.Column("claim_token", sa.String(64), nullable=False, unique=True),
    sa.Column("trial", sa.JSON, nullable=False),
    sa.Column("response", sa.Float, nullable=False),
    sa.Column("rt_ms", sa.Float),
    _ts("created_at"),
    sa.UniqueConstraint("chain_id", "node", "slot"),
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

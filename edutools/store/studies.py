"""Studies, participants, trials, questionnaire responses and the append-only event log.

Every participant write is keyed naturally (study + participant key, participant + trial
index, participant + instrument + item) and inserted with ON CONFLICT DO NOTHING: a double
click, a rerun or a page reload can repeat a write without duplicating or replacing a row.
Every method retries a busy database a bounded number of times and otherwise raises one
:class:`edutools.store.engine.StorageError` line (never a raw SQL error).

Each study has a server-side secret (:meth:`StudyRepo.study_secret`), created with the study,
from which the participant flow derives session tokens and completion codes; it is never part
of the study's definition or export.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from edutools.errors import StudyError
from edutools.store._base import _Repo, canonical_hash
from edutools.store.engine import insert_ignore, retry_busy
from edutools.store.tables import (
    events,
    participants,
    questionnaire_responses,
    studies,
    study_secrets,
    trials,
    utcnow,
)


class StudyFullError(StudyError):
    """The study has as many participants as its cap allows; nobody new may start."""


@dataclass(frozen=True)
class StudyInfo:
    """A stored study."""

    study_id: int
    study_key: str
    title: str
    definition: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Participant:
    """A participant's stored assignment and status."""

    participant_id: int
    study_id: int
    participant_key: str
    plan: dict[str, Any]
    status: str
    completion_code: str | None
    prolific_pid: str | None
    prolific_study_id: str | None
    session_id: str | None
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class StudyProgress:
    """How many participants started, completed, or were excluded."""

    started: int
    completed: int
    excluded: int
    trials: int


class StudyRepo(_Repo):
    """Write and read study data, idempotently."""

    @retry_busy
    def create_study(self, study_key: str, title: str, definition: Mapping[str, Any]) -> int:
        """Create a study (or return the existing one with the same definition)."""
        digest = canonical_hash(definition)
        with self.engine.begin() as conn:
            insert_ignore(
                conn,
                studies,
                {
                    "study_key": study_key,
                    "title": title,
                    "definition": dict(definition),
                    "definition_hash": digest,
                },
                ["study_key"],
            )
            row = conn.execute(
                sa.select(studies.c.id, studies.c.definition_hash).where(
                    studies.c.study_key == study_key
                )
            ).one()
            if row.definition_hash == digest:
                self._ensure_secret(conn, int(row.id))
        if row.definition_hash != digest:
            raise StudyError(
                f"study '{study_key}' already exists with a different definition; "
                "give the changed study a new id so existing data keep their meaning"
            )
        return int(row.id)

    @staticmethod
    def _ensure_secret(conn: sa.Connection, study_id: int) -> str:
        insert_ignore(
            conn,
            study_secrets,
            {"study_id": study_id, "secret": secrets.token_hex(32)},
            ["study_id"],
        )
        return str(
            conn.execute(
                sa.select(study_secrets.c.secret).where(study_secrets.c.study_id == study_id)
            ).scalar_one()
        )

    @retry_busy
    def study_secret(self, study_id: int) -> str:
        """The study's server-side secret (hex), created on first use; never shown or exported."""
        with self.engine.begin() as conn:
            return self._ensure_secret(conn, study_id)

    @retry_busy
    def get_study(self, study_key: str) -> StudyInfo | None:
        """A study by key, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(
                    studies.c.id,
                    studies.c.study_key,
                    studies.c.title,
                    studies.c.definition,
                    studies.c.created_at,
                ).where(studies.c.study_key == study_key)
            ).one_or_none()
        return None if row is None else StudyInfo(*row)

    @retry_busy
    def list_studies(self) -> list[StudyInfo]:
        """All studies, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    studies.c.id,
                    studies.c.study_key,
                    studies.c.title,
                    studies.c.definition,
                    studies.c.created_at,
                ).order_by(studies.c.id.desc())
            ).all()
        return [StudyInfo(*r) for r in rows]

    def assign_participant(
        self,
        study_id: int,
        participant_key: str,
        plan: Mapping[str, Any],
        *,
        prolific_pid: str | None = None,
        prolific_study_id: str | None = None,
        session_id: str | None = None,
    ) -> Participant:
        """Register a participant with their plan (e.g. trial order); the first assignment wins.

        A reload that calls this again with a freshly drawn plan gets the stored plan back.
        """
        participant, _ = self.enrol_participant(
            study_id,
            participant_key,
            plan,
            prolific_pid=prolific_pid,
            prolific_study_id=prolific_study_id,
            session_id=session_id,
        )
        return participant

    @retry_busy
    def enrol_participant(
        self,
        study_id: int,
        participant_key: str,
        plan: Mapping[str, Any],
        *,
        max_participants: int | None = None,
        prolific_pid: str | None = None,
        prolific_study_id: str | None = None,
        session_id: str | None = None,
    ) -> tuple[Participant, bool]:
        """Register a participant unless they exist; True when this call created them.

        With ``max_participants`` a new participant is refused (:class:`StudyFullError`) once
        the study has that many. The count and the insert happen under a lock on the study's
        row (PostgreSQL) or the write lock (SQLite), so concurrent arrivals never overshoot.
        """
        with self.engine.begin() as conn:
            existing = conn.execute(
                sa.select(participants.c.id).where(
                    participants.c.study_id == study_id,
                    participants.c.participant_key == participant_key,
                )
            ).first()
            if existing is None and max_participants is not None:
                conn.execute(
                    sa.select(studies.c.id).where(studies.c.id == study_id).with_for_update()
                ).first()
                n = conn.execute(
                    sa.select(sa.func.count()).where(participants.c.study_id == study_id)
                ).scalar_one()
                if n >= max_participants:
                    raise StudyFullError(
                        f"the study has reached its cap of {max_participants} participants; "
                        "no new participant can start"
                    )
            inserted = existing is None and insert_ignore(
                conn,
                participants,
                {
                    "study_id": study_id,
                    "participant_key": participant_key,
                    "plan": dict(plan),
                    "prolific_pid": prolific_pid,
                    "prolific_study_id": prolific_study_id,
                    "session_id": session_id,
                    "status": "started",
                },
                ["study_id", "participant_key"],
            )
            if inserted:
                pid = conn.execute(
                    sa.select(participants.c.id).where(
                        participants.c.study_id == study_id,
                        participants.c.participant_key == participant_key,
                    )
                ).scalar_one()
                conn.execute(
                    sa.insert(events).values(
                        study_id=study_id,
                        participant_id=pid,
                        kind="participant_assigned",
                        payload={"plan": dict(plan)},
                    )
                )
        found = self.get_participant(study_id, participant_key)
        if found is None:  # pragma: no cover - the row was just written
            raise StudyError(f"participant '{participant_key}' could not be registered")
        return found, bool(inserted)

    @retry_busy
    def count_participants(self, study_id: int) -> int:
        """How many participants the study has (any status)."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(participants.c.study_id == study_id)
                ).scalar_one()
            )

    @retry_busy
    def get_participant(self, study_id: int, participant_key: str) -> Participant | None:
        """A participant by study and key, or None."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(participants).where(
                        participants.c.study_id == study_id,
                        participants.c.participant_key == participant_key,
                    )
                )
                .mappings()
                .one_or_none()
            )
        if row is None:
            return None
        return Participant(
            participant_id=row["id"],
            study_id=row["study_id"],
            participant_key=row["participant_key"],
            plan=row["plan"],
            status=row["status"],
            completion_code=row["completion_code"],
            prolific_pid=row["prolific_pid"],
            prolific_study_id=row["prolific_study_id"],
            session_id=row["session_id"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
        )

    @retry_busy
    def record_trial(
        self,
        participant_id: int,
        trial_index: int,
        kind: str,
        stimulus: Mapping[str, Any],
        response: Mapping[str, Any],
        rt_ms: float | None = None,
    ) -> bool:
        """Save one trial's answer once; True if written now, False if it was already saved."""
        with self.engine.begin() as conn:
            return insert_ignore(
                conn,
                trials,
                {
                    "participant_id": participant_id,
                    "trial_index": trial_index,
                    "kind": kind,
                    "stimulus": dict(stimulus),
                    "response": dict(response),
                    "rt_ms": rt_ms,
                },
                ["participant_id", "trial_index"],
            )

    @retry_busy
    def answered_trials(self, participant_id: int) -> list[int]:
        """Indices of the participant's saved trials, ascending."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(trials.c.trial_index)
                .where(trials.c.participant_id == participant_id)
                .order_by(trials.c.trial_index)
            )
            return [int(r[0]) for r in rows]

    @retry_busy
    def trial_responses(
        self, participant_id: int, kind: str | None = None
    ) -> dict[int, dict[str, Any]]:
        """The participant's stored responses by trial index, optionally of one ``kind`` only."""
        stmt = sa.select(trials.c.trial_index, trials.c.response).where(
            trials.c.participant_id == participant_id
        )
        if kind is not None:
            stmt = stmt.where(trials.c.kind == kind)
        with self.engine.connect() as conn:
            return {int(r.trial_index): dict(r.response) for r in conn.execute(stmt).all()}

    @retry_busy
    def record_questionnaire(
        self, participant_id: int, instrument: str, answers: Mapping[str, float | None]
    ) -> int:
        """Save questionnaire answers once per item; returns how many were new."""
        written = 0
        with self.engine.begin() as conn:
            for item_id, value in answers.items():
                written += insert_ignore(
                    conn,
                    questionnaire_responses,
                    {
                        "participant_id": participant_id,
                        "instrument": instrument,
                        "item_id": item_id,
                        "value": value,
                    },
                    ["participant_id", "instrument", "item_id"],
                )
        return written

    @retry_busy
    def finish_participant(
        self, participant_id: int, status: str, completion_code: str | None = None
    ) -> Participant:
        """Mark a participant completed or excluded (only the first call changes anything)."""
        if status not in ("completed", "excluded"):
            raise StudyError(f"status {status!r} is not valid; use 'completed' or 'excluded'")
        with self.engine.begin() as conn:
            changed = conn.execute(
                sa.update(participants)
                .where(participants.c.id == participant_id, participants.c.status == "started")
                .values(status=status, completion_code=completion_code, finished_at=utcnow())
            ).rowcount
            if changed:
                conn.execute(
                    sa.insert(events).values(
                        participant_id=participant_id,
                        study_id=sa.select(participants.c.study_id)
                        .where(participants.c.id == participant_id)
                        .scalar_subquery(),
                        kind=f"participant_{status}",
                        payload={},
                    )
                )
            row = conn.execute(
                sa.select(participants.c.study_id, participants.c.participant_key).where(
                    participants.c.id == participant_id
                )
            ).one()
        found = self.get_participant(row.study_id, row.participant_key)
        if found is None:  # pragma: no cover
            raise StudyError(f"participant {participant_id} vanished")
        return found

    @retry_busy
    def log_event(
        self,
        kind: str,
        payload: Mapping[str, Any] | None = None,
        *,
        study_id: int | None = None,
        participant_id: int | None = None,
    ) -> None:
        """Append an event to the log (never updated or deleted)."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(events).values(
                    study_id=study_id,
                    participant_id=participant_id,
                    kind=kind,
                    payload=dict(payload or {}),
                    created_at=utcnow(),
                )
            )

    @retry_busy
    def study_progress(self, study_id: int) -> StudyProgress:
        """Counts of participants by status and of saved trials."""
        with self.engine.connect() as conn:
            counts: dict[str, int] = dict(
                conn.execute(
                    sa.select(participants.c.status, sa.func.count())
                    .where(participants.c.study_id == study_id)
                    .group_by(participants.c.status)
                ).all()
            )
            n_trials = conn.execute(
                sa.select(sa.func.count())
                .select_from(
                    trials.join(participants, trials.c.participant_id == participants.c.id)
                )
                .where(participants.c.study_id == study_id)
            ).scalar_one()
        return StudyProgress(
            started=sum(counts.values()),
            completed=counts.get("completed", 0),
            excluded=counts.get("excluded", 0),
            trials=int(n_trials),
        )

    @retry_busy
    def study_tables(self, study_id: int) -> dict[str, pd.DataFrame]:
        """The raw study data as DataFrames: participants, trials, questionnaires, events."""
        with self.engine.connect() as conn:
            p = pd.DataFrame(
                conn.execute(sa.select(participants).where(participants.c.study_id == study_id))
                .mappings()
                .all()
            )
            ids = sa.select(participants.c.id).where(participants.c.study_id == study_id)
            t = pd.DataFrame(
                conn.execute(sa.select(trials).where(trials.c.participant_id.in_(ids)))
                .mappings()
                .all()
            )
            q = pd.DataFrame(
                conn.execute(
                    sa.select(questionnaire_responses).where(
                        questionnaire_responses.c.participant_id.in_(ids)
                    )
                )
                .mappings()
                .all()
            )
            e = pd.DataFrame(
                conn.execute(
                    sa.select(events).where(events.c.study_id == study_id).order_by(events.c.id)
                )
                .mappings()
                .all()
            )
        return {"participants": p, "trials": t, "questionnaires": q, "events": e}

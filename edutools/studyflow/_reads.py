"""Per-participant reads the participant flow needs and the Store does not offer yet.

Read-only queries over the store's own tables; every write goes through the Store's and
GSPStore's idempotent methods.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edutools.store.gsp import gsp_chains, gsp_trials
from edutools.store.tables import trials


def trial_responses(engine: Engine, participant_id: int, kind: str) -> dict[int, dict[str, Any]]:
    """The stored responses of one participant's steps of ``kind``, by step index."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(trials.c.trial_index, trials.c.response).where(
                trials.c.participant_id == participant_id, trials.c.kind == kind
            )
        ).all()
    return {int(r.trial_index): dict(r.response) for r in rows}


def gsp_answered(engine: Engine, study_id: int, participant_id: int) -> int:
    """How many GSP trials the participant has answered in this study."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(gsp_trials.join(gsp_chains))
                .where(
                    gsp_chains.c.study_id == study_id,
                    gsp_trials.c.participant_id == participant_id,
                )
            ).scalar_one()
        )

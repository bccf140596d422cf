"""GSP chains in the database: the rules of :mod:`edutools.survey.gsp` with atomic claims.

Three tables (on the shared ``metadata``): ``gsp_chains`` (one row per chain, holding its
head and the current claim), ``gsp_nodes`` (the vector of every node) and ``gsp_trials``
(every answered trial, unique per chain, node and slot, and per claim token).

Claiming a chain head is one conditional ``UPDATE ... WHERE`` that succeeds only when the
chain is unclaimed (or its claim has lapsed) *and* its head is still the one the participant
was shown. SQLite runs every write transaction under ``BEGIN IMMEDIATE`` (see
:mod:`edutools.store.engine`), so writers are serialised; PostgreSQL row-locks the chain and
re-checks the condition after a concurrent update commits (READ COMMITTED), so exactly one of
two racing participants gets the chain on either database. Submitting a response repeats the
check on the claim token, so a participant whose claim lapsed and was taken over cannot
write into the chain.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edutools.errors import StudyError
from edutools.store.engine import insert_ignore
from edutools.store.tables import metadata, utcnow
from edutools.survey.gsp import (
    ChainPlan,
    ChainStatus,
    GSPDesign,
    Trial,
    active_dimension,
    allocation_rng,
    base_items_for,
    chain_start,
    choose_chain,
    make_trial,
    new_token,
    next_vector,
    node_columns,
    trial_columns,
    trial_row,
)

__all__ = ["GSPStore", "gsp_chains", "gsp_nodes", "gsp_trials"]


def _ts(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, default=utcnow)


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

_TABLES = [gsp_chains, gsp_nodes, gsp_trials]


class GSPStore:
    """GSP for one study on a database: chains, atomic head claims, responses, exports.

    Parameters
    ----------
    engine
        From :func:`edutools.store.make_engine`; the study and participant tables must exist
        (create them with :class:`edutools.store.Store`).
    study_id
        The study's id in ``studies``.
    design
        The sampler design, usually ``GSPDesign.from_study(study)``.
    clock
        Epoch seconds; inject one to test claim timeouts.

    Example
    -------
    >>> store = Store.from_url("sqlite:///study.sqlite3")  # doctest: +SKIP
    >>> gsp = GSPStore(store.engine, study_id, GSPDesign.from_study(study))  # doctest: +SKIP
    >>> trial = gsp.next_trial(participant.participant_id)  # doctest: +SKIP
    >>> gsp.submit(participant.participant_id, trial, 3.0)  # doctest: +SKIP
    """

    def __init__(
        self,
        engine: Engine,
        study_id: int,
        design: GSPDesign,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.study_id = study_id
        self.design = design
        self.clock = clock
        metadata.create_all(engine, tables=_TABLES)
        if design.chain_type == "across":
            self._ensure_across_chains()

    # ---------------------------------------------------------------- chain creation

    def _insert_chain(
        self, conn: sa.Connection, key: str, number: int, item: str, owner: int | None
    ) -> None:
        plan = chain_start(self.design, key, item)
        inserted = insert_ignore(
            conn,
            gsp_chains,
            {
                "study_id": self.study_id,
                "chain_key": key,
                "number": number,
                "owner_id": owner,
                "base_item": item,
                "dimension_order": list(plan.order),
                "start_position": plan.start_position,
                "head_node": 0,
                "head_vector": list(plan.start_vector),
                "n_responses": 0,
                "full": False,
            },
            ["study_id", "chain_key"],
        )
        if inserted:
            chain_id = conn.execute(
                sa.select(gsp_chains.c.id).where(
                    gsp_chains.c.study_id == self.study_id, gsp_chains.c.chain_key == key
                )
            ).scalar_one()
            conn.execute(
                sa.insert(gsp_nodes).values(
                    chain_id=chain_id, node=0, vector=list(plan.start_vector)
                )
            )

    def _ensure_across_chains(self) -> None:
        n = int(self.design.chains_per_experiment or 0)
        with self.engine.begin() as conn:
            for k, item in enumerate(base_items_for(self.design, 0, n)):
                self._insert_chain(conn, f"across/{k}", k, item, None)

    def join(self, participant_id: int) -> None:
        """Create the participant's within chains (idempotent; nothing to do for across).

        Chains are numbered study-wide in creation order and base items assigned round robin,
        so items stay balanced across participants.
        """
        if self.design.chain_type != "within":
            return
        count = self.design.chains_per_participant
        with self.engine.begin() as conn:
            mine = conn.execute(
                sa.select(sa.func.count()).where(
                    gsp_chains.c.study_id == self.study_id,
                    gsp_chains.c.owner_id == participant_id,
                )
            ).scalar_one()
            if mine >= count:
                return
            first = conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(gsp_chains.c.number) + 1, 0)).where(
                    gsp_chains.c.study_id == self.study_id
                )
            ).scalar_one()
            for k, item in enumerate(base_items_for(self.design, int(first), count)):
                self._insert_chain(
                    conn, f"p{participant_id}/{k}", int(first) + k, item, participant_id
                )

    # ---------------------------------------------------------------- claims

    def next_trial(self, participant_id: int) -> Trial | None:
        """Claim a chain head for the participant and return its trial; None: nothing to do.

        A participant who already holds a claim gets the same trial back, with its timeout
        renewed (a page reload). ``None`` means the participant reached the trial cap or every
        chain they may answer is full or, for the moment, claimed by someone else
        (:meth:`is_finished` tells these apart).
        """
        self.join(participant_id)
        now = self.clock()
        timeout = self.design.claim_timeout_seconds
        with self.engine.begin() as conn:
            held = conn.execute(
                sa.select(gsp_chains.c.id, gsp_chains.c.claim_token, gsp_chains.c.claim_trial)
                .where(
                    gsp_chains.c.study_id == self.study_id,
                    gsp_chains.c.claimed_by == participant_id,
                )
                .limit(1)
            ).first()
            if held is not None:
                renewed = conn.execute(
                    sa.update(gsp_chains)
                    .where(gsp_chains.c.id == held.id, gsp_chains.c.claim_token == held.claim_token)
                    .values(claim_expires_at=now + timeout)
                    .returning(gsp_chains.c.id)
                ).first()
                if renewed is not None:
                    return Trial.from_dict(held.claim_trial)
        n_answered = self.answered_count(participant_id)
        if n_answered >= self.design.trial_cap:
            return None
        rng = allocation_rng(self.design, f"p{participant_id}", n_answered)
        excluded: set[str] = set()
        # Each failed claim means another participant changed that chain; a few rounds suffice.
        for _ in range(8):
            found, answered = self._candidates(participant_id)
            rows = {r.chain_key: r for r in found}
            statuses = [
                self._status(r, participant_id, now, answered)
                for k, r in rows.items()
                if k not in excluded
            ]
            chosen = choose_chain(self.design, statuses, rng)
            if chosen is None:
                return None
            row = rows[chosen.chain]
            trial = self._trial_for(row, new_token())
            if self._claim(row, participant_id, trial, now):
                return trial
            excluded.add(chosen.chain)
        return None

    def _claim(self, row: Any, participant_id: int, trial: Trial, now: float) -> bool:
        c = gsp_chains.c
        with self.engine.begin() as conn:
            won = conn.execute(
                sa.update(gsp_chains)
                .where(
                    c.id == row.id,
                    c.full.is_(False),
                    c.head_node == row.head_node,
                    c.n_responses == row.n_responses,
                    sa.or_(c.claimed_by.is_(None), c.claim_expires_at < now),
                )
                .values(
                    claimed_by=participant_id,
                    claim_token=trial.token,
                    claim_expires_at=now + self.design.claim_timeout_seconds,
                    claim_trial=trial.to_dict(),
                )
                .returning(c.id)
            ).first()
        return won is not None

    def _candidates(self, participant_id: int) -> tuple[list[Any], set[tuple[int, int]]]:
        """Open chains the participant may answer, and the (chain id, node) pairs they answered."""
        c = gsp_chains.c
        query = sa.select(gsp_chains).where(c.study_id == self.study_id, c.full.is_(False))
        if self.design.chain_type == "within":
            query = query.where(c.owner_id == participant_id)
        else:
            query = query.where(c.owner_id.is_(None))
        with self.engine.connect() as conn:
            rows = list(conn.execute(query.order_by(c.number)).all())
            answered = conn.execute(
                sa.select(gsp_trials.c.chain_id, gsp_trials.c.node).where(
                    gsp_trials.c.participant_id == participant_id
                )
            ).all()
        return rows, {(int(r.chain_id), int(r.node)) for r in answered}

    def _status(
        self, row: Any, participant_id: int, now: float, answered: set[tuple[int, int]]
    ) -> ChainStatus:
        claimed_other = (
            row.claimed_by is not None
            and row.claimed_by != participant_id
            and (row.claim_expires_at or 0.0) >= now
        )
        return ChainStatus(
            chain=row.chain_key,
            n_nodes_done=row.head_node,
            n_responses=row.n_responses,
            full=bool(row.full),
            claimed_by_other=claimed_other,
            answered_head=(row.id, row.head_node) in answered,
            visited=any(chain_id == row.id for chain_id, _ in answered),
        )

    def _plan(self, row: Any) -> ChainPlan:
        return ChainPlan(
            chain=row.chain_key,
            base_item=row.base_item,
            order=tuple(int(i) for i in row.dimension_order),
            start_position=int(row.start_position),
            start_vector=(),
        )

    def _trial_for(self, row: Any, token: str) -> Trial:
        return make_trial(
            self.design, self._plan(row), int(row.head_node), int(row.n_responses),
            [float(v) for v in row.head_vector], token,
        )  # fmt: skip

    def answered_count(self, participant_id: int) -> int:
        """How many GSP trials the participant has answered in this study."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(gsp_trials.join(gsp_chains))
                    .where(
                        gsp_chains.c.study_id == self.study_id,
                        gsp_trials.c.participant_id == participant_id,
                    )
                ).scalar_one()
            )

    # ---------------------------------------------------------------- responses

    def submit(
        self, participant_id: int, trial: Trial, value: float, rt_ms: float | None = None
    ) -> bool:
        """Record the response to a claimed trial; True when it completed the node.

        Submitting the same trial again (double click, rerun) is a no-op returning False. A
        trial whose claim lapsed and was taken by another participant raises StudyError.
        """
        dim = self.design.dimensions[trial.active]
        if not dim.low <= float(value) <= dim.high:
            raise StudyError(
                f"response {value!r} on {dim.name!r} is outside its range [{dim.low}, {dim.high}]"
            )
        response = dim.snap(float(value))
        c = gsp_chains.c
        with self.engine.begin() as conn:
            if self._recorded(conn, trial.token):
                return False
            # Releasing the claim is also the lock: only the holder of this token gets a row.
            row = conn.execute(
                sa.update(gsp_chains)
                .where(
                    c.study_id == self.study_id,
                    c.chain_key == trial.chain,
                    c.claim_token == trial.token,
                    c.claimed_by == participant_id,
                    c.head_node == trial.node,
                    c.n_responses == trial.slot,
                )
                .values(claimed_by=None, claim_token=None, claim_expires_at=None, claim_trial=None)
                .returning(c.id, c.head_vector, c.head_node)
            ).first()
            if row is None:
                # A concurrent submit of the same trial (two tabs) may have just committed it.
                if self._recorded(conn, trial.token):
                    return False
                raise StudyError(
                    f"trial {trial.chain}#{trial.node} is no longer claimed by participant "
                    f"{participant_id} (the claim timed out and another participant took it); "
                    "fetch a new trial"
                )
            conn.execute(
                sa.insert(gsp_trials).values(
                    chain_id=row.id,
                    node=trial.node,
                    slot=trial.slot,
                    participant_id=participant_id,
                    claim_token=trial.token,
                    trial=trial.to_dict(),
                    response=response,
                    rt_ms=rt_ms,
                )
            )
            responses = [
                float(v)
                for v in conn.execute(
                    sa.select(gsp_trials.c.response)
                    .where(gsp_trials.c.chain_id == row.id, gsp_trials.c.node == trial.node)
                    .order_by(gsp_trials.c.slot)
                ).scalars()
            ]
            if len(responses) < self.design.trials_per_node:
                conn.execute(
                    sa.update(gsp_chains).where(c.id == row.id).values(n_responses=len(responses))
                )
                return False
            vector = next_vector(self.design, row.head_vector, trial.active, responses)
            node = trial.node + 1
            conn.execute(
                sa.insert(gsp_nodes).values(chain_id=row.id, node=node, vector=list(vector))
            )
            conn.execute(
                sa.update(gsp_chains)
                .where(c.id == row.id)
                .values(
                    head_node=node,
                    head_vector=list(vector),
                    n_responses=0,
                    full=node >= self.design.max_nodes_per_chain,
                )
            )
            return True

    @staticmethod
    def _recorded(conn: sa.Connection, token: str) -> bool:
        found = conn.execute(
            sa.select(gsp_trials.c.id).where(gsp_trials.c.claim_token == token)
        ).first()
        return found is not None

    def release(self, participant_id: int) -> None:
        """Give up the participant's claim at once (they left the study)."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(gsp_chains)
                .where(
                    gsp_chains.c.study_id == self.study_id,
                    gsp_chains.c.claimed_by == participant_id,
                )
                .values(claimed_by=None, claim_token=None, claim_expires_at=None, claim_trial=None)
            )

    def is_finished(self, participant_id: int) -> bool:
        """True when the participant has nothing left to answer, now or later."""
        if self.answered_count(participant_id) >= self.design.trial_cap:
            return True
        self.join(participant_id)
        rows, answered = self._candidates(participant_id)
        # Claims by others are ignored: they lapse or complete, and the chain opens again.
        statuses = [
            replace(self._status(r, participant_id, 0.0, answered), claimed_by_other=False)
            for r in rows
        ]
        return choose_chain(self.design, statuses, np.random.default_rng(0)) is None

    # ---------------------------------------------------------------- export

    def nodes_frame(self) -> pd.DataFrame:
        """One row per node, as :meth:`edutools.survey.gsp.InMemoryGSP.nodes_frame`.

        ``owner`` is the owning participant's id (as text) for within chains.
        """
        d = self.design
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    gsp_chains.c.chain_key,
                    gsp_chains.c.owner_id,
                    gsp_chains.c.base_item,
                    gsp_chains.c.dimension_order,
                    gsp_chains.c.start_position,
                    gsp_chains.c.head_node,
                    gsp_nodes.c.node,
                    gsp_nodes.c.vector,
                )
                .select_from(gsp_nodes.join(gsp_chains))
                .where(gsp_chains.c.study_id == self.study_id)
                .order_by(gsp_chains.c.number, gsp_nodes.c.node)
            ).all()
        out = []
        for r in rows:
            final = r.node >= d.max_nodes_per_chain
            active = (
                None
                if final
                else d.names[active_dimension(r.dimension_order, r.start_position, r.node)]
            )
            rec: dict[str, Any] = {
                "chain": r.chain_key,
                "owner": None if r.owner_id is None else str(r.owner_id),
                "base_item": r.base_item,
                "node": int(r.node),
                "active_dimension": active,
                "complete": bool(r.node < r.head_node),
            }
            rec.update(zip(d.names, (float(v) for v in r.vector), strict=True))
            out.append(rec)
        return pd.DataFrame(out, columns=node_columns(d))

    def trials_frame(self) -> pd.DataFrame:
        """One row per answered trial, as :meth:`InMemoryGSP.trials_frame` (participant ids as text)."""
        d = self.design
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    gsp_trials.c.participant_id,
                    gsp_trials.c.trial,
                    gsp_trials.c.response,
                    gsp_trials.c.rt_ms,
                )
                .select_from(gsp_trials.join(gsp_chains))
                .where(gsp_chains.c.study_id == self.study_id)
                .order_by(gsp_trials.c.id)
            ).all()
        out = []
        out = [
            trial_row(
                d, str(r.participant_id), Trial.from_dict(r.trial), float(r.response), r.rt_ms
            )
            for r in rows
        ]
        return pd.DataFrame(out, columns=trial_columns(d))

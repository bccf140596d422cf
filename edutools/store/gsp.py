"""GSP chains as rows: atomic head claims and responses, without the sampler's rules.

The rules (which chain a participant gets, where a chain starts, what a trial shows, how a
node's responses aggregate) live in :mod:`edutools.survey.gsp`; the coordinator that applies
them to these rows is :class:`edutools.studyflow.gsp.DatabaseGSP`. This module only keeps rows
(tables ``gsp_chains``, ``gsp_nodes`` and ``gsp_trials`` in :mod:`edutools.store.tables`) and
makes the two contested writes atomic:

* **claim**: one conditional ``UPDATE ... WHERE`` that succeeds only when the chain is
  unclaimed (or its claim has lapsed) *and* its head is still the one the participant was
  shown. SQLite runs every write transaction under ``BEGIN IMMEDIATE`` (see
  :mod:`edutools.store.engine`), so writers are serialised; PostgreSQL row-locks the chain and
  re-checks the condition after a concurrent update commits (READ COMMITTED), so exactly one of
  two racing participants gets the chain on either database.
* **submit**: releasing the claim is itself conditional on the claim token, so a participant
  whose claim lapsed and was taken over cannot write into the chain; the trial row, and the
  next node when the head is complete, are written in the same transaction. What the next node
  is comes from the caller (``advance``), so the rules stay out of storage.

Every public method retries a busy database (:func:`edutools.store.engine.retry_busy`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edutools.errors import StudyError
from edutools.store.engine import insert_ignore, retry_busy
from edutools.store.tables import gsp_chains, gsp_nodes, gsp_trials

__all__ = ["ChainRow", "GSPRepo", "NewChain", "SubmitOutcome"]

SubmitOutcome = Literal["repeat", "recorded", "node_complete"]
# advance(head_vector, responses at the head) -> (next vector, chain full) or None (wait for more)
Advance = Callable[[list[float], list[float]], "tuple[list[float], bool] | None"]


@dataclass(frozen=True)
class NewChain:
    """A chain to create: its key, study-wide number, owner (within chains) and start."""

    key: str
    number: int
    owner: int | None
    base_item: str
    order: tuple[int, ...]
    start_position: int
    start_vector: tuple[float, ...]


@dataclass(frozen=True)
class ChainRow:
    """A stored chain: its start, its head and its current claim."""

    id: int
    key: str
    number: int
    owner: int | None
    base_item: str
    order: tuple[int, ...]
    start_position: int
    head_node: int
    head_vector: tuple[float, ...]
    n_responses: int
    full: bool
    claimed_by: int | None
    claim_token: str | None
    claim_expires_at: float | None
    claim_trial: dict[str, Any] | None

    @classmethod
    def from_row(cls, r: Any) -> ChainRow:
        return cls(
            id=int(r.id),
            key=str(r.chain_key),
            number=int(r.number),
            owner=None if r.owner_id is None else int(r.owner_id),
            base_item=str(r.base_item),
            order=tuple(int(i) for i in r.dimension_order),
            start_position=int(r.start_position),
            head_node=int(r.head_node),
            head_vector=tuple(float(v) for v in r.head_vector),
            n_responses=int(r.n_responses),
            full=bool(r.full),
            claimed_by=None if r.claimed_by is None else int(r.claimed_by),
            claim_token=r.claim_token,
            claim_expires_at=None if r.claim_expires_at is None else float(r.claim_expires_at),
            claim_trial=None if r.claim_trial is None else dict(r.claim_trial),
        )


_RELEASED = {"claimed_by": None, "claim_token": None, "claim_expires_at": None, "claim_trial": None}


class GSPRepo:
    """The GSP rows of one study on a database (create the schema with :class:`Store`).

    Example
    -------
    >>> repo = GSPRepo(store.engine, study_id)  # doctest: +SKIP
    >>> repo.open_chains(owner=None)  # doctest: +SKIP
    """

    def __init__(self, engine: Engine, study_id: int) -> None:
        self.engine = engine
        self.study_id = study_id

    # ---------------------------------------------------------------- chains

    def _insert_chain(self, conn: sa.Connection, chain: NewChain) -> None:
        inserted = insert_ignore(
            conn,
            gsp_chains,
            {
                "study_id": self.study_id,
                "chain_key": chain.key,
                "number": chain.number,
                "owner_id": chain.owner,
                "base_item": chain.base_item,
                "dimension_order": list(chain.order),
                "start_position": chain.start_position,
                "head_node": 0,
                "head_vector": list(chain.start_vector),
                "n_responses": 0,
                "full": False,
            },
            ["study_id", "chain_key"],
        )
        if inserted:
            chain_id = conn.execute(
                sa.select(gsp_chains.c.id).where(
                    gsp_chains.c.study_id == self.study_id, gsp_chains.c.chain_key == chain.key
                )
            ).scalar_one()
            conn.execute(
                sa.insert(gsp_nodes).values(
                    chain_id=chain_id, node=0, vector=list(chain.start_vector)
                )
            )

    @retry_busy
    def ensure_chains(self, chains: Sequence[NewChain]) -> None:
        """Create these chains unless they exist (the shared pool of across chains)."""
        with self.engine.begin() as conn:
            for chain in chains:
                self._insert_chain(conn, chain)

    @retry_busy
    def ensure_owned_chains(
        self, owner: int, count: int, make: Callable[[int], Sequence[NewChain]]
    ) -> None:
        """Give ``owner`` ``count`` chains, numbered study-wide from the next free number.

        ``make(first_number)`` builds them; it is called inside the transaction that reads the
        next free number, so two participants joining at once never share a number.
        """
        with self.engine.begin() as conn:
            mine = conn.execute(
                sa.select(sa.func.count()).where(
                    gsp_chains.c.study_id == self.study_id, gsp_chains.c.owner_id == owner
                )
            ).scalar_one()
            if mine >= count:
                return
            first = conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(gsp_chains.c.number) + 1, 0)).where(
                    gsp_chains.c.study_id == self.study_id
                )
            ).scalar_one()
            for chain in make(int(first)):
                self._insert_chain(conn, chain)

    @retry_busy
    def open_chains(self, owner: int | None) -> list[ChainRow]:
        """Chains that are not full: those of ``owner``, or the shared pool when None."""
        c = gsp_chains.c
        query = sa.select(gsp_chains).where(c.study_id == self.study_id, c.full.is_(False))
        query = query.where(c.owner_id.is_(None) if owner is None else c.owner_id == owner)
        with self.engine.connect() as conn:
            return [ChainRow.from_row(r) for r in conn.execute(query.order_by(c.number))]

    @retry_busy
    def answered_nodes(self, participant_id: int) -> set[tuple[int, int]]:
        """The (chain id, node) pairs the participant answered."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(gsp_trials.c.chain_id, gsp_trials.c.node).where(
                    gsp_trials.c.participant_id == participant_id
                )
            ).all()
        return {(int(r.chain_id), int(r.node)) for r in rows}

    @retry_busy
    def answered_count(self, participant_id: int) -> int:
        """How many GSP trials the participant answered in this study."""
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

    # ---------------------------------------------------------------- claims

    @retry_busy
    def renew_claim(self, participant_id: int, expires_at: float) -> dict[str, Any] | None:
        """The trial the participant holds a claim on, its timeout renewed; None without one."""
        c = gsp_chains.c
        with self.engine.begin() as conn:
            held = conn.execute(
                sa.select(c.id, c.claim_token, c.claim_trial)
                .where(c.study_id == self.study_id, c.claimed_by == participant_id)
                .limit(1)
            ).first()
            if held is None:
                return None
            renewed = conn.execute(
                sa.update(gsp_chains)
                .where(c.id == held.id, c.claim_token == held.claim_token)
                .values(claim_expires_at=expires_at)
                .returning(c.id)
            ).first()
        return None if renewed is None else dict(held.claim_trial)

    @retry_busy
    def claim(
        self,
        chain: ChainRow,
        participant_id: int,
        token: str,
        trial: dict[str, Any],
        now: float,
        expires_at: float,
    ) -> bool:
        """Claim ``chain``'s head as read in ``chain``; False when anyone changed it since."""
        c = gsp_chains.c
        with self.engine.begin() as conn:
            won = conn.execute(
                sa.update(gsp_chains)
                .where(
                    c.id == chain.id,
                    c.full.is_(False),
                    c.head_node == chain.head_node,
                    c.n_responses == chain.n_responses,
                    sa.or_(c.claimed_by.is_(None), c.claim_expires_at < now),
                )
                .values(
                    claimed_by=participant_id,
                    claim_token=token,
                    claim_expires_at=expires_at,
                    claim_trial=trial,
                )
                .returning(c.id)
            ).first()
        return won is not None

    @retry_busy
    def release(self, participant_id: int) -> None:
        """Give up the participant's claim at once (they left the study)."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(gsp_chains)
                .where(
                    gsp_chains.c.study_id == self.study_id,
                    gsp_chains.c.claimed_by == participant_id,
                )
                .values(**_RELEASED)
            )

    # ---------------------------------------------------------------- responses

    @staticmethod
    def _recorded(conn: sa.Connection, token: str) -> bool:
        found = conn.execute(
            sa.select(gsp_trials.c.id).where(gsp_trials.c.claim_token == token)
        ).first()
        return found is not None

    @retry_busy
    def submit(
        self,
        participant_id: int,
        *,
        chain_key: str,
        node: int,
        slot: int,
        token: str,
        trial: dict[str, Any],
        response: float,
        rt_ms: float | None,
        advance: Advance,
    ) -> SubmitOutcome:
        """Record the response to a claimed trial, and the next node when the head is complete.

        Returns ``repeat`` when this claim's response is stored already (double click, rerun,
        a second tab), ``recorded`` when the head still waits for responses, and
        ``node_complete`` when ``advance`` made the next node. Raises StudyError when the claim
        lapsed and another participant took the chain.
        """
        c = gsp_chains.c
        with self.engine.begin() as conn:
            if self._recorded(conn, token):
                return "repeat"
            # Releasing the claim is also the lock: only the holder of this token gets a row.
            row = conn.execute(
                sa.update(gsp_chains)
                .where(
                    c.study_id == self.study_id,
                    c.chain_key == chain_key,
                    c.claim_token == token,
                    c.claimed_by == participant_id,
                    c.head_node == node,
                    c.n_responses == slot,
                )
                .values(**_RELEASED)
                .returning(c.id, c.head_vector)
            ).first()
            if row is None:
                # A concurrent submit of the same trial (two tabs) may have just committed it.
                if self._recorded(conn, token):
                    return "repeat"
                raise StudyError(
                    f"trial {chain_key}#{node} is no longer claimed by participant "
                    f"{participant_id} (the claim timed out and another participant took it); "
                    "fetch a new trial"
                )
            conn.execute(
                sa.insert(gsp_trials).values(
                    chain_id=row.id,
                    node=node,
                    slot=slot,
                    participant_id=participant_id,
                    claim_token=token,
                    trial=trial,
                    response=response,
                    rt_ms=rt_ms,
                )
            )
            responses = [
                float(v)
                for v in conn.execute(
                    sa.select(gsp_trials.c.response)
                    .where(gsp_trials.c.chain_id == row.id, gsp_trials.c.node == node)
                    .order_by(gsp_trials.c.slot)
                ).scalars()
            ]
            step = advance([float(v) for v in row.head_vector], responses)
            if step is None:
                conn.execute(
                    sa.update(gsp_chains).where(c.id == row.id).values(n_responses=len(responses))
                )
                return "recorded"
            vector, full = step
            conn.execute(
                sa.insert(gsp_nodes).values(chain_id=row.id, node=node + 1, vector=list(vector))
            )
            conn.execute(
                sa.update(gsp_chains)
                .where(c.id == row.id)
                .values(head_node=node + 1, head_vector=list(vector), n_responses=0, full=full)
            )
            return "node_complete"

    # ---------------------------------------------------------------- export

    @retry_busy
    def node_rows(self) -> list[Any]:
        """Every node with its chain's start, in chain then node order."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
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
            )

    @retry_busy
    def trial_rows(self) -> list[Any]:
        """Every answered trial (participant id, trial as stored, response, rt) in order."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
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
            )

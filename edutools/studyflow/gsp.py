"""GSP on a database: the rules of :mod:`edutools.survey.gsp` applied to the rows of
:mod:`edutools.store.gsp`.

:class:`DatabaseGSP` has the interface of :class:`edutools.survey.gsp.InMemoryGSP` with
participants named by their row id. It decides (which chain a participant gets, what the trial
shows, what the next node is) with the pure functions of the sampler and lets the repository
make the contested writes atomic, so neither the sampler nor storage knows about the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from edutools.errors import StudyError
from edutools.store.gsp import ChainRow, GSPRepo, NewChain
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

__all__ = ["DatabaseGSP"]

# Each failed claim means another participant changed that chain; a few rounds suffice.
_CLAIM_ROUNDS = 8


class DatabaseGSP:
    """GSP for one study on a database: chains, atomic head claims, responses, exports.

    Parameters
    ----------
    engine
        From :func:`edutools.store.make_engine`, with the schema created
        (:class:`edutools.store.Store` does that).
    study_id
        The study's id in ``studies``.
    design
        The sampler design, usually ``GSPDesign.from_study(study)``.
    clock
        Epoch seconds; inject one to test claim timeouts.

    Example
    -------
    >>> gsp = DatabaseGSP(store.engine, study_id, GSPDesign.from_study(study))  # doctest: +SKIP
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
        self.repo = GSPRepo(engine, study_id)
        self.study_id = study_id
        self.design = design
        self.clock = clock
        if design.chain_type == "across":
            n = int(design.chains_per_experiment or 0)
            self.repo.ensure_chains(
                [
                    self._new_chain(f"across/{k}", k, item, None)
                    for k, item in enumerate(base_items_for(design, 0, n))
                ]
            )

    def _new_chain(self, key: str, number: int, item: str, owner: int | None) -> NewChain:
        plan = chain_start(self.design, key, item)
        return NewChain(
            key, number, owner, item, plan.order, plan.start_position, plan.start_vector
        )

    def join(self, participant_id: int) -> None:
        """Create the participant's within chains (idempotent; nothing to do for across).

        Chains are numbered study-wide in creation order and base items assigned round robin,
        so items stay balanced across participants.
        """
        if self.design.chain_type != "within":
            return
        count = self.design.chains_per_participant

        def make(first: int) -> list[NewChain]:
            items = base_items_for(self.design, first, count)
            return [
                self._new_chain(f"p{participant_id}/{k}", first + k, item, participant_id)
                for k, item in enumerate(items)
            ]

        self.repo.ensure_owned_chains(participant_id, count, make)

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
        held = self.repo.renew_claim(participant_id, now + timeout)
        if held is not None:
            return Trial.from_dict(held)
        n_answered = self.repo.answered_count(participant_id)
        if n_answered >= self.design.trial_cap:
            return None
        rng = allocation_rng(self.design, f"p{participant_id}", n_answered)
        excluded: set[str] = set()
        for _ in range(_CLAIM_ROUNDS):
            rows, answered = self._candidates(participant_id)
            by_key = {r.key: r for r in rows}
            statuses = [
                self._status(r, participant_id, now, answered)
                for r in rows
                if r.key not in excluded
            ]
            chosen = choose_chain(self.design, statuses, rng)
            if chosen is None:
                return None
            row = by_key[chosen.chain]
            trial = self._trial_for(row, new_token())
            if self.repo.claim(
                row, participant_id, trial.token, trial.to_dict(), now, now + timeout
            ):
                return trial
            excluded.add(chosen.chain)
        return None

    def _candidates(self, participant_id: int) -> tuple[list[ChainRow], set[tuple[int, int]]]:
        """Open chains the participant may answer, and the (chain id, node) pairs they answered."""
        owner = participant_id if self.design.chain_type == "within" else None
        return self.repo.open_chains(owner), self.repo.answered_nodes(participant_id)

    @staticmethod
    def _status(
        row: ChainRow, participant_id: int, now: float, answered: set[tuple[int, int]]
    ) -> ChainStatus:
        claimed_other = (
            row.claimed_by is not None
            and row.claimed_by != participant_id
            and (row.claim_expires_at or 0.0) >= now
        )
        return ChainStatus(
            chain=row.key,
            n_nodes_done=row.head_node,
            n_responses=row.n_responses,
            full=row.full,
            claimed_by_other=claimed_other,
            answered_head=(row.id, row.head_node) in answered,
            visited=any(chain_id == row.id for chain_id, _ in answered),
        )

    def _trial_for(self, row: ChainRow, token: str) -> Trial:
        plan = ChainPlan(row.key, row.base_item, row.order, row.start_position, ())
        return make_trial(self.design, plan, row.head_node, row.n_responses, row.head_vector, token)

    def answered_count(self, participant_id: int) -> int:
        """How many GSP trials the participant has answered in this study."""
        return self.repo.answered_count(participant_id)

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
        design = self.design

        def advance(head: list[float], responses: list[float]) -> tuple[list[float], bool] | None:
            if len(responses) < design.trials_per_node:
                return None
            vector = next_vector(design, head, trial.active, responses)
            return list(vector), trial.node + 1 >= design.max_nodes_per_chain

        outcome = self.repo.submit(
            participant_id,
            chain_key=trial.chain,
            node=trial.node,
            slot=trial.slot,
            token=trial.token,
            trial=trial.to_dict(),
            response=dim.snap(float(value)),
            rt_ms=rt_ms,
            advance=advance,
        )
        return outcome == "node_complete"

    def release(self, participant_id: int) -> None:
        """Give up the participant's claim at once (they left the study)."""
        self.repo.release(participant_id)

    def is_finished(self, participant_id: int) -> bool:
        """True when the participant has nothing left to answer, now or later."""
        if self.repo.answered_count(participant_id) >= self.design.trial_cap:
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
        out = []
        for r in self.repo.node_rows():
            final = r.node >= d.max_nodes_per_chain
            active = (
                None
                if final
                else d.names[active_dimension(r.dimension_order, r.start_position, r.node)]
            )
            rec: dict[str, object] = {
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
        out = [
            trial_row(
                self.design,
                str(r.participant_id),
                Trial.from_dict(r.trial),
                float(r.response),
                r.rt_ms,
            )
            for r in self.repo.trial_rows()
        ]
        return pd.DataFrame(out, columns=trial_columns(self.design))

"""Generation runs, saved question by question so an interrupted run resumes where it stopped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from edutools.errors import DataError
from edutools.schema import Assertion, Course, Item, ItemBank, Provenance, Usage
from edutools.store._base import canonical_hash
from edutools.store.courses import CourseRepo
from edutools.store.engine import insert_ignore, insert_many_ignore, upsert
from edutools.store.tables import assertions, generation_runs, items, run_questions, utcnow


@dataclass(frozen=True)
class RunInfo:
    """A stored generation run."""

    run_id: int
    course_id: str
    engine: str
    model: str | None
    status: str
    n_questions_done: int
    n_items: int
    created_at: datetime


def run_key(course: Course, provenance: Provenance) -> str:
    """The natural key of a run: same course content, engine, model, parameters, prompts and code.

    The edutools version and the engine's code hash are part of it, so output stored by an
    older engine is never resumed into a run of a changed one.
    """
    return canonical_hash(
        {
            "course": course.content_hash(),
            "engine": provenance.engine,
            "model": provenance.model,
            "parameters": provenance.parameters,
            "prompts": provenance.prompt_hashes,
            "version": provenance.edutools_version,
            "code": provenance.code_hash,
        }
    )


class RunRepo(CourseRepo):
    """Start, fill, resume and read generation runs."""

    def start_run(self, course: Course, provenance: Provenance) -> int:
        """The id of the run for this course and configuration, creating it when new.

        Starting the same configuration again returns the same run, so its finished questions
        are kept and only the missing ones are generated.
        """
        self.save_course(course)
        key = run_key(course, provenance)
        with self.engine.begin() as conn:
            insert_ignore(
                conn,
                generation_runs,
                {
                    "run_key": key,
                    "course_id": course.id,
                    "engine": provenance.engine,
                    "model": provenance.model,
                    "provenance": provenance.model_dump(mode="json"),
                    "status": "running",
                },
                ["run_key"],
            )
            return int(
                conn.execute(
                    sa.select(generation_runs.c.id).where(generation_runs.c.run_key == key)
                ).scalar_one()
            )

    def completed_questions(self, run_id: int) -> set[str]:
        """Ids of the questions whose results are saved for this run."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(run_questions.c.question_id).where(run_questions.c.run_id == run_id)
            )
            return {r[0] for r in rows}

    def save_question(
        self,
        run_id: int,
        question_id: str,
        new_assertions: Sequence[Assertion],
        new_items: Sequence[Item],
        usage: Usage | None = None,
        notes: Sequence[str] = (),
    ) -> bool:
        """Save one question's assertions and items in one transaction.

        Returns False, writing nothing, when the question was already saved for this run.
        """
        with self.engine.begin() as conn:
            fresh = insert_ignore(
                conn,
                run_questions,
                {
                    "run_id": run_id,
                    "question_id": question_id,
                    "usage": (usage or Usage()).model_dump(mode="json"),
                    "notes": list(notes),
                },
                ["run_id", "question_id"],
            )
            if not fresh:
                return False
            insert_many_ignore(
                conn,
                assertions,
                [
                    {
                        "run_id": run_id,
                        "assertion_id": a.id,
                        "question_id": a.question_id,
                        "data": a.model_dump(mode="json"),
                    }
                    for a in new_assertions
                ],
                ["run_id", "assertion_id"],
            )
            insert_many_ignore(
                conn,
                items,
                [
                    {
                        "run_id": run_id,
                        "item_id": item.id,
                        "question_id": item.question_id,
                        "position": pos,
                        "data": item.model_dump(mode="json"),
                        "status": item.status,
                    }
                    for pos, item in enumerate(new_items)
                ],
                ["run_id", "item_id"],
            )
        return True

    def finish_run(self, run_id: int, usage: Usage, status: str = "complete") -> None:
        """Record the run's total usage and final status."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(generation_runs)
                .where(generation_runs.c.id == run_id)
                .values(usage=usage.model_dump(mode="json"), status=status, updated_at=utcnow())
            )

    def save_item(self, run_id: int, item: Item) -> int:
        """Save an edited (or added) item of a run; returns its new revision number."""
        data = item.model_dump(mode="json")
        with self.engine.begin() as conn:
            pos = conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(items.c.position), -1) + 1).where(
                    items.c.run_id == run_id
                )
            ).scalar_one()
            upsert(
                conn,
                items,
                {
                    "run_id": run_id,
                    "item_id": item.id,
                    "question_id": item.question_id,
                    "position": pos,
                    "data": data,
                    "status": item.status,
                },
                ["run_id", "item_id"],
                {
                    "data": data,
                    "status": item.status,
                    "revision": items.c.revision + 1,
                    "updated_at": utcnow(),
                },
            )
            return int(
                conn.execute(
                    sa.select(items.c.revision).where(
                        items.c.run_id == run_id, items.c.item_id == item.id
                    )
                ).scalar_one()
            )

    def load_bank(self, run_id: int) -> ItemBank:
        """The run's item bank as stored now (edits included), items in course question order."""
        with self.engine.connect() as conn:
            run = (
                conn.execute(sa.select(generation_runs).where(generation_runs.c.id == run_id))
                .mappings()
                .one_or_none()
            )
            if run is None:
                raise DataError(f"no generation run with id {run_id}")
            item_rows = conn.execute(
                sa.select(items.c.question_id, items.c.position, items.c.data).where(
                    items.c.run_id == run_id
                )
            ).all()
            assertion_rows = conn.execute(
                sa.select(assertions.c.data)
                .where(assertions.c.run_id == run_id)
                .order_by(assertions.c.id)
            ).all()
        order = {q: i for i, q in enumerate(self.question_order(run["course_id"]))}
        item_rows = sorted(item_rows, key=lambda r: (order.get(r[0] or "", len(order)), r[1]))
        provenance = Provenance.model_validate(run["provenance"])
        if run["usage"] is not None:
            provenance = provenance.model_copy(update={"usage": Usage.model_validate(run["usage"])})
        return ItemBank(
            course_id=run["course_id"],
            k=provenance.parameters.get("k"),
            items=[Item.model_validate(r[2]) for r in item_rows],
            assertions=[Assertion.model_validate(r[0]) for r in assertion_rows],
            run=provenance,
        )

    def list_runs(self, course_id: str | None = None) -> list[RunInfo]:
        """Stored runs, newest first, optionally for one course."""
        done = (
            sa.select(run_questions.c.run_id, sa.func.count().label("n"))
            .group_by(run_questions.c.run_id)
            .subquery()
        )
        n_items = (
            sa.select(items.c.run_id, sa.func.count().label("n"))
            .group_by(items.c.run_id)
            .subquery()
        )
        stmt = (
            sa.select(
                generation_runs.c.id,
                generation_runs.c.course_id,
                generation_runs.c.engine,
                generation_runs.c.model,
                generation_runs.c.status,
                sa.func.coalesce(done.c.n, 0),
                sa.func.coalesce(n_items.c.n, 0),
                generation_runs.c.created_at,
            )
            .outerjoin(done, done.c.run_id == generation_runs.c.id)
            .outerjoin(n_items, n_items.c.run_id == generation_runs.c.id)
            .order_by(generation_runs.c.id.desc())
        )
        if course_id is not None:
            stmt = stmt.where(generation_runs.c.course_id == course_id)
        with self.engine.connect() as conn:
            return [RunInfo(*row) for row in conn.execute(stmt).all()]

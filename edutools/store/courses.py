"""Courses: saved whole, revised by upsert when their content changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from edutools.schema import Course
from edutools.store._base import _Repo
from edutools.store.engine import insert_ignore
from edutools.store.tables import courses, utcnow


@dataclass(frozen=True)
class CourseInfo:
    """A stored course, without its data."""

    course_id: str
    title: str
    revision: int
    updated_at: datetime


class CourseRepo(_Repo):
    """Save and load courses."""

    def save_course(self, course: Course) -> int:
        """Store ``course``; returns its revision (unchanged content keeps the revision)."""
        digest = course.content_hash()
        data = course.model_dump(mode="json")
        with self.engine.begin() as conn:
            inserted = insert_ignore(
                conn,
                courses,
                {
                    "course_id": course.id,
                    "title": course.title,
                    "content_hash": digest,
                    "revision": 1,
                    "data": data,
                },
                ["course_id"],
            )
            if inserted:
                return 1
            conn.execute(
                sa.update(courses)
                .where(courses.c.course_id == course.id, courses.c.content_hash != digest)
                .values(
                    title=course.title,
                    content_hash=digest,
                    data=data,
                    revision=courses.c.revision + 1,
                    updated_at=utcnow(),
                )
            )
            return int(
                conn.execute(
                    sa.select(courses.c.revision).where(courses.c.course_id == course.id)
                ).scalar_one()
            )

    def get_course(self, course_id: str) -> Course | None:
        """The latest revision of a course, or None."""
        with self.engine.connect() as conn:
            data = conn.execute(
                sa.select(courses.c.data).where(courses.c.course_id == course_id)
            ).scalar_one_or_none()
        return None if data is None else Course.model_validate(data)

    def question_order(self, course_id: str) -> list[str]:
        """The question ids of a course's latest revision, in course order (no validation of
        the whole course: a bank only needs the order, and a large course takes a while)."""
        with self.engine.connect() as conn:
            data = conn.execute(
                sa.select(courses.c.data).where(courses.c.course_id == course_id)
            ).scalar_one_or_none()
        questions = data.get("questions", []) if isinstance(data, dict) else []
        return [str(q.get("id")) for q in questions if isinstance(q, dict)]

    def list_courses(self) -> list[CourseInfo]:
        """All stored courses, most recently updated first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    courses.c.course_id, courses.c.title, courses.c.revision, courses.c.updated_at
                ).order_by(courses.c.updated_at.desc())
            ).all()
        return [CourseInfo(*row) for row in rows]

"""``edutools validate PATH``: check a course, an item bank or a response file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from edutools import io
from edutools.cli._common import handle_errors
from edutools.errors import DataError, EdutoolsError


def summarize(path: Path) -> str:
    """A one-line summary of a valid file; raises DataError for an invalid one."""
    kind = io.detect_kind(path)
    if kind == "course":
        course = io.read_course(path)
        students = len({a.student_id for a in course.answers})
        graded = sum(a.grade is not None for a in course.answers)
        empty = sum(not a.text for a in course.answers)
        blank = f", {empty} empty: not mined" if empty else ""
        return (
            f"course '{course.id}' ({course.title}): {len(course.concepts)} concepts, "
            f"{len(course.questions)} questions, {len(course.answers)} answers from {students} students "
            f"({graded} graded{blank}): OK"
        )
    if kind == "item_bank":
        bank = io.read_item_bank(path)
        forms = Counter(item.form for item in bank.items)
        mix = ", ".join(f"{form} {n}" for form, n in sorted(forms.items()))
        return f"item bank '{path.name}': {len(bank.items)} items ({mix}), {len(bank.assertions)} assertions: OK"
    frame = io.read_responses(path)
    missing = int(frame.isna().to_numpy().sum())
    share = missing / frame.size
    return (
        f"responses '{path.name}': {frame.shape[0]} persons x {frame.shape[1]} items, "
        f"{missing} missing ({share:.1%}): OK"
    )


def register(app: typer.Typer) -> None:
    """Add the ``validate`` command to ``app``."""

    @app.command()
    @handle_errors
    def validate(
        path: Path = typer.Argument(
            ...,
            help="A course (folder, .xlsx, .json), an item bank (.json) or responses (.csv, .xlsx).",
        ),
    ) -> None:
        """Check a course, item bank or response file and print a one-line summary."""
        try:
            summary = summarize(path)
        except (EdutoolsError, KeyboardInterrupt):
            raise
        except OSError as exc:
            raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        except Exception as exc:  # a reader bug must still end in one line, not a traceback
            raise DataError(
                f"{path.name}: cannot be read ({type(exc).__name__}: {exc}); this is a bug in "
                "edutools: please report it with the file"
            ) from None
        typer.echo(summary)

"""``edutools claims``, ``edutools evaluate`` and ``edutools accept``: the instructor's loop.

``claims`` writes what students say as claims to label; ``generate --claims`` uses the
labels; ``evaluate`` scores a bank against per-answer labels; ``accept`` marks items
accepted (for scripts: the app's Review page does the same by hand).
"""

from __future__ import annotations

import json
from collections import Counter
from enum import StrEnum
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from edutools import io
from edutools.cli._common import console, handle_errors
from edutools.errors import ConfigError, DataError
from edutools.generate.claims import Claim, ClaimReview
from edutools.schema import Course


class ClaimEngine(StrEnum):
    """Engines that mine claims."""

    local = "local"


def _mine(
    course: Course,
    reviews: dict[str, ClaimReview] | None,
    question_ids: list[str] | None,
    label: str,
) -> dict[str, list[Claim]]:
    from edutools.generate.local import LocalEngine

    engine = LocalEngine(reviews=reviews)
    questions = [q for q in course.questions if not question_ids or q.id in question_ids]
    out: dict[str, list[Claim]] = {}
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=len(questions), last="")
        for q in questions:
            out[q.id] = engine.claims(course, q)
            bar.update(task, advance=1, last=q.id)
    return out


def load_reviews(course: Course, path: Path) -> dict[str, ClaimReview]:
    """The labels and edits of a claims file, checked against the course as it is now."""
    from edutools.generate.claims_csv import read_claims

    mined = _mine(course, None, None, "checking claims")
    return read_claims(path, {q: {c.id: c for c in cs} for q, cs in mined.items()})


def register(app: typer.Typer) -> None:
    """Add the ``claims``, ``evaluate`` and ``accept`` commands to ``app``."""

    @app.command("claims")
    @handle_errors
    def claims_command(
        course_path: Path = typer.Argument(
            ..., metavar="COURSE", help="A course (folder, .xlsx or .json)."
        ),
        out: Path = typer.Option(..., "--out", "-o", help="Where to write the claims (CSV)."),
        engine: ClaimEngine = typer.Option(
            ClaimEngine.local, "--engine", "-e", help="The engine that mines claims."
        ),
        previous: Path | None = typer.Option(
            None,
            "--claims",
            help="An earlier claims file: its labels and edits are kept and learnt from, and "
            "the rest are ordered again.",
        ),
        question: list[str] | None = typer.Option(
            None, "--question", "-q", help="Only this question id (repeat for more)."
        ),
    ) -> None:
        """Write the claims students make, to label: correct, foil or off_topic.

        Within a question, rows come in the order in which labelling them helps most;
        label the first few of each question (8 go a long way), then run
        'edutools generate COURSE --claims FILE'.
        """
        from edutools.generate.claims_csv import write_claims

        course = io.read_course(course_path)
        known = {q.id for q in course.questions}
        for q in question or []:
            if q not in known:
                raise DataError(
                    f"--question {q}: not a question of course {course.id!r}; its questions are "
                    f"{', '.join(sorted(known))}"
                )
        if not out.parent.exists():
            raise ConfigError(
                f"--out {out}: folder {out.parent} does not exist; create it or choose another path"
            )
        reviews = load_reviews(course, previous) if previous is not None else None
        mined = _mine(course, reviews, question, f"claims ({engine.value})")
        rows = [c for q in course.questions for c in mined.get(q.id, [])]
        write_claims(rows, out)
        predicted = Counter(c.predicted for c in rows)
        labelled = sum(c.label is not None for c in rows)
        typer.echo(
            f"wrote {out}: {len(rows)} claims from {len(mined)} questions "
            f"({', '.join(f'{predicted[p]} {p}' for p in ('correct', 'foil', 'unsure', 'off_topic'))}"
            f"{f'; {labelled} labelled' if labelled else ''})"
        )
        typer.echo(
            "label the first rows of each question (correct, foil or off_topic in the label "
            f"column), then: edutools generate {course_path} --claims {out} --out bank.json"
        )

    @app.command("evaluate")
    @handle_errors
    def evaluate_command(
        bank_path: Path = typer.Argument(..., metavar="BANK", help="An item bank .json."),
        labels: Path = typer.Option(
            ...,
            "--labels",
            help="CSV of answer_id,label (correct, partial, incorrect, contradictory, off_topic).",
        ),
        course_path: Path | None = typer.Option(
            None,
            "--course",
            help="The course, when the bank does not record which answers each question read.",
        ),
        min_wrong: int = typer.Option(
            5,
            "--min-wrong",
            min=1,
            help="Item coverage counts questions with this many wrong answers.",
        ),
        shuffles: int = typer.Option(
            200, "--shuffles", min=0, help="Shuffles for the chance level."
        ),
        seed: int = typer.Option(0, "--seed", help="Seeds the shuffles."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ) -> None:
        """Score a bank against per-answer labels: foil and key precision, coverage, chance."""
        from edutools.generate.evaluate import evaluate, read_labels

        bank = io.read_item_bank(bank_path)
        answer_labels, label_questions = read_labels(labels)
        questions = None
        if course_path is not None:
            course = io.read_course(course_path)
            questions = {a.id: a.question_id for a in course.answers}
        elif label_questions:
            questions = label_questions
        elif not bank.answer_ids:
            typer.echo(
                "note: the bank does not record which answers each question read; wrong answers "
                "no option cites are not counted (pass --course COURSE)",
                err=True,
            )
        result = evaluate(
            bank,
            answer_labels,
            questions=questions,
            min_wrong=min_wrong,
            n_shuffles=shuffles,
            seed=seed,
        )
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=2))
            return
        width = max(len(k) for k, _ in result.rows())
        for key, value in result.rows():
            typer.echo(f"{key:<{width}}  {value}")

    @app.command("accept")
    @handle_errors
    def accept_command(
        bank_path: Path = typer.Argument(..., metavar="BANK", help="An item bank .json."),
        out: Path = typer.Option(..., "--out", "-o", help="Where to write the bank (may be BANK)."),
        item: list[str] | None = typer.Option(None, "--item", help="Accept this item id (repeat)."),
        question: list[str] | None = typer.Option(
            None, "--question", "-q", help="Accept the items of this question (repeat)."
        ),
        unflagged: bool = typer.Option(
            False,
            "--unflagged",
            help="Only items without a warning or error flag (combines with the others).",
        ),
        everything: bool = typer.Option(False, "--all", help="Every item that is not rejected."),
    ) -> None:
        """Mark items accepted, so that 'edutools export' (accepted items by default) takes them."""
        bank = io.read_item_bank(bank_path)
        if not (item or question or unflagged or everything):
            raise ConfigError(
                "say which items to accept: --item ID, --question Q, --unflagged or --all"
            )
        known = {i.id for i in bank.items}
        for wanted in item or []:
            if wanted not in known:
                raise DataError(f"--item {wanted}: no such item in {bank_path.name}")

        def chosen(i_id: str, q_id: str | None, flags: list[str]) -> bool:
            picked = everything or (item is not None and i_id in item)
            picked = picked or (question is not None and q_id in question)
            if unflagged and not (item or question or everything):
                picked = True
            return picked and (not unflagged or not flags)

        n = 0
        items = []
        for it in bank.items:
            serious = [f.check for f in it.flags if f.severity in ("warning", "error")]
            if it.status != "rejected" and chosen(it.id, it.question_id, serious):
                n += it.status != "accepted"
                it = it.model_copy(update={"status": "accepted"})
            items.append(it)
        io.write_item_bank(bank.model_copy(update={"items": items}), out)
        counts = Counter(i.status for i in items)
        typer.echo(
            f"wrote {out}: {n} item(s) newly accepted; {counts['accepted']} accepted, "
            f"{counts['draft']} draft, {counts['rejected']} rejected"
        )

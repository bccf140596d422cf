"""``edutools generate COURSE --out bank.json``: an item bank from a course, with progress."""

from __future__ import annotations

import time
from collections import Counter
from enum import StrEnum
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from edutools import io
from edutools.cli._common import console, handle_errors
from edutools.errors import ConfigError, DataError
from edutools.schema import ItemBank
from edutools.settings import Settings

_FORMS = ("correct_key", "foil_key", "select_all")


class Engine(StrEnum):
    """The generation engines."""

    anaquest = "anaquest"
    baseline = "baseline"
    local = "local"


def parse_mix(text: str) -> dict[str, float]:
    """Form shares from ``"0.5,0.3,0.2"`` or ``"correct_key=1,select_all=1"``.

    Example
    -------
    >>> parse_mix("correct_key=2, select_all=1")
    {'correct_key': 2.0, 'foil_key': 0.0, 'select_all': 1.0}
    """
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        if parts and all("=" in p for p in parts):
            pairs = dict(
                (name.strip(), float(value)) for name, value in (p.split("=", 1) for p in parts)
            )
            unknown = sorted(set(pairs) - set(_FORMS))
            if unknown:
                raise ConfigError(
                    f"--mix names unknown form {unknown[0]!r}; forms are {', '.join(_FORMS)}"
                )
            return {f: pairs.get(f, 0.0) for f in _FORMS}
        if len(parts) == 3:
            return dict(zip(_FORMS, (float(p) for p in parts), strict=True))
    except ValueError:
        pass
    raise ConfigError(
        f"--mix {text!r} is not valid; give three shares for correct_key,foil_key,select_all "
        "(e.g. 0.5,0.3,0.2) or name them (e.g. correct_key=1,select_all=1)"
    )


def store_location(database_url: str) -> str:
    """Where runs are saved, for messages: the SQLite file, or the URL without its password.

    Example
    -------
    >>> store_location("sqlite:////home/ann/.local/share/edutools/edutools.sqlite3")
    '/home/ann/.local/share/edutools/edutools.sqlite3'
    >>> store_location("postgresql://ann:secret@db/edu")
    'postgresql://ann:***@db/edu'
    """
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return url.render_as_string(hide_password=True)


def summary(
    bank: ItemBank,
    seconds: float,
    resumed: int,
    out: Path,
    store: str | None = None,
    batch: bool = False,
) -> list[str]:
    """The closing lines: items by form, usage, cost and time; where resumed work came from."""
    from edutools.llm import cost_usd

    forms: Counter[str] = Counter(i.form for i in bank.items)
    flagged = sum(bool(i.flags) for i in bank.items)
    questions = len({i.question_id for i in bank.items})
    usage = bank.run.usage
    lines = [
        f"wrote {out}: {len(bank.items)} items from {questions} questions "
        f"({', '.join(f'{f} {forms[f]}' for f in _FORMS)}), {len(bank.assertions)} assertions, "
        f"{flagged} items with item-writing flags"
    ]
    engine = bank.run.engine + (f" ({bank.run.model})" if bank.run.model else "")
    if usage is not None and bank.run.engine != "local":
        priced = bank.run.model is None or cost_usd(bank.run.model, 0, 0) is not None
        cost = (
            f"${usage.cost_usd:.4f}" if priced else f"cost unknown (no price for {bank.run.model})"
        )
        if batch and priced:
            cost += " at the Batch API's price (half the standard one)"
        lines.append(
            f"{engine}: {usage.calls} calls, {usage.cached_calls} cached calls, "
            f"{usage.prompt_tokens:,} prompt + {usage.completion_tokens:,} completion tokens, {cost}"
        )
    else:
        lines.append(f"{engine}: no LLM calls")
    lines.append(f"time {seconds:.1f} s")
    if resumed:
        lines.append(
            f"{resumed} question(s) resumed from {store or 'the database'}, saved by an earlier run "
            "with the same course content and settings; to start afresh, set "
            "EDUTOOLS_DATABASE_URL (or EDUTOOLS_DATA_DIR) to another database"
        )
    return lines


def register(app: typer.Typer) -> None:
    """Add the ``generate`` command to ``app``."""

    @app.command()
    @handle_errors
    def generate(
        course_path: Path = typer.Argument(
            ..., metavar="COURSE", help="A course (folder, .xlsx or .json)."
        ),
        out: Path = typer.Option(..., "--out", "-o", help="Where to write the item bank (JSON)."),
        engine: Engine | None = typer.Option(
            None,
            "--engine",
            "-e",
            help="anaquest (LLM, uses student answers), baseline (LLM, no answers) or local (no LLM). "
            "Default: anaquest when a provider is configured, else local.",
        ),
        model: str | None = typer.Option(
            None, "--model", "-m", help="Chat model (default EDUTOOLS_MODEL)."
        ),
        k: int = typer.Option(4, "--k", min=2, max=10, help="Options per item."),
        mix: str = typer.Option(
            "0.5,0.3,0.2",
            "--mix",
            help="Shares of correct_key,foil_key,select_all items, e.g. 1,0,0.",
        ),
        question: list[str] | None = typer.Option(
            None, "--question", "-q", help="Only this question id (repeat for more)."
        ),
        seed: int = typer.Option(0, "--seed", help="Seeds option order."),
        max_items: int | None = typer.Option(
            None, "--max-items", min=0, help="At most this many items per question."
        ),
        self_check: bool = typer.Option(
            True,
            "--self-check/--no-self-check",
            help="LLM engines: let the model review every item.",
        ),
        token_budget: int = typer.Option(
            6000, "--token-budget", help="LLM engines: most prompt tokens per request."
        ),
        batch: bool = typer.Option(
            False,
            "--batch",
            help="LLM engines: send each stage's requests as one batch through OpenAI's Batch "
            "API (half the price, replies within 24 h). Stopped mid-batch? Run the same command "
            "again: it picks the batches up.",
        ),
        claims: Path | None = typer.Option(
            None,
            "--claims",
            help="Local engine: a claims file (from 'edutools claims') with your labels "
            "(correct, foil, off_topic) and edited texts; they settle truth over the engine's "
            "predictions.",
        ),
        confirmed_only: bool = typer.Option(
            False,
            "--confirmed-only",
            help="Local engine: only claims you labelled (and the reference answers) become options.",
        ),
    ) -> None:
        """Generate multiple-choice items from a course and write them as an item bank."""
        from edutools.generate import FormMix, QuestionProgress, run

        settings = Settings.from_env()
        form_mix = FormMix(**parse_mix(mix))
        if not out.parent.exists():
            raise ConfigError(
                f"--out {out}: folder {out.parent} does not exist; create it or choose another path"
            )
        course = io.read_course(course_path)
        chosen = engine.value if engine else ("anaquest" if settings.llm_configured else "local")
        if engine is None and chosen == "local":
            typer.echo(
                "no LLM provider configured (OPENAI_API_KEY / OPENAI_BASE_URL): using the local engine",
                err=True,
            )
        reviews = None
        if claims is not None or confirmed_only:
            if chosen != "local":
                raise ConfigError(
                    f"--claims and --confirmed-only work with the local engine, not {chosen}; "
                    "add --engine local"
                )
            from edutools.cli.claims import load_reviews

            reviews = load_reviews(course, claims) if claims is not None else None
            if confirmed_only and not any(r.labels for r in (reviews or {}).values()):
                where = f"{claims} has no label" if claims is not None else "no --claims file"
                raise DataError(
                    f"--confirmed-only makes options of labelled claims only, and {where}: "
                    "fill the label column (correct, foil or off_topic) of some rows of "
                    "'edutools claims COURSE --out claims.csv', then pass it with --claims"
                )
        total = len(question) if question else len(course.questions)
        resumed = 0
        start = time.monotonic()
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[last]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task(f"generate ({chosen})", total=total, last="")

            def on_progress(p: QuestionProgress) -> None:
                nonlocal resumed
                resumed += p.status == "resumed"
                bar.update(task, completed=p.done, last=f"{p.question_id} {p.status}")

            def on_batch(line: str) -> None:
                bar.console.print(line, markup=False, highlight=False)

            bank = run(
                course,
                chosen,
                settings,
                k=k,
                mix=form_mix,
                progress=on_progress,
                question_ids=question or None,
                model=model,
                seed=seed,
                max_items=max_items,
                self_check=self_check,
                token_budget=token_budget,
                batch=batch,
                on_batch=on_batch,
                reviews=reviews,
                confirmed_only=confirmed_only,
            )
        io.write_item_bank(bank, out)
        where = store_location(settings.database_url)
        for line in summary(bank, time.monotonic() - start, resumed, out, where, batch):
            typer.echo(line)

"""``edutools export BANK --format {gift,moodle,qti,csv} --out FILE``: write an item bank for an LMS."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from pathlib import Path

import typer

from edutools.cli._common import handle_errors


class ExportFormat(StrEnum):
    """The export formats."""

    gift = "gift"
    moodle = "moodle"
    qti = "qti"
    csv = "csv"


class ExportStatus(StrEnum):
    """Which items to export, by review status."""

    accepted = "accepted"
    reviewed = "reviewed"
    all = "all"


def export_command(
    bank_path: Path, format: ExportFormat, out: Path, status: ExportStatus = ExportStatus.accepted
) -> str:
    """Export the bank at ``bank_path`` to ``out``; returns a one-line summary."""
    from edutools import export, io

    bank = io.read_item_bank(bank_path)
    chosen = export.select(bank, status.value)
    written = export.write(chosen, format.value, out, include_rejected=True)
    forms = Counter(i.form for i in chosen.items)
    mix = ", ".join(f"{form} {n}" for form, n in sorted(forms.items()))
    left = Counter(i.status for i in bank.items if i not in chosen.items)
    note = "; left out: " + ", ".join(f"{n} {s}" for s, n in sorted(left.items())) if left else ""
    return f"wrote {len(chosen.items)} {status.value} items ({mix}) as {format.value} to {written}{note}"


def register(app: typer.Typer) -> None:
    """Add the ``export`` command to ``app``."""

    @app.command("export")
    @handle_errors
    def export(
        bank: Path = typer.Argument(..., help="An item bank .json (from edutools generate)."),
        format: ExportFormat = typer.Option(
            ..., "--format", "-f", help="gift, moodle (XML), qti (Canvas zip) or csv."
        ),
        out: Path = typer.Option(..., "--out", "-o", help="The file to write."),
        status: ExportStatus = typer.Option(
            ExportStatus.accepted,
            "--status",
            help="accepted: only accepted items (accept them in the app's Review page or with "
            "'edutools accept'); reviewed: all but rejected items; all: rejected ones too.",
        ),
        include_rejected: bool = typer.Option(
            False, "--include-rejected", hidden=True, help="Same as --status all."
        ),
    ) -> None:
        """Write an item bank's accepted items as GIFT, Moodle XML, a QTI 1.2 zip, or CSV."""
        chosen = ExportStatus.all if include_rejected else status
        typer.echo(export_command(bank, format, out, chosen))

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


def export_command(
    bank_path: Path, format: ExportFormat, out: Path, include_rejected: bool = False
) -> str:
    """Export the bank at ``bank_path`` to ``out``; returns a one-line summary."""
    from edutools import export, io

    bank = io.read_item_bank(bank_path)
    written = export.write(bank, format.value, out, include_rejected=include_rejected)
    items = [i for i in bank.items if include_rejected or i.status != "rejected"]
    forms = Counter(i.form for i in items)
    skipped = len(bank.items) - len(items)
    mix = ", ".join(f"{form} {n}" for form, n in sorted(forms.items()))
    note = f"; {skipped} rejected item(s) left out" if skipped else ""
    return f"wrote {len(items)} items ({mix}) as {format.value} to {written}{note}"


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
        include_rejected: bool = typer.Option(
            False, "--include-rejected", help="Export rejected items too."
        ),
    ) -> None:
        """Write an item bank as GIFT, Moodle XML, a QTI 1.2 zip for Canvas, or CSV."""
        typer.echo(export_command(bank, format, out, include_rejected))

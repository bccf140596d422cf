"""The ``edutools`` command line: every job from the shell.

Commands live in sibling modules, each with a ``register(app)`` function; a module is
listed in ``_COMMAND_MODULES`` only once its commands work.
"""

from __future__ import annotations

import importlib
import sys

import click
import typer

import edutools

app = typer.Typer(
    name="edutools",
    help="Quizzes from student answers (AnaQuest), IRT calibration and style-preference studies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

_COMMAND_MODULES: tuple[str, ...] = (
    "validate",
    "webapp",
    "study",
    "export",
    "generate",
    "calibrate",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"edutools {edutools.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Quizzes from student answers (AnaQuest), IRT calibration and style-preference studies."""


for _name in _COMMAND_MODULES:
    importlib.import_module(f"edutools.cli.{_name}").register(app)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: usage errors, like every other error, are one line, exit 2."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="edutools", standalone_mode=False)
    except click.UsageError as exc:
        hint = f"; see '{exc.ctx.command_path} --help'" if exc.ctx is not None else ""
        typer.echo(f"error: {exc.format_message().rstrip('.')}{hint}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        typer.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        typer.echo("error: aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)

"""The ``edutools`` command line: every job from the shell.

Commands live in sibling modules, each with a ``register(app)`` function; a module is
listed in ``_COMMAND_MODULES`` only once its commands work.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

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
    "claims",
    "calibrate",
    "assemble",
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


def _click_exceptions(command: object) -> Any:
    """The ``exceptions`` module of the click that ``command`` is built on.

    typer < 0.15 builds on the ``click`` package; typer >= 0.15 carries its own copy
    (``typer._click``), whose errors a ``click.UsageError`` clause would not catch.
    """
    for cls in type(command).__mro__:
        if cls.__name__ == "Command" and cls.__module__.endswith(".core"):
            return importlib.import_module(cls.__module__[: -len("core")] + "exceptions")
    raise RuntimeError(f"{type(command).__name__} is not a click command")  # pragma: no cover


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: usage errors, like every other error, are one line, exit 2.

    Works with the click inside typer >= 0.15 and with the ``click`` package under older typer.
    """
    command = typer.main.get_command(app)
    errors = _click_exceptions(command)
    aborts = tuple({typer.Abort, *([errors.Abort] if hasattr(errors, "Abort") else [])})
    try:
        code = command.main(args=argv, prog_name="edutools", standalone_mode=False)
    except errors.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # click >= 8.2: bare `edutools`
            typer.echo(exc.format_message())
            sys.exit(0)
        hint = f"; see '{exc.ctx.command_path} --help'" if exc.ctx is not None else ""
        message = " ".join(exc.format_message().split()).rstrip(".")
        message = message.replace("Value error, ", "")  # typer >= 0.15 wraps choice errors
        typer.echo(f"error: {message}{hint}", err=True)
        sys.exit(2)
    except errors.ClickException as exc:
        typer.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(exc.exit_code)
    except aborts:
        typer.echo("error: aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)

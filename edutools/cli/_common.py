"""What every command shares: one-line errors with exit code 2, and a console."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

from edutools.errors import EdutoolsError

P = ParamSpec("P")
R = TypeVar("R")

console = Console(stderr=True, highlight=False)


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit with code 2 (no traceback)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn an EdutoolsError into one line on stderr and exit code 2; Ctrl-C into exit 130."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except EdutoolsError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            typer.echo(
                "interrupted: work completed so far is saved; run the command again to resume",
                err=True,
            )
            raise typer.Exit(code=130) from None

    return wrapper

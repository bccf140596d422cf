"""``edutools app ...``: helpers for running the Streamlit app (module name avoids shadowing ``cli.app``)."""

from __future__ import annotations

import typer

from edutools.cli._common import handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``app`` command group to ``app``."""
    group = typer.Typer(
        help="Helpers for the Streamlit app (make run starts it).", no_args_is_help=True
    )

    @group.command("hash-password")
    @handle_errors
    def hash_password_cmd(
        password: str = typer.Option(
            ...,
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="The app password (asked for when not given).",
        ),
    ) -> None:
        """Print a hash for EDUTOOLS_APP_PASSWORD_HASH or the password_hash secret."""
        from edutools.app.passwords import hash_password

        typer.echo(hash_password(password))

    app.add_typer(group, name="app")

"""A CliRunner that keeps stderr apart from stdout under every supported typer and click.

click < 8.2 mixes the two unless ``mix_stderr=False``; click 8.2 removed that argument (and
typer >= 0.15, which carries its own click, never had it) because stderr is always kept apart.
"""

from __future__ import annotations

from typer.testing import CliRunner

__all__ = ["cli_runner"]


def cli_runner() -> CliRunner:
    """A runner whose results have separate ``stdout`` and ``stderr``."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()

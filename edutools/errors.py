"""The exceptions edutools raises.

Every error a user can cause derives from :class:`EdutoolsError`::

    EdutoolsError
    ├── DataError          malformed input: names the file, row, column and what was expected
    ├── ConfigError        a missing or invalid setting (API key, database URL, ...)
    ├── GenerationError    an LLM stage failed after its retries and re-asks
    ├── CalibrationError   an IRT model could not be fitted to the data
    └── StudyError         an invalid study definition or participant flow

Messages are one line and say how to fix the problem; the CLI prints them as they are.
"""

from __future__ import annotations

__all__ = [
    "CalibrationError",
    "ConfigError",
    "DataError",
    "EdutoolsError",
    "GenerationError",
    "StudyError",
]


class EdutoolsError(Exception):
    """Root of every error edutools raises on purpose."""


class DataError(EdutoolsError, ValueError):
    """Input data is malformed. The message names the file, row, column and what was expected."""


class ConfigError(EdutoolsError):
    """A setting is missing or invalid. The message says which variable to set and how."""


class GenerationError(EdutoolsError):
    """An LLM stage failed for good. ``attempts`` holds what was tried, for diagnosis."""

    def __init__(self, message: str, attempts: list[str] | None = None) -> None:
        super().__init__(message)
        self.attempts: list[str] = list(attempts or [])


class CalibrationError(EdutoolsError):
    """An IRT model cannot be fitted to the given responses."""


class StudyError(EdutoolsError):
    """A study definition or a participant flow is invalid."""

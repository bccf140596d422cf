"""edutools: assertion-based MCQs from student answers, IRT calibration, style-preference studies.

The public API is what ``__all__`` lists; everything else is implementation.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from edutools.errors import (
    CalibrationError,
    ConfigError,
    DataError,
    EdutoolsError,
    GenerationError,
    StudyError,
)
from edutools.schema import (
    Assertion,
    Concept,
    Course,
    Flag,
    Item,
    ItemBank,
    Option,
    Provenance,
    Question,
    StudentAnswer,
    Usage,
)
from edutools.settings import Settings

try:
    __version__ = version("edutools")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Assertion",
    "CalibrationError",
    "Concept",
    "ConfigError",
    "Course",
    "DataError",
    "EdutoolsError",
    "Flag",
    "GenerationError",
    "Item",
    "ItemBank",
    "Option",
    "Provenance",
    "Question",
    "Settings",
    "StudentAnswer",
    "StudyError",
    "Usage",
    "__version__",
]

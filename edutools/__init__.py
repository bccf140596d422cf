"""edutools: assertion-based MCQs from student answers, IRT calibration, style-preference studies.

The public API is what ``__all__`` lists; everything else is implementation. The domain
types, errors and settings load with the package; the rest loads on first use, so
``import edutools`` stays fast::

    import edutools

    course = edutools.read_course(edutools.example_course_dir())
    model = edutools.TwoPL().fit(edutools.read_responses("responses.csv"))
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from edutools.export import write as export_bank
    from edutools.generate import FormMix, QuestionProgress
    from edutools.generate.claims import Claim, ClaimReview, mine_claims
    from edutools.generate.evaluate import evaluate as evaluate_bank
    from edutools.generate.privacy import mask_pii
    from edutools.generate.quality import check_bank, check_item
    from edutools.glmm import fit_glmer
    from edutools.io import (
        example_course_dir,
        read_course,
        read_item_bank,
        read_responses,
        write_course,
        write_item_bank,
        write_responses,
    )
    from edutools.irt import (
        GPCM,
        GRM,
        PCM,
        PCMCML,
        RSM,
        RSMCML,
        Calibration,
        OnePL,
        PolyCalibration,
        Rasch,
        RaschCML,
        ThreePL,
        TwoPL,
        calibrate,
    )
    from edutools.store import Store
    from edutools.survey import load_study

# name -> (module, attribute)
_LAZY: dict[str, tuple[str, str]] = {
    **{
        n: ("edutools.io", n)
        for n in (
            "example_course_dir",
            "read_course",
            "read_item_bank",
            "read_responses",
            "write_course",
            "write_item_bank",
            "write_responses",
        )
    },
    "Store": ("edutools.store", "Store"),
    "FormMix": ("edutools.generate", "FormMix"),
    "QuestionProgress": ("edutools.generate", "QuestionProgress"),
    "check_item": ("edutools.generate.quality", "check_item"),
    "check_bank": ("edutools.generate.quality", "check_bank"),
    "mask_pii": ("edutools.generate.privacy", "mask_pii"),
    "Claim": ("edutools.generate.claims", "Claim"),
    "ClaimReview": ("edutools.generate.claims", "ClaimReview"),
    "mine_claims": ("edutools.generate.claims", "mine_claims"),
    "evaluate_bank": ("edutools.generate.evaluate", "evaluate"),
    "export_bank": ("edutools.export", "write"),
    **{
        n: ("edutools.irt", n)
        for n in (
            "Calibration",
            "GPCM",
            "GRM",
            "OnePL",
            "PCM",
            "PCMCML",
            "PolyCalibration",
            "RSM",
            "RSMCML",
            "Rasch",
            "RaschCML",
            "ThreePL",
            "TwoPL",
            "calibrate",
        )
    },
    "fit_glmer": ("edutools.glmm", "fit_glmer"),
    "load_study": ("edutools.survey", "load_study"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'edutools' has no attribute {name!r}")


try:
    __version__ = version("edutools")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "GPCM",
    "GRM",
    "PCM",
    "PCMCML",
    "RSM",
    "RSMCML",
    "Assertion",
    "Calibration",
    "CalibrationError",
    "Claim",
    "ClaimReview",
    "Concept",
    "ConfigError",
    "Course",
    "DataError",
    "EdutoolsError",
    "Flag",
    "FormMix",
    "GenerationError",
    "Item",
    "ItemBank",
    "OnePL",
    "Option",
    "PolyCalibration",
    "Provenance",
    "Question",
    "QuestionProgress",
    "Rasch",
    "RaschCML",
    "Settings",
    "Store",
    "StudentAnswer",
    "StudyError",
    "ThreePL",
    "TwoPL",
    "Usage",
    "__version__",
    "calibrate",
    "check_bank",
    "check_item",
    "evaluate_bank",
    "example_course_dir",
    "export_bank",
    "fit_glmer",
    "load_study",
    "mask_pii",
    "mine_claims",
    "read_course",
    "read_item_bank",
    "read_responses",
    "write_course",
    "write_item_bank",
    "write_responses",
]

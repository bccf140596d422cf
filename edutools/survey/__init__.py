"""Style-preference studies: instruments, style measures, style transfer, GSP, preference models.

Study definitions (``load_study``), questionnaires (``score_instrument``, ``reliability``),
style measures (``measure_styles``), style transfer by the LLM (``rewrite_responses``) or offline
(``rewrite_responses_local``) and its validation (``validate_transfer``), Gibbs Sampling with People (``GSPDesign``, ``InMemoryGSP``), the
preference and moderation models (``fit_preference``, ``preferred_points``,
``fit_preferred_regression``, ``fit_trial_glmm``), the ML binomial GLMM ``fit_glmer`` (re-exported from
:mod:`edutools.glmm`; matches lme4's glmer), simulators with planted effects and ``analyze_export``.

Names load on first use, so ``import edutools.survey`` stays light and the statistics never
pull in the LLM stack unless style transfer is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edutools.glmm import GLMMResult, fit_glmer
    from edutools.survey.config import StudyDefinition, load_study
    from edutools.survey.data import StudyExport, read_export, write_export
    from edutools.survey.gsp import GSPDesign, GSPDimension, InMemoryGSP, UtilityResponder
    from edutools.survey.instruments import list_instruments, load_instrument
    from edutools.survey.instruments.scoring import (
        cronbach_alpha,
        mcdonald_omega,
        reliability,
        score_instrument,
        spearman_brown,
        standardize,
    )
    from edutools.survey.models_gsp import (
        TrialModel,
        fit_preferred_regression,
        fit_trial_glmm,
        gsp_trials,
        preferred_points,
    )
    from edutools.survey.models_pairwise import PreferenceResult, fit_preference, pairwise_trials
    from edutools.survey.report import AnalysisOptions, AnalysisReport, analyze_export
    from edutools.survey.simulate import PairwiseTruth, simulate_pairwise
    from edutools.survey.simulate_gsp import GSPTruth, simulate_gsp
    from edutools.survey.styles import measure_styles
    from edutools.survey.transfer import llm_style_judge, rewrite_responses, style_targets
    from edutools.survey.transfer_local import local_rewrite, rewrite_responses_local
    from edutools.survey.transfer_validation import TransferReport, validate_transfer

__all__ = [
    "AnalysisOptions",
    "AnalysisReport",
    "GLMMResult",
    "GSPDesign",
    "GSPDimension",
    "GSPTruth",
    "InMemoryGSP",
    "PairwiseTruth",
    "PreferenceResult",
    "StudyDefinition",
    "StudyExport",
    "TransferReport",
    "TrialModel",
    "UtilityResponder",
    "analyze_export",
    "cronbach_alpha",
    "fit_glmer",
    "fit_preference",
    "fit_preferred_regression",
    "fit_trial_glmm",
    "gsp_trials",
    "list_instruments",
    "llm_style_judge",
    "load_instrument",
    "load_study",
    "local_rewrite",
    "mcdonald_omega",
    "measure_styles",
    "pairwise_trials",
    "preferred_points",
    "read_export",
    "reliability",
    "rewrite_responses",
    "rewrite_responses_local",
    "score_instrument",
    "simulate_gsp",
    "simulate_pairwise",
    "spearman_brown",
    "standardize",
    "style_targets",
    "validate_transfer",
    "write_export",
]

_HOME = {
    "AnalysisOptions": "report",
    "AnalysisReport": "report",
    "GLMMResult": "edutools.glmm",
    "GSPDesign": "gsp",
    "GSPDimension": "gsp",
    "GSPTruth": "simulate_gsp",
    "InMemoryGSP": "gsp",
    "PairwiseTruth": "simulate",
    "PreferenceResult": "models_pairwise",
    "StudyDefinition": "config",
    "StudyExport": "data",
    "TransferReport": "transfer_validation",
    "TrialModel": "models_gsp",
    "UtilityResponder": "gsp",
    "analyze_export": "report",
    "cronbach_alpha": "instruments.scoring",
    "fit_glmer": "edutools.glmm",
    "fit_preference": "models_pairwise",
    "fit_preferred_regression": "models_gsp",
    "fit_trial_glmm": "models_gsp",
    "gsp_trials": "models_gsp",
    "list_instruments": "instruments",
    "llm_style_judge": "transfer",
    "load_instrument": "instruments",
    "load_study": "config",
    "local_rewrite": "transfer_local",
    "mcdonald_omega": "instruments.scoring",
    "measure_styles": "styles",
    "pairwise_trials": "models_pairwise",
    "preferred_points": "models_gsp",
    "read_export": "data",
    "reliability": "instruments.scoring",
    "rewrite_responses": "transfer",
    "rewrite_responses_local": "transfer_local",
    "score_instrument": "instruments.scoring",
    "simulate_gsp": "simulate_gsp",
    "simulate_pairwise": "simulate",
    "spearman_brown": "instruments.scoring",
    "standardize": "instruments.scoring",
    "style_targets": "transfer",
    "validate_transfer": "transfer_validation",
    "write_export": "data",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        home = _HOME[name]
        module = home if home.startswith("edutools.") else f"edutools.survey.{home}"
        return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'edutools.survey' has no attribute {name!r}")

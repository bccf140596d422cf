"""Item Response Theory: estimators, scoring, fit, classical analysis, group comparison.

The charts (altair) and the Bayesian backend (``BayesIRT``, extra ``bayes``: torch and
py-irt) load on first use, so that ``import edutools.irt`` stays light.

Estimators follow scikit-learn (``TwoPL().fit(X)`` returns the estimator; fitted values end
in ``_``) and mirt's convention P = c + (1 - c) / (1 + exp(-(a θ + d))), b = -d / a.
Polytomous items (scores 0..K_j): ``PCM``, ``GPCM``, ``GRM``, ``RSM`` by marginal ML and
``RaschCML``, ``PCMCML``, ``RSMCML`` by conditional ML; their parameterisations are in
:mod:`edutools.irt.result_poly`. ``calibrate(X, model, method)`` fits any of them by name.
"""

import importlib
from typing import TYPE_CHECKING, Any

from edutools.irt._data import CalibrationWarning
from edutools.irt._quadrature import Quadrature, normal_grid
from edutools.irt._three_pl import ThreePL
from edutools.irt.calibration import calibrate, lr_test
from edutools.irt.cml import PCMCML, RSMCML, RaschCML
from edutools.irt.compare import DEFAULT_MARGINS, bank_metadata, compare_groups, holm, item_table
from edutools.irt.ctt import alpha, item_analysis
from edutools.irt.dif import mantel_haenszel
from edutools.irt.distractors import (
    distractor_analysis,
    keys_from_bank,
    score_choices,
    score_select_all,
)
from edutools.irt.estimators import OnePL, Rasch, TwoPL
from edutools.irt.fit import infit_outfit, item_fit, person_fit, sx2
from edutools.irt.information import information_curve, item_information
from edutools.irt.polytomous import GPCM, GRM, PCM, RSM
from edutools.irt.result import Calibration
from edutools.irt.result_poly import PolyCalibration
from edutools.irt.scoring import score, summed_score_table
from edutools.irt.simulate import Simulation, simulate_items, simulate_responses
from edutools.irt.simulate_poly import simulate_poly_items, simulate_polytomous

if TYPE_CHECKING:
    from edutools.irt.bayes import BayesIRT
    from edutools.irt.plots import category_chart, icc_chart, information_chart, wright_map

_LAZY = {
    "BayesIRT": "bayes",
    "category_chart": "plots",
    "icc_chart": "plots",
    "information_chart": "plots",
    "wright_map": "plots",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"edutools.irt.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'edutools.irt' has no attribute {name!r}")


__all__ = [
    "DEFAULT_MARGINS",
    "GPCM",
    "GRM",
    "PCM",
    "PCMCML",
    "RSM",
    "RSMCML",
    "BayesIRT",
    "Calibration",
    "CalibrationWarning",
    "OnePL",
    "PolyCalibration",
    "Quadrature",
    "Rasch",
    "RaschCML",
    "Simulation",
    "ThreePL",
    "TwoPL",
    "alpha",
    "bank_metadata",
    "calibrate",
    "category_chart",
    "compare_groups",
    "distractor_analysis",
    "holm",
    "icc_chart",
    "infit_outfit",
    "information_chart",
    "information_curve",
    "item_analysis",
    "item_fit",
    "item_information",
    "item_table",
    "keys_from_bank",
    "lr_test",
    "mantel_haenszel",
    "normal_grid",
    "person_fit",
    "score",
    "score_choices",
    "score_select_all",
    "simulate_items",
    "simulate_poly_items",
    "simulate_polytomous",
    "simulate_responses",
    "summed_score_table",
    "sx2",
    "wright_map",
]

"""Item Response Theory: estimators, scoring, fit, classical analysis, group comparison.

Estimators follow scikit-learn (``TwoPL().fit(X)`` returns the estimator; fitted values end
in ``_``) and mirt's convention P = c + (1 - c) / (1 + exp(-(a θ + d))), b = -d / a.
"""

from edutools.irt._data import CalibrationWarning
from edutools.irt._quadrature import Quadrature, normal_grid
from edutools.irt.estimators import OnePL, Rasch, ThreePL, TwoPL, calibrate, lr_test
from edutools.irt.result import Calibration

__all__ = [
    "Calibration",
    "CalibrationWarning",
    "OnePL",
    "Quadrature",
    "Rasch",
    "ThreePL",
    "TwoPL",
    "calibrate",
    "lr_test",
    "normal_grid",
]

"""Any model by name (:func:`calibrate`) and the likelihood-ratio test of nested fits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from edutools.errors import CalibrationError
from edutools.irt._three_pl import ThreePL
from edutools.irt.estimators import _MML, OnePL, Rasch, TwoPL
from edutools.irt.result import Calibration

__all__ = ["CML_MODELS", "MODEL_NAMES", "calibrate", "lr_test"]

_MODELS: dict[str, type[_MML]] = {"rasch": Rasch, "1pl": OnePL, "2pl": TwoPL, "3pl": ThreePL}
MODEL_NAMES = ("rasch", "1pl", "2pl", "3pl", "pcm", "gpcm", "grm", "rsm")
CML_MODELS = ("rasch", "pcm", "rsm")


def calibrate(data: Any, model: str = "2pl", method: str = "mml", **kwargs: Any) -> Any:
    """Fit ``model`` to ``data`` by ``method`` and return its calibration.

    Parameters
    ----------
    data : DataFrame or array
        Persons × items: 0/1 for the dichotomous models, scores 0..K_j for the polytomous
        ones (NaN = missing).
    model : str
        rasch, 1pl, 2pl, 3pl (:class:`Calibration`) or pcm, gpcm, grm, rsm
        (:class:`~edutools.irt.result_poly.PolyCalibration`), in any case.
    method : {"mml", "cml"}
        Marginal ML, or conditional ML for the Rasch-family models rasch, pcm and rsm.
    **kwargs
        Hyper-parameters of the estimator.

    Example
    -------
    >>> cal = calibrate(X, "2PL")  # doctest: +SKIP
    >>> calibrate(X, "pcm", method="cml").summary()  # doctest: +SKIP
    """
    name = str(model).strip().lower()
    how = str(method).strip().lower()
    if name not in MODEL_NAMES:
        raise CalibrationError(
            f"unknown model {model!r}; expected one of {', '.join(MODEL_NAMES)} (any case)"
        )
    if how not in ("mml", "cml"):
        raise CalibrationError(f"unknown method {method!r}; expected 'mml' or 'cml'")
    if how == "cml":
        if name not in CML_MODELS:
            raise CalibrationError(
                f"conditional ML needs a Rasch-family model (rasch, pcm or rsm), not {name}; "
                "use --method mml for it"
            )
        from edutools.irt import cml

        cml_est = {"rasch": cml.RaschCML, "pcm": cml.PCMCML, "rsm": cml.RSMCML}[name]
        return cml_est(**kwargs).fit(data).calibration_
    if name in _MODELS:
        return _MODELS[name](**kwargs).fit(data).calibration_
    from edutools.irt import polytomous

    poly_est = {
        "pcm": polytomous.PCM,
        "gpcm": polytomous.GPCM,
        "grm": polytomous.GRM,
        "rsm": polytomous.RSM,
    }[name]
    return poly_est(**kwargs).fit(data).calibration_


_NESTING = {"rasch": 0, "1pl": 1, "2pl": 2, "3pl": 3}


def lr_test(restricted: Any, general: Any) -> pd.DataFrame:
    """Likelihood-ratio test of a restricted model against a more general one fitted to the same data.

    G² = 2 (loglik_general - loglik_restricted), referred to χ² with the difference in the
    number of parameters as degrees of freedom. Valid nestings: rasch ⊂ 1pl ⊂ 2pl. The
    3PL is refused: c = 0 lies on the boundary and its prior makes the fit a posterior mode.

    Parameters
    ----------
    restricted, general : fitted estimator or Calibration

    Returns
    -------
    DataFrame
        One row: model_restricted, model_general, loglik_restricted, loglik_general,
        statistic, df, p_value, aic and bic of both.

    Example
    -------
    >>> lr_test(Rasch().fit(X), TwoPL().fit(X))  # doctest: +SKIP
    """
    r = getattr(restricted, "calibration_", restricted)
    g = getattr(general, "calibration_", general)
    for cal in (r, g):
        if not isinstance(cal, Calibration):
            raise CalibrationError(
                f"lr_test needs fitted estimators or Calibrations, got {type(cal).__name__}"
            )
    if "3pl" in (r.model, g.model):
        raise CalibrationError(
            "lr_test does not support the 3pl: c = 0 is on the boundary and c has a prior"
        )
    if _NESTING.get(r.model, -1) >= _NESTING.get(g.model, -1):
        raise CalibrationError(
            f"{r.model} is not nested in {g.model}; pass the restricted model first (rasch < 1pl < 2pl)"
        )
    same = r.items == g.items and r.n_persons == g.n_persons
    if not same or not np.allclose(r.p_values, g.p_values, rtol=0, atol=1e-12):
        raise CalibrationError(
            "the two models were fitted to different data; fit both to the same responses"
        )
    stat = max(0.0, 2.0 * (g.loglik - r.loglik))
    df = g.n_params - r.n_params
    return pd.DataFrame(
        [
            {
                "model_restricted": r.model,
                "model_general": g.model,
                "loglik_restricted": r.loglik,
                "loglik_general": g.loglik,
                "statistic": stat,
                "df": df,
                "p_value": float(stats.chi2.sf(stat, df)),
                "aic_restricted": r.aic,
                "aic_general": g.aic,
                "bic_restricted": r.bic,
                "bic_general": g.bic,
            }
        ]
    )

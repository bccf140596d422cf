"""Item and test information functions.

For P = c + (1 - c) σ(a θ + d) the Fisher information of one item is

    I(θ) = a² (P - c)² (1 - P) / ((1 - c)² P),

which reduces to a² P (1 - P) without guessing (Birnbaum, 1968). Test information is the
sum over items and 1 / sqrt(I) the standard error of an ML ability estimate.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from edutools.irt.result import Calibration
from edutools.irt.result_poly import PolyCalibration

__all__ = ["information_curve", "item_information"]


def _grid(theta: Any) -> np.ndarray:
    if theta is None:
        return np.linspace(-4.0, 4.0, 161)
    return np.atleast_1d(np.asarray(theta, dtype=float))


def item_information(calibration: Calibration | PolyCalibration, theta: Any = None) -> pd.DataFrame:
    """Information of every item at each θ (rows θ, columns items).

    Parameters
    ----------
    calibration : Calibration or PolyCalibration
        A polytomous calibration uses its own information functions
        (:meth:`~edutools.irt.result_poly.PolyCalibration.item_information`).
    theta : array-like, optional
        Where to evaluate; 161 points on [-4, 4] by default.

    Returns
    -------
    DataFrame indexed by ``theta``.

    Example
    -------
    >>> cal = Calibration.from_parameters(["Q1"], [1.0], b=[0.0])
    >>> float(item_information(cal, [0.0]).iloc[0, 0])
    0.25
    """
    th = _grid(theta)
    if isinstance(calibration, PolyCalibration):
        return pd.DataFrame(
            calibration.item_information(th),
            index=pd.Index(th, name="theta"),
            columns=list(calibration.items),
        )
    P = calibration.probability(th)
    c = calibration.guessing[None, :]
    a = calibration.a[None, :]
    info = a**2 * (P - c) ** 2 * (1 - P) / ((1 - c) ** 2 * P)
    return pd.DataFrame(info, index=pd.Index(th, name="theta"), columns=list(calibration.items))


def information_curve(
    calibration: Calibration | PolyCalibration, theta: Any = None
) -> pd.DataFrame:
    """The test information function and the standard error 1 / sqrt(I(θ)) at each θ.

    (Named so that pytest never mistakes it for a test.)

    Returns
    -------
    DataFrame
        Columns theta, information, se.

    Example
    -------
    >>> cal = Calibration.from_parameters(["Q1", "Q2"], [1.0, 1.0], b=[0.0, 0.0])
    >>> information_curve(cal, [0.0])["information"].tolist()
    [0.5]
    """
    info = item_information(calibration, theta).sum(axis=1)
    return pd.DataFrame(
        {
            "theta": info.index.to_numpy(),
            "information": info.to_numpy(),
            "se": 1.0 / np.sqrt(info.to_numpy()),
        }
    )

"""The result of a calibration: item parameters, their standard errors and model fit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from edutools.irt._quadrature import Quadrature

__all__ = ["Calibration"]


@dataclass(frozen=True)
class Calibration:
    """Calibrated item parameters in mirt's convention, P = c + (1 - c) / (1 + exp(-(a θ + d))).

    ``b = -d / a`` is the difficulty on the θ scale (θ ~ N(0, 1)). ``se`` holds standard
    errors of a, b, d and c per item: from the inverse observed information for maximum
    likelihood (b and c by the delta method), or posterior standard deviations for the
    Bayesian backend. ``cov`` is the covariance of the free parameters, labelled like
    ``a:Q1`` (``a`` alone for the common slope of the 1PL; ``g:Q1`` is the logit of c).
    """

    model: str
    items: tuple[str, ...]
    a: np.ndarray
    d: np.ndarray
    c: np.ndarray | None
    se: pd.DataFrame
    cov: pd.DataFrame
    loglik: float
    n_params: int
    n_persons: int
    quadrature: Quadrature
    method: str = "MML-EM"
    converged: bool = True
    n_iter: int = 0
    excluded: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    c_prior: tuple[float, float] | None = None

    @property
    def b(self) -> np.ndarray:
        """Difficulties b = -d / a."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return -self.d / self.a

    @property
    def guessing(self) -> np.ndarray:
        """Lower asymptotes c (zeros unless 3PL)."""
        return np.zeros_like(self.a) if self.c is None else self.c

    @property
    def n_items(self) -> int:
        """Number of calibrated items."""
        return len(self.items)

    @property
    def aic(self) -> float:
        """Akaike information criterion, -2 loglik + 2 k."""
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """Bayesian information criterion, -2 loglik + k log N."""
        return -2.0 * self.loglik + self.n_params * float(np.log(self.n_persons))

    def probability(self, theta: Any) -> np.ndarray:
        """P(correct) for each θ (rows) and item (columns)."""
        th = np.atleast_1d(np.asarray(theta, dtype=float))
        z = th[:, None] * self.a[None, :] + self.d[None, :]
        s = 1.0 / (1.0 + np.exp(-z))
        return self.guessing[None, :] + (1 - self.guessing[None, :]) * s

    def summary(self) -> pd.DataFrame:
        """One row per item: a, b, d, c with standard errors (c NaN unless 3PL).

        Example
        -------
        >>> from edutools.irt import TwoPL
        >>> TwoPL().fit(X).summary()  # doctest: +SKIP
        """
        out = pd.DataFrame(
            {
                "item": list(self.items),
                "a": self.a,
                "se_a": self.se["a"].to_numpy(),
                "b": self.b,
                "se_b": self.se["b"].to_numpy(),
                "d": self.d,
                "se_d": self.se["d"].to_numpy(),
                "c": self.c if self.c is not None else np.nan,
                "se_c": self.se["c"].to_numpy(),
            }
        )
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``edutools calibrate --json`` (NaN becomes None)."""

        def num(x: float) -> float | None:
            return None if x is None or not np.isfinite(x) else float(x)

        rows = []
        for j, item in enumerate(self.items):
            rows.append(
                {
                    "item": item,
                    "a": num(self.a[j]),
                    "b": num(self.b[j]),
                    "d": num(self.d[j]),
                    "c": None if self.c is None else num(self.c[j]),
                    "se_a": num(self.se["a"].iloc[j]),
                    "se_b": num(self.se["b"].iloc[j]),
                    "se_d": num(self.se["d"].iloc[j]),
                }
            )
        return {
            "model": self.model,
            "n_persons": int(self.n_persons),
            "n_items": self.n_items,
            "loglik": float(self.loglik),
            "aic": float(self.aic),
            "bic": float(self.bic),
            "items": rows,
        }

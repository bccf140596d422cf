"""The result of a calibration: item parameters, their standard errors and model fit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from edutools.errors import DataError
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
    ``p_values`` are the items' proportions correct in the calibration data.
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
    p_values: np.ndarray | None = None

    @classmethod
    def from_parameters(
        cls,
        items: list[str],
        a: Any,
        *,
        b: Any = None,
        d: Any = None,
        c: Any = None,
        model: str = "2pl",
        quadrature: Quadrature | None = None,
    ) -> Calibration:
        """A Calibration from known parameters (e.g. published ones), for scoring and fit.

        Give either ``b`` or ``d``; ``c`` only for the 3PL. SEs and the log-likelihood are NaN.

        Example
        -------
        >>> cal = Calibration.from_parameters(["Q1", "Q2"], [1.0, 1.5], b=[0.0, 0.5])
        >>> cal.d.round(2).tolist()
        [-0.0, -0.75]
        """
        from edutools.irt._quadrature import normal_grid

        names = [str(i) for i in items]
        av = np.broadcast_to(np.asarray(a, dtype=float), (len(names),)).copy()
        if (b is None) == (d is None):
            raise DataError("give exactly one of b (difficulty) or d (intercept)")
        dv = -av * np.asarray(b, dtype=float) if d is None else np.asarray(d, dtype=float)
        cv = None if c is None else np.asarray(c, dtype=float)
        for label, arr in (("a", av), ("b or d", dv), ("c", cv)):
            if arr is not None and arr.shape != (len(names),):
                raise DataError(f"{label} has {arr.size} values for {len(names)} items")
        nan = np.full(len(names), np.nan)
        se = pd.DataFrame(
            {"a": nan, "b": nan, "d": nan, "c": nan}, index=pd.Index(names, name="item")
        )
        return cls(
            model=model,
            items=tuple(names),
            a=av,
            d=dv,
            c=cv,
            se=se,
            cov=pd.DataFrame(),
            loglik=float("nan"),
            n_params=0,
            n_persons=0,
            quadrature=quadrature if quadrature is not None else normal_grid(61),
            method="fixed",
        )

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

"""Rasch, 1PL and 2PL (and the base of the 3PL, in ``_three_pl``) by marginal maximum likelihood.

The convention is mirt's: P(x = 1 | θ) = c + (1 - c) / (1 + exp(-(a θ + d))), b = -d / a,
θ ~ N(0, 1). Fits follow Bock & Aitkin (1981): EM over a fixed grid (61 equally spaced
nodes on [-6, 6] by default), accelerated by SQUAREM and finished with Newton steps on the
exact marginal log-likelihood; large data take quasi-Newton steps with the Hessian of a
subsample instead (see ``_fitting``). Standard errors come from the inverse of the exact
observed information (Louis, 1982), b and c by the delta method.

The LSAT6 and LSAT7 fits match R's ltm and mirt to the printed digits; see tests/irt.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from edutools._blas import blas_threads_for
from edutools.errors import CalibrationError
from edutools.irt._base import EstimatorMixin
from edutools.irt._data import CalibrationWarning, ResponseData, prepare_responses
from edutools.irt._fitting import item_rest_stats, maximise
from edutools.irt._louis import Derivatives
from edutools.irt._models import ModelName, ModelSpec
from edutools.irt._quadrature import Quadrature, normal_grid
from edutools.irt.result import Calibration

__all__ = ["OnePL", "Rasch", "TwoPL", "standard_errors"]

Precision = Literal["auto", "double", "single"]

# Above this many pattern × column cells the matrix products run in float32: the
# parameter estimates move by far less than their standard errors (checked in
# tests/irt/test_estimators.py) while time and memory halve.
_SINGLE_ABOVE = 1_000_000
# Up to about 4e6 pattern x item cells one BLAS thread is as fast and steadier than two;
# above it (measured on 2 cores: 5e6 cells 0.64 s vs 0.55 s) every thread pays.
_ONE_THREAD_BELOW = 4_000_000


class _MML(EstimatorMixin):
    """Shared fitting code; subclasses fix the model."""

    model: ClassVar[ModelName]

    def __init__(
        self,
        *,
        n_quadrature: int = 61,
        theta_limit: float = 6.0,
        max_iter: int = 2000,
        tol: float = 1e-6,
        precision: Precision = "auto",
        compute_se: bool = True,
    ) -> None:
        self.n_quadrature = n_quadrature
        self.theta_limit = theta_limit
        self.max_iter = max_iter
        self.tol = tol
        self.precision = precision
        self.compute_se = compute_se

    def _spec(self, n_items: int) -> ModelSpec:
        return ModelSpec(self.model, n_items)

    def _check_params(self) -> None:
        if self.precision not in ("auto", "double", "single"):
            raise CalibrationError(
                f"precision={self.precision!r}; expected 'auto', 'double' or 'single'"
            )
        if not (isinstance(self.max_iter, int) and self.max_iter >= 1):
            raise CalibrationError(f"max_iter={self.max_iter!r}; expected a positive integer")
        if not (isinstance(self.tol, float | int) and 0 < self.tol < 1):
            raise CalibrationError(
                f"tol={self.tol!r}; expected a number between 0 and 1, e.g. 1e-6"
            )
        if self.n_quadrature < 41:
            warnings.warn(
                f"n_quadrature={self.n_quadrature} is below 41; estimates of long tests may be biased",
                CalibrationWarning,
                stacklevel=3,
            )

    def fit(self, X: Any, y: None = None) -> _MML:
        """Calibrate the items of ``X`` (persons × items, 0/1, NaN = missing); returns self.

        Items without variance are excluded with a :class:`CalibrationWarning` and listed
        in ``excluded_``.
        """
        quad = normal_grid(self.n_quadrature, self.theta_limit)
        self._check_params()
        data = prepare_responses(X)
        with blas_threads_for(
            data.n_patterns * data.design.shape[1], single_below=_ONE_THREAD_BELOW
        ):
            cal = self._fit_data(data, quad)
        self._set_fitted(cal)
        return self

    def _fit_data(
        self, data: ResponseData, quad: Quadrature, *, max_iter: int | None = None
    ) -> Calibration:
        spec = self._spec(data.n_items)
        max_iter = self.max_iter if max_iter is None else max_iter
        cells = data.n_patterns * data.design.shape[1]
        if self.precision == "single" or (self.precision == "auto" and cells > _SINGLE_ABOVE):
            dtype: type[np.floating] = np.float32
        else:
            dtype = np.float64
        p, rpb = item_rest_stats(data)
        phi0 = self._start(data, quad, spec, p, rpb, dtype)
        fit = maximise(data, spec, quad, phi0, tol=self.tol, max_iter=max_iter, dtype=dtype)
        phi, deriv, n_iter, converged = fit.phi, fit.deriv, fit.n_iter, fit.converged
        notes: list[str] = [f"{k} excluded: {v}" for k, v in data.excluded.items()]
        notes.append(f"optimum reached by {fit.method} ({n_iter} E-steps over all persons)")
        if not converged:
            warnings.warn(
                f"{self.model} fit ({fit.method}) did not converge in {max_iter} iterations; "
                "raise max_iter or loosen tol",
                CalibrationWarning,
                stacklevel=3,
            )
            notes.append(f"stopped after {n_iter} E-steps without converging")
        a, d, _ = spec.expand(phi)
        with np.errstate(divide="ignore", invalid="ignore"):
            wild = [
                i
                for i, ai, bi in zip(data.items, a, -d / a, strict=True)
                if abs(ai) > 10 or not abs(bi) <= 10
            ]
        if wild:
            warnings.warn(
                f"item(s) {', '.join(wild)} have extreme estimates (|a| > 10 or |b| > 10): the data "
                "hardly inform them; check their scoring, or use a model with fewer parameters",
                CalibrationWarning,
                stacklevel=3,
            )
            notes.append(f"extreme estimates (|a| > 10 or |b| > 10): {', '.join(wild)}")
        if self.compute_se:
            cov = self._covariance(deriv, spec, notes)
        else:
            cov = np.full((spec.n_params,) * 2, np.nan)
        return self._calibration(
            data, spec, quad, phi, cov, deriv.loglik, converged, n_iter, notes, p
        )

    def _start(
        self,
        data: ResponseData,
        quad: Quadrature,
        spec: ModelSpec,
        p: np.ndarray,
        rpb: np.ndarray,
        dtype: type[np.floating],
    ) -> np.ndarray:
        return spec.start(p, rpb)

    @staticmethod
    def _covariance(deriv: Derivatives, spec: ModelSpec, notes: list[str]) -> np.ndarray:
        info = -deriv.hess
        try:
            np.linalg.cholesky(info)
            return np.linalg.inv(info)
        except np.linalg.LinAlgError:
            warnings.warn(
                f"the observed information of the {spec.name} model is not positive definite "
                "(an item may be unidentified); standard errors are NaN",
                CalibrationWarning,
                stacklevel=4,
            )
            notes.append("observed information not positive definite: no standard errors")
            return np.full_like(info, np.nan)

    def _calibration(
        self,
        data: ResponseData,
        spec: ModelSpec,
        quad: Quadrature,
        phi: np.ndarray,
        cov: np.ndarray,
        loglik: float,
        converged: bool,
        n_iter: int,
        notes: list[str],
        p_values: np.ndarray,
    ) -> Calibration:
        a, d, c = spec.expand(phi)
        se = standard_errors(spec, phi, cov, data.items)
        labels = spec.labels(data.items)
        return Calibration(
            model=spec.name,
            items=tuple(data.items),
            a=a,
            d=d,
            c=c,
            se=se,
            cov=pd.DataFrame(cov, index=labels, columns=labels),
            loglik=float(loglik),
            n_params=spec.n_params,
            n_persons=data.n_persons,
            quadrature=quad,
            converged=bool(converged),
            n_iter=int(n_iter),
            excluded=dict(data.excluded),
            notes=tuple(notes),
            c_prior=spec.c_prior,
            p_values=p_values,
        )

    def _set_fitted(self, cal: Calibration) -> None:
        idx = pd.Index(cal.items, name="item")
        self.calibration_ = cal
        self.items_ = list(cal.items)
        self.a_ = pd.Series(cal.a, index=idx, name="a")
        self.b_ = pd.Series(cal.b, index=idx, name="b")
        self.d_ = pd.Series(cal.d, index=idx, name="d")
        self.c_ = pd.Series(
            cal.guessing if cal.c is not None else np.zeros(cal.n_items), index=idx, name="c"
        )
        self.se_ = cal.se
        self.cov_ = cal.cov
        self.loglik_ = cal.loglik
        self.aic_ = cal.aic
        self.bic_ = cal.bic
        self.n_iter_ = cal.n_iter
        self.converged_ = cal.converged
        self.excluded_ = dict(cal.excluded)
        self.notes_ = list(cal.notes)

    def summary(self) -> pd.DataFrame:
        """One row per item: a, b, d, c with standard errors."""
        if not hasattr(self, "calibration_"):
            raise CalibrationError(
                f"this {type(self).__name__} is not fitted yet; call fit(X) first"
            )
        return self.calibration_.summary()


def standard_errors(
    spec: ModelSpec, phi: np.ndarray, cov: np.ndarray, items: list[str]
) -> pd.DataFrame:
    """SEs of a, b, d, c per item from the covariance of phi (b = -d/a and c by the delta method).

    Var(b) = ∇bᵀ Σ ∇b with ∇b = (d / a², -1 / a) over (a, d); SE(c) = c (1 - c) SE(logit c).
    """
    J = spec.n_items
    a, d, c = spec.expand(phi)
    T = spec.transform()
    full = T @ cov @ T.T
    var_a, var_d = np.diag(full)[:J], np.diag(full)[J : 2 * J]
    cov_ad = full[np.arange(J), J + np.arange(J)]
    if spec.name == "rasch":
        var_a = np.full(J, np.nan)
        var_b = var_d / a**2
    else:
        var_b = (d / a**2) ** 2 * var_a + (1 / a) ** 2 * var_d - 2 * (d / a**2) * (1 / a) * cov_ad
    se_c = np.full(J, np.nan)
    if c is not None:
        se_c = c * (1 - c) * np.sqrt(np.diag(full)[2 * J :])
    with np.errstate(invalid="ignore"):
        return pd.DataFrame(
            {"a": np.sqrt(var_a), "b": np.sqrt(var_b), "d": np.sqrt(var_d), "c": se_c},
            index=pd.Index(items, name="item"),
        )


class Rasch(_MML):
    """Rasch model: every slope fixed at 1, θ ~ N(0, 1); intercepts d by MML.

    Parameters
    ----------
    n_quadrature : int
        Quadrature nodes (default 61, at least 41 recommended).
    theta_limit : float
        The grid spans [-theta_limit, theta_limit].
    max_iter : int
        Maximum number of E-steps.
    tol : float
        Convergence: the largest parameter change of an EM step and the relative change of
        the log-likelihood both below ``tol``.
    precision : {"auto", "double", "single"}
        Floating-point precision of the E-step products; "auto" uses single precision only
        for large data.
    compute_se : bool
        Compute standard errors from the observed information.

    Example
    -------
    >>> import pandas as pd
    >>> X = pd.read_csv("tests/data/lsat6.csv")  # doctest: +SKIP
    >>> Rasch().fit(X).b_.round(3).tolist()  # doctest: +SKIP
    [-2.872, -1.063, -0.258, -1.388, -2.219]
    """

    model: ClassVar[ModelName] = "rasch"


class OnePL(_MML):
    """One-parameter logistic model: one common slope a for all items, estimated; θ ~ N(0, 1).

    Parameters are those of :class:`Rasch`.

    Example
    -------
    >>> OnePL().fit(X).a_.iloc[0]  # doctest: +SKIP
    0.7551
    """

    model: ClassVar[ModelName] = "1pl"


class TwoPL(_MML):
    """Two-parameter logistic model: a slope and an intercept per item.

    Parameters are those of :class:`Rasch`.

    Example
    -------
    >>> m = TwoPL(n_quadrature=61).fit(X)  # doctest: +SKIP
    >>> m.summary()[["item", "a", "se_a", "b", "se_b"]]  # doctest: +SKIP
    """

    model: ClassVar[ModelName] = "2pl"

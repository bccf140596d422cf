"""Partial credit, generalized partial credit, graded response and rating scale models by MML.

Items may mix categories: scores 0..K_j per item (K_j = 1 is a 0/1 item, which the GPCM and
GRM fit as a 2PL and the PCM as a Rasch item), NaN = missing. The formulas and mirt's
equivalents are in :mod:`edutools.irt.result_poly`; in short, with θ ~ N(0, σ²):

- ``GPCM``: P(X = k) ∝ exp(sum_{v<=k} a (θ - b_v)), σ = 1 (mirt ``itemtype = "gpcm"``);
- ``PCM``: the same with every a = 1 and σ estimated (mirt ``itemtype = "Rasch"``);
- ``RSM``: the PCM with b_jk = λ_j + τ_k, sum_k τ_k = 0, the same K for every item;
- ``GRM``: P(X >= k) = σ(a (θ - b_k)), σ = 1 (mirt ``itemtype = "graded"``).

The fit is Bock-Aitkin EM over 61 nodes on [-6, 6] (SQUAREM-accelerated), finished by
Newton steps on the exact marginal log-likelihood; SEs come from the inverse observed
information (Louis, 1982), thresholds by the delta method. See ``_polyfit``.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from edutools._blas import blas_threads_for
from edutools.errors import CalibrationError
from edutools.irt._base import EstimatorMixin
from edutools.irt._data import CalibrationWarning
from edutools.irt._polydata import PolyData, prepare_polytomous
from edutools.irt._polyfit import fit_polytomous
from edutools.irt._polymodels import PolyName, PolySpec
from edutools.irt._quadrature import Quadrature, normal_grid
from edutools.irt.result_poly import PolyCalibration, ScoreMethod

__all__ = ["GPCM", "GRM", "PCM", "RSM"]

# As for the dichotomous models: one BLAS thread below this many pattern × column cells.
_ONE_THREAD_BELOW = 4_000_000


def item_rest_correlations(data: PolyData) -> np.ndarray:
    """Pearson correlation of each item's score with the rest score, over answered items."""
    X = np.maximum(data.cats, 0).astype(float)
    M = (data.cats >= 0).astype(float)
    w = data.counts
    total = X.sum(axis=1)
    out = np.zeros(data.n_items)
    for j in range(data.n_items):
        m = M[:, j] > 0
        x, r, ww = X[m, j], total[m] - X[m, j], w[m]
        if ww.sum() <= 1:
            continue
        mx, mr = np.average(x, weights=ww), np.average(r, weights=ww)
        sx = np.average((x - mx) ** 2, weights=ww)
        sr = np.average((r - mr) ** 2, weights=ww)
        if sx > 0 and sr > 0:
            out[j] = np.average((x - mx) * (r - mr), weights=ww) / np.sqrt(sx * sr)
    return out


def irt_parameters(spec: PolySpec, phi: np.ndarray, cov: np.ndarray) -> dict[str, Any]:
    """Slopes, thresholds, locations and σ on the θ scale, with delta-method SEs.

    On the quadrature scale z the slots are (α, δ_1..δ_K); θ = σ z with σ = s for the PCM
    and RSM (whose θ-scale slopes are 1) and σ = 1 otherwise. Divide-by-total:
    b_v = -(δ_v - δ_{v-1}) / a; graded: b_k = -δ_k / a.
    """
    a_z, d = spec.expand(phi)
    common_scale = spec.name in ("pcm", "rsm")
    sigma = float(phi[0]) if common_scale else 1.0
    a = np.ones(spec.n_items) if common_scale else a_z
    # Jacobian rows over the compact full slots, per output
    n_full = spec.n_full
    start = np.concatenate([[0], np.cumsum(spec.top + 1)[:-1]])
    thresholds, jac_b, jac_loc, jac_d, jac_a = [], [], [], [], []
    for j, K in enumerate(spec.top):
        s0 = start[j]
        dd = np.r_[0.0, d[j, :K]]
        rows = np.zeros((K, n_full))
        if spec.name == "grm":
            b = -dd[1:] / a[j]
            rows[np.arange(K), s0] = dd[1:] / a[j] ** 2
            rows[np.arange(K), s0 + 1 + np.arange(K)] = -1 / a[j]
        else:
            b = -(dd[1:] - dd[:-1]) / a[j]
            rows[np.arange(K), s0 + 1 + np.arange(K)] = -1 / a[j]
            rows[np.arange(1, K), s0 + np.arange(1, K)] = 1 / a[j]
            if not common_scale:
                rows[np.arange(K), s0] = (dd[1:] - dd[:-1]) / a[j] ** 2
        thresholds.append(b)
        jac_b.append(rows)
        loc_row = rows.mean(axis=0)
        jac_loc.append(loc_row)
        a_row = np.zeros(n_full)
        if not common_scale:
            a_row[s0] = 1.0
        jac_a.append(a_row)
        loc = float(b.mean())
        jac_d.append(-loc * a_row - a[j] * loc_row)
    T = spec.transform

    def se(rows: np.ndarray) -> np.ndarray:
        G = np.asarray((T.T @ rows.T).T)
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.einsum("ij,jk,ik->i", G, cov, G))

    se_b = se(np.vstack(jac_b))
    splits = np.cumsum(spec.top)[:-1]
    nan = np.full(spec.n_items, np.nan)
    return {
        "a": a,
        "thresholds": tuple(thresholds),
        "se_thresholds": tuple(np.split(se_b, splits)),
        "se_a": nan if common_scale else se(np.vstack(jac_a)),
        "location": np.array([b.mean() for b in thresholds]),
        "se_location": se(np.vstack(jac_loc)),
        "se_d": se(np.vstack(jac_d)),
        "sigma": sigma,
        "se_sigma": float(np.sqrt(cov[0, 0])) if common_scale else float("nan"),
    }


class _PolyMML(EstimatorMixin):
    """Shared fitting code; subclasses fix the model."""

    model: ClassVar[PolyName]

    def __init__(
        self,
        *,
        n_quadrature: int = 61,
        theta_limit: float = 6.0,
        max_iter: int = 2000,
        tol: float = 1e-6,
        compute_se: bool = True,
    ) -> None:
        self.n_quadrature = n_quadrature
        self.theta_limit = theta_limit
        self.max_iter = max_iter
        self.tol = tol
        self.compute_se = compute_se

    def _check_params(self) -> None:
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

    def _spec(self, n_cat: np.ndarray, items: list[str]) -> PolySpec:
        return PolySpec(self.model, tuple(int(k) for k in n_cat))

    def fit(self, X: Any, y: None = None) -> Self:
        """Calibrate the items of ``X`` (persons × items, scores 0..K_j, NaN = missing).

        Items with one observed score are excluded with a :class:`CalibrationWarning`
        (listed in ``excluded_``); a score that no person has, below an item's highest, is
        an error (recode the item to consecutive categories).
        """
        quad = normal_grid(self.n_quadrature, self.theta_limit)
        self._check_params()
        data = prepare_polytomous(X)
        spec = self._spec(data.n_cat, data.items)
        props = data.category_counts()
        props /= props.sum(axis=1, keepdims=True)
        phi0 = spec.start(props, item_rest_correlations(data))
        with blas_threads_for(
            data.n_patterns * data.design.shape[1], single_below=_ONE_THREAD_BELOW
        ):
            fit = fit_polytomous(data, spec, quad, phi0, tol=self.tol, max_iter=self.max_iter)
        notes = [f"{k} excluded: {v}" for k, v in data.excluded.items()]
        notes.append(f"optimum reached by {fit.method} ({fit.n_iter} E-steps)")
        if not fit.converged:
            warnings.warn(
                f"{self.model} fit did not converge in {self.max_iter} iterations; raise "
                "max_iter or loosen tol",
                CalibrationWarning,
                stacklevel=2,
            )
            notes.append(f"stopped after {fit.n_iter} E-steps without converging")
        cov = np.full((spec.n_params, spec.n_params), np.nan)
        if self.compute_se:
            try:
                np.linalg.cholesky(-fit.deriv.hess)
                cov = np.linalg.inv(-fit.deriv.hess)
            except np.linalg.LinAlgError:
                warnings.warn(
                    f"the observed information of the {self.model} model is not positive "
                    "definite (an item may be unidentified); standard errors are NaN",
                    CalibrationWarning,
                    stacklevel=2,
                )
                notes.append("observed information not positive definite: no standard errors")
        pars = irt_parameters(spec, fit.phi, cov)
        wild = [
            i
            for i, a, b in zip(data.items, pars["a"], pars["thresholds"], strict=True)
            if abs(a) > 10 or not np.all(np.abs(b) <= 10)
        ]
        if wild:
            warnings.warn(
                f"item(s) {', '.join(wild)} have extreme estimates (|a| > 10 or a threshold "
                "beyond ±10): the data hardly inform them; merge sparse categories or use a "
                "model with fewer parameters",
                CalibrationWarning,
                stacklevel=2,
            )
            notes.append(f"extreme estimates: {', '.join(wild)}")
        labels = spec.labels(data.items)
        sigma = pars["sigma"]
        theta_quad = Quadrature(nodes=quad.nodes * sigma, weights=quad.weights)
        cal = PolyCalibration(
            model=self.model,
            method="MML",
            items=tuple(data.items),
            n_cat=data.n_cat.copy(),
            a=pars["a"],
            thresholds=pars["thresholds"],
            se_a=pars["se_a"],
            se_thresholds=pars["se_thresholds"],
            location=pars["location"],
            se_location=pars["se_location"],
            se_d=pars["se_d"],
            loglik=fit.deriv.loglik,
            n_params=spec.n_params,
            n_persons=data.n_persons,
            quadrature=theta_quad,
            sigma=sigma,
            se_sigma=pars["se_sigma"],
            cov=pd.DataFrame(cov, index=labels, columns=labels),
            converged=fit.converged,
            n_iter=fit.n_iter,
            excluded=dict(data.excluded),
            notes=tuple(notes),
        )
        self._set_fitted(cal)
        return self

    def _set_fitted(self, cal: PolyCalibration) -> None:
        self.calibration_ = cal
        self.items_ = list(cal.items)
        self.a_ = cal.a
        self.thresholds_ = list(cal.thresholds)
        self.se_a_ = cal.se_a
        self.se_thresholds_ = list(cal.se_thresholds)
        self.b_ = cal.location
        self.sigma_ = cal.sigma
        self.se_sigma_ = cal.se_sigma
        self.loglik_ = cal.loglik
        self.aic_ = cal.aic
        self.bic_ = cal.bic
        self.n_categories_ = [int(k) for k in cal.n_cat]
        self.cov_ = cal.cov
        self.n_iter_ = cal.n_iter
        self.converged_ = cal.converged
        self.excluded_ = dict(cal.excluded)
        self.notes_ = list(cal.notes)

    # ------------------------------------------------------------------ delegation
    def category_probabilities(self, theta: Any) -> list[np.ndarray]:
        """P(X_j = k | θ) per item, arrays of shape (len(theta), K_j + 1)."""
        self._check_fitted()
        return self.calibration_.category_probabilities(theta)

    def item_information(self, theta: Any) -> np.ndarray:
        """Item information, shape (len(theta), n_items)."""
        self._check_fitted()
        return self.calibration_.item_information(theta)

    def information(self, theta: Any) -> np.ndarray:
        """Test information at θ."""
        self._check_fitted()
        return self.calibration_.information(theta)

    def score(self, X: Any, method: ScoreMethod = "eap") -> pd.DataFrame:
        """θ̂ and SE per person by EAP, MAP, WLE or ML (see :meth:`PolyCalibration.score`)."""
        self._check_fitted()
        return self.calibration_.score(X, method)

    def summary(self) -> pd.DataFrame:
        """One row per item: item, a, se_a, threshold_1.., se_threshold_1.., b, se_b."""
        self._check_fitted()
        return self.calibration_.summary()


class GPCM(_PolyMML):
    """Generalized partial credit model (Muraki, 1992): a slope and K_j thresholds per item.

    P(X = k | θ) ∝ exp(sum_{v<=k} a (θ - b_v)), θ ~ N(0, 1); mirt's d_k = -a (b_1 + ... + b_k).

    Parameters
    ----------
    n_quadrature : int
        Quadrature nodes (61 by default, as mirt).
    theta_limit : float
        The grid spans [-theta_limit, theta_limit].
    max_iter : int
        Maximum number of E-steps.
    tol : float
        Convergence: parameter change and relative log-likelihood change below ``tol``.
    compute_se : bool
        Standard errors from the observed information.

    Example
    -------
    >>> from edutools.irt import GPCM, simulate_poly_items, simulate_polytomous
    >>> items = simulate_poly_items(6, "gpcm", n_categories=3, seed=1)
    >>> X, _ = simulate_polytomous(items, 500, "gpcm", seed=2)
    >>> m = GPCM().fit(X)
    >>> [len(b) for b in m.thresholds_]
    [2, 2, 2, 2, 2, 2]
    """

    model: ClassVar[PolyName] = "gpcm"


class PCM(_PolyMML):
    """Partial credit model (Masters, 1982) by MML: every slope 1, θ ~ N(0, σ²), σ estimated.

    P(X = k | θ) ∝ exp(sum_{v<=k} (θ - b_v)), as mirt's ``itemtype = "Rasch"``. ``sigma_``
    holds σ. Parameters are those of :class:`GPCM`.

    Example
    -------
    >>> PCM().fit(X).sigma_  # doctest: +SKIP
    """

    model: ClassVar[PolyName] = "pcm"


class RSM(_PolyMML):
    """Rating scale model (Andrich, 1978) by MML: the PCM with b_jk = λ_j + τ_k, sum τ_k = 0.

    Every item needs the same number of categories. Parameters are those of :class:`GPCM`.

    Example
    -------
    >>> RSM().fit(X).thresholds_  # doctest: +SKIP
    """

    model: ClassVar[PolyName] = "rsm"

    def _spec(self, n_cat: np.ndarray, items: list[str]) -> PolySpec:
        if np.unique(n_cat).size > 1:
            first = int(n_cat[0])
            other = next(i for i, k in zip(items, n_cat, strict=True) if k != first)
            raise CalibrationError(
                f"the rating scale model needs the same scores 0..K on every item; "
                f"'{items[0]}' has 0..{first - 1} but '{other}' has "
                f"0..{int(n_cat[items.index(other)]) - 1}; use the PCM or GPCM"
            )
        return super()._spec(n_cat, items)


class GRM(_PolyMML):
    """Graded response model (Samejima, 1969): P(X >= k | θ) = σ(a (θ - b_k)), θ ~ N(0, 1).

    mirt's ``itemtype = "graded"`` with d_k = -a b_k. Parameters are those of :class:`GPCM`.

    Example
    -------
    >>> GRM().fit(X).summary()  # doctest: +SKIP
    """

    model: ClassVar[PolyName] = "grm"

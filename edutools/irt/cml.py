"""Rasch, partial credit and rating scale models by conditional maximum likelihood (CML).

Given a person's raw score r on the items they answered, the Rasch-family likelihood no
longer depends on θ (Andersen, 1970)::

    P(x | r) = prod_j exp(-τ_{j, x_j}) / γ_r,   τ_jk = b_j1 + ... + b_jk,

with γ_r the elementary symmetric function of order r (``_esf``). The conditional
log-likelihood depends on the data only through the category counts of each item and the
raw-score counts of each group of persons who answered the same items, so the fit costs
the same for 500 or 500 000 persons. Persons with the lowest or highest possible score
carry no information and contribute nothing (``n_extreme_`` counts them); ``n_persons``
counts every person with a response, as psychotools' ``nobs`` (used in the BIC).
``loglik_`` is the conditional log-likelihood, as ``logLik`` of psychotools'
``raschmodel``, ``pcmodel`` and ``rsmodel`` and eRm's ``RM``, ``PCM`` and ``RSM`` report it.

Reported parameters (the thresholds b_jk of :mod:`edutools.irt.result_poly`, a = 1):

- normalisation: the thresholds sum to zero over all items and categories (psychotools'
  ``threshpar`` default; for the Rasch model the difficulties sum to zero, as ``itempar``
  and eRm's ``sum0 = TRUE``, whose ``betapar`` are easiness parameters, -b);
- psychotools' ``coef`` instead fixes the first cumulative parameter at 0 and eRm's
  ``betapar`` are -τ_jk with sum zero: subtract the mean threshold to compare;
- RSM: b_jk = λ_j + τ_k with sum_k τ_k = 0 (``location_`` = λ, ``tau_`` = τ).

Standard errors come from the inverse observed information of the conditional likelihood
(exact Hessian from second-order symmetric functions), mapped linearly to the reported
normalisation. Person estimates are Warm's weighted likelihood estimates (WLE).
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from edutools.errors import CalibrationError
from edutools.irt._base import EstimatorMixin
from edutools.irt._data import CalibrationWarning, _unique_rows
from edutools.irt._esf import conditional_terms
from edutools.irt._polydata import PolyData, prepare_polytomous
from edutools.irt.result_poly import PolyCalibration, ScoreMethod

__all__ = ["PCMCML", "RSMCML", "RaschCML", "sufficient_statistics"]

# Above this many groups of persons with the same answered items, the start Hessian of the
# quasi-Newton iterations comes from this many of them.
_START_GROUPS = 500


def sufficient_statistics(
    data: PolyData,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Category counts n_jk, answered-item groups, raw-score counts per group, and the numbers
    of persons kept and left out (extreme scores).

    Returns ``(n_jk (J × categories), groups (G × J bool), n_gr (G × R + 1), kept, extreme)``.
    """
    K = data.n_cat - 1
    obs = data.cats >= 0
    score = np.where(obs, data.cats, 0).sum(axis=1)
    top = (obs * K).sum(axis=1)
    keep = (score > 0) & (score < top)
    w = data.counts * keep
    n_jk = np.zeros((data.n_items, int(K.max()) + 1))
    for j in range(data.n_items):
        seen = obs[:, j]
        n_jk[j] = np.bincount(data.cats[seen, j], weights=w[seen], minlength=n_jk.shape[1])
    rows = np.flatnonzero(keep)
    R = int(K.sum())
    if rows.size == 0:
        return n_jk, np.zeros((0, data.n_items), bool), np.zeros((0, R + 1)), 0, data.n_persons
    first, inverse, _ = _unique_rows(np.packbits(obs[rows].view(np.uint8), axis=1))
    groups = obs[rows[first]]
    n_gr = np.zeros((first.size, R + 1))
    np.add.at(n_gr, (inverse, score[rows]), data.counts[rows])
    kept = int(w.sum())
    return n_jk, groups, n_gr, kept, data.n_persons - kept


class _CML(EstimatorMixin):
    """Shared fitting code; subclasses fix the model."""

    model: ClassVar[str]

    def __init__(self, *, max_iter: int = 100, tol: float = 1e-8, compute_se: bool = True) -> None:
        self.max_iter = max_iter
        self.tol = tol
        self.compute_se = compute_se

    # ------------------------------------------------------------------ layout
    def _layout(self, K: np.ndarray, items: list[str]) -> tuple[np.ndarray, list[str]]:
        """L with τ (compact cumulative thresholds) = L ψ, and the names of ψ."""
        n_u = int(K.sum())
        L = np.eye(n_u)[:, 1:]  # τ_11 = 0
        names = [f"tau{k}:{i}" for i, kk in zip(items, K, strict=True) for k in range(1, kk + 1)]
        return L, names[1:]

    def fit(self, X: Any, y: None = None) -> Self:
        """Fit by conditional ML (Newton's method on the exact Hessian); returns self."""
        if not (isinstance(self.max_iter, int) and self.max_iter >= 1):
            raise CalibrationError(f"max_iter={self.max_iter!r}; expected a positive integer")
        data = prepare_polytomous(X)
        K = data.n_cat - 1
        self._check_categories(data)
        n_jk, groups, n_gr, kept, extreme = sufficient_statistics(data)
        empty = [
            (data.items[j], k)
            for j in range(data.n_items)
            for k in range(K[j] + 1)
            if n_jk[j, k] == 0
        ]
        if empty:
            item, k = empty[0]
            raise CalibrationError(
                f"item '{item}': no person with a non-extreme raw score has score {k}, so its "
                "conditional ML estimate is infinite; merge that category with a neighbour "
                "or remove the item"
            )
        L, names = self._layout(K, data.items)
        comp_j = np.repeat(np.arange(data.n_items), K)
        comp_k = np.concatenate([np.arange(1, k + 1) for k in K])
        counts = n_jk[comp_j, comp_k]

        def evaluate(
            psi: np.ndarray, hess: bool, sample: np.ndarray | None = None
        ) -> tuple[float, np.ndarray, np.ndarray | None]:
            u = np.full(n_jk.shape, -np.inf)
            u[:, 0] = 0.0
            u[comp_j, comp_k] = -(L @ psi)
            if sample is not None:  # a Hessian from some groups, scaled to all persons
                sub = n_gr[sample]
                t = conditional_terms(u, K, groups[sample], sub, hessian=True)
                assert t.hessian is not None
                return 0.0, psi, L.T @ (-t.hessian * (n_gr.sum() / sub.sum())) @ L
            t = conditional_terms(u, K, groups, n_gr, hessian=hess)
            ll = float(counts @ u[comp_j, comp_k]) - t.log_gamma_sum
            g_tau = t.expected[comp_j, comp_k] - counts
            H = None if t.hessian is None else L.T @ (-t.hessian) @ L
            return ll, L.T @ g_tau, H

        # start: cumulative log odds against category 0, centred, projected on the layout
        props = np.clip(n_jk, 0.5, None)
        tau0 = -np.log(props[comp_j, comp_k] / props[comp_j, 0])
        psi = np.linalg.lstsq(L, tau0 - tau0[0], rcond=None)[0]
        # Quasi-Newton: the exact Hessian at the start, BFGS updates from the gradients, and
        # the exact Hessian again at the optimum for the standard errors. The Hessian is the
        # costly part when many groups of persons answered different items.
        # with many groups (missing responses) the start Hessian comes from a sample of them:
        # BFGS corrects it, and the Hessian at the optimum is exact
        if groups.shape[0] > _START_GROUPS:
            sample = np.random.default_rng(0).choice(groups.shape[0], _START_GROUPS, replace=False)
            _, _, H = evaluate(psi, True, np.sort(sample))
            ll, g, _ = evaluate(psi, False)
        else:
            ll, g, H = evaluate(psi, True)
        assert H is not None
        B = -H
        converged = False
        n_iter = 0
        while n_iter < self.max_iter:
            n_iter += 1
            try:
                step = np.linalg.solve(B, g)
            except np.linalg.LinAlgError as exc:
                raise CalibrationError(
                    f"the conditional information of the {self.model} model is singular; an "
                    "item may be unidentified (check for items answered by too few persons)"
                ) from exc
            big = float(np.abs(step).max())
            if big < self.tol:
                converged = True
                break
            if big > 2.0:
                step *= 2.0 / big
            for _half in range(30):
                new_ll, new_g, _ = evaluate(psi + step, False)
                if new_ll >= ll - 1e-10 * abs(ll):
                    break
                step /= 2
            dg = g - new_g  # change of the gradient of -loglik
            psi, ll, g = psi + step, new_ll, new_g
            ys = float(dg @ step)
            if ys > 1e-12 * float(np.abs(dg).max() * np.abs(step).max()):
                Bs = B @ step
                B = B - np.outer(Bs, Bs) / float(step @ Bs) + np.outer(dg, dg) / ys
        if not converged:
            warnings.warn(
                f"the {self.model} CML fit did not converge in {self.max_iter} iterations",
                CalibrationWarning,
                stacklevel=2,
            )
        ll, g, H = evaluate(psi, True)  # the exact Hessian at the optimum
        assert H is not None
        cov = np.full((L.shape[1],) * 2, np.nan)
        if self.compute_se:
            with contextlib.suppress(np.linalg.LinAlgError):
                cov = np.linalg.inv(-H)
        cal = self._calibration(data, L, names, psi, cov, ll, kept, extreme, converged, n_iter)
        self._set_fitted(cal, extreme)
        return self

    def _check_categories(self, data: PolyData) -> None:
        """Model-specific checks of the categories."""

    def _calibration(
        self,
        data: PolyData,
        L: np.ndarray,
        names: list[str],
        psi: np.ndarray,
        cov: np.ndarray,
        ll: float,
        kept: int,
        extreme: int,
        converged: bool,
        n_iter: int,
    ) -> PolyCalibration:
        K = data.n_cat - 1
        n_u = int(K.sum())
        starts = np.concatenate([[0], np.cumsum(K)[:-1]])
        # thresholds b = differences of the cumulative τ within items, then centred
        D = np.eye(n_u)
        for s, k in zip(starts, K, strict=True):
            for v in range(1, k):
                D[s + v, s + v - 1] = -1.0
        center = np.eye(n_u) - 1.0 / n_u
        A = center @ D @ L
        b = A @ psi
        cov_b = A @ cov @ A.T
        se_b = (
            np.sqrt(np.maximum(np.diag(cov_b), 0.0))
            if np.all(np.isfinite(cov))
            else np.full(n_u, np.nan)
        )
        splits = np.cumsum(K)[:-1]
        thresholds = tuple(np.split(b, splits))
        M = np.zeros((data.n_items, n_u))
        for j, (s, k) in enumerate(zip(starts, K, strict=True)):
            M[j, s : s + k] = 1.0 / k
        loc = M @ b
        se_loc = (
            np.sqrt(np.maximum(np.diag(M @ cov_b @ M.T), 0.0))
            if np.all(np.isfinite(cov))
            else np.full(data.n_items, np.nan)
        )
        notes = [f"{k} excluded: {v}" for k, v in data.excluded.items()]
        notes.append(f"{extreme} person(s) with the lowest or highest possible score left out")
        notes.append(f"conditional ML by Newton's method ({n_iter} iterations)")
        return PolyCalibration(
            model=self.model,
            method="CML",
            items=tuple(data.items),
            n_cat=data.n_cat.copy(),
            a=np.ones(data.n_items),
            thresholds=thresholds,
            se_a=np.full(data.n_items, np.nan),
            se_thresholds=tuple(np.split(se_b, splits)),
            location=loc,
            se_location=se_loc,
            se_d=se_loc,
            loglik=ll,
            n_params=L.shape[1],
            n_persons=kept + extreme,
            quadrature=None,
            sigma=float("nan"),
            cov=pd.DataFrame(cov, index=names, columns=names),
            converged=converged,
            n_iter=n_iter,
            excluded=dict(data.excluded),
            notes=tuple(notes),
        )

    def _set_fitted(self, cal: PolyCalibration, extreme: int) -> None:
        self.calibration_ = cal
        self.items_ = list(cal.items)
        self.a_ = cal.a
        self.se_a_ = cal.se_a
        self.thresholds_ = list(cal.thresholds)
        self.se_thresholds_ = list(cal.se_thresholds)
        self.b_ = cal.location
        self.se_b_ = cal.se_location
        self.loglik_ = cal.loglik
        self.aic_ = cal.aic
        self.bic_ = cal.bic
        self.n_categories_ = [int(k) for k in cal.n_cat]
        self.cov_ = cal.cov
        self.n_iter_ = cal.n_iter
        self.converged_ = cal.converged
        self.excluded_ = dict(cal.excluded)
        self.n_extreme_ = extreme
        self.notes_ = list(cal.notes)

    # ------------------------------------------------------------------ persons and curves
    def person_estimates(self, X: Any, method: ScoreMethod = "wle") -> pd.DataFrame:
        """θ̂ and SE per person: Warm's WLE (default) or ML, given the item thresholds."""
        self._check_fitted()
        return self.calibration_.score(X, method)

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

    def summary(self) -> pd.DataFrame:
        """One row per item: item, a, se_a, threshold_1.., se_threshold_1.., b, se_b."""
        self._check_fitted()
        return self.calibration_.summary()


class RaschCML(_CML):
    """The Rasch model by conditional ML; difficulties ``b_`` sum to zero.

    Matches psychotools' ``raschmodel`` (``itempar``) and eRm's ``RM`` (``-betapar``).

    Parameters
    ----------
    max_iter : int
        Newton iterations at most.
    tol : float
        Convergence: the largest Newton step below ``tol``.
    compute_se : bool
        Standard errors from the conditional information.

    Example
    -------
    >>> m = RaschCML().fit(X)  # doctest: +SKIP
    >>> m.b_, m.loglik_  # doctest: +SKIP
    """

    model: ClassVar[str] = "rasch"

    def _check_categories(self, data: PolyData) -> None:
        if data.n_cat.max() > 2:
            j = int(np.argmax(data.n_cat))
            raise CalibrationError(
                f"the Rasch model needs 0/1 scores; item '{data.items[j]}' has scores up to "
                f"{int(data.n_cat[j]) - 1}: use the partial credit model (pcm)"
            )


class PCMCML(_CML):
    """The partial credit model by conditional ML; thresholds sum to zero over all items.

    Matches psychotools' ``pcmodel`` (``threshpar``) and eRm's ``PCM``. Parameters are
    those of :class:`RaschCML`.

    Example
    -------
    >>> PCMCML().fit(X).thresholds_  # doctest: +SKIP
    """

    model: ClassVar[str] = "pcm"


class RSMCML(_CML):
    """The rating scale model by conditional ML: b_jk = λ_j + τ_k, sum τ = 0, sum λ = 0.

    Every item needs the same scores 0..K. Matches psychotools' ``rsmodel`` and eRm's
    ``RSM``. ``location_`` holds λ and ``tau_`` the common category thresholds τ.

    Example
    -------
    >>> RSMCML().fit(X).tau_  # doctest: +SKIP
    """

    model: ClassVar[str] = "rsm"

    def _check_categories(self, data: PolyData) -> None:
        if np.unique(data.n_cat).size > 1:
            raise CalibrationError(
                "the rating scale model needs the same scores 0..K on every item; found "
                f"{sorted(set(int(k) - 1 for k in data.n_cat))} as highest scores; use pcm"
            )

    def _layout(self, K: np.ndarray, items: list[str]) -> tuple[np.ndarray, list[str]]:
        # τ_jk = k λ_j + (τ_1 + ... + τ_k); free: λ_2..λ_J, τ_1..τ_{K-1}; λ_1 = 0, τ_K = -Σ
        J, k_max = K.size, int(K[0])
        L = np.zeros((J * k_max, J - 1 + k_max - 1))
        for j in range(J):
            for k in range(1, k_max + 1):
                row = j * k_max + k - 1
                if j > 0:
                    L[row, j - 1] = k
                for v in range(1, k + 1):
                    if v < k_max:
                        L[row, J - 1 + v - 1] += 1.0
                    else:
                        L[row, J - 1 :] -= 1.0
        names = [f"location:{i}" for i in items[1:]] + [f"tau{k}" for k in range(1, k_max)]
        return L, names

    def _set_fitted(self, cal: PolyCalibration, extreme: int) -> None:
        super()._set_fitted(cal, extreme)
        self.location_ = cal.location
        b = np.vstack(cal.thresholds)
        self.tau_ = (b - cal.location[:, None]).mean(axis=0)

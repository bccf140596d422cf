"""EM over the quadrature grid, accelerated by SQUAREM.

Plain EM converges linearly, slowly when tests are short. SQUAREM (Varadhan & Roland,
2008, scheme S3) extrapolates along two successive EM steps, then takes one more EM step
from the extrapolated point; an extrapolation that lowers the log-posterior is discarded
in favour of the plain EM step, so every accepted cycle is an ascent.

Convergence needs both the largest parameter change of an EM step below ``tol`` and the
relative change of the log-likelihood below ``tol`` (the issue's "by log-likelihood and
parameter change").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from edutools.irt._data import ResponseData
from edutools.irt._estep import estep, log_probabilities
from edutools.irt._models import ModelSpec
from edutools.irt._quadrature import Quadrature

__all__ = ["EMResult", "run_em", "squarem"]


@dataclass(frozen=True)
class EMResult:
    """Where EM stopped."""

    phi: np.ndarray
    loglik: float
    n_iter: int
    converged: bool


def _em_map(
    data: ResponseData, spec: ModelSpec, quad: Quadrature, dtype: type[np.floating]
) -> Callable[[np.ndarray], tuple[np.ndarray, float]]:
    log_prior = quad.log_weights

    def step(phi: np.ndarray) -> tuple[np.ndarray, float]:
        a, d, c = spec.expand(phi)
        lp1, lp0 = log_probabilities(a, d, c, quad.nodes)
        e = estep(data, lp1, lp0, log_prior, dtype=dtype)
        return spec.mstep(phi, e.r, e.n, quad.nodes), e.loglik + spec.log_prior(phi)

    return step


def run_em(
    data: ResponseData,
    spec: ModelSpec,
    quad: Quadrature,
    phi0: np.ndarray,
    *,
    max_iter: int = 2000,
    tol: float = 1e-6,
    dtype: type[np.floating] = np.float64,
    accelerate: bool = True,
) -> EMResult:
    """Iterate EM (with SQUAREM when ``accelerate``) from ``phi0`` until converged.

    ``max_iter`` counts E-steps. The returned log-likelihood is the log-posterior at the
    last point an E-step was taken (equal to the log-likelihood without priors).
    """
    F = _em_map(data, spec, quad, dtype)
    return squarem(F, phi0, max_iter=max_iter, tol=tol, accelerate=accelerate)


def squarem(
    F: Callable[[np.ndarray], tuple[np.ndarray, float]],
    phi0: np.ndarray,
    *,
    max_iter: int = 2000,
    tol: float = 1e-6,
    accelerate: bool = True,
) -> EMResult:
    """SQUAREM over any EM map ``F(phi) -> (next phi, log-posterior at phi)``.

    ``max_iter`` counts calls of ``F`` (E-steps).
    """
    phi = np.asarray(phi0, dtype=float).copy()
    step_max = 1.0
    n_iter = 0
    prev_ll = -np.inf

    def done(new: np.ndarray, old: np.ndarray, ll: float, ll_old: float) -> bool:
        change = float(np.abs(new - old).max())
        rel = abs(ll - ll_old) / (1.0 + abs(ll))
        return change < tol and rel < tol

    while n_iter < max_iter:
        phi1, ll0 = F(phi)
        n_iter += 1
        if done(phi1, phi, ll0, prev_ll):
            return EMResult(phi1, ll0, n_iter, True)
        if not accelerate or n_iter >= max_iter:
            phi, prev_ll = phi1, ll0
            continue
        phi2, ll1 = F(phi1)
        n_iter += 1
        if done(phi2, phi1, ll1, ll0):
            return EMResult(phi2, ll1, n_iter, True)
        r = phi1 - phi
        v = phi2 - phi1 - r
        vv = float(v @ v)
        alpha = -np.sqrt(float(r @ r) / vv) if vv > 0 else -1.0
        alpha = float(np.clip(alpha, -step_max, -1.0))
        if n_iter >= max_iter:
            phi, prev_ll = phi2, ll1
            break
        # alpha = -1 gives phi_x = phi2: the cycle is then three plain EM steps
        phi_x = phi - 2 * alpha * r + alpha**2 * v
        with np.errstate(all="ignore"):
            phi_new, ll_x = F(phi_x)
        n_iter += 1
        if np.isfinite(ll_x) and np.all(np.isfinite(phi_new)) and ll_x >= ll1:
            phi, prev_ll = phi_new, ll_x
            if alpha == -step_max:
                step_max *= 4.0
        else:
            phi, prev_ll = phi2, ll1
            step_max = max(1.0, step_max / 4.0)
    return EMResult(phi, prev_ll, n_iter, False)

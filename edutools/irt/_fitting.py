"""How a fit reaches the maximum of the marginal likelihood, by data size.

- Fewer than 10 000 response patterns: EM (SQUAREM-accelerated) to a parameter change of
  1e-4, then Newton steps with the exact Hessian (Louis) until the Newton step is below
  ``tol``. Newton converges quadratically, so the result is the MLE to working precision.
- More patterns: EM and the exact Hessian on a random subsample of persons (at most a
  quarter of them), then quasi-Newton steps on
  the full data, each from one E-step: the gradient comes free with the E-step (Fisher's
  identity) and the subsample's information, scaled to the full sample, stands in for the
  Hessian. Its relative error is of order 1/sqrt(subsample), so every step shrinks the
  distance to the optimum by about that factor; a step that lowers the likelihood is
  halved. Plain EM has a slow mode here (the common scale of the slopes converges at a
  rate near 0.96 per iteration), which this avoids. When an exact Hessian over all
  persons is affordable, Newton steps in double precision finish the fit as above.

Convergence needs two things, as for EM: the parameter change (here the Newton step, an
estimate of the distance to the optimum) below ``tol`` and the log-likelihood change (the
gain gᵀδ / 2 the step predicts) below ``tol`` relative to the log-likelihood. If a Hessian
is not positive definite, the fit falls back on EM to the full tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from edutools.irt._data import ResponseData
from edutools.irt._em import run_em
from edutools.irt._estep import estep, log_probabilities
from edutools.irt._louis import Derivatives, marginal_derivatives
from edutools.irt._models import ModelSpec
from edutools.irt._quadrature import Quadrature

__all__ = ["Fit", "item_rest_stats", "maximise"]

# Budget, in multiply-adds, of one exact Hessian over the data for Newton polishing.
_HESSIAN_BUDGET = 2e10
_MIN_SUBSAMPLE = 2_000
_MAX_SUBSAMPLE = 20_000
# From this many response patterns on, quasi-Newton with a subsample Hessian beats EM.
_QUASI_NEWTON_ABOVE = 10_000


@dataclass(frozen=True)
class Fit:
    """The optimum reached, the derivatives there and how it was reached."""

    phi: np.ndarray
    deriv: Derivatives
    n_iter: int
    converged: bool
    method: str


def item_rest_stats(data: ResponseData) -> tuple[np.ndarray, np.ndarray]:
    """Proportion correct and item-rest correlation of each item, weighted by pattern counts.

    The sums run over the persons who answered the item; the rest score counts the other
    items answered correctly. Computed chunk by chunk with matrix-vector products.
    """
    J = data.n_items
    sums = np.zeros((5, J))
    step = 65_536
    for start in range(0, data.n_patterns, step):
        block = data.design[start : start + step].astype(np.float32)
        ones = block[:, :J]
        obs = ones + block[:, J:] if data.has_missing else None
        w = data.counts[start : start + step]
        total = ones.sum(axis=1, dtype=np.float64)
        wt = w * total
        V = np.stack([w, wt, wt * total]).astype(np.float32)
        s_ones = (V[:2] @ ones).astype(np.float64)
        if obs is not None:
            s_obs = (V @ obs).astype(np.float64)
        else:
            s_obs = np.outer(V.sum(axis=1, dtype=np.float64), np.ones(J))
        sums += np.vstack([s_obs, s_ones])
    s_w, s_wt, s_wtt, s_x, s_xt = sums
    s_r = s_wt - s_x
    s_xr = s_xt - s_x
    s_rr = s_wtt - 2 * s_xt + s_x
    p = s_x / s_w
    cov = s_xr / s_w - p * s_r / s_w
    var_r = s_rr / s_w - (s_r / s_w) ** 2
    den = np.sqrt(p * (1 - p) * var_r)
    with np.errstate(invalid="ignore", divide="ignore"):
        rpb = np.where(den > 0, cov / den, 0.0)
    return p, rpb


def hessian_cost(data: ResponseData, spec: ModelSpec, n_nodes: int) -> float:
    """Approximate multiply-adds of one exact Hessian pass per response pattern."""
    J = data.n_items
    if spec.name == "3pl":  # items × items products per node (three with missing), G Gᵀ
        return 0.4 * n_nodes * J * J * (3 if data.has_missing else 1) + 9 * J * J
    if data.has_missing:
        return 10 * J * J + 0.2 * n_nodes * J * J
    return 10 * J * J


def _converged(size: float, grad: np.ndarray, step: np.ndarray, loglik: float, tol: float) -> bool:
    """Both criteria at a (quasi-)Newton step: the step, which estimates the distance to the
    optimum, below ``tol``, and the log-likelihood gain it predicts, gᵀδ / 2, below ``tol``
    relative to the log-likelihood."""
    return size < tol and 0.5 * abs(float(grad @ step)) < tol * (1.0 + abs(loglik))


def newton_polish(
    data: ResponseData,
    spec: ModelSpec,
    quad: Quadrature,
    phi: np.ndarray,
    deriv: Derivatives,
    tol: float,
) -> tuple[np.ndarray, Derivatives, bool]:
    """Newton steps on the exact marginal log-posterior from near the optimum.

    Returns the new point, its derivatives and whether the last Newton step was below
    ``tol`` (the point is then within ``tol`` of the optimum).
    """
    for _ in range(6):
        try:
            chol = cho_factor(-deriv.hess)
        except (np.linalg.LinAlgError, ValueError):  # not positive definite, or not finite
            return phi, deriv, False
        step = cho_solve(chol, deriv.grad)
        size = float(np.abs(step).max())
        if _converged(size, deriv.grad, step, deriv.loglik, tol):
            return phi, deriv, True
        if size > 0.1:  # not close enough for Newton to be trusted
            return phi, deriv, False
        trial = marginal_derivatives(data, spec, phi + step, quad, dtype=np.float64)
        old = deriv.loglik + spec.log_prior(phi)
        new = trial.loglik + spec.log_prior(phi + step)
        if not new >= old - 1e-9 * abs(old):
            return phi, deriv, False
        phi, deriv = phi + step, trial
    return phi, deriv, False


def subsample(data: ResponseData, n_persons: int, seed: int = 0) -> ResponseData:
    """A seeded random subsample of about ``n_persons`` persons (drawn with replacement)."""
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n_persons, data.counts / data.counts.sum())
    rows = np.flatnonzero(counts)
    return replace(
        data,
        design=data.design[rows],
        counts=counts[rows].astype(np.float64),
        inverse=np.arange(rows.size),
        kept=np.ones(rows.size, dtype=bool),
    )


def _subsample_newton(
    data: ResponseData,
    spec: ModelSpec,
    quad: Quadrature,
    phi0: np.ndarray,
    dtype: type[np.floating],
    tol: float,
    max_iter: int,
    n_sub: int,
    refine_below: float = 0.0,
) -> tuple[np.ndarray, int, bool] | None:
    """Quasi-Newton on the full data with the scaled information of a subsample (see module doc).

    Once a step is below ``refine_below`` the E-steps switch to double precision.
    """
    sub = subsample(data, n_sub)
    ones = (sub.counts @ sub.ones).astype(float)
    seen = (sub.counts @ sub.observed).astype(float)
    if np.any(ones == 0) or np.any(ones == seen):  # an item without variance in the subsample
        return None
    start = run_em(sub, spec, quad, phi0, max_iter=500, tol=1e-4, dtype=np.float64)
    sub_deriv = marginal_derivatives(sub, spec, start.phi, quad, dtype=np.float64)
    try:
        chol = cho_factor(-sub_deriv.hess * (data.counts.sum() / sub.counts.sum()))
    except (np.linalg.LinAlgError, ValueError):  # not positive definite, or not finite
        return None
    phi = start.phi
    prev_phi: np.ndarray | None = None
    prev_obj = -np.inf
    halvings = 0
    for it in range(1, max_iter + 1):
        a, d, c = spec.expand(phi)
        lp1, lp0 = log_probabilities(a, d, c, quad.nodes)
        e = estep(data, lp1, lp0, quad.log_weights, dtype=dtype)
        obj = e.loglik + spec.log_prior(phi)
        # single precision sums carry noise of about 1e-7 of the log-likelihood
        if prev_phi is not None and obj < prev_obj - 1e-7 * abs(prev_obj):
            halvings += 1
            if halvings > 8:
                return None
            phi = prev_phi + 0.5 * (phi - prev_phi)
            continue
        grad = spec.gradient(phi, e.r, e.n, quad.nodes)
        step = cho_solve(chol, grad)
        size = float(np.abs(step).max())
        if _converged(size, grad, step, obj, tol):
            return phi, it, True
        if size < refine_below:  # close: switch to double precision for the last digits
            dtype, refine_below = np.float64, 0.0
        prev_phi, prev_obj = phi, obj
        phi = phi + step
    return phi, max_iter, False


def maximise(
    data: ResponseData,
    spec: ModelSpec,
    quad: Quadrature,
    phi0: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    dtype: type[np.floating],
) -> Fit:
    """Reach the maximum of the marginal log-posterior by the strategy of the module docstring.

    ``n_iter`` counts E-steps over the full data.
    """
    per_pattern = hessian_cost(data, spec, len(quad))
    affordable = data.n_patterns * per_pattern < _HESSIAN_BUDGET
    if data.n_patterns < _QUASI_NEWTON_ABOVE or (spec.name == "3pl" and affordable):
        # the 3PL's information is too ill-conditioned (and its likelihood not concave
        # enough away from the optimum) for a subsample's Hessian to stand in for the full
        # one; with the exact Hessian affordable, EM + Newton is the faster route
        return _em_then_newton(data, spec, quad, phi0, tol, max_iter, dtype)
    # single precision cannot resolve steps much below 1e-5
    # (when a double-precision Hessian is affordable, the last steps run in double precision)
    single = dtype is np.float32
    work_tol = tol if affordable or not single else max(tol, 1e-5)
    refine = 1e-4 if affordable and single else 0.0
    n_sub = int(
        np.clip(
            min(_HESSIAN_BUDGET / per_pattern, data.n_patterns / 4), _MIN_SUBSAMPLE, _MAX_SUBSAMPLE
        )
    )
    found = _subsample_newton(data, spec, quad, phi0, dtype, work_tol, max_iter, n_sub, refine)
    if found is None:
        if affordable:
            return _em_then_newton(data, spec, quad, phi0, tol, max_iter, dtype)
        em = run_em(data, spec, quad, phi0, max_iter=max_iter, tol=work_tol, dtype=dtype)
        deriv = marginal_derivatives(data, spec, em.phi, quad, dtype=dtype)
        return Fit(em.phi, deriv, em.n_iter, em.converged, "EM")
    phi, n_iter, converged = found
    if not affordable:
        deriv = marginal_derivatives(data, spec, phi, quad, dtype=dtype)
        label = "subsample-Hessian quasi-Newton"
        if work_tol > tol:
            label += f" in single precision, to a step of {work_tol:g}"
        return Fit(phi, deriv, n_iter, converged, label)
    # the exact Hessian is affordable: finish (or confirm) with Newton in double precision
    deriv = marginal_derivatives(data, spec, phi, quad, dtype=np.float64)
    phi, deriv, close = newton_polish(data, spec, quad, phi, deriv, tol)
    if close:
        return Fit(phi, deriv, n_iter, True, "subsample-Hessian quasi-Newton + Newton")
    return _em_then_newton(data, spec, quad, phi, tol, max_iter, dtype)


def _em_then_newton(
    data: ResponseData,
    spec: ModelSpec,
    quad: Quadrature,
    phi0: np.ndarray,
    tol: float,
    max_iter: int,
    dtype: type[np.floating],
) -> Fit:
    em = run_em(data, spec, quad, phi0, max_iter=max_iter, tol=max(tol, 1e-4), dtype=dtype)
    deriv = marginal_derivatives(data, spec, em.phi, quad, dtype=np.float64)
    phi, deriv, close = newton_polish(data, spec, quad, em.phi, deriv, tol)
    if close:
        return Fit(phi, deriv, em.n_iter, True, "EM + Newton")
    em2 = run_em(data, spec, quad, phi, max_iter=max_iter, tol=tol)
    deriv = marginal_derivatives(data, spec, em2.phi, quad, dtype=np.float64)
    return Fit(em2.phi, deriv, em.n_iter + em2.n_iter, em2.converged, "EM")

"""Marginal maximum likelihood of the polytomous models: E-step, EM, exact derivatives, Newton.

The E-step is the dichotomous one (``_estep.posterior_chunks``) over category indicators.
The fit runs EM (SQUAREM-accelerated) to a parameter change of 1e-4 and finishes with
Newton steps on the exact marginal log-likelihood, whose Hessian comes from Louis' (1982)
identity, ∇²ℓ_i = E_i[∇² log f] + E_i[s sᵀ] - E_i[s] E_i[s]ᵀ, as for the dichotomous models
(see ``_louis``). If a Newton step fails, EM runs on to the full tolerance.

For the divide-by-total models the complete-data score of pattern i at node q is, per item,
``(θ_q x_ij - m_ij θ_q E_j(θ_q),  [x_ij = c] - m_ij P_jc(θ_q))`` (a-slot, d_c-slots): data
times θ or 1, plus m_ij times a function of the node. Its posterior covariance then needs
only the per-pattern moments of θ and of those node functions, so the Hessian costs a few
products of size patterns × parameters² instead of one per quadrature node (the route every
model can take, and the GRM does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from edutools.irt._em import squarem
from edutools.irt._estep import posterior_chunks
from edutools.irt._louis import Derivatives
from edutools.irt._polydata import PolyData
from edutools.irt._polymodels import PolySpec, item_terms
from edutools.irt._polymstep import complete_derivatives, mstep
from edutools.irt._quadrature import Quadrature

__all__ = ["PolyFit", "estep", "fit_polytomous", "marginal_derivatives", "weights"]

_EPS = 1e-14  # posterior weights below this (relative) are skipped node by node


@dataclass(frozen=True)
class PolyFit:
    """The optimum reached, the derivatives there and how it was reached."""

    phi: np.ndarray
    deriv: Derivatives
    n_iter: int
    converged: bool
    method: str


def weights(
    data: PolyData, spec: PolySpec, phi: np.ndarray, quad: Quadrature
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(W, bias, logP) with log L[i, q] = design[i] @ W[:, q] + bias[q] (see ``_polydata``)."""
    a, d = spec.expand(phi)
    logP, _, _ = item_terms(spec, a, d, quad.nodes, first=False)
    cols_j, cols_k = data.col_item, data.col_cat
    with np.errstate(invalid="ignore"):
        Wy = logP[cols_j, cols_k] - logP[cols_j, 0]
    if data.has_missing:
        return np.vstack([Wy, logP[:, 0]]), quad.log_weights.copy(), logP
    return Wy, quad.log_weights + logP[:, 0].sum(axis=0), logP


def _counts(data: PolyData, spec: PolySpec, acc: np.ndarray, node_total: np.ndarray) -> np.ndarray:
    """Expected counts R (J × categories × Q) from the accumulated design-weighted posterior."""
    J, Q = data.n_items, acc.shape[1]
    R = np.zeros((J, spec.n_slots, Q))
    ny = data.n_y
    R[data.col_item, data.col_cat] = acc[:ny]
    n = acc[ny:] if data.has_missing else np.broadcast_to(node_total, (J, Q))
    R[:, 0] = n - R[:, 1:].sum(axis=1)
    np.maximum(R, 0.0, out=R)
    return R


def estep(
    data: PolyData,
    spec: PolySpec,
    phi: np.ndarray,
    quad: Quadrature,
    dtype: type[np.floating] = np.float64,
) -> tuple[float, np.ndarray]:
    """Marginal log-likelihood and the expected counts R at ``phi``."""
    W, bias, _ = weights(data, spec, phi, quad)
    acc = np.zeros((data.design.shape[1], len(quad)))
    node_total = np.zeros(len(quad))
    loglik = 0.0
    for ch in posterior_chunks(data.design, data.counts, W, bias, dtype=dtype):
        loglik += float(ch.counts @ ch.loglik)
        V = ch.post * ch.counts.astype(ch.post.dtype)[:, None]
        acc += (ch.design.T @ V).astype(float)
        node_total += V.sum(axis=0, dtype=np.float64)
    return loglik, _counts(data, spec, acc, node_total)


def _em_map(
    data: PolyData, spec: PolySpec, quad: Quadrature, dtype: type[np.floating]
) -> Callable[[np.ndarray], tuple[np.ndarray, float]]:
    def step(phi: np.ndarray) -> tuple[np.ndarray, float]:
        if not spec.ordered(phi):
            return phi, -np.inf
        ll, R = estep(data, spec, phi, quad, dtype)
        return mstep(spec, phi, R, quad.nodes), ll

    return step


def gradient(spec: PolySpec, phi: np.ndarray, R: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Gradient of the marginal log-likelihood by Fisher's identity, from the E-step counts."""
    _, g, _ = complete_derivatives(spec, phi, R, nodes)
    return spec.transform.T @ g[spec.valid]


# ---------------------------------------------------------------------- exact derivatives
def _sorted_rows(
    data: PolyData, W: np.ndarray, bias: np.ndarray, quad: Quadrature, dtype: type[np.floating]
) -> np.ndarray:
    eap = np.empty(data.n_patterns)
    for ch in posterior_chunks(data.design, data.counts, W, bias, dtype=dtype):
        eap[ch.start : ch.stop] = ch.post @ quad.nodes.astype(ch.post.dtype)
    return np.argsort(eap, kind="stable")


def _held_nodes(post: np.ndarray, vpost: np.ndarray, nodes: np.ndarray) -> list[tuple[int, slice]]:
    """Nodes that hold posterior mass in a chunk, with the run of rows that holds it."""
    mass = vpost.sum(axis=0, dtype=np.float64)
    limit = _EPS * max(float(mass.sum()), 1.0)
    out = []
    for q in np.flatnonzero(mass * (1 + nodes**2) > limit):
        held = np.flatnonzero(post[:, q] > _EPS)
        if held.size:
            out.append((int(q), slice(int(held[0]), int(held[-1]) + 1)))
    return out


def marginal_derivatives(
    data: PolyData,
    spec: PolySpec,
    phi: np.ndarray,
    quad: Quadrature,
    *,
    dtype: type[np.floating] = np.float64,
    dense: bool = False,
) -> Derivatives:
    """Log-likelihood, gradient and Hessian in ``phi`` (see the module docstring).

    ``dense=True`` forces the node-by-node route (the tests check the fast one against it).
    """
    W, bias, _ = weights(data, spec, phi, quad)
    rows = _sorted_rows(data, W, bias, quad, dtype)
    a, d = spec.expand(phi)
    nodes = quad.nodes
    logP, D, _ = item_terms(spec, a, d, nodes)
    n_full, J, Q = spec.n_full, spec.n_items, nodes.size
    acc = np.zeros((data.design.shape[1], Q))
    node_total = np.zeros(Q)
    loglik = 0.0
    H_miss = np.zeros((n_full, n_full))
    fast = spec.divide_by_total and not dense
    item = spec.full_item
    if fast:
        P = np.exp(logP)
        E = (P * np.arange(spec.n_slots)[None, :, None]).sum(axis=1)
        Fpad = np.concatenate([(-nodes * E)[:, None, :], -P[:, 1:]], axis=1)
        F = Fpad.reshape(J * spec.n_slots, Q)[spec.full_index]
        Fth = F * nodes
        slope_cols = np.flatnonzero(spec.full_is_slope)
        T_aa = np.zeros((J, J))
        cross = np.zeros((J, n_full))
        Nq = np.zeros((Q, J, J)) if data.has_missing else None
    else:
        # D with one more category, all zeros, for missing responses; compact slot order
        Dx = np.concatenate([D, np.zeros((J, 1, spec.n_slots, Q))], axis=1)
        G_rows = np.zeros((data.n_patterns, n_full))
        E_sum = np.zeros((n_full, n_full))
    for ch in posterior_chunks(data.design, data.counts, W, bias, dtype=np.float64, rows=rows):
        w = ch.counts
        post = ch.post
        loglik += float(w @ ch.loglik)
        vpost = post * w[:, None]
        acc += ch.design.T @ vpost
        node_total += vpost.sum(axis=0)
        cats = data.cats[rows[ch.start : ch.stop]]
        if fast:
            X = np.maximum(cats, 0).astype(float)
            M = (cats >= 0).astype(float)
            e1 = post @ nodes
            var = np.maximum(post @ nodes**2 - e1**2, 0.0)
            F1 = post @ F.T
            Fq = post @ Fth.T
            Mf = M[:, item]
            T_aa += (X * (w * var)[:, None]).T @ X
            cross += (X * w[:, None]).T @ (Mf * (Fq - e1[:, None] * F1))
            U = Mf * F1 * np.sqrt(w)[:, None]
            H_miss -= U.T @ U
            if Nq is not None:
                for q, run in _held_nodes(post, vpost, nodes):
                    Mv = M[run] * np.sqrt(vpost[run, q])[:, None]
                    Nq[q] += Mv.T @ Mv
        else:
            cx = np.where(cats < 0, spec.n_slots, cats)
            G = np.zeros((cats.shape[0], n_full))
            for q, run in _held_nodes(post, vpost, nodes):
                Sq = Dx[np.arange(J)[None, :], cx[run], :, q].reshape(-1, J * spec.n_slots)
                Sq = Sq[:, spec.full_index]
                G[run] += post[run, q : q + 1] * Sq
                Sv = Sq * np.sqrt(vpost[run, q])[:, None]
                E_sum += Sv.T @ Sv
            G_rows[ch.start : ch.stop] = G
            Gw = G * np.sqrt(w)[:, None]
            H_miss -= Gw.T @ Gw
    if fast:
        H_miss[np.ix_(slope_cols, slope_cols)] += T_aa
        H_miss[slope_cols, :] += cross
        H_miss[:, slope_cols] += cross.T
        if Nq is None:
            H_miss += (F * node_total) @ F.T
        else:
            for q in range(Q):
                if Nq[q].any():
                    H_miss += np.outer(F[:, q], F[:, q]) * Nq[q][np.ix_(item, item)]
    else:
        H_miss += E_sum
    R = _counts(data, spec, acc, node_total)
    _, g, Hc = complete_derivatives(spec, phi, R, nodes)
    H_full = H_miss
    for j in range(J):
        cols = np.flatnonzero(item == j)
        k = cols.size
        H_full[np.ix_(cols, cols)] += Hc[j, :k, :k]
    T = spec.transform
    grad = T.T @ g[spec.valid]
    hess = np.asarray(T.T @ (T.T @ H_full).T)
    return Derivatives(loglik=loglik, grad=grad, hess=0.5 * (hess + hess.T))


# ---------------------------------------------------------------------- the fit
def _converged(grad: np.ndarray, step: np.ndarray, loglik: float, tol: float) -> bool:
    size = float(np.abs(step).max())
    return size < tol and 0.5 * abs(float(grad @ step)) < tol * (1.0 + abs(loglik))


def newton_polish(
    data: PolyData,
    spec: PolySpec,
    quad: Quadrature,
    phi: np.ndarray,
    deriv: Derivatives,
    tol: float,
) -> tuple[np.ndarray, Derivatives, bool]:
    """Newton steps on the exact marginal log-likelihood from near the optimum."""
    for _ in range(8):
        try:
            chol = cho_factor(-deriv.hess)
        except np.linalg.LinAlgError:
            return phi, deriv, False
        step = cho_solve(chol, deriv.grad)
        if _converged(deriv.grad, step, deriv.loglik, tol):
            return phi, deriv, True
        if float(np.abs(step).max()) > 0.5:
            return phi, deriv, False
        for _half in range(10):
            trial = phi + step
            if spec.ordered(trial):
                new = marginal_derivatives(data, spec, trial, quad)
                if new.loglik >= deriv.loglik - 1e-9 * abs(deriv.loglik):
                    break
            step = step / 2
        else:
            return phi, deriv, False
        phi, deriv = trial, new
    return phi, deriv, False


def fit_polytomous(
    data: PolyData,
    spec: PolySpec,
    quad: Quadrature,
    phi0: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    dtype: type[np.floating] = np.float64,
) -> PolyFit:
    """EM to 1e-4, then Newton to ``tol`` (EM on to ``tol`` if Newton fails)."""
    F = _em_map(data, spec, quad, dtype)
    em = squarem(F, phi0, max_iter=max_iter, tol=max(tol, 1e-4))
    deriv = marginal_derivatives(data, spec, em.phi, quad)
    phi, deriv, close = newton_polish(data, spec, quad, em.phi, deriv, tol)
    if close:
        return PolyFit(phi, deriv, em.n_iter, True, "EM + Newton")
    em2 = squarem(_em_map(data, spec, quad, np.float64), phi, max_iter=max_iter, tol=tol)
    deriv = marginal_derivatives(data, spec, em2.phi, quad)
    return PolyFit(em2.phi, deriv, em.n_iter + em2.n_iter, em2.converged, "EM")

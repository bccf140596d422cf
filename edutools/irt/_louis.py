"""Exact gradient and Hessian of the marginal log-likelihood (Louis, 1982).

For pattern i with posterior weights π_iq over the nodes and complete-data score s_iq,

    ∇ℓ_i  = E_i[s],
    ∇²ℓ_i = E_i[∇² log f] + E_i[s sᵀ] − E_i[s] E_i[s]ᵀ,

the observed information being −Σ_i w_i ∇²ℓ_i. The expectations are sums over the nodes.
For the logistic models (Rasch, 1PL, 2PL) the score of item j at node q is
``m_ij (x_ij − P_jq) (θ_q, 1)``, so E_i[s sᵀ] splits into four sums that collapse over the
nodes before the sum over persons; only the term carrying ``m_ij m_ik P_jq P_kq`` stays
node by node, and only when responses are missing. The 3PL's score does not factor and
takes the node-by-node route throughout. Nodes that hold no posterior mass for a block of
persons (sorted by their posterior mean) are skipped; what they would add is below the
working precision (1e-14 of the total in double, 1e-9 in single precision).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from edutools.irt._data import ResponseData
from edutools.irt._estep import iter_posterior, log_probabilities
from edutools.irt._models import ModelSpec
from edutools.irt._quadrature import Quadrature

__all__ = ["Derivatives", "marginal_derivatives"]


def _negligible(dtype: type[np.floating]) -> float:
    return 1e-9 if np.dtype(dtype).itemsize < 8 else 1e-14


@dataclass(frozen=True)
class Derivatives:
    """Log-likelihood (without prior), gradient and Hessian of the log-posterior in phi."""

    loglik: float
    grad: np.ndarray
    hess: np.ndarray


def _irf(
    a: np.ndarray, d: np.ndarray, c: np.ndarray | None, nodes: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray], dict[tuple[int, int], np.ndarray]]:
    """P and its first and second derivatives with respect to (a, d[, g = logit c]), items × nodes."""
    s = expit(a[:, None] * nodes + d[:, None])
    ds = s * (1 - s)
    dds = ds * (1 - 2 * s)
    if c is None:
        first = [ds * nodes, ds]
        second = {(0, 0): dds * nodes**2, (0, 1): dds * nodes, (1, 1): dds}
        return s, first, second
    cc = c[:, None]
    P = cc + (1 - cc) * s
    dc = cc * (1 - cc)
    first = [(1 - cc) * ds * nodes, (1 - cc) * ds, (1 - s) * dc]
    second = {
        (0, 0): (1 - cc) * dds * nodes**2,
        (0, 1): (1 - cc) * dds * nodes,
        (1, 1): (1 - cc) * dds,
        (0, 2): -ds * nodes * dc,
        (1, 2): -ds * dc,
        (2, 2): (1 - s) * dc * (1 - 2 * cc),
    }
    return P, first, second


def _expected_complete_hessian(
    P: np.ndarray,
    first: list[np.ndarray],
    second: dict[tuple[int, int], np.ndarray],
    r: np.ndarray,
    n: np.ndarray,
    nodes: np.ndarray | None = None,
    stable: tuple[list[np.ndarray], dict[tuple[int, int], np.ndarray]] | None = None,
) -> np.ndarray:
    """Block-diagonal E[∇² log f] in full layout from expected counts r, n (items × nodes).

    With ``nodes`` (logistic models) the closed form -Σ_q n P (1 - P) h hᵀ, h = (θ, 1), is
    used: it stays finite where P rounds to 0 or 1. Otherwise, with log f = r log P +
    (n - r) log(1 - P),

        ∇² log f = r (∇²P / P - ∇P ∇Pᵀ / P²) - (n - r) (∇²P / (1 - P) + ∇P ∇Pᵀ / (1 - P)²),

    where ``stable`` gives ∇P / (1 - P) and ∇²P / (1 - P) in closed form (for the 3PL,
    1 - P = (1 - c)(1 - s) cancels), so that nothing divides by a 1 - P that rounded to 0.
    """
    J = P.shape[0]
    k = len(first)
    H = np.zeros((k * J, k * J))
    idx = np.arange(J)
    if nodes is not None:
        w = n * P * (1 - P)
        h = (nodes, np.ones_like(nodes))
        for u in range(2):
            for v in range(u, 2):
                val = -(w * (h[u] * h[v])).sum(axis=1)
                H[u * J + idx, v * J + idx] = val
                H[v * J + idx, u * J + idx] = val
        return H
    Pc = np.maximum(P, 1e-300)
    if stable is None:
        Q1 = np.maximum(1 - P, 1e-300)
        B = [f / Q1 for f in first]
        T = {key: val / Q1 for key, val in second.items()}
    else:
        B, T = stable
    for u in range(k):
        for v in range(u, k):
            A_u, A_v = first[u] / Pc, first[v] / Pc
            val = (r * (second[(u, v)] / Pc - A_u * A_v) - (n - r) * (T[(u, v)] + B[u] * B[v])).sum(
                axis=1
            )
            H[u * J + idx, v * J + idx] = val
            H[v * J + idx, u * J + idx] = val
    return H


def _stable_3pl(
    a: np.ndarray, d: np.ndarray, c: np.ndarray, nodes: np.ndarray
) -> tuple[list[np.ndarray], dict[tuple[int, int], np.ndarray]]:
    """∇P / (1 - P) and ∇²P / (1 - P) of the 3PL in (a, d, g = logit c), in closed form."""
    s = expit(a[:, None] * nodes + d[:, None])
    cc = c[:, None]
    curv = s * (1 - 2 * s)
    first = [s * nodes, s, np.broadcast_to(cc, s.shape)]
    second = {
        (0, 0): curv * nodes**2,
        (0, 1): curv * nodes,
        (1, 1): curv,
        (0, 2): -s * nodes * cc,
        (1, 2): -s * cc,
        (2, 2): np.broadcast_to(cc * (1 - 2 * cc), s.shape),
    }
    return first, second


def _sorted_rows(
    data: ResponseData, lp1: np.ndarray, lp0: np.ndarray, quad: Quadrature, dtype: type[np.floating]
) -> np.ndarray:
    """Patterns ordered by posterior mean, so that a chunk's posterior mass sits on few nodes."""
    eap = np.empty(data.n_patterns)
    for ch in iter_posterior(data, lp1, lp0, quad.log_weights, dtype=dtype):
        eap[ch.start : ch.stop] = ch.post @ quad.nodes.astype(ch.post.dtype)
    return np.argsort(eap, kind="stable")


def marginal_derivatives(
    data: ResponseData,
    spec: ModelSpec,
    phi: np.ndarray,
    quad: Quadrature,
    *,
    dtype: type[np.floating] = np.float64,
    dense: bool = False,
) -> Derivatives:
    """Gradient and Hessian of the marginal log-posterior at ``phi`` (see module docstring).

    ``dense=True`` forces the node-by-node route (used by the tests to check the fast one).
    """
    a, d, c = spec.expand(phi)
    lp1, lp0 = log_probabilities(a, d, c, quad.nodes)
    if c is not None and not dense:
        ll, g_full, H_full = _three_pl(data, a, d, c, lp1, lp0, quad, dtype)
    elif dense or c is not None:
        ll, g_full, H_full = _dense(data, a, d, c, lp1, lp0, quad, dtype)
    else:
        ll, g_full, H_full = _logistic(data, a, d, lp1, lp0, quad, dtype)
    T = spec.transform()
    g_prior, h_prior = spec.prior_derivatives(phi)
    grad = T.T @ g_full + g_prior
    hess = T.T @ H_full @ T + np.diag(h_prior)
    return Derivatives(loglik=ll, grad=grad, hess=0.5 * (hess + hess.T))


def _logistic(
    data: ResponseData,
    a: np.ndarray,
    d: np.ndarray,
    lp1: np.ndarray,
    lp0: np.ndarray,
    quad: Quadrature,
    dtype: type[np.floating],
) -> tuple[float, np.ndarray, np.ndarray]:
    """Gradient and Hessian of the logistic models in full layout, collapsed over the nodes.

    With x the correct-response indicators, m the answered ones, e1 = E[θ], e2 = E[θ²],
    V = e2 - e1² and b_h = m ∘ E[h P] per person, the missing-information blocks
    E[s sᵀ] - E[s] E[s]ᵀ summed over persons are

        aa: Σ w (V x xᵀ - x cᵀ - c xᵀ - b_θ b_θᵀ) + T_θ²,   c = b_θ² - e1 b_θ,
        ad: Σ w (-x (b_θ - e1 b_1)ᵀ - b_θ b_1ᵀ) + T_θ,
        dd: Σ w (-b_1 b_1ᵀ) + T_1,

    where T_h = Σ_q h_q P_q P_qᵀ ∘ Σ_i w_i π_iq m_i m_iᵀ is the only term that stays
    node by node (and collapses too without missing responses).
    """
    J = a.size
    th = quad.nodes
    P, first, second = _irf(a, d, None, th)
    h = {(0, 0): th**2, (0, 1): th, (1, 1): np.ones_like(th)}
    P1, Pth, Pth2 = P.T.astype(dtype), (P * th).T.astype(dtype), (P * th**2).T.astype(dtype)
    thd, th2d = th.astype(dtype), (th**2).astype(dtype)
    grad = np.zeros(2 * J)
    S = {key: np.zeros((J, J)) for key in h}
    r = np.zeros((J, th.size))
    n = np.zeros((J, th.size))
    ll = 0.0
    rows = _sorted_rows(data, lp1, lp0, quad, dtype) if data.has_missing else None
    for ch in iter_posterior(data, lp1, lp0, quad.log_weights, dtype=dtype, rows=rows):
        w = ch.counts.astype(dtype)
        sw = np.sqrt(w)[:, None]
        ll += float(ch.counts @ ch.loglik)
        post = ch.post
        X1 = ch.design[:, :J]
        M = X1 + ch.design[:, J:] if data.has_missing else None
        e1 = post @ thd
        var = np.maximum(post @ th2d - e1 * e1, 0)
        b1, bt, bt2 = post @ P1, post @ Pth, post @ Pth2
        if M is not None:
            b1 *= M
            bt *= M
            bt2 *= M
        grad[:J] += ((w * e1) @ X1 - w @ bt).astype(float)
        grad[J:] += (w @ X1 - w @ b1).astype(float)
        s1, st = b1 * sw, bt * sw
        xv = X1 * np.sqrt(w * var)[:, None]
        xc = X1.T @ ((bt2 - e1[:, None] * bt) * w[:, None])
        S[(0, 0)] += (xv.T @ xv - xc - xc.T - st.T @ st).astype(float)
        S[(0, 1)] -= (X1.T @ ((bt - e1[:, None] * b1) * w[:, None]) + st.T @ s1).astype(float)
        S[(1, 1)] -= (s1.T @ s1).astype(float)
        vpost = post * w[:, None]
        r += (X1.T @ vpost).astype(float)
        if M is None:
            n += vpost.sum(axis=0, dtype=np.float64)
        else:
            n += (M.T @ vpost).astype(float)
            _missing_pair_term(S, M, post, vpost, P, h, _negligible(dtype))
    if not data.has_missing:
        nq = n[0]
        for key, hk in h.items():
            S[key] += (P * (nq * hk)) @ P.T
        n = np.broadcast_to(nq, (J, th.size))
    H = _expected_complete_hessian(P, first, second, r, n, nodes=th)
    H[:J, :J] += S[(0, 0)]
    H[:J, J:] += S[(0, 1)]
    H[J:, :J] += S[(0, 1)].T
    H[J:, J:] += S[(1, 1)]
    return ll, grad, H


def _missing_pair_term(
    S: dict[tuple[int, int], np.ndarray],
    M: np.ndarray,
    post: np.ndarray,
    vpost: np.ndarray,
    P: np.ndarray,
    h: dict[tuple[int, int], np.ndarray],
    eps: float,
) -> None:
    """Add T_h = Σ_q h_q P_jq P_kq Σ_i w_i π_iq m_ij m_ik, node by node.

    Rows come sorted by posterior mean, so the persons with weight at node q form a run;
    only that run enters the node's product.
    """
    mass = vpost.sum(axis=0, dtype=np.float64)
    limit = eps * max(float(mass.sum()), 1.0)
    for q in np.flatnonzero(mass * (1 + h[(0, 0)]) > limit):
        held = np.flatnonzero(post[:, q] > eps)
        if held.size == 0:
            continue
        run = slice(int(held[0]), int(held[-1]) + 1)
        Mv = M[run] * np.sqrt(vpost[run, q])[:, None]
        A = (Mv.T @ Mv).astype(float)
        A *= np.outer(P[:, q], P[:, q])
        for key, hk in h.items():
            S[key] += hk[q] * A


def _dense(
    data: ResponseData,
    a: np.ndarray,
    d: np.ndarray,
    c: np.ndarray | None,
    lp1: np.ndarray,
    lp0: np.ndarray,
    quad: Quadrature,
    dtype: type[np.floating],
) -> tuple[float, np.ndarray, np.ndarray]:
    J = a.size
    th = quad.nodes
    P, first, second = _irf(a, d, c, th)
    k = len(first)
    # score factors D = (∂P/∂ψ) / (P (1 - P)); with 1 - P = (1 - c)(1 - s) they reduce to
    # θ s / P, s / P and c / P, which stay finite where P rounds to 1
    if c is None:
        D = np.stack([np.broadcast_to(th, P.shape), np.ones_like(P)], axis=0).astype(dtype)
    else:
        s = expit(a[:, None] * th + d[:, None])
        D = np.stack([th * s / P, s / P, c[:, None] / P], axis=0).astype(dtype)  # k × J × Q
    Pd = P.astype(dtype)
    grad = np.zeros(k * J)
    GG = np.zeros((k * J, k * J))
    E = np.zeros((k * J, k * J))
    r = np.zeros((J, th.size))
    n = np.zeros((J, th.size))
    ll = 0.0
    rows = _sorted_rows(data, lp1, lp0, quad, dtype)
    for ch in iter_posterior(data, lp1, lp0, quad.log_weights, dtype=dtype, rows=rows):
        w = ch.counts.astype(dtype)
        ll += float(ch.counts @ ch.loglik)
        X1 = ch.design[:, :J]
        M = X1 + ch.design[:, J:] if data.has_missing else np.ones_like(X1)
        vpost = ch.post * w[:, None]
        r += (X1.T @ vpost).astype(float)
        n += (M.T @ vpost).astype(float)
        G = np.zeros((X1.shape[0], k * J), dtype=dtype)
        mass = vpost.sum(axis=0, dtype=np.float64)
        eps = _negligible(dtype)
        for q in np.flatnonzero(mass * (1 + th**2) > eps * max(float(mass.sum()), 1.0)):
            held = np.flatnonzero(ch.post[:, q] > eps)
            if held.size == 0:
                continue
            run = slice(int(held[0]), int(held[-1]) + 1)
            res = X1[run] - M[run] * Pd[:, q]
            Sq = np.concatenate([res * D[u, :, q] for u in range(k)], axis=1)
            G[run] += ch.post[run, q : q + 1] * Sq
            Sv = Sq * np.sqrt(vpost[run, q])[:, None]
            E += (Sv.T @ Sv).astype(float)
        grad += (w @ G).astype(float)
        GG += ((G * w[:, None]).T @ G).astype(float)
    stable = None if c is None else _stable_3pl(a, d, c, th)
    H = _expected_complete_hessian(
        P, first, second, r, n, nodes=th if c is None else None, stable=stable
    )
    return ll, grad, H + E - GG


def _three_pl(
    data: ResponseData,
    a: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    lp1: np.ndarray,
    lp0: np.ndarray,
    quad: Quadrature,
    dtype: type[np.floating],
) -> tuple[float, np.ndarray, np.ndarray]:
    """The 3PL's gradient and Hessian with items × items products per node.

    The score of item j, parameter u at node q is (x_j - m_j P_jq) D_ujq with D free of the
    data, so Σ_i w_i E_i[s sᵀ] = Σ_q D_uq D_vqᵀ ∘ e_q, where e_q[j, k] = Σ_i w_i π_iq
    (x_ij - m_ij P_jq)(x_ik - m_ik P_kq) expands into Xᵀ V_q X, Xᵀ V_q M and Mᵀ V_q M
    (V_q = diag(w π_q)): items², not (3 items)², per person and node, and only over the run
    of persons (sorted by posterior mean) that hold mass at the node. Without missing
    responses M = 1 and only Xᵀ V_q X stays node by node.
    """
    J = a.size
    th = quad.nodes
    Q = th.size
    P, first, second = _irf(a, d, c, th)
    s = expit(a[:, None] * th + d[:, None])
    D = np.stack([th * s / P, s / P, c[:, None] / P], axis=0)  # 3 × J × Q
    DP = D * P
    eps = _negligible(dtype)
    N1 = np.zeros((Q, J, J))
    N2 = np.zeros((Q, J, J)) if data.has_missing else None
    N3 = np.zeros((Q, J, J)) if data.has_missing else None
    grad = np.zeros(3 * J)
    GG = np.zeros((3 * J, 3 * J))
    r = np.zeros((J, Q))
    n = np.zeros((J, Q))
    ll = 0.0
    Dd, DPd = D.astype(dtype), DP.astype(dtype)
    rows = _sorted_rows(data, lp1, lp0, quad, dtype)
    for ch in iter_posterior(data, lp1, lp0, quad.log_weights, dtype=dtype, rows=rows):
        w = ch.counts.astype(dtype)
        ll += float(ch.counts @ ch.loglik)
        X1 = ch.design[:, :J]
        M = X1 + ch.design[:, J:] if data.has_missing else None
        post = ch.post
        vpost = post * w[:, None]
        r += (X1.T @ vpost).astype(float)
        if M is None:
            n += vpost.sum(axis=0, dtype=np.float64)
        else:
            n += (M.T @ vpost).astype(float)
        G = np.concatenate(
            [
                X1 * (post @ Dd[u].T) - (post @ DPd[u].T if M is None else M * (post @ DPd[u].T))
                for u in range(3)
            ],
            axis=1,
        )
        grad += (w @ G).astype(float)
        Gw = G * np.sqrt(w)[:, None]
        GG += (Gw.T @ Gw).astype(float)
        mass = vpost.sum(axis=0, dtype=np.float64)
        for q in np.flatnonzero(mass * (1 + th**2) > eps * max(float(mass.sum()), 1.0)):
            held = np.flatnonzero(post[:, q] > eps)
            if held.size == 0:
                continue
            run = slice(int(held[0]), int(held[-1]) + 1)
            v = np.sqrt(vpost[run, q])[:, None]
            Xv = X1[run] * v
            N1[q] += (Xv.T @ Xv).astype(float)
            if M is not None and N2 is not None and N3 is not None:
                Mv = M[run] * v
                N2[q] += (Xv.T @ Mv).astype(float)
                N3[q] += (Mv.T @ Mv).astype(float)

    Pq = P.T  # Q × J
    if N2 is None or N3 is None:
        # Xᵀ V_q M = r_jq for every k, and Mᵀ V_q M = n_q
        e = N1 - (r.T[:, :, None] * Pq[:, None, :]) - (Pq[:, :, None] * r.T[:, None, :])
        e += Pq[:, :, None] * Pq[:, None, :] * n.T[:, :1, None]
    else:
        e = N1 - N2 * Pq[:, None, :] - np.transpose(N2, (0, 2, 1)) * Pq[:, :, None]
        e += Pq[:, :, None] * Pq[:, None, :] * N3
    E = np.zeros((3 * J, 3 * J))
    for u in range(3):
        for v in range(u, 3):
            block = np.einsum("jq,kq,qjk->jk", D[u], D[v], e)
            E[u * J : (u + 1) * J, v * J : (v + 1) * J] = block
            E[v * J : (v + 1) * J, u * J : (u + 1) * J] = block.T
    H = _expected_complete_hessian(P, first, second, r, n, stable=_stable_3pl(a, d, c, th))
    return ll, grad, H + E - GG

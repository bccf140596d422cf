"""Elementary symmetric functions (summation algorithm) and the conditional log-likelihood.

For items with category weights ε_jk = exp(u_jk) (u_j0 = 0), the elementary symmetric
function of order r is γ_r = sum over patterns with raw score r of prod_j ε_{j,x_j}. The
summation algorithm (Fischer, 1974; Verhelst, Glas & van der Sluis, 1984) adds one item at
a time, γ^{(l+1)}_r = sum_k γ^{(l)}_{r-k} ε_lk, which is numerically stable because it only
adds positive numbers. Each step is rescaled by its maximum; the log of the scale is kept.

The derivatives need no leave-one-out functions:

- first order: with Φ = sum_r c_r γ_r and c_r = n_r / γ_r held fixed, the adjoint of the
  forward recursion gives ∂Φ/∂u_lm = ε_lm <adj_{l+1}, shift_m(γ^{(l)})>, which is the
  expected count sum_r n_r P(x_l = m | r);
- second order: carrying ∂γ^{(l)}/∂u_jk forward ("chains") alongside the recursion gives
  ∂²Φ/∂u_jk ∂u_lm = ε_lm <adj_{l+1}, shift_m(∂γ^{(l)}/∂u_jk)> for j < l, and the chains
  at the end give P(x_j = k | r) for every r.

Cost per group of persons with the same answered items: O(J R K) for the value and
gradient, O(J² K² R) with the Hessian (R the highest raw score), independent of the number
of persons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edutools.errors import CalibrationError

__all__ = ["ConditionalTerms", "conditional_terms", "elementary_symmetric_functions"]

_GROUP_CHUNK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class ConditionalTerms:
    """sum_g sum_r n_gr log γ_r, the expected counts E[j, k] and (optionally) the Hessian of
    sum n log γ in the compact u (item-major, k = 1..K_j)."""

    log_gamma_sum: float
    expected: np.ndarray
    hessian: np.ndarray | None


def _eps(u: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """ε per group (G, J, categories): exp(u) for answered items, (1, 0, ..., 0) otherwise."""
    e = np.exp(u)
    unit = np.zeros_like(e[0])
    unit[0] = 1.0
    return np.where(obs[:, :, None], e[None], unit[None, None])


def _forward(eps: np.ndarray, R: int) -> tuple[np.ndarray, np.ndarray]:
    """Scaled γ after each item, f (J + 1, G, R + 1), and the log scale steps (J + 1, G).

    Levels come first so that each level is one contiguous block.
    """
    G, J, S = eps.shape
    f = np.zeros((J + 1, G, R + 1))
    f[0, :, 0] = 1.0
    logm = np.zeros((J + 1, G))
    for lv in range(J):
        new = f[lv] * eps[:, lv, 0, None]
        for k in range(1, S):
            new[:, k:] += f[lv, :, : R + 1 - k] * eps[:, lv, k, None]
        m = new.max(axis=1)
        f[lv + 1] = new / m[:, None]
        logm[lv + 1] = np.log(m)
    return f, logm


def elementary_symmetric_functions(u: np.ndarray) -> np.ndarray:
    """γ_0..γ_R for one set of items with log weights u (J × categories, u_j0 = 0, -inf
    for categories an item lacks).

    Example
    -------
    >>> u = np.log(np.array([[1.0, 2.0], [1.0, 3.0]]))
    >>> elementary_symmetric_functions(u).round(12).tolist()
    [1.0, 5.0, 6.0]
    """
    K = np.where(np.isfinite(u), np.arange(u.shape[1]), 0).max(axis=1)
    eps = _eps(u, np.ones((1, u.shape[0]), dtype=bool))
    f, logm = _forward(eps, int(K.sum()))
    return f[-1, 0] * np.exp(logm[:, 0].sum())


def conditional_terms(
    u: np.ndarray, K: np.ndarray, obs: np.ndarray, n_gr: np.ndarray, *, hessian: bool = True
) -> ConditionalTerms:
    """The pieces of the conditional log-likelihood (see the module docstring).

    Parameters
    ----------
    u : ndarray (J, categories)
        log ε_jk = -(cumulative threshold) τ_jk; u_j0 = 0; -inf beyond K_j.
    K : ndarray of int
        Highest score per item.
    obs : ndarray of bool (G, J)
        Answered items of each group of persons.
    n_gr : ndarray (G, R + 1)
        Persons per group and raw score.
    hessian : bool
        Also return the Hessian of sum_g sum_r n_gr log γ_gr in the compact u.
    """
    J, S = u.shape
    R = n_gr.shape[1] - 1
    n_u = int(K.sum())
    comp_j = np.repeat(np.arange(J), K)
    comp_k = np.concatenate([np.arange(1, k + 1) for k in K])
    start = np.concatenate([[0], np.cumsum(K)[:-1]])
    # 0/1 items: pair terms from first-order quantities (see _RaschPairs), no chains
    rasch = _RaschPairs(np.exp(u[:, 1]), n_u) if hessian and int(K.max()) == 1 else None
    per_group = (J + 1 + (n_u if hessian and rasch is None else 0)) * (R + 1) * 8 * 2
    chunk = max(1, _GROUP_CHUNK_BYTES // per_group)
    total = 0.0
    E = np.zeros((J, S))
    H = np.zeros((n_u, n_u)) if hessian else None
    for g0 in range(0, obs.shape[0], chunk):
        ob, n = obs[g0 : g0 + chunk], n_gr[g0 : g0 + chunk]
        eps = _eps(u, ob)
        f, logm = _forward(eps, R)
        fJ = f[J]
        used = n > 0
        if np.any(used & ~(fJ > 0)):
            raise CalibrationError(
                "the elementary symmetric functions underflow for an observed raw score; "
                "the items' thresholds are too extreme for conditional ML (try MML)"
            )
        S_J = logm.sum(axis=0)
        with np.errstate(divide="ignore"):
            total += float(
                np.where(used, n * (np.log(np.where(used, fJ, 1.0)) + S_J[:, None]), 0).sum()
            )
        m_inv = np.exp(-logm)  # 1 / m_l per group and level
        adj = np.zeros((J + 1, ob.shape[0], R + 1))
        adj[J] = np.where(used, n / np.where(used, fJ, 1.0), 0.0)
        for lv in range(J, 0, -1):
            a_l = adj[lv]
            back = a_l * eps[:, lv - 1, 0, None]
            for k in range(1, S):
                back[:, : R + 1 - k] += a_l[:, k:] * eps[:, lv - 1, k, None]
            adj[lv - 1] = back * m_inv[lv, :, None]
            for k in range(1, int(K[lv - 1]) + 1):
                inner = np.einsum("gr,gr->g", a_l[:, k:], f[lv - 1, :, : R + 1 - k])
                E[lv - 1, k] += float((eps[:, lv - 1, k] * m_inv[lv] * inner).sum())
        if H is None:
            continue
        if rasch is not None:
            rasch.add(f[J], ob, n)
            continue
        chains = np.zeros((ob.shape[0], n_u, R + 1))
        for lv in range(J):
            coef = eps[:, lv] * m_inv[lv + 1, :, None]  # (G, categories)
            active = slice(0, start[lv])
            if start[lv]:
                a_next = adj[lv + 1]
                for m in range(1, int(K[lv]) + 1):
                    inner = np.matmul(chains[:, active, : R + 1 - m], a_next[:, m:, None])[:, :, 0]
                    col = start[lv] + m - 1
                    H[active, col] += (inner * coef[:, m, None]).sum(axis=0)
                new = chains[:, active] * coef[:, None, 0, None]
                for m in range(1, int(K[lv]) + 1):
                    new[:, :, m:] += chains[:, active, : R + 1 - m] * coef[:, None, m, None]
                chains[:, active] = new
            for m in range(1, int(K[lv]) + 1):
                chains[:, start[lv] + m - 1, m:] = f[lv, :, : R + 1 - m] * coef[:, m, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            pi = np.where(fJ[:, None, :] > 0, chains / fJ[:, None, :], 0.0)
        flat = pi.transpose(1, 0, 2).reshape(n_u, -1)  # (n_u, groups × scores)
        H -= (flat * n.reshape(-1)) @ flat.T
    expected = E
    if rasch is not None and H is not None:
        H += rasch.hessian()
        H[np.arange(n_u), np.arange(n_u)] += E[comp_j, comp_k]
    elif H is not None:
        upper = np.triu(H, 1)
        H = upper + upper.T + np.diag(np.diag(H))
        H[np.arange(n_u), np.arange(n_u)] += E[comp_j, comp_k]
    return ConditionalTerms(log_gamma_sum=total, expected=expected, hessian=H)


class _RaschPairs:
    """The Hessian of sum n log γ for 0/1 items from first-order quantities only.

    For 0/1 items, γ^{(-j)}_r = γ_r - ε_j γ^{(-j)}_{r-1} (the difference algorithm, run
    forward and backward, each where it does not amplify rounding; see ``_leave_out``), so
    P(x_j = 1 | r) = ε_j γ^{(-j)}_{r-1} / γ_r costs O(J R) per group. Subtracting the
    recursions of γ^{(-j)} and γ^{(-l)} gives the pair probabilities

        P(x_j = x_l = 1 | r) = (ε_j P(x_l = 1 | r) - ε_l P(x_j = 1 | r)) / (ε_j - ε_l),

    so their count-weighted sum over scores and groups is (ε_j A_jl - ε_l A_lj) / (ε_j - ε_l)
    with A_jl = Σ_g [j answered in g] E_gl: O(J²) per group instead of O(J² R). Pairs with
    nearly equal ε (relative gap below 1e-4) are summed directly from γ^{(-j,-l)}, one more
    difference step. The remaining term Σ n P_j P_l is one matrix product.
    """

    def __init__(self, eps: np.ndarray, n_u: int) -> None:
        self.eps = eps
        J = eps.size
        self.E = np.zeros(J)
        self.A = np.zeros((J, J))
        self.PP = np.zeros((J, J))
        gap = np.abs(eps[:, None] - eps[None, :]) / np.maximum(eps[:, None], eps[None, :])
        close = np.argwhere(np.triu(gap < 1e-4, 1))
        self.close = [(int(j), int(k)) for j, k in close]
        self.close_sum = np.zeros(len(self.close))

    def _leave_out(self, gamma: np.ndarray, eps: np.ndarray, top: np.ndarray) -> np.ndarray:
        """γ^{(-j)} for each entry of eps: (groups, items, R + 1).

        The forward recursion γ^{(-j)}_r = γ_r - ε γ^{(-j)}_{r-1} loses digits once item j
        is more likely right than wrong at score r + 1, the backward one
        γ^{(-j)}_{r-1} = (γ_r - γ^{(-j)}_r) / ε while it is less likely; P(x_j = 1 | r)
        grows with r, so each score takes the forward value until that probability reaches
        1/2 and the backward value from there on.
        """
        G, R1 = gamma.shape
        e = eps[None, :]
        fwd = np.zeros((G, eps.size, R1))
        bwd = np.zeros((G, eps.size, R1))
        fwd[:, :, 0] = gamma[:, None, 0]
        for r in range(1, R1):
            fwd[:, :, r] = gamma[:, None, r] - e * fwd[:, :, r - 1]
        for r in range(R1 - 1, 0, -1):
            bwd[:, :, r - 1] = (gamma[:, None, r] - bwd[:, :, r]) / e
        with np.errstate(divide="ignore", invalid="ignore"):
            p_fwd = np.where(
                gamma[:, None, 1:] > 0, e[..., None] * fwd[:, :, :-1] / gamma[:, None, 1:], 1.0
            )
        keep = np.logical_and.accumulate(p_fwd < 0.5, axis=2)  # for γ^{(-j)}_0 .. _{R-1}
        out = np.where(np.concatenate([keep, np.zeros((G, eps.size, 1), bool)], axis=2), fwd, bwd)
        # scores above the group's highest without the item are impossible
        out *= np.arange(R1)[None, None, :] < top[:, None, None]
        return out

    def add(self, gamma: np.ndarray, obs: np.ndarray, n: np.ndarray) -> None:
        """Accumulate one chunk of groups: scaled γ (G, R + 1), answered items, counts."""
        eps = self.eps
        top = obs.sum(axis=1)
        loo = self._leave_out(gamma, eps, top)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(gamma > 0, 1.0 / gamma, 0.0)
        # only the (group, score) cells that hold persons enter; with many groups (missing
        # responses) most groups hold one or two scores
        gi, ri = np.nonzero(n[:, 1:])
        ri = ri + 1
        w = n[gi, ri]
        pi = eps[None, :] * loo[gi, :, ri - 1] * ratio[gi, ri][:, None] * obs[gi]
        Eg = np.zeros(obs.shape)
        np.add.at(Eg, gi, pi * w[:, None])
        self.E += Eg.sum(axis=0)
        self.A += obs.T.astype(float) @ Eg
        self.PP += (pi * w[:, None]).T @ pi
        for i, (j, k) in enumerate(self.close):
            both = obs[:, j] & obs[:, k]
            if not both.any():
                continue
            # γ^{(-j,-k)} from γ^{(-j)} by one more difference step (for item k)
            twice = self._leave_out(loo[both, j], eps[k : k + 1], top[both] - 1)[:, 0]
            pair = np.zeros_like(twice)
            pair[:, 2:] = eps[j] * eps[k] * twice[:, :-2] * ratio[both, 2:]
            self.close_sum[i] += float((pair * n[both]).sum())

    def hessian(self) -> np.ndarray:
        """diag(E) is added by the caller; this returns pairs - Σ n P Pᵀ."""
        eps = self.eps
        with np.errstate(divide="ignore", invalid="ignore"):
            pairs = (eps[:, None] * self.A - eps[None, :] * self.A.T) / (
                eps[:, None] - eps[None, :]
            )
        for (j, k), v in zip(self.close, self.close_sum, strict=True):
            pairs[j, k] = pairs[k, j] = v
        np.fill_diagonal(pairs, 0.0)
        return pairs - self.PP

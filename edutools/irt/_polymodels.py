"""Parameter layouts, category probabilities and their derivatives of the polytomous models.

Every item j has *slots* ``(a_j, d_j1, ..., d_jK_j)`` in mirt's slope-intercept form, on the
scale z ~ N(0, 1) of the quadrature:

- divide-by-total (GPCM; PCM and RSM with every a_j = s, the SD of θ):
  P(X = k | z) = exp(a k z + d_k) / sum_c exp(a c z + d_c), with d_0 = 0;
- graded response (GRM): P(X >= k | z) = σ(a z + d_k), k = 1..K, d_1 > ... > d_K.

The free parameters ``phi`` are ``[common | own_1 | own_2 | ...]``: slots are
``C_j @ common + B_j @ own_j``. GPCM and GRM have no common parameters (own = the slots);
the PCM shares s (own = d_j); the RSM shares s and the category parameters τ (own = the item
location λ_j, d_jk = -k λ_j - (τ_1 + ... + τ_k), τ_K = -(τ_1 + ... + τ_{K-1})).

The M-step is in ``_polymstep``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from scipy import sparse
from scipy.special import expit, log_expit, logsumexp

__all__ = ["PolyName", "PolySpec", "item_terms"]

PolyName = Literal["pcm", "gpcm", "grm", "rsm"]


@dataclass(frozen=True)
class PolySpec:
    """Layout of ``phi`` for one polytomous model over items with ``n_cat`` categories each."""

    name: PolyName
    n_cat: tuple[int, ...]

    # ------------------------------------------------------------------ shapes
    @property
    def n_items(self) -> int:
        return len(self.n_cat)

    @cached_property
    def top(self) -> np.ndarray:
        """Highest score K_j per item."""
        return np.asarray(self.n_cat, dtype=int) - 1

    @property
    def k_max(self) -> int:
        return int(self.top.max())

    @property
    def n_slots(self) -> int:
        """Slots per item in the padded layout: a, d_1..d_Kmax."""
        return self.k_max + 1

    @cached_property
    def valid(self) -> np.ndarray:
        """(J, n_slots) True for the slots an item has; also (J, categories) for 0..K_j."""
        return np.arange(self.n_slots)[None, :] <= self.top[:, None]

    @cached_property
    def full_index(self) -> np.ndarray:
        """Positions of the compact full vector (item by item: a, d_1..d_K) in the padded one."""
        return np.flatnonzero(self.valid.ravel())

    @property
    def n_full(self) -> int:
        return int(self.full_index.size)

    @cached_property
    def full_item(self) -> np.ndarray:
        """Item of each compact full slot."""
        return np.repeat(np.arange(self.n_items), self.top + 1)

    @cached_property
    def full_is_slope(self) -> np.ndarray:
        """True for the a-slots of the compact full vector."""
        return np.concatenate([np.r_[True, np.zeros(k, dtype=bool)] for k in self.top])

    @property
    def divide_by_total(self) -> bool:
        return self.name != "grm"

    @property
    def n_common(self) -> int:
        if self.name == "pcm":
            return 1
        if self.name == "rsm":
            return self.k_max  # s and τ_1..τ_{K-1}
        return 0

    @cached_property
    def own_size(self) -> np.ndarray:
        if self.name == "pcm":
            return self.top.copy()
        if self.name == "rsm":
            return np.ones(self.n_items, dtype=int)
        return self.top + 1

    @cached_property
    def own_index(self) -> np.ndarray:
        """(J, max own) index of each item's own parameters in phi, -1 for padding."""
        width = int(self.own_size.max())
        out = np.full((self.n_items, width), -1)
        start = self.n_common
        for j, size in enumerate(self.own_size):
            out[j, :size] = np.arange(start, start + size)
            start += size
        return out

    @property
    def n_params(self) -> int:
        return self.n_common + int(self.own_size.sum())

    @cached_property
    def maps(self) -> tuple[np.ndarray, np.ndarray]:
        """C (J, n_slots, n_common) and B (J, n_slots, max own): slots = C common + B own."""
        J, S = self.n_items, self.n_slots
        C = np.zeros((J, S, self.n_common))
        B = np.zeros((J, S, self.own_index.shape[1]))
        if self.name in ("gpcm", "grm"):
            for j, k in enumerate(self.top):
                B[j, : k + 1, : k + 1] = np.eye(k + 1)
        elif self.name == "pcm":
            C[:, 0, 0] = 1.0
            for j, k in enumerate(self.top):
                B[j, 1 : k + 1, :k] = np.eye(k)
        else:  # rsm: common = (s, τ_1..τ_{K-1}); own = λ_j
            K = self.k_max
            C[:, 0, 0] = 1.0
            for k in range(1, K + 1):
                B[:, k, 0] = -k
                if k < K:
                    C[:, k, 1 : k + 1] = -1.0  # -(τ_1 + ... + τ_k); at k = K the sum is 0
        return C, B

    @cached_property
    def transform(self) -> sparse.csr_matrix:
        """Sparse map from phi to the compact full vector."""
        C, B = self.maps
        rows = []
        for j in range(self.n_items):
            blk = np.zeros((self.n_slots, self.n_params))
            blk[:, : self.n_common] = C[j]
            own = self.own_index[j]
            ok = own >= 0
            blk[:, own[ok]] = B[j][:, ok]
            rows.append(blk[: self.top[j] + 1])
        return sparse.csr_matrix(np.vstack(rows))

    # ------------------------------------------------------------------ parameters
    def slots(self, phi: np.ndarray) -> np.ndarray:
        """Padded slots (J, n_slots): column 0 the slopes a, columns 1.. the intercepts d."""
        C, B = self.maps
        own = np.where(self.own_index >= 0, phi[np.maximum(self.own_index, 0)], 0.0)
        out = np.einsum("jsc,c->js", C, phi[: self.n_common]) + np.einsum("jso,jo->js", B, own)
        return np.where(self.valid, out, 0.0)

    def expand(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Slopes a (J,) and padded intercepts d (J, Kmax) on the z scale."""
        s = self.slots(phi)
        return s[:, 0].copy(), s[:, 1:].copy()

    def labels(self, items: list[str]) -> list[str]:
        """Names of the entries of phi."""
        out: list[str] = []
        if self.name in ("pcm", "rsm"):
            out.append("sigma")
        if self.name == "rsm":
            out += [f"tau{k}" for k in range(1, self.k_max)]
        for j, item in enumerate(items):
            if self.name in ("gpcm", "grm"):
                out.append(f"a:{item}")
            if self.name == "rsm":
                out.append(f"location:{item}")
            else:
                out += [f"d{k}:{item}" for k in range(1, self.top[j] + 1)]
        return out

    def ordered(self, phi: np.ndarray) -> bool:
        """The GRM's intercepts must decrease within an item; other models are unconstrained."""
        if self.name != "grm":
            return bool(np.all(np.isfinite(phi)))
        _, d = self.expand(phi)
        gaps = d[:, :-1] - d[:, 1:]
        inner = self.valid[:, 2:]
        return bool(np.all(np.isfinite(phi)) and np.all(gaps[inner] > 0))

    # ------------------------------------------------------------------ start values
    def start(self, props: np.ndarray, r_rest: np.ndarray) -> np.ndarray:
        """Start values from category proportions (J × categories) and item-rest correlations.

        With f = sqrt(1 + (a / 1.7)²) undoing the attenuation of marginal proportions:
        d_k ≈ f log(p_k / p_0) (divide-by-total) or f logit P(X >= k) (graded), and
        a ≈ 1.7 r / sqrt(1 - r²).
        """
        p = np.clip(props, 1e-3, None)
        p = np.where(self.valid, p, 0.0)
        p /= p.sum(axis=1, keepdims=True)
        r = np.clip(r_rest, -0.9, 0.9)
        a = np.clip(1.7 * r / np.sqrt(1 - r**2), -3.0, 3.0)
        a = np.where(np.abs(a) < 0.3, 0.3 * np.where(a < 0, -1.0, 1.0), a)
        if self.name in ("pcm", "rsm"):
            a = np.full(self.n_items, float(np.clip(np.mean(np.abs(a)), 0.3, 3.0)))
        f = np.sqrt(1 + (a / 1.7) ** 2)
        if self.name == "grm":
            tail = np.cumsum(p[:, ::-1], axis=1)[:, ::-1][:, 1:]  # P(X >= k), k = 1..Kmax
            tail = np.clip(tail, 1e-3, 1 - 1e-3)
            d = f[:, None] * np.log(tail / (1 - tail))
            d = np.where(self.valid[:, 1:], d, 0.0)
        else:
            d = f[:, None] * np.log(np.where(self.valid, p, 1.0) / p[:, :1])[:, 1:]
            d = np.where(self.valid[:, 1:], d, 0.0)
        return self.contract(a, d)

    def contract(self, a: np.ndarray, d: np.ndarray) -> np.ndarray:
        """phi from slopes and padded intercepts (least squares for the RSM's structure)."""
        phi = np.zeros(self.n_params)
        if self.name in ("gpcm", "grm"):
            slots = np.concatenate([a[:, None], d], axis=1)
            phi[self.own_index[self.own_index >= 0]] = slots[self.valid]
            return phi
        phi[0] = float(np.mean(a))
        if self.name == "pcm":
            phi[self.own_index[self.own_index >= 0]] = d[self.valid[:, 1:]]
            return phi
        K = self.k_max
        # thresholds b_jk = d_j,k-1 - d_jk = λ_j + τ_k
        dd = np.concatenate([np.zeros((self.n_items, 1)), d], axis=1)
        b = dd[:, :-1] - dd[:, 1:]
        lam = b.mean(axis=1)
        tau = (b - lam[:, None]).mean(axis=0)
        phi[1:K] = tau[: K - 1]
        phi[self.own_index[:, 0]] = lam
        return phi


# ---------------------------------------------------------------------- item terms
def item_terms(
    spec: PolySpec,
    a: np.ndarray,
    d: np.ndarray,
    nodes: np.ndarray,
    *,
    second: bool = False,
    first: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """log P, first and (optionally) second derivatives of log P_jk in the item's slots.

    Returns ``logP`` (J, categories, Q) with -inf for categories an item lacks, ``D`` (J,
    categories, slots, Q) = ∂ log P_jk / ∂ slot, and with ``second`` the array (J,
    categories, slots, slots, Q) of second derivatives (for the divide-by-total family these
    do not depend on the category: minus the covariance of (k z, [k = c]) under P). With
    ``first=False`` only log P is computed (D is then an empty array).
    """
    if not first:
        return _log_probabilities(spec, a, d, nodes), np.zeros(0), None
    if spec.divide_by_total:
        return _divide_by_total(spec, a, d, nodes, second)
    return _graded(spec, a, d, nodes, second)


def _log_probabilities(
    spec: PolySpec, a: np.ndarray, d: np.ndarray, nodes: np.ndarray
) -> np.ndarray:
    """log P (J, categories, Q), -inf for the categories an item lacks."""
    J, S, Q = spec.n_items, spec.n_slots, nodes.size
    if spec.divide_by_total:
        k = np.arange(S, dtype=float)
        dd = np.concatenate([np.zeros((J, 1)), d], axis=1)
        z = a[:, None, None] * k[None, :, None] * nodes[None, None, :] + dd[:, :, None]
        z = np.where(spec.valid[:, :, None], z, -np.inf)
        return z - logsumexp(z, axis=1, keepdims=True)
    inner = spec.valid[:, 1:, None]
    zs = a[:, None, None] * nodes[None, None, :] + d[:, :, None]
    log_up = np.concatenate([np.zeros((J, 1, Q)), np.where(inner, log_expit(zs), -np.inf)], 1)
    log_dn = np.concatenate([np.where(inner, log_expit(-zs), 0.0), np.zeros((J, 1, Q))], 1)
    gap = np.full((J, S), np.inf)
    gap[:, 1:-1] = d[:, :-1] - d[:, 1:]
    gap[np.arange(J), spec.top] = np.inf
    gap[:, 0] = np.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        log_gap = np.where(np.isinf(gap), 0.0, np.log(-np.expm1(-gap)))
    # log P_k = log σ(z*_k) + log σ(-z*_{k+1}) + log(1 - exp(-(d_k - d_{k+1})))
    logP = log_up + log_dn + log_gap[:, :, None]
    return np.where(spec.valid[:, :, None], logP, -np.inf)


def _divide_by_total(
    spec: PolySpec, a: np.ndarray, d: np.ndarray, nodes: np.ndarray, second: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    J, S = spec.n_items, spec.n_slots
    k = np.arange(S, dtype=float)
    valid = spec.valid[:, :, None]
    logP = _log_probabilities(spec, a, d, nodes)
    P = np.exp(logP)
    E = (P * k[None, :, None]).sum(axis=1)  # J × Q
    D = np.zeros((J, S, S, nodes.size))
    D[:, :, 0, :] = nodes[None, None, :] * (k[None, :, None] - E[:, None, :])
    eye = np.eye(S)[None, :, 1:, None]
    D[:, :, 1:, :] = eye - P[:, None, 1:, :]
    D *= valid[:, :, None, :] * spec.valid[:, None, :, None]
    if not second:
        return logP, D, None
    # covariance of t = (k z, e_1..e_K) under P, the same for every category
    cov = np.zeros((J, S, S, nodes.size))
    var_k = (P * k[None, :, None] ** 2).sum(axis=1) - E**2
    cov[:, 0, 0] = nodes**2 * var_k
    cross = nodes * P[:, 1:, :] * (k[None, 1:, None] - E[:, None, :])
    cov[:, 0, 1:] = cross
    cov[:, 1:, 0] = cross
    cov[:, 1:, 1:] = -P[:, 1:, None, :] * P[:, None, 1:, :]
    idx = np.arange(1, S)
    cov[:, idx, idx] += P[:, 1:, :]
    H2 = np.broadcast_to(-cov[:, None], (J, S, S, S, nodes.size))
    return logP, D, H2


def _graded(
    spec: PolySpec, a: np.ndarray, d: np.ndarray, nodes: np.ndarray, second: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    J, S, Q = spec.n_items, spec.n_slots, nodes.size
    inner = spec.valid[:, 1:, None]  # boundaries k = 1..Kmax an item has
    zs = a[:, None, None] * nodes[None, None, :] + d[:, :, None]  # J × Kmax × Q
    logP = _log_probabilities(spec, a, d, nodes)
    P = np.exp(logP)
    Ps = np.concatenate(
        [np.ones((J, 1, Q)), np.where(inner, expit(zs), 0.0), np.zeros((J, 1, Q))], 1
    )
    w = Ps * (1 - Ps)  # J × (S + 1) × Q; zero at both ends
    with np.errstate(divide="ignore", invalid="ignore"):
        invP = np.where(P > 0, 1.0 / P, 0.0)
    D = np.zeros((J, S, S, Q))
    D[:, :, 0, :] = nodes * (w[:, :-1] - w[:, 1:]) * invP
    for c in range(1, S):
        D[:, c, c, :] = w[:, c] * invP[:, c]
        D[:, c - 1, c, :] = -w[:, c] * invP[:, c - 1]
    D *= spec.valid[:, :, None, None] * spec.valid[:, None, :, None]
    if not second:
        return logP, D, None
    w2 = w * (1 - 2 * Ps)
    d2P = np.zeros((J, S, S, S, Q))  # ∂²P_k / ∂ slot ∂ slot
    d2P[:, :, 0, 0] = nodes**2 * (w2[:, :-1] - w2[:, 1:])
    for c in range(1, S):
        for k, sign in ((c, 1.0), (c - 1, -1.0)):
            d2P[:, k, 0, c] = d2P[:, k, c, 0] = sign * nodes * w2[:, c]
            d2P[:, k, c, c] = sign * w2[:, c]
    H2 = d2P * invP[:, :, None, None, :] - D[:, :, :, None, :] * D[:, :, None, :, :]
    H2 *= spec.valid[:, None, :, None, None] * spec.valid[:, None, None, :, None]
    return logP, D, H2

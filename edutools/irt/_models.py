"""Parameter layouts and M-steps of the four unidimensional models.

Every model works on one flat parameter vector ``phi``. Its *full* form is the per-item
vector ``[a_1..a_J, d_1..d_J]`` (plus ``g_1..g_J``, the logit of the guessing parameter,
for the 3PL); ``transform()`` is the linear map from ``phi`` to that full form, so the
derivatives computed once in full form serve every model.

The M-step maximises, item by item, the expected complete-data log-likelihood

    sum_q r[j, q] log P_j(θ_q) + (n[j, q] - r[j, q]) log(1 - P_j(θ_q)),

a weighted logistic regression on the nodes: concave for the logistic models, so Newton's
method converges; the 3PL uses Fisher scoring with step halving and a Beta prior on c.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import expit, logit

__all__ = ["ModelName", "ModelSpec"]

ModelName = Literal["rasch", "1pl", "2pl", "3pl"]

_MAX_STEP = 1.0  # largest Newton step per parameter, in logits
_NEWTON_TOL = 1e-10
_NEWTON_ITER = 50


@dataclass(frozen=True)
class ModelSpec:
    """Layout of ``phi`` for one model over ``n_items`` items."""

    name: ModelName
    n_items: int
    c_prior: tuple[float, float] | None = None
    a_prior: tuple[float, float] | None = None  # LogNormal(μ, σ) on the 3PL's slopes

    # ------------------------------------------------------------------ layout
    @property
    def n_params(self) -> int:
        """Number of free parameters."""
        J = self.n_items
        return {"rasch": J, "1pl": J + 1, "2pl": 2 * J, "3pl": 3 * J}[self.name]

    @property
    def n_full(self) -> int:
        """Length of the full per-item vector."""
        return 3 * self.n_items if self.name == "3pl" else 2 * self.n_items

    def expand(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Per-item slopes a, intercepts d and guessing c (None unless 3PL)."""
        J = self.n_items
        if self.name == "rasch":
            return np.ones(J), phi.copy(), None
        if self.name == "1pl":
            return np.full(J, phi[0]), phi[1:].copy(), None
        a, d = phi[:J].copy(), phi[J : 2 * J].copy()
        if self.name == "2pl":
            return a, d, None
        return a, d, expit(phi[2 * J :])

    def contract(self, a: np.ndarray, d: np.ndarray, c: np.ndarray | None = None) -> np.ndarray:
        """The parameter vector of per-item a, d (and c)."""
        if self.name == "rasch":
            return np.asarray(d, dtype=float).copy()
        if self.name == "1pl":
            return np.concatenate([[float(np.mean(a))], d])
        if self.name == "2pl":
            return np.concatenate([a, d])
        if c is None:
            raise ValueError("the 3PL needs c")
        return np.concatenate([a, d, logit(c)])

    def transform(self) -> np.ndarray:
        """Matrix T with full = T @ phi (+ the fixed slopes of the Rasch model)."""
        J = self.n_items
        T = np.zeros((self.n_full, self.n_params))
        if self.name == "rasch":
            T[J:, :] = np.eye(J)
        elif self.name == "1pl":
            T[:J, 0] = 1.0
            T[J:, 1:] = np.eye(J)
        else:
            T[:] = np.eye(self.n_full)
        return T

    def labels(self, items: list[str]) -> list[str]:
        """Names of the entries of phi, e.g. ``a:Q1``, ``d:Q1``, ``g:Q1`` (g = logit c)."""
        d = [f"d:{i}" for i in items]
        if self.name == "rasch":
            return d
        if self.name == "1pl":
            return ["a", *d]
        a = [f"a:{i}" for i in items]
        if self.name == "2pl":
            return a + d
        return a + d + [f"g:{i}" for i in items]

    # ------------------------------------------------------------------ priors of the 3PL
    def _slope_prior(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Log density, gradient and second derivative of the LogNormal(μ, σ) slope prior.

        log p(a) = -(log a - μ)² / (2 σ²) - log a (+ const); -inf for a <= 0.
        """
        if self.a_prior is None:
            z = np.zeros_like(a)
            return z, z, z
        mu, sd = self.a_prior
        with np.errstate(divide="ignore", invalid="ignore"):
            la = np.log(a)
            u = (la - mu) / sd**2
            logp = np.where(a > 0, -((la - mu) ** 2) / (2 * sd**2) - la, -np.inf)
            grad = np.where(a > 0, (-u - 1) / a, 0.0)
            hess = np.where(a > 0, (-1 / sd**2 + u + 1) / a**2, 0.0)
        return logp, grad, hess

    def log_prior(self, phi: np.ndarray) -> float:
        """Log density of the 3PL's priors: Beta on c, LogNormal on a if set (0 without)."""
        if self.name != "3pl":
            return 0.0
        J = self.n_items
        total = float(self._slope_prior(phi[:J])[0].sum())
        if self.c_prior is not None:
            al, be = self.c_prior
            c = expit(phi[2 * J :])
            total += float(((al - 1) * np.log(c) + (be - 1) * np.log1p(-c)).sum())
        return total

    def prior_derivatives(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian (diagonal) of the log prior with respect to phi."""
        grad = np.zeros(self.n_params)
        hess = np.zeros(self.n_params)
        J = self.n_items
        if self.name == "3pl" and self.c_prior is not None:
            al, be = self.c_prior
            c = expit(phi[2 * J :])
            grad[2 * J :] = (al - 1) * (1 - c) - (be - 1) * c
            hess[2 * J :] = -(al + be - 2) * c * (1 - c)
        if self.name == "3pl" and self.a_prior is not None:
            _, grad[:J], hess[:J] = self._slope_prior(phi[:J])
        return grad, hess

    # ------------------------------------------------------------------ start values
    def start(self, p: np.ndarray, rpb: np.ndarray) -> np.ndarray:
        """Start values from proportions correct ``p`` and item-rest correlations ``rpb``.

        The normal-ogive approximations a ≈ 1.7 r / sqrt(1 - r²) and
        d ≈ logit(p) · sqrt(1 + (a / 1.7)²) undo the attenuation of the marginal proportion.
        """
        p = np.clip(p, 0.01, 0.99)
        r = np.clip(rpb, -0.9, 0.9)
        a = np.clip(1.7 * r / np.sqrt(1 - r**2), -3.0, 3.0)
        a = np.where(np.abs(a) < 0.2, 0.2 * np.where(a < 0, -1.0, 1.0), a)
        if self.name == "rasch":
            return logit(p) * np.sqrt(1 + (1 / 1.7) ** 2)
        if self.name == "1pl":
            a = np.full_like(a, max(0.2, float(np.mean(np.abs(a)))))
        d = logit(p) * np.sqrt(1 + (a / 1.7) ** 2)
        if self.name in ("1pl", "2pl"):
            return self.contract(a, d)
        c = np.full_like(p, self.c_start())
        q = np.clip((p - c) / (1 - c), 0.02, 0.98)
        return self.contract(a * 1.2, logit(q) * np.sqrt(1 + (a / 1.7) ** 2), c)

    def c_start(self) -> float:
        """Start value of c: the prior mode, or 0.15 without a prior."""
        if self.c_prior is None:
            return 0.15
        al, be = self.c_prior
        return float(np.clip((al - 1) / (al + be - 2), 0.02, 0.45)) if al + be > 2 else 0.15

    # ------------------------------------------------------------------ gradient
    def gradient(
        self, phi: np.ndarray, r: np.ndarray, n: np.ndarray, nodes: np.ndarray
    ) -> np.ndarray:
        """Gradient of the marginal log-posterior at ``phi`` from the E-step counts there.

        By Fisher's identity it equals the gradient of the expected complete-data
        log-likelihood, Σ_q (r - n P) ∂logit-terms, which needs no further pass over the data.
        """
        a, d, c = self.expand(phi)
        if c is None:
            res = r - n * expit(a[:, None] * nodes + d[:, None])
            full = np.concatenate([res @ nodes, res.sum(axis=1)])
        else:
            g, _ = _derivatives_3pl(a, d, phi[2 * self.n_items :], r, n, nodes)
            full = g.T.reshape(-1)
        return self.transform().T @ full + self.prior_derivatives(phi)[0]

    # ------------------------------------------------------------------ M-step
    def mstep(self, phi: np.ndarray, r: np.ndarray, n: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        """Maximise the expected complete-data log-posterior given counts r and n (items × nodes)."""
        if self.name == "3pl":
            return self._mstep_3pl(phi, r, n, nodes)
        return self._mstep_logistic(phi, r, n, nodes)

    def _mstep_logistic(
        self, phi: np.ndarray, r: np.ndarray, n: np.ndarray, nodes: np.ndarray
    ) -> np.ndarray:
        phi = phi.copy()
        th, th2 = nodes, nodes**2
        for _ in range(_NEWTON_ITER):
            a, d, _c = self.expand(phi)
            P = expit(a[:, None] * th + d[:, None])
            res = r - n * P
            w = n * P * (1 - P)
            g_d = res.sum(axis=1)
            h_dd = w.sum(axis=1)  # minus the Hessian
            if self.name == "rasch":
                step = g_d / h_dd
            else:
                g_a = res @ th
                h_aa = w @ th2
                h_ad = w @ th
                if self.name == "2pl":
                    det = h_aa * h_dd - h_ad**2
                    step = np.concatenate(
                        [(h_dd * g_a - h_ad * g_d) / det, (h_aa * g_d - h_ad * g_a) / det]
                    )
                else:  # one common slope: an arrow-shaped system solved through its Schur complement
                    s_a = h_aa.sum() - (h_ad**2 / h_dd).sum()
                    da = (g_a.sum() - (h_ad * g_d / h_dd).sum()) / s_a
                    step = np.concatenate([[da], (g_d - h_ad * da) / h_dd])
            big = np.abs(step).max()
            if not np.isfinite(big):
                break
            if big > _MAX_STEP:
                step *= _MAX_STEP / big
            phi += step
            if big < _NEWTON_TOL:
                break
        return phi

    def _objective_3pl(
        self,
        a: np.ndarray,
        d: np.ndarray,
        g: np.ndarray,
        r: np.ndarray,
        n: np.ndarray,
        nodes: np.ndarray,
    ) -> np.ndarray:
        z = a[:, None] * nodes + d[:, None]
        c = expit(g)[:, None]
        log_s = -np.logaddexp(0.0, -z)
        log_1ms = -np.logaddexp(0.0, z)
        log_p1 = np.logaddexp(np.log(c), np.log1p(-c) + log_s)
        log_p0 = np.log1p(-c) + log_1ms
        f = (r * log_p1 + (n - r) * log_p0).sum(axis=1)
        if self.c_prior is not None:
            al, be = self.c_prior
            cc = expit(g)
            f = f + (al - 1) * np.log(cc) + (be - 1) * np.log1p(-cc)
        if self.a_prior is not None:
            f = f + self._slope_prior(a)[0]
        return f

    def _mstep_3pl(
        self, phi: np.ndarray, r: np.ndarray, n: np.ndarray, nodes: np.ndarray
    ) -> np.ndarray:
        J = self.n_items
        a, d, g = phi[:J].copy(), phi[J : 2 * J].copy(), phi[2 * J :].copy()
        f = self._objective_3pl(a, d, g, r, n, nodes)
        for _ in range(_NEWTON_ITER):
            grad, info = _derivatives_3pl(a, d, g, r, n, nodes)
            if self.c_prior is not None:
                al, be = self.c_prior
                c = expit(g)
                grad[:, 2] += (al - 1) * (1 - c) - (be - 1) * c
                info[:, 2, 2] += (al + be - 2) * c * (1 - c)
            if self.a_prior is not None:
                _, g_a, _ = self._slope_prior(a)
                grad[:, 0] += g_a
                info[:, 0, 0] += 1.0 / (self.a_prior[1] ** 2 * np.maximum(a, 1e-8) ** 2)
            info += 1e-10 * np.eye(3)
            step = np.linalg.solve(info, grad[:, :, None])[:, :, 0]
            big = np.abs(step).max(axis=1)
            step *= np.minimum(1.0, _MAX_STEP / np.maximum(big, 1e-300))[:, None]
            # step halving item by item: an item keeps the first step that does not lower
            # its objective; items that find none keep their current values
            scale = np.ones(J)
            todo = np.ones(J, dtype=bool)
            na, nd, ng, nf = a.copy(), d.copy(), g.copy(), f.copy()
            for _half in range(30):
                ta = a + scale * step[:, 0]
                td = d + scale * step[:, 1]
                tg = g + scale * step[:, 2]
                tf = self._objective_3pl(ta, td, tg, r, n, nodes)
                ok = todo & (tf >= f - 1e-12 * np.abs(f))
                na[ok], nd[ok], ng[ok], nf[ok] = ta[ok], td[ok], tg[ok], tf[ok]
                todo &= ~ok
                if not todo.any():
                    break
                scale = np.where(todo, scale / 2, scale)
            a, d, g, f = na, nd, ng, nf
            if (np.abs(step) * scale[:, None]).max() < _NEWTON_TOL or todo.all():
                break
        return np.concatenate([a, d, g])


def _derivatives_3pl(
    a: np.ndarray, d: np.ndarray, g: np.ndarray, r: np.ndarray, n: np.ndarray, nodes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-item gradient (J × 3) and expected information (J × 3 × 3) of the complete-data loglik.

    The score factor ∂P / (P (1 - P)) and the information's ∂P ∂Pᵀ / (P (1 - P)) are formed
    from ∂P / P and ∂P / (1 - P) = (θ s, s, c), in which 1 - P = (1 - c)(1 - s) cancels, so
    nothing divides by a 1 - P that rounded to 0 for a steep item.
    """
    s = expit(a[:, None] * nodes + d[:, None])
    c = expit(g)[:, None]
    P = c + (1 - c) * s
    ds = s * (1 - s)
    Pz = (1 - c) * ds
    Pg = (1 - s) * c * (1 - c)
    over_p = (Pz * nodes / P, Pz / P, Pg / P)  # ∂P / P
    over_q = (s * nodes, s, np.broadcast_to(c, s.shape))  # ∂P / (1 - P)
    # ∂P / (P (1 - P)) = (θ s, s, c) / P
    score = (over_q[0] / P, over_q[1] / P, over_q[2] / P)
    res = r - n * P
    grad = np.stack([(res * f).sum(axis=1) for f in score], axis=1)
    info = np.empty((a.size, 3, 3))
    for i in range(3):
        for k in range(i, 3):
            info[:, i, k] = info[:, k, i] = (n * over_p[i] * over_q[k]).sum(axis=1)
    return grad, info

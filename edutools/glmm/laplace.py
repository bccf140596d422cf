"""The Laplace-approximated deviance of a binomial GLMM with random intercepts, and its gradient.

Model (lme4's parameterisation, Bates et al. 2015, section 3 of the lme4 paper)::

    eta = X beta + sum_k theta_k * u_k[g_k],   u_k ~ N(0, I),   y ~ Bernoulli(expit(eta))

For fixed ``phi = (theta, beta)`` the conditional mode ``u_hat`` maximises
``l(y | u) - |u|^2 / 2`` (penalised IRLS), and the Laplace deviance is::

    D(phi) = -2 l(y | u_hat) + |u_hat|^2 + log det H,   H = I + Lambda Z' W Z Lambda

with ``W = diag(mu (1 - mu))``. The random-effect precision ``H`` is solved blockwise: the largest
grouping factor's block is diagonal and is eliminated first, the other factors form a dense Schur
complement. So the cost per iteration is O(n + q1 * qR + qR^3) where ``qR`` counts the levels of
all but the largest grouping factor.

The gradient of ``D`` is exact: the envelope theorem removes the dependence through ``u_hat`` from
the first two terms, and the log-determinant is differentiated through ``W(eta(u_hat(phi)))`` and
through ``Lambda``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.special import expit

__all__ = ["LaplaceState", "RandomInterceptGLMM"]


@dataclass(frozen=True)
class LaplaceState:
    """The model evaluated at one ``phi``: deviance, gradient, conditional modes and the pieces."""

    deviance: float
    gradient: np.ndarray
    u: np.ndarray
    mu: np.ndarray
    pirls_iterations: int


class RandomInterceptGLMM:
    """Data and linear algebra for one model; ``evaluate(phi)`` is the objective of the optimiser."""

    def __init__(
        self, y: np.ndarray, X: np.ndarray, groups: tuple[np.ndarray, ...], sizes: tuple[int, ...]
    ) -> None:
        self.y = y
        self.X = X
        self.n, self.p = X.shape
        self.K = len(groups)
        # the largest factor goes first: its block of H is diagonal and is eliminated exactly
        self.order = sorted(range(self.K), key=lambda k: -sizes[k])
        self.g = [groups[k] for k in self.order]
        self.q = [sizes[k] for k in self.order]
        self.offsets = np.concatenate([[0], np.cumsum(self.q)]).astype(int)
        self.qR = int(sum(self.q[1:]))
        self.Zt = [
            sp.csr_matrix((np.ones(self.n), (g, np.arange(self.n))), shape=(q, self.n))
            for g, q in zip(self.g, self.q, strict=True)
        ]
        # position of each observation's level inside the dense "rest" block
        self.r = [self.offsets[k] - self.q[0] + self.g[k] for k in range(1, self.K)]
        self._u = np.zeros(int(self.offsets[-1]))

    # ------------------------------------------------------------------ pieces

    def _split(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """phi in the caller's factor order -> (theta in internal order, beta)."""
        theta_user = phi[: self.K]
        return theta_user[self.order], phi[self.K :]

    def _eta(self, theta: np.ndarray, beta: np.ndarray, u: np.ndarray) -> np.ndarray:
        eta = self.X @ beta
        for k in range(self.K):
            eta = eta + theta[k] * u[self.offsets[k] : self.offsets[k + 1]][self.g[k]]
        return eta

    def _zt(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Lambda Z' v for a vector or a matrix v with n rows."""
        return np.concatenate([theta[k] * (self.Zt[k] @ v) for k in range(self.K)], axis=0)

    def _z(self, theta: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Z Lambda m for a vector or a matrix m with q rows."""
        out = np.zeros((self.n, *m.shape[1:]))
        for k in range(self.K):
            out += theta[k] * m[self.offsets[k] : self.offsets[k + 1]][self.g[k]]
        return out

    def _factor(
        self, theta: np.ndarray, w: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, tuple | None]:
        """D (diagonal of the first block), B (first x rest) and the Cholesky factor of the Schur complement."""
        D = theta[0] ** 2 * np.bincount(self.g[0], w, self.q[0]) + 1.0
        if self.K == 1:
            return D, np.empty((self.q[0], 0)), None
        HRR = np.zeros((self.qR, self.qR))
        blocks = []
        for k in range(1, self.K):
            a, b = self.offsets[k] - self.q[0], self.offsets[k + 1] - self.q[0]
            idx = np.arange(a, b)
            HRR[idx, idx] = theta[k] ** 2 * np.bincount(self.g[k], w, self.q[k]) + 1.0
            for m in range(k + 1, self.K):
                c, d = self.offsets[m] - self.q[0], self.offsets[m + 1] - self.q[0]
                C = np.bincount(self.g[k] * self.q[m] + self.g[m], w, self.q[k] * self.q[m])
                C = theta[k] * theta[m] * C.reshape(self.q[k], self.q[m])
                HRR[a:b, c:d] = C
                HRR[c:d, a:b] = C.T
            C0 = np.bincount(self.g[0] * self.q[k] + self.g[k], w, self.q[0] * self.q[k])
            blocks.append(theta[0] * theta[k] * C0.reshape(self.q[0], self.q[k]))
        B = np.hstack(blocks)
        S = HRR - B.T @ (B / D[:, None])
        return D, B, sla.cho_factor(S, lower=True, check_finite=False)

    def _solve(self, D: np.ndarray, B: np.ndarray, cho: tuple | None, v: np.ndarray) -> np.ndarray:
        """H^{-1} v by block elimination."""
        q0 = self.q[0]
        v0 = v[:q0]
        if cho is None:
            return v0 / (D if v.ndim == 1 else D[:, None])
        Dm = D if v.ndim == 1 else D[:, None]
        xR = sla.cho_solve(cho, v[q0:] - B.T @ (v0 / Dm), check_finite=False)
        x0 = (v0 - B @ xR) / Dm
        return np.concatenate([x0, xR], axis=0)

    # ------------------------------------------------------------------ evaluation

    def evaluate(
        self, phi: np.ndarray, gradient: bool = True, tol: float = 1e-10, max_iter: int = 100
    ) -> LaplaceState:
        """Run penalised IRLS for ``u_hat`` at ``phi`` and return the Laplace deviance (and gradient).

        Penalised IRLS is Newton's method on ``-2 l(y|u) + |u|^2`` with step halving; it starts
        from the previous call's conditional modes, which makes the optimiser's calls cheap.
        """
        theta, beta = self._split(phi)
        u = self._u.copy()
        offset = self.X @ beta

        def pdev(uu: np.ndarray) -> tuple[float, np.ndarray]:
            eta = offset + self._z(theta, uu)
            return float(-2.0 * (self.y @ eta - np.logaddexp(0.0, eta).sum()) + uu @ uu), eta

        dev_u, eta = pdev(u)
        it = 0
        for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
            mu = expit(eta)
            w = mu * (1.0 - mu)
            D, B, cho = self._factor(theta, w)
            grad_u = self._zt(theta, self.y - mu) - u
            step = self._solve(D, B, cho, grad_u)
            if np.max(np.abs(step)) < tol:
                break
            for _ in range(30):
                new_dev, new_eta = pdev(u + step)
                if new_dev <= dev_u + 1e-12 * abs(dev_u):
                    break
                step = step / 2.0
            u, dev_u, eta = u + step, new_dev, new_eta
        self._u = u
        logdet = float(np.log(D).sum())
        if cho is not None:
            logdet += 2.0 * float(np.log(np.diag(cho[0])).sum())
        deviance = dev_u + logdet
        grad = self._gradient(theta, u, mu, w, D, B, cho) if gradient else np.full(len(phi), np.nan)
        return LaplaceState(
            deviance=deviance, gradient=grad, u=self._user_u(u), mu=mu, pirls_iterations=it
        )

    def _user_u(self, u: np.ndarray) -> np.ndarray:
        parts: dict[int, np.ndarray] = {
            k: u[self.offsets[pos] : self.offsets[pos + 1]] for pos, k in enumerate(self.order)
        }
        return np.concatenate([parts[k] for k in range(self.K)])

    def _projections(
        self, theta: np.ndarray, D: np.ndarray, B: np.ndarray, cho: tuple | None
    ) -> list[np.ndarray]:
        """Q_k(i) = [H^{-1} Lambda Z' e_i] at observation i's level of factor k."""
        j = self.g[0]
        if cho is None:
            return [theta[0] / D[j]]
        F = sla.cho_solve(cho, B.T, check_finite=False).T  # B S^{-1}
        Sinv = sla.cho_solve(cho, np.eye(self.qR), check_finite=False)
        diag0 = 1.0 / D + np.einsum("jr,jr->j", F, B) / D**2
        cross = [-F[j, r] / D[j] for r in self.r]  # H^{-1}[(0, g0(i)), (l, gl(i))]
        Q0 = theta[0] * diag0[j] + sum(theta[m + 1] * cross[m] for m in range(self.K - 1))
        Q = [Q0]
        for k in range(1, self.K):
            rk = self.r[k - 1]
            Qk = theta[0] * cross[k - 1] + sum(
                theta[m] * Sinv[rk, self.r[m - 1]] for m in range(1, self.K)
            )
            Q.append(Qk)
        return Q

    def _gradient(
        self,
        theta: np.ndarray,
        u: np.ndarray,
        mu: np.ndarray,
        w: np.ndarray,
        D: np.ndarray,
        B: np.ndarray,
        cho: tuple | None,
    ) -> np.ndarray:
        resid = self.y - mu
        dw = w * (1.0 - 2.0 * mu)
        Q = self._projections(theta, D, B, cho)
        h = sum(theta[k] * Q[k] for k in range(self.K))
        lever = dw * h  # d log det H / d eta_i

        # beta: d eta / d beta = X - Z Lambda H^{-1} Lambda Z' W X
        M = self._solve(D, B, cho, self._zt(theta, w[:, None] * self.X))
        deta_beta = self.X - self._z(theta, M)
        g_beta = -2.0 * self.X.T @ resid + deta_beta.T @ lever

        g_theta = np.empty(self.K)
        for k in range(self.K):
            a_k = u[self.offsets[k] : self.offsets[k + 1]][self.g[k]]
            rhs = -self._zt(theta, w * a_k)
            rhs[self.offsets[k] : self.offsets[k + 1]] += self.Zt[k] @ resid
            deta = a_k + self._z(theta, self._solve(D, B, cho, rhs))
            g_theta[k] = -2.0 * a_k @ resid + lever @ deta + 2.0 * (w @ Q[k])
        g_user = np.empty(self.K)
        g_user[self.order] = g_theta
        return np.concatenate([g_user, g_beta])

    def fixed_information(self, phi: np.ndarray) -> np.ndarray:
        """X'WX - X'W Z Lambda H^{-1} Lambda Z' W X at ``phi``: lme4's RX'RX (theta held fixed)."""
        theta, _ = self._split(phi)
        state = self.evaluate(phi, gradient=False)
        w = state.mu * (1.0 - state.mu)
        D, B, cho = self._factor(theta, w)
        ZWX = self._zt(theta, w[:, None] * self.X)
        return self.X.T @ (w[:, None] * self.X) - ZWX.T @ self._solve(D, B, cho, ZWX)

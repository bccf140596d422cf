"""Weighted logistic regression by Newton's method, cluster-robust covariance, and AUC.

Kept by hand rather than taken from statsmodels: the pairwise preference model refits it
thousands of times (cluster bootstrap, cross-validation), and this Newton loop on NumPy arrays
avoids statsmodels' per-fit model and result objects. Small and dependency-free so that bootstrap and cross-validation refits stay fast; the tests
check it against statsmodels' ``Logit(...).fit(cov_type="cluster")``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from edutools.errors import StudyError

__all__ = ["auc", "cluster_cov", "fit_logit"]


def fit_logit(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
    start: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> np.ndarray:
    """Maximum-likelihood logistic regression ``P(y=1) = expit(X beta)`` by Newton-Raphson.

    Raises StudyError when the outcome is perfectly separated (the estimates diverge).
    """
    w = np.ones(len(y)) if weights is None else weights
    beta = np.zeros(X.shape[1]) if start is None else start.copy()
    for it in range(max_iter):
        mu = expit(X @ beta)
        grad = X.T @ (w * (y - mu))
        info = X.T @ ((w * mu * (1.0 - mu))[:, None] * X)
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            if it == 0:
                raise StudyError(
                    "the logistic model's design is singular; drop a collinear predictor"
                ) from None
            break  # the weights underflowed: the estimates are running off to infinity
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            return beta
        if np.max(np.abs(beta)) > 50:
            break
    raise StudyError(
        "the logistic model did not converge (perfect separation: some predictor predicts every "
        "outcome); drop that predictor or collect more varied data"
    )


def cluster_cov(
    X: np.ndarray,
    y: np.ndarray,
    beta: np.ndarray,
    groups: np.ndarray,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Cluster-robust (sandwich) covariance with statsmodels' small-sample factor.

    ``V = c * A^-1 B A^-1`` with ``A = X'WX``, ``B = sum_g s_g s_g'`` (score sums per cluster)
    and ``c = G/(G-1) * (N-1)/(N-K)`` (Cameron & Miller, 2015, J. Human Resources 50(2)).
    """
    w = np.ones(len(y)) if weights is None else weights
    mu = expit(X @ beta)
    A = X.T @ ((w * mu * (1.0 - mu))[:, None] * X)
    scores = X * (w * (y - mu))[:, None]
    _, codes = np.unique(groups, return_inverse=True)
    G = int(codes.max()) + 1
    S = np.zeros((G, X.shape[1]))
    np.add.at(S, codes, scores)
    Ainv = np.linalg.inv(A)
    n, k = X.shape
    c = G / (G - 1) * (n - 1) / (n - k)
    V = c * Ainv @ (S.T @ S) @ Ainv
    return (V + V.T) / 2.0


def auc(y: np.ndarray, score: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Area under the ROC curve: P(score of a random positive > score of a random negative).

    Ties count one half (the Mann–Whitney statistic); with ``weights`` each row counts its weight.
    """
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    pos, neg = y == 1, y == 0
    if not pos.any() or not neg.any():
        return float("nan")
    _, block = np.unique(score, return_inverse=True)
    pos_w = np.bincount(block, w * pos)
    neg_w = np.bincount(block, w * neg)
    neg_below = np.cumsum(neg_w) - neg_w
    return float((pos_w * (neg_below + neg_w / 2.0)).sum() / (pos_w.sum() * neg_w.sum()))

"""Summed-score distributions by the Lord–Wingersky recursion."""

from __future__ import annotations

import numpy as np

__all__ = ["score_distribution"]


def score_distribution(P: np.ndarray) -> np.ndarray:
    """P(summed score = s | θ_q) for s = 0..J, from item probabilities P (items × nodes).

    Lord & Wingersky (1984): adding item j turns f(s) into f(s)(1 - P_j) + f(s - 1) P_j.

    Example
    -------
    >>> score_distribution(np.array([[0.5], [0.5]]))[:, 0].tolist()
    [0.25, 0.5, 0.25]
    """
    J, Q = P.shape
    f = np.zeros((J + 1, Q))
    f[0] = 1.0
    for j in range(J):
        p = P[j]
        f[1 : j + 2] = f[1 : j + 2] * (1 - p) + f[0 : j + 1] * p
        f[0] = f[0] * (1 - p)
    return f

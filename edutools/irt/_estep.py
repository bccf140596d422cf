"""The E-step: posterior weights of every response pattern over the quadrature nodes.

The log-likelihood of pattern i at node q is one matrix product,

    log L[i, q] = sum_j x1[i, j] log P[j, q] + x0[i, j] log(1 - P[j, q]),

where x1 and x0 indicate correct and incorrect responses (both 0 when missing). Without
missing responses x0 = 1 - x1 and the product shrinks to ``x1 @ logit P + sum_j log(1 - P)``.
Patterns are processed in chunks so that memory stays bounded for any number of persons.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from edutools.irt._data import ResponseData

__all__ = [
    "Chunk",
    "EStep",
    "chunk_size",
    "estep",
    "iter_posterior",
    "log_probabilities",
    "posterior_chunks",
]

# Working set of one chunk: the float copy of the design rows and the posterior block.
_CHUNK_BYTES = 24 * 2**20


def chunk_size(n_columns: int, n_nodes: int, itemsize: int) -> int:
    """Rows per chunk so that a chunk's float arrays stay near 24 MiB."""
    return max(256, _CHUNK_BYTES // (itemsize * max(n_columns, n_nodes)))


def log_probabilities(
    a: np.ndarray, d: np.ndarray, c: np.ndarray | None, nodes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """log P and log(1 - P) for every item (rows) and node (columns), computed stably.

    P = c + (1 - c) / (1 + exp(-(a θ + d))).
    """
    z = a[:, None] * nodes[None, :] + d[:, None]
    log_p1 = -np.logaddexp(0.0, -z)
    log_p0 = -np.logaddexp(0.0, z)
    if c is not None:
        log_c = np.log(c)[:, None]
        log_1mc = np.log1p(-c)[:, None]
        # rounding can push log(c + (1 - c) σ) a hair above 0 when σ is 1
        log_p1 = np.minimum(np.logaddexp(log_c, log_1mc + log_p1), 0.0)
        log_p0 = log_1mc + log_p0
    return log_p1, log_p0


@dataclass(frozen=True)
class Chunk:
    """Posterior of one block of patterns.

    ``post[i, q]`` is the normalised posterior weight (rows sum to 1), ``design`` the
    float copy of the block's design rows, ``counts`` the persons per pattern and
    ``loglik`` each pattern's marginal log-likelihood.
    """

    start: int
    stop: int
    design: np.ndarray
    post: np.ndarray
    counts: np.ndarray
    loglik: np.ndarray


def _weights_matrix(
    log_p1: np.ndarray, log_p0: np.ndarray, log_prior: np.ndarray, has_missing: bool
) -> tuple[np.ndarray, np.ndarray]:
    if has_missing:
        return np.concatenate([log_p1, log_p0], axis=0), log_prior
    return log_p1 - log_p0, log_prior + log_p0.sum(axis=0)


def iter_posterior(
    data: ResponseData,
    log_p1: np.ndarray,
    log_p0: np.ndarray,
    log_prior: np.ndarray,
    *,
    dtype: type[np.floating] = np.float64,
    rows: np.ndarray | None = None,
) -> Iterator[Chunk]:
    """Yield the posterior over the nodes chunk by chunk.

    Parameters
    ----------
    data : ResponseData
    log_p1, log_p0 : ndarray
        items × nodes log-probabilities of a correct and an incorrect response.
    log_prior : ndarray
        Log prior weight of each node.
    dtype : numpy float type
        Precision of the matrix products (float32 halves time and memory on large data).
    rows : ndarray of int, optional
        Process only these patterns (in this order).
    """
    W, bias = _weights_matrix(log_p1, log_p0, log_prior, data.has_missing)
    yield from posterior_chunks(data.design, data.counts, W, bias, dtype=dtype, rows=rows)


def posterior_chunks(
    design: np.ndarray,
    counts: np.ndarray,
    W: np.ndarray,
    bias: np.ndarray,
    *,
    dtype: type[np.floating] = np.float64,
    rows: np.ndarray | None = None,
) -> Iterator[Chunk]:
    """The posterior of patterns whose log-likelihood at node q is ``design @ W + bias``.

    Any model whose pattern log-likelihood is linear in 0/1 indicators (the dichotomous
    models, and the polytomous ones through category indicators) shares this loop.
    """
    Wd = W.astype(dtype, copy=False)
    biasd = bias.astype(dtype, copy=False)
    floor = dtype(-40.0 if np.dtype(dtype).itemsize < 8 else -80.0)
    n = design.shape[0] if rows is None else rows.size
    step = chunk_size(design.shape[1], W.shape[1], np.dtype(dtype).itemsize)
    for start in range(0, n, step):
        stop = min(n, start + step)
        block = design[start:stop] if rows is None else design[rows[start:stop]]
        Z = block.astype(dtype)
        L = Z @ Wd
        L += biasd
        top = L.max(axis=1)
        L -= top[:, None]
        # Weights below e^-floor of the row's largest are zero to working precision;
        # flooring them keeps every later product clear of subnormal numbers, on which
        # the CPU is up to a hundred times slower.
        np.maximum(L, floor, out=L)
        np.exp(L, out=L)
        total = L.sum(axis=1)
        L /= total[:, None]
        w = counts[start:stop] if rows is None else counts[rows[start:stop]]
        loglik = top.astype(np.float64) + np.log(total.astype(np.float64))
        yield Chunk(start, stop, Z, L, w, loglik)


@dataclass(frozen=True)
class EStep:
    """Expected counts: ``r[j, q]`` correct and ``n[j, q]`` total responses to item j at node q."""

    loglik: float
    r: np.ndarray
    n: np.ndarray


def estep(
    data: ResponseData,
    log_p1: np.ndarray,
    log_p0: np.ndarray,
    log_prior: np.ndarray,
    *,
    dtype: type[np.floating] = np.float64,
) -> EStep:
    """Marginal log-likelihood and expected counts at the current parameters."""
    n_items, n_nodes = log_p1.shape
    acc = np.zeros((data.design.shape[1], n_nodes))
    node_total = np.zeros(n_nodes)
    loglik = 0.0
    for ch in iter_posterior(data, log_p1, log_p0, log_prior, dtype=dtype):
        loglik += float(ch.counts @ ch.loglik)
        V = ch.post
        V *= ch.counts.astype(V.dtype)[:, None]
        acc += ch.design.T @ V
        if not data.has_missing:
            node_total += V.sum(axis=0, dtype=np.float64)
    if data.has_missing:
        r = acc[:n_items]
        n = r + acc[n_items:]
    else:
        r = acc
        n = np.broadcast_to(node_total, (n_items, n_nodes))
    return EStep(loglik=loglik, r=r, n=n)

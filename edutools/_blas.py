"""Single-threaded BLAS for the many small matrix products of iterative fits.

Multi-threaded OpenBLAS spends more time waking threads than computing on matrices of a few
dozen columns; on a busy machine it made the GLMM and bootstrap fits 4-6 times slower, and on
a quiet 2-core machine it made a 20,000 × 100 2PL calibration no faster but twice as variable.
Large problems (a million persons) still gain from every thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from functools import wraps
from typing import ParamSpec, TypeVar

from threadpoolctl import threadpool_limits

__all__ = ["blas_threads_for", "single_threaded"]

P = ParamSpec("P")
R = TypeVar("R")


def single_threaded(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with BLAS limited to one thread (restored afterwards)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def blas_threads_for(work: float, *, single_below: float) -> Iterator[None]:
    """One BLAS thread while the work (e.g. cells of a data matrix) is below ``single_below``;
    the library's default above it."""
    if work < single_below:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    else:
        yield

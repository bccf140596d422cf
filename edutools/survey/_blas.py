"""Single-threaded BLAS for the many small matrix products of iterative fits.

Multi-threaded OpenBLAS spends more time waking threads than computing on matrices of a few
dozen columns; on a busy machine it made the GLMM and bootstrap fits 4-6 times slower.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from threadpoolctl import threadpool_limits

__all__ = ["single_threaded"]

P = ParamSpec("P")
R = TypeVar("R")


def single_threaded(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with BLAS limited to one thread (restored afterwards)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper

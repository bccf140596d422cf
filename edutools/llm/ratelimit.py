"""Client-side rate limiting: at most N request starts per minute, spaced evenly.

langchain-core's :class:`~langchain_core.rate_limiters.InMemoryRateLimiter` (a token bucket)
does the work; a bucket of one token spaces starts evenly rather than letting them burst,
which keeps a provider's per-second limits happy too.
"""

from __future__ import annotations

from langchain_core.rate_limiters import InMemoryRateLimiter

from edutools.errors import ConfigError

__all__ = ["rate_limiter"]


def rate_limiter(requests_per_minute: int) -> InMemoryRateLimiter | None:
    """A limiter for ``requests_per_minute`` starts (None when 0: no limit).

    Use ``await limiter.aacquire()`` before each request.

    Example
    -------
    >>> import asyncio, time
    >>> async def three():
    ...     limiter = rate_limiter(6000)  # one start every 10 ms
    ...     start = time.monotonic()
    ...     for _ in range(3):
    ...         await limiter.aacquire()
    ...     return time.monotonic() - start >= 0.02
    >>> asyncio.run(three())
    True
    """
    if requests_per_minute < 0:
        raise ConfigError(
            f"EDUTOOLS_REQUESTS_PER_MINUTE={requests_per_minute} is invalid; use 0 (no limit) or more"
        )
    if requests_per_minute == 0:
        return None
    per_second = requests_per_minute / 60.0
    return InMemoryRateLimiter(
        requests_per_second=per_second,
        # poll often enough that a start is late by at most a tenth of the spacing
        check_every_n_seconds=min(0.1, 0.1 / per_second),
        max_bucket_size=1,
    )

"""Client-side rate limiting: at most N requests per minute, spaced evenly."""

from __future__ import annotations

import asyncio
import time

from edutools.errors import ConfigError

__all__ = ["RateLimiter"]


class RateLimiter:
    """Spaces request starts at least ``60 / requests_per_minute`` seconds apart.

    Even spacing (rather than bursts) keeps a provider's per-second limits happy too.
    ``requests_per_minute=0`` means no limit. Use from one event loop.

    Example
    -------
    >>> import asyncio
    >>> async def three():
    ...     limiter = RateLimiter(6000)  # one start every 10 ms
    ...     start = time.monotonic()
    ...     for _ in range(3):
    ...         await limiter.acquire()
    ...     return time.monotonic() - start >= 0.02
    >>> asyncio.run(three())
    True
    """

    def __init__(self, requests_per_minute: int) -> None:
        if requests_per_minute < 0:
            raise ConfigError(
                f"EDUTOOLS_REQUESTS_PER_MINUTE={requests_per_minute} is invalid; use 0 (no limit) or more"
            )
        self.interval = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self._next = 0.0
        self._lock: asyncio.Lock | None = None

    async def acquire(self) -> None:
        """Wait until the next request may start."""
        if not self.interval:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)

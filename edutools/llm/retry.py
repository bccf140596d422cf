"""Which failures to retry, and how long to wait: exponential backoff with jitter.

Retried: 429 (rate limit), 5xx, timeouts and dropped connections. Not retried: other 4xx
(a bad request or a bad key does not get better by waiting). A 429's ``Retry-After`` (or
``retry-after-ms``) header is honoured: the wait is never shorter than it asks.

The openai client's errors are recognised by class; other providers' (anthropic, google-genai,
ollama, httpx) by their HTTP status (``status_code`` or ``code``) or, for timeouts and dropped
connections, by their class names, so no provider package has to be imported here.

This is written here rather than taken from a retry library (tenacity, or langchain's
``with_retry``) because the client counts every failed request, honours ``Retry-After``,
logs each retry and keeps the wait outside its concurrency slot.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from dataclasses import dataclass, field

import openai

__all__ = ["RetryPolicy", "is_retryable", "retry_after_seconds", "status_code"]


_TRANSIENT_NAMES = frozenset(
    {
        "APIConnectionError",
        "APITimeoutError",
        "ConnectError",
        "ConnectTimeout",
        "ReadTimeout",
        "ReadError",
        "WriteTimeout",
        "PoolTimeout",
        "RemoteProtocolError",
        "TimeoutException",
        "ServerDisconnectedError",
    }
)


def status_code(exc: BaseException) -> int | None:
    """The HTTP status an error carries (``status_code``, or ``code`` as google-genai has it).

    An error that carries none is asked for its cause: langchain-google-genai re-raises the
    client's error (which has the status) as its own ``GoogleRateLimitError`` and the like.
    """
    seen: BaseException | None = exc
    for _ in range(3):
        if seen is None:
            break
        for attr in ("status_code", "code"):
            value = getattr(seen, attr, None)
            if isinstance(value, int) and 100 <= value <= 599:
                return value
        seen = seen.__cause__
    return None


def is_retryable(exc: BaseException) -> bool:
    """True for 429, 5xx, timeouts and connection errors, from any provider's client.

    Example
    -------
    >>> is_retryable(ValueError("x"))
    False
    """
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    status = status_code(exc)
    if status is not None:
        return status == 429 or status >= 500
    return any(cls.__name__ in _TRANSIENT_NAMES for cls in type(exc).__mro__)


def retry_after_seconds(exc: BaseException) -> float | None:
    """The wait a 429/503 reply asks for, from ``retry-after-ms`` or ``Retry-After``.

    ``Retry-After`` may be seconds or an HTTP date. Returns None when absent or unreadable.
    """
    response = getattr(exc, "response", None)
    if response is None and exc.__cause__ is not None:
        response = getattr(exc.__cause__, "response", None)  # a wrapped client error
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
    return max(0.0, value) if math.isfinite(value) else None


@dataclass
class RetryPolicy:
    """Backoff for retryable failures.

    The ``n``-th retry (0-based) waits ``min(max_delay, base_delay * 2**n)`` scaled by a
    random factor in ``[1 - jitter, 1]`` ("equal jitter" when 0.5), and never less than the
    server's ``Retry-After``.

    Parameters
    ----------
    max_retries : int
        Retries after the first attempt (``Settings.max_retries``).
    base_delay, max_delay : float
        Seconds.
    jitter : float
        Share of the delay that is randomised, in [0, 1].
    seed : int
        Seeds the jitter.

    Example
    -------
    >>> p = RetryPolicy(max_retries=3, base_delay=1.0, jitter=0.0)
    >>> [p.delay(n) for n in range(3)]
    [1.0, 2.0, 4.0]
    >>> p.delay(0, retry_after=7.5)
    7.5
    """

    max_retries: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5
    seed: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        backoff = min(self.max_delay, self.base_delay * 2**retry)
        backoff *= 1 - self.jitter * self._rng.random()
        if retry_after is not None:
            return max(backoff, retry_after)
        return backoff

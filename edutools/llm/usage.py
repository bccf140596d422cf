"""Token and cost accounting from real HTTP calls only.

Every reply the provider sends (a billed completion, whether or not it then validates)
adds one call and its reported tokens. A reply served from the cache adds one cached call
and nothing else, so a repeated run costs 0. Requests that failed (429, 5xx, timeouts) are
counted in ``failed_requests`` for diagnosis; they carry no tokens.

Cost uses :data:`PRICES` (USD per million tokens). Models not listed there, such as those
served by vLLM, Ollama or llama.cpp, are costed at 0 and listed in ``unpriced_models``.
Replies that came through OpenAI's Batch API cost :data:`BATCH_PRICE_FACTOR` of that.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from edutools.schema import Usage

__all__ = ["BATCH_PRICE_FACTOR", "PRICES", "UsageMeter", "cost_usd"]

# (input, output) USD per 1M tokens: OpenAI list prices for standard processing, as
# published on openai.com/api/pricing in 2025. Pass ``prices=`` to override.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}


#: OpenAI's Batch API bills half the standard price (openai.com/api/pricing, 2025)
BATCH_PRICE_FACTOR = 0.5


def _price(model: str, prices: Mapping[str, tuple[float, float]]) -> tuple[float, float] | None:
    if model in prices:
        return prices[model]
    # dated snapshots ("gpt-4o-mini-2024-07-18") share their family's price; longest match wins
    for name in sorted(prices, key=len, reverse=True):
        if model.startswith(name + "-"):
            return prices[name]
    return None


def cost_usd(
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    prices: Mapping[str, tuple[float, float]] = PRICES,
) -> float | None:
    """Cost of one call in USD, or None when the model has no known price.

    Example
    -------
    >>> round(cost_usd("gpt-4o-mini", 1_000_000, 1_000_000), 2)
    0.75
    >>> cost_usd("llama3", 10, 10) is None
    True
    """
    price = _price(model, prices)
    if price is None:
        return None
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000


class UsageMeter:
    """Thread-safe running totals; a child meter also adds to its parent.

    Example
    -------
    >>> run = UsageMeter()
    >>> question = run.child()
    >>> question.add_call("gpt-4o-mini", 100, 20)
    >>> question.add_cached()
    >>> run.usage().calls, run.usage().cached_calls, run.usage().prompt_tokens
    (1, 1, 100)
    """

    def __init__(
        self,
        parent: UsageMeter | None = None,
        prices: Mapping[str, tuple[float, float]] = PRICES,
    ) -> None:
        self._parent = parent
        self._prices = prices
        self._lock = threading.Lock()
        self._calls = 0
        self._cached = 0
        self._prompt = 0
        self._completion = 0
        self._cost = 0.0
        self.failed_requests = 0
        self.unpriced_models: set[str] = set()

    def child(self) -> UsageMeter:
        """A meter whose counts also go to this one."""
        return UsageMeter(parent=self, prices=self._prices)

    def add_call(
        self, model: str, prompt_tokens: int, completion_tokens: int, *, batch: bool = False
    ) -> None:
        """Count one completion received over HTTP (``batch``: through the Batch API)."""
        cost = cost_usd(model, prompt_tokens, completion_tokens, self._prices)
        if cost is not None and batch:
            cost *= BATCH_PRICE_FACTOR
        with self._lock:
            self._calls += 1
            self._prompt += prompt_tokens
            self._completion += completion_tokens
            if cost is None:
                self.unpriced_models.add(model)
            else:
                self._cost += cost
        if self._parent is not None:
            self._parent.add_call(model, prompt_tokens, completion_tokens, batch=batch)

    def add_cached(self) -> None:
        """Count one reply served from the cache (no tokens, no cost)."""
        with self._lock:
            self._cached += 1
        if self._parent is not None:
            self._parent.add_cached()

    def add_failed(self) -> None:
        """Count one request that failed before a completion came back."""
        with self._lock:
            self.failed_requests += 1
        if self._parent is not None:
            self._parent.add_failed()

    def usage(self) -> Usage:
        """The totals so far."""
        with self._lock:
            return Usage(
                calls=self._calls,
                cached_calls=self._cached,
                prompt_tokens=self._prompt,
                completion_tokens=self._completion,
                cost_usd=round(self._cost, 8),
            )

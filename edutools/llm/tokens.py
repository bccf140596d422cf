"""Token estimates and packing into batches that fit a token budget.

No tokenizer file can be downloaded here (tiktoken fetches its vocabularies on first use), so
tokens are estimated from UTF-8 bytes at :data:`BYTES_PER_TOKEN` bytes per token. English
text runs at about 4 bytes per token in OpenAI's tokenizers; 3 over-counts on purpose, so a
batch packed to the estimate stays inside the real budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["BYTES_PER_TOKEN", "MESSAGE_OVERHEAD", "estimate_tokens", "messages_tokens", "pack"]

T = TypeVar("T")

BYTES_PER_TOKEN = 3.0
MESSAGE_OVERHEAD = 4  # role and separators the chat format adds per message


def estimate_tokens(text: str) -> int:
    """An upper-side estimate of the number of tokens in ``text``.

    Example
    -------
    >>> estimate_tokens("Osmosis is the diffusion of water.")
    12
    """
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def messages_tokens(messages: Sequence[tuple[str, str]]) -> int:
    """Estimated prompt tokens of ``(role, text)`` messages, overhead included."""
    return sum(estimate_tokens(text) + MESSAGE_OVERHEAD for _, text in messages)


def pack(items: Sequence[T], cost: Callable[[T], int], budget: int) -> list[list[T]]:
    """Split ``items`` in order into consecutive batches whose summed cost fits ``budget``.

    An item that alone costs more than ``budget`` gets a batch of its own (the caller
    should split such items first).

    Parameters
    ----------
    items : sequence
        What to pack, in order.
    cost : callable
        Cost of one item (e.g. its estimated tokens).
    budget : int
        Maximum summed cost per batch.

    Returns
    -------
    list of list
        Non-empty batches, order kept.

    Example
    -------
    >>> pack([3, 3, 3, 5], cost=lambda x: x, budget=6)
    [[3, 3], [3], [5]]
    """
    batches: list[list[T]] = []
    current: list[T] = []
    used = 0
    for item in items:
        c = cost(item)
        if current and used + c > budget:
            batches.append(current)
            current, used = [], 0
        current.append(item)
        used += c
    if current:
        batches.append(current)
    return batches

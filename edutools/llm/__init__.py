"""The LLM layer: chat-model factory, prompt files, structured calls, cache, usage and cost.

Build an :class:`LLMClient` from :class:`~edutools.settings.Settings` for one run and use
it inside one event loop; nothing here opens a connection at import time.
"""

from __future__ import annotations

from edutools.llm.cache import LLMCache, cache_key
from edutools.llm.client import LLMClient
from edutools.llm.factory import make_chat_model
from edutools.llm.fence import fence_nonce
from edutools.llm.prompts import Prompt, load_prompt, prompt_hashes, prompt_names, prompts_dir
from edutools.llm.providers import ModelProfile, is_reasoning_model, profile
from edutools.llm.ratelimit import rate_limiter
from edutools.llm.retry import RetryPolicy, is_retryable, retry_after_seconds
from edutools.llm.sync import call_structured, run_async
from edutools.llm.tokens import estimate_tokens, messages_tokens, pack
from edutools.llm.usage import PRICES, UsageMeter, cost_usd

__all__ = [
    "PRICES",
    "LLMCache",
    "LLMClient",
    "ModelProfile",
    "Prompt",
    "RetryPolicy",
    "UsageMeter",
    "cache_key",
    "call_structured",
    "cost_usd",
    "estimate_tokens",
    "fence_nonce",
    "is_reasoning_model",
    "is_retryable",
    "load_prompt",
    "make_chat_model",
    "messages_tokens",
    "pack",
    "profile",
    "prompt_hashes",
    "prompt_names",
    "prompts_dir",
    "rate_limiter",
    "retry_after_seconds",
    "run_async",
]

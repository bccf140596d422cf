"""Structured calls from synchronous code (scripts, Streamlit callbacks)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

from pydantic import BaseModel

from edutools.llm.client import LLMClient
from edutools.llm.prompts import Prompt
from edutools.schema import Usage
from edutools.settings import Settings

__all__ = ["call_structured", "run_async"]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def call_structured(
    settings: Settings,
    prompt: Prompt,
    output_type: type[M],
    variables: Mapping[str, Any],
    **client_options: Any,
) -> tuple[M, Usage]:
    """One structured call from synchronous code (opens and closes its own client).

    Parameters
    ----------
    settings : Settings
        As for :class:`LLMClient`.
    prompt, output_type, variables
        As for :meth:`LLMClient.structured`.
    **client_options
        Passed to :class:`LLMClient`.

    Returns
    -------
    (pydantic.BaseModel, Usage)
        The value and the usage of this call.
    """

    async def main() -> tuple[M, Usage]:
        async with LLMClient(settings, **client_options) as llm:
            value = await llm.structured(prompt, output_type, variables)
            return value, llm.usage()

    return run_async(main)


class _Box:
    """The main task's result, with a repr that costs nothing.

    On Python 3.11, ``asyncio.run`` looks up its SIGINT handler (a partial holding the main
    task) on the way out, and the signal module formats that handler with ``%r`` when it is
    not a standard one: the main task's repr includes a repr of its result. For an item bank
    of a thousand items that took 0.15 s at the end of every run.
    """

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<result>"


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    """Run ``factory()`` to completion from synchronous code, in a fresh event loop.

    When this thread already runs a loop (a notebook, some app servers), the work runs in
    a helper thread with its own loop, so the caller need not care.
    """

    async def wrapper() -> _Box:
        return _Box(await factory())

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        box = asyncio.run(wrapper())
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            box = pool.submit(asyncio.run, wrapper()).result()
    return cast(T, box.value)

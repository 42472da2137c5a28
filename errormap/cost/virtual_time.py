"""Run a coroutine on an event loop whose clock jumps to the next timer instead of waiting for it.

The estimate runs the pipeline's own judge code against a judge that answers at once but sleeps the
assumed latency per request: on this loop the sleeps cost no real time, and the loop's clock then
reads the wall time the run would take at that latency and the configured concurrency.
Only for code that does no I/O and uses no threads (nothing else could wake the loop).
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _JumpingSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    def __init__(self, loop: "VirtualTimeLoop"):
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout:  # the loop would wait this long for its next timer: jump there
            self._loop.now += timeout
        return super().select(0)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on simulated time."""

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        return self.now


def run_simulated(coro: Coroutine[Any, Any, T]) -> tuple[T, float]:
    """The coroutine's result and the simulated seconds it took."""
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        loop = runner.get_loop()
        start = loop.time()
        result = runner.run(coro)
        return result, loop.time() - start

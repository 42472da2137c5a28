"""Stops a judge run that cannot succeed: identical errors saying the judge is unusable, or no answer for too long.

The streak counts requests in a row that fail with the same fault (see `faults.fault_of`); any
valid answer resets it. The stall deadline moves forward with every valid answer; a request still
waiting (for a connection slot or a reply) when it passes is cancelled and the run stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from errormap.judge.faults import Fault, JudgeUnusable, describe, fault_of

KEPT = "answers received so far are kept"


class JudgeGuard:
    """Shared by every request of one chat client."""

    def __init__(self, url: str, identical_errors: int, stall_timeout: float):
        self.url = url
        self.identical_errors = identical_errors
        self.stall_timeout = stall_timeout
        self.stopped: JudgeUnusable | None = None
        self.last_error = ""
        self._streak: tuple[Fault | None, int] = (None, 0)
        self._deadline: float | None = None
        self._timeouts: set[asyncio.Timeout] = set()

    def check(self) -> None:
        """Raise the stop, once there is one: nothing more is sent."""
        if self.stopped is not None:
            raise self.stopped

    def stop(self, reason: str) -> JudgeUnusable:
        if self.stopped is None:
            self.stopped = JudgeUnusable(f"the judge at {self.url} is unusable: {reason}; {KEPT}")
        return self.stopped

    def succeeded(self) -> None:
        self._streak = (None, 0)
        if self._deadline is not None:
            self._deadline = asyncio.get_running_loop().time() + self.stall_timeout
            for timeout in self._timeouts:
                timeout.reschedule(self._deadline)

    def failed(self, exc: BaseException) -> None:
        """Count an attempt's error; stop after `identical_errors` identical faults in a row."""
        self.last_error = describe(exc)
        fault = fault_of(exc)
        if fault is None:
            return
        previous, count = self._streak
        count = count + 1 if previous == fault else 1
        self._streak = (fault, count)
        if count >= self.identical_errors:
            self.stop(f"{fault.detail} ({count} requests in a row)")

    @asynccontextmanager
    async def watch(self) -> AsyncIterator[None]:
        """Bound one request (its wait for a slot included) by the stall deadline."""
        loop = asyncio.get_running_loop()
        if self._deadline is None:
            self._deadline = loop.time() + self.stall_timeout
        timeout = asyncio.timeout_at(self._deadline)
        try:
            async with timeout:
                self._timeouts.add(timeout)
                try:
                    yield
                finally:
                    self._timeouts.discard(timeout)
        except Exception:  # TimeoutError, or whatever the HTTP client made of the cancellation
            if not timeout.expired():
                raise
            last = f"; last error: {self.last_error}" if self.last_error else ""
            raise self.stop(f"no valid answer in {self.stall_timeout:g} s (judge.stall_timeout){last}") from None

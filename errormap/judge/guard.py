"""Stops a judge run that cannot succeed: identical errors saying the judge is unusable, or no answer for too long.

The streak counts requests in a row that fail with the same fault (see `faults.fault_of`); any
valid answer resets it. The stall deadline moves forward with every valid answer; a request still
waiting (for a connection slot or a reply) when it passes is cancelled and the run stops. One
watchdog task per guard keeps the deadline, so a valid answer costs O(1) however many requests
are in flight.
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
        self._watched: set[asyncio.Task] = set()
        self._watchdog: asyncio.Task | None = None
        self._stalled = False

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

    async def _watch_deadline(self) -> None:
        """Sleep until the deadline; if no answer moved it meanwhile, cancel every watched request."""
        loop = asyncio.get_running_loop()
        while self._watched and self._deadline is not None:
            left = self._deadline - loop.time()
            if left <= 0:
                self._stalled = True
                for task in list(self._watched):
                    task.cancel()
                return
            await asyncio.sleep(left)

    def close(self) -> None:
        """Stop the watchdog (the client is closing)."""
        if self._watchdog is not None and not self._watchdog.done():
            self._watchdog.cancel()

    def _stall_error(self) -> JudgeUnusable:
        last = f"; last error: {self.last_error}" if self.last_error else ""
        return self.stop(f"no valid answer in {self.stall_timeout:g} s (judge.stall_timeout){last}")

    @asynccontextmanager
    async def watch(self) -> AsyncIterator[None]:
        """Bound one request (its wait for a slot included) by the stall deadline."""
        loop = asyncio.get_running_loop()
        if self._deadline is None:
            self._deadline = loop.time() + self.stall_timeout
        task = asyncio.current_task()
        assert task is not None
        self._watched.add(task)
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = loop.create_task(self._watch_deadline())
        try:
            yield
        except asyncio.CancelledError:
            if not self._stalled:
                raise
            task.uncancel()
            raise self._stall_error() from None
        except Exception:  # whatever the HTTP client made of the cancellation
            if not self._stalled:
                raise
            raise self._stall_error() from None
        finally:
            self._watched.discard(task)

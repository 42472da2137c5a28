"""`judge.endpoints`: one judge served by a fleet of OpenAI-compatible servers with no load balancer.

`FleetClient` takes the chat client's place under the LLM judge. It holds one `ChatClient` per
endpoint (each with its own concurrency) and sends each request to the endpoint with the fewest
requests for its weight among those with a free slot. A request that fails is retried on another
endpoint when one is in service. An endpoint whose requests fail `judge.endpoint_failures` times in
a row (connection errors, timeouts, 5xx) is taken out; after `judge.endpoint_probe_seconds` one
request probes it (doubling the wait after each failed probe, up to 16x), and a success puts it back.

What is asked never names the endpoint (the judge's fingerprint and the rendered messages key the
answer store), so a request has one key and one stored answer whichever endpoint served it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from errormap.judge.api_errors import APIConnectionError, APIStatusError, RateLimitError
from errormap.judge.base import JudgeError
from errormap.judge.client import ChatClient, Completion, Render, _is_retryable, _retry_after_seconds, retry_delay
from errormap.judge.faults import JudgeUnusable
from errormap.judge.schemas import Usage
from errormap.settings import EndpointConfig, OpenAIJudgeConfig

log = logging.getLogger(__name__)
MAX_PROBE_FACTOR = 16
NEVER = 1e12  # the per-endpoint dead-judge guard is off: the fleet takes endpoints out and stops itself


@dataclass
class Member:
    """One endpoint of the fleet and its live state."""

    endpoint: EndpointConfig
    client: ChatClient
    in_flight: int = 0
    served: int = 0
    failed: int = 0
    streak: int = 0
    outages: int = 0
    out_until: float | None = None
    probing: bool = False
    cool_until: float = 0.0

    @property
    def url(self) -> str:
        return self.endpoint.base_url


def member_config(config: OpenAIJudgeConfig, endpoint: EndpointConfig) -> OpenAIJudgeConfig:
    """The single-endpoint config of one member: its URL and concurrency, one attempt per call."""
    return config.model_copy(update={
        "base_url": endpoint.base_url, "max_concurrency": endpoint.max_concurrency, "max_retries": 0,
        "endpoints": [], "check_on_start": False, "stop_after_identical_errors": int(NEVER), "stall_timeout": NEVER,
    })


def _endpoint_failure(exc: BaseException | None) -> bool:
    """Whether an error says the endpoint is unwell (not the model's answer, not a rate limit)."""
    if isinstance(exc, JudgeUnusable):
        return True
    if isinstance(exc, APIConnectionError):  # timeouts included
        return True
    return isinstance(exc, APIStatusError) and exc.status_code >= 500


def _retryable(exc: BaseException | None) -> bool:
    """What the chat client retries, and on another endpoint also an unusable one (or a failure without a cause)."""
    return exc is None or isinstance(exc, JudgeUnusable) or _is_retryable(exc)


class FleetClient:
    """Implements the chat client's `complete` over several endpoints, weighted, with endpoints taken out and probed back."""

    def __init__(self, config: OpenAIJudgeConfig, clients: list[ChatClient] | None = None):
        if not config.endpoints:
            raise ValueError("a fleet needs judge.endpoints")
        self.config = config
        clients = clients or [ChatClient(member_config(config, e)) for e in config.endpoints]
        self.members = [Member(e, c) for e, c in zip(config.endpoints, clients)]
        self.mode = config.structured_output
        self._changed: asyncio.Condition | None = None
        self._failed_probes = 0

    @property
    def requests_sent(self) -> int:
        return sum(m.client.requests_sent for m in self.members)

    def stats(self) -> list[dict[str, Any]]:
        """Per endpoint: requests answered, failed attempts, whether it is in service."""
        return [
            {"endpoint": m.url, "served": m.served, "failed": m.failed, "in_service": m.out_until is None}
            for m in self.members
        ]

    async def complete(self, render: Render, schema: type, schema_name: str) -> Completion:
        """Ask on the best endpoint; on a failure, again on another one, up to judge.max_retries retries."""
        usage, attempts = Usage(), 0
        last: JudgeError | None = None
        for attempt in range(self.config.max_retries + 1):
            member = await self._acquire()
            try:
                done = await member.client.complete(render, schema, schema_name)
            except JudgeError as exc:
                usage, attempts, last = usage + exc.usage, attempts + exc.requests, exc
                cause = exc.__cause__
                await self._release(member, ok=False, cause=cause)
                if not _retryable(cause):
                    break
                await self._backoff(attempt, cause)
                continue
            except JudgeUnusable as exc:
                await self._release(member, ok=False, cause=exc)
                last = JudgeError(str(exc))
                continue
            await self._release(member, ok=True)
            return Completion(done.value, usage + done.usage, attempts + done.attempts)
        message = str(last) if last is not None else "no endpoint answered"
        raise JudgeError(message, usage=usage, requests=attempts) from (last.__cause__ if last else None)

    async def aclose(self) -> None:
        for member in self.members:
            await member.client.aclose()
        served = ", ".join(f"{m.url}: {m.served}" for m in self.members)
        log.info("judge fleet: answers per endpoint: %s", served)

    # --- choosing an endpoint ----------------------------------------------------------------------

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def _pick(self, now: float) -> Member | None:
        """The endpoint for the next request: a due probe first, else the least used for its weight with a free slot."""
        for member in self.members:
            if member.out_until is not None and not member.probing and member.out_until <= now:
                member.probing = True
                return member
        ready = [
            m for m in self.members
            if m.out_until is None and m.in_flight < m.endpoint.max_concurrency and m.cool_until <= now
        ]
        if not ready:
            return None
        return min(ready, key=lambda m: ((m.served + m.in_flight) / m.endpoint.weight, self.members.index(m)))

    def _next_change(self, now: float) -> float | None:
        """Seconds until an endpoint becomes usable without a request finishing (a probe or a cool-down ends)."""
        times = [m.out_until for m in self.members if m.out_until is not None and not m.probing]
        times += [m.cool_until for m in self.members if m.cool_until > now]
        return max(0.0, min(times) - now) if times else None

    async def _acquire(self) -> Member:
        condition = self._condition()
        loop = asyncio.get_running_loop()
        async with condition:
            while True:
                now = loop.time()
                member = self._pick(now)
                if member is not None:
                    member.in_flight += 1
                    return member
                try:
                    await asyncio.wait_for(condition.wait(), self._next_change(now))
                except TimeoutError:
                    pass

    async def _release(self, member: Member, *, ok: bool, cause: BaseException | None = None) -> None:
        loop = asyncio.get_running_loop()
        dead: JudgeUnusable | None = None
        async with self._condition():
            member.in_flight -= 1
            was_probe, member.probing = member.probing, False
            if ok:
                member.served += 1
                member.streak = 0
                self._failed_probes = 0
                if member.out_until is not None:
                    log.warning("judge fleet: %s answered its probe; back in service", member.url)
                member.out_until, member.outages = None, 0
            else:
                member.failed += 1
                hinted = _retry_after_seconds(cause) if isinstance(cause, RateLimitError) else None
                if hinted is not None:
                    member.cool_until = loop.time() + min(hinted, self.config.retry_max_delay)
                if _endpoint_failure(cause):
                    member.streak += 1
                    if was_probe or (member.out_until is None and member.streak >= self.config.endpoint_failures):
                        dead = self._take_out(member, loop.time(), was_probe)
            self._condition().notify_all()
        if dead is not None:
            raise dead

    def _take_out(self, member: Member, now: float, was_probe: bool) -> JudgeUnusable | None:
        """Take the endpoint out until its probe; the stop when every endpoint is out and probes keep failing."""
        wait = self.config.endpoint_probe_seconds * min(2**member.outages, MAX_PROBE_FACTOR)
        member.out_until = now + wait
        member.outages += 1
        self._failed_probes += int(was_probe)
        log.warning(
            "judge fleet: %s taken out after %d failed requests in a row; probing it again in %g s",
            member.url, member.streak, wait,
        )
        if all(m.out_until is not None for m in self.members) and self._failed_probes >= self.config.stop_after_identical_errors:
            return JudgeUnusable(
                f"every endpoint of the judge fleet failed ({', '.join(m.url for m in self.members)}), "
                f"{self._failed_probes} probes in a row; answers received so far are kept"
            )
        return None

    async def _backoff(self, attempt: int, cause: BaseException | None) -> None:
        """No wait when another endpoint can take the retry; else the client's backoff (Retry-After wins)."""
        now = asyncio.get_running_loop().time()
        if any(m.out_until is None and m.cool_until <= now for m in self.members):
            return
        await asyncio.sleep(retry_delay(self.config, cause, attempt + 1))

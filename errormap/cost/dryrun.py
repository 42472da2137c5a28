"""A judge that sends nothing: it answers from the store where the store holds the answer, and otherwise
counts the request it would send (tokens as rendered) and answers with a stand-in.

The pipeline's own step code runs against it, so the requests counted are the requests a run would
send, in the order and with the parallelism the code has. Stand-in answers come from the offline
judge (rule-based diagnoses, local clustering): the requests that depend on earlier answers (the
taxonomy's) are counted for those stand-ins, the estimate's main source of error. Each counted
request sleeps the assumed latency under the configured concurrency; on the simulated clock
(`virtual_time`) that gives the run's wall time.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from errormap.cost.tokens import TokenCounter
from errormap.judge.base import Judge, JudgeAnswer
from errormap.judge.caching import CachingJudge
from errormap.judge.client import KEY_MODE
from errormap.judge.openai_judge import OpenAIJudge
from errormap.judge.schemas import Usage
from errormap.judge.store import AnswerStore
from errormap.judge.tasks import Task


@dataclass
class Tally:
    """What one step would send: requests and tokens by answer kind, and answers the store already holds."""

    requests: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    prompt_tokens: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    prefix_tokens: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cacheable_tokens: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    in_store: int = 0
    seconds: float = 0.0

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


class _NoClient:
    """The LLM judge's client in a dry run: there is nothing to send to."""

    requests_sent = 0
    mode = KEY_MODE

    async def complete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a dry run sends no request")

    async def aclose(self) -> None:
        return None


def renderer(llm_config: Any, prompt_version: str) -> OpenAIJudge:
    """The LLM judge, for rendering and keying requests only."""
    return OpenAIJudge(llm_config, prompt_version=prompt_version, client=_NoClient())  # type: ignore[arg-type]


class DryRunJudge(CachingJudge):
    """Implements the judge protocol without sending anything (see the module docstring).

    The protocol methods are `CachingJudge`'s, with the stand-in as the judge that answers what the
    store lacks; requests are keyed, identified and rendered by the LLM judge.
    """

    def __init__(
        self,
        llm: OpenAIJudge,
        store: AnswerStore,
        stand_in: Judge,
        tokens: TokenCounter,
        *,
        mode: str,
        latency: float,
        concurrency: int,
        cache_min_prefix_tokens: int,
    ):
        super().__init__(stand_in, store)
        self.llm = llm
        self.keys = CachingJudge(llm, store)
        self.tokens = tokens
        self.mode = mode
        self.latency = latency
        self.cache_min = cache_min_prefix_tokens
        self.judge_id = llm.judge_id
        self.prompt_version = llm.prompt_version
        self.tally = Tally()
        self._asked: dict[str, JudgeAnswer[Any]] = {}
        self._prefixes: set[str] = set()
        self._slots: asyncio.Semaphore | None = None
        self._concurrency = concurrency

    def fingerprint(self) -> dict[str, object]:
        return self.llm.fingerprint()

    def request_identity(self, task: Task, request: dict[str, Any]) -> object:
        return self.llm.request_identity(task, request)

    def key(self, task: Task, request: dict[str, Any]) -> str:
        return self.keys.key(task, request)

    async def _cached(
        self, task: Task, request: dict[str, Any], ask: Callable[[], Awaitable[JudgeAnswer[Any]]], subject: str | None = None
    ) -> JudgeAnswer[Any]:
        key = self.key(task, request)
        stored = self.store.get(key)
        if stored is not None:
            self.tally.in_store += 1
            return JudgeAnswer(task.answer.model_validate_json(stored.payload), cached=True, context=stored.context)
        if key in self._asked:  # a run asks it once; the store answers the repeats
            return self._asked[key]
        self._count(task, request)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._concurrency)
        async with self._slots:
            await asyncio.sleep(self.latency)
        answer = await ask()
        answer = JudgeAnswer(answer.value, Usage(), cached=False, requests=1, context=answer.context, asked_requests=1)
        self._asked[key] = answer
        return answer

    def _count(self, task: Task, request: dict[str, Any]) -> None:
        messages = self.llm._renderer(task, request)(self.mode)  # the messages rendered for the key, when the mode has them
        kind = task.schema_name
        prompt = self.tokens.messages(messages)
        prefix = min(prompt, self.tokens.messages(messages[:1]))
        self.tally.requests[kind] += 1
        self.tally.prompt_tokens[kind] += prompt
        self.tally.prefix_tokens[kind] += prefix
        system = messages[0]["content"]
        if prefix >= self.cache_min and self.cache_min >= 0:
            if system in self._prefixes:  # the provider has seen this prefix: it can serve it from its cache
                self.tally.cacheable_tokens[kind] += prefix
            self._prefixes.add(system)

    async def aclose(self) -> None:
        return None

"""`judge.mode: batch`: the judge's requests through the OpenAI Batch API instead of one call each.

`BatchClient` takes the chat client's place under the LLM judge. Requests asked together (the
analyze step asks every diagnosis at once) are collected into one JSONL file, uploaded, and sent as
one batch; the batch is polled, and its results are downloaded and validated like online replies.
The body of each line is exactly what the online client would POST, so an answer does not depend on
the mode that served it (and the answer store keys it the same way).

The batch is recorded in the answer store's file (`BatchLedger`) before it is created, so a run that
is stopped mid-poll waits for the same batch when it runs again instead of paying twice. Lines the
batch could not answer are retried as `judge.batch.retry_failed` says: online, in a follow-up batch,
or not at all (the diagnosis is then a failed row, asked again by the next run).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from errormap.judge.base import JudgeError
from errormap.judge.batch_ledger import SUBMITTING, BatchLedger, Submission
from errormap.judge.client import KEY_MODE, ChatClient, Completion, InvalidJudgeOutput, Render, read_completion
from errormap.judge.schemas import Usage
from errormap.judge.store import stable_hash
from errormap.settings import OpenAIJudgeConfig

log = logging.getLogger(__name__)
TERMINAL = ("completed", "failed", "expired", "cancelled")
CHAT_URL = "/v1/chat/completions"
METADATA_KEY = "errormap_submission"


@dataclass
class BatchProgress:
    """What one poll saw: shown to the user while the batch runs."""

    batch_id: str
    status: str
    completed: int
    failed: int
    total: int


@dataclass
class _Request:
    body: dict[str, Any]
    render: Render
    schema: type[BaseModel]
    schema_name: str
    futures: list[asyncio.Future[Completion]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    attempts: int = 0


def custom_id(body: dict[str, Any]) -> str:
    """The line's id: a hash of the request body, the same for the same request in any run."""
    return stable_hash("batch-line", body)[:48]


def _log_progress(progress: BatchProgress) -> None:
    log.info(
        "judge batch %s: %s, %d of %d answered, %d failed",
        progress.batch_id, progress.status, progress.completed, progress.total, progress.failed,
    )


class BatchClient:
    """Implements the chat client's `complete` by collecting concurrent requests into provider batches."""

    def __init__(
        self,
        config: OpenAIJudgeConfig,
        ledger: BatchLedger,
        chat: ChatClient | None = None,
        on_progress: Callable[[BatchProgress], None] | None = _log_progress,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.config = config
        self.ledger = ledger
        self.chat = chat or ChatClient(config)
        self.mode = KEY_MODE if config.structured_output == "auto" else config.structured_output
        self.on_progress = on_progress
        self._sleep = sleep
        self._queue: dict[str, _Request] = {}
        self._inflight: dict[str, _Request] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._rounds: set[asyncio.Task[None]] = set()
        self._read: dict[str, set[str]] = {}
        self.batch_lines_sent = 0
        self.batches_created = 0
        self.batches_resumed = 0
        self._sdk: Any = None

    @property
    def requests_sent(self) -> int:
        """Batch lines this process submitted plus online requests (retries of failed lines)."""
        return self.batch_lines_sent + self.chat.requests_sent

    async def complete(self, render: Render, schema: type[BaseModel], schema_name: str) -> Completion:
        """Queue one request for the next batch and wait for its answer (or JudgeError)."""
        body = self.chat.request_body(render(self.mode), schema, schema_name)
        key = custom_id(body)
        request = self._inflight.get(key) or self._queue.get(key)
        if request is None:
            request = self._queue[key] = _Request(body, render, schema, schema_name)
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        request.futures.append(future)
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def aclose(self) -> None:
        for task in [*self._rounds, *([self._flusher] if self._flusher else [])]:
            task.cancel()
        for submission, read in self._read.items():
            if set(self.ledger.members(submission)) <= read:
                self.ledger.finish(submission)
        if self._sdk is not None:
            await self._sdk.close()
        await self.chat.aclose()

    def _api(self) -> Any:
        """The SDK client of the files and batches endpoints, built on first use (the SDK loads only here)."""
        if self._sdk is None:
            from errormap.judge.sdk_transport import sdk_client

            self._sdk = sdk_client(self.chat.endpoint, self.config)
        return self._sdk

    # --- collecting ------------------------------------------------------------------------------

    async def _flush(self) -> None:
        """Once no new request has come in for a few loop turns, send what is queued as one round."""
        size = -1
        while size != len(self._queue):
            size = len(self._queue)
            for _ in range(5):
                await asyncio.sleep(0)
        requests, self._queue, self._flusher = self._queue, {}, None
        self._inflight.update(requests)
        small = len(requests) < self.config.batch.min_requests and not self.ledger.unfinished(list(requests))
        task = asyncio.create_task(self._online_round(requests) if small else self._round(requests))
        self._rounds.add(task)
        task.add_done_callback(self._rounds.discard)

    async def _round(self, requests: dict[str, _Request]) -> None:
        """Batches until every request is answered or failed as configured."""
        pending = dict(requests)
        try:
            for followup in range(self.config.batch.max_followups + 1):
                failed = await self._batches(pending)
                if not failed:
                    return
                retry = self.config.batch.retry_failed
                if retry == "batch" and followup < self.config.batch.max_followups:
                    log.info("judge batch: %d requests failed; sending them in a follow-up batch", len(failed))
                    pending = {key: pending[key] for key in failed}
                    continue
                if retry == "online":
                    log.info("judge batch: %d requests failed; asking them online", len(failed))
                    await asyncio.gather(*(self._online(pending[key]) for key in failed))
                else:
                    for key, reason in failed.items():
                        self._fail(pending[key], JudgeError(reason, pending[key].usage, pending[key].attempts))
                return
        except Exception as exc:  # a broken upload or poll: every open request fails with the reason
            for request in pending.values():
                self._fail(request, JudgeError(f"judge batch: {type(exc).__name__}: {exc}"[:500], request.usage, request.attempts))
        finally:
            for key in requests:
                self._inflight.pop(key, None)

    async def _online_round(self, requests: dict[str, _Request]) -> None:
        """Too few requests for a batch to be worth its wait (a step of a dependent chain): asked online."""
        try:
            await asyncio.gather(*(self._online(r) for r in requests.values()))
        finally:
            for key in requests:
                self._inflight.pop(key, None)

    async def _batches(self, pending: dict[str, _Request]) -> dict[str, str]:
        """Answer what earlier runs' unfinished batches hold, submit the rest; the failures with their reasons."""
        known = {  # a batch read in this run is not waited for again: its failures go in a follow-up
            key: s for key, s in self.ledger.unfinished(list(pending)).items() if s.submission not in self._read
        }
        waits: dict[str, tuple[Submission, list[str]]] = {}
        for key, submission in known.items():
            waits.setdefault(submission.submission, (submission, []))[1].append(key)
        fresh = [key for key in pending if key not in known]
        jobs = []
        for submission, keys in waits.values():
            jobs.append(self._resume(submission, keys, pending))
        if fresh:
            jobs.append(self._submit_and_read(fresh, pending))
        failed: dict[str, str] = {}
        for outcome in await asyncio.gather(*jobs):
            failed.update(outcome)
        return failed

    async def _resume(self, submission: Submission, keys: list[str], pending: dict[str, _Request]) -> dict[str, str]:
        batch_id = submission.batch_id
        if submission.state == SUBMITTING:  # stopped between recording and creating: did the batch get made?
            batch_id = await self._find_batch(submission.submission)
            if batch_id is None:
                self.ledger.forget(submission.submission)
                return await self._submit_and_read(keys, pending)
            self.ledger.opened(submission.submission, batch_id)
        assert batch_id is not None
        self.batches_resumed += 1
        log.info("judge batch: resuming batch %s (%d requests) from an earlier run", batch_id, len(keys))
        return await self._read_batch(submission.submission, batch_id, keys, pending)

    async def _submit_and_read(self, keys: list[str], pending: dict[str, _Request]) -> dict[str, str]:
        client = self._api()
        lines = "".join(
            json.dumps({"custom_id": key, "method": "POST", "url": CHAT_URL, "body": pending[key].body}) + "\n"
            for key in keys
        )
        submission = self.ledger.begin(self.chat.endpoint.base_url, keys)
        uploaded = await client.files.create(file=("errormap-batch.jsonl", lines.encode("utf-8")), purpose="batch")
        batch = await client.batches.create(
            input_file_id=uploaded.id,
            endpoint=CHAT_URL,
            completion_window=self.config.batch.completion_window,  # type: ignore[arg-type]
            metadata={METADATA_KEY: submission},
        )
        self.ledger.opened(submission, batch.id)
        self.batches_created += 1
        self.batch_lines_sent += len(keys)
        log.info("judge batch: created batch %s with %d requests", batch.id, len(keys))
        return await self._read_batch(submission, batch.id, keys, pending)

    async def _find_batch(self, submission: str) -> str | None:
        async for batch in self._api().batches.list(limit=100):
            if (batch.metadata or {}).get(METADATA_KEY) == submission:
                return batch.id
        return None

    async def _read_batch(
        self, submission: str, batch_id: str, keys: list[str], pending: dict[str, _Request]
    ) -> dict[str, str]:
        """Poll until the batch ends, then settle every request it holds: answered, or failed with a reason."""
        client = self._api()
        while True:
            batch = await client.batches.retrieve(batch_id)
            counts = batch.request_counts
            if self.on_progress is not None:
                self.on_progress(BatchProgress(
                    batch_id, batch.status, counts.completed if counts else 0, counts.failed if counts else 0,
                    counts.total if counts else len(keys),
                ))
            if batch.status in TERMINAL:
                break
            await self._sleep(self.config.batch.poll_interval)
        wanted = set(keys)
        failed: dict[str, str] = {}
        settled: set[str] = set()
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await client.files.content(file_id)
            for line in content.text.splitlines():
                if not line.strip():
                    continue
                record = json.loads(line)
                key = record.get("custom_id")
                if key not in wanted or key in settled:
                    continue
                settled.add(key)
                reason = self._settle(pending[key], record)
                if reason is not None:
                    failed[key] = reason
        for key in wanted - settled:
            failed[key] = f"batch {batch_id} ended {batch.status} without a result for this request"
            pending[key].attempts += 1
        self._read.setdefault(submission, set()).update(wanted)
        return failed

    def _settle(self, request: _Request, record: dict[str, Any]) -> str | None:
        """Resolve a request from its result line; the reason when the line is no answer."""
        request.attempts += 1
        response = record.get("response") or {}
        error = record.get("error")
        if response.get("status_code") != 200 or error:
            detail = error or (response.get("body") or {}).get("error") or {}
            message = detail.get("message") if isinstance(detail, dict) else str(detail)
            return f"batch line failed (HTTP {response.get('status_code')}): {message}"[:500]
        try:
            value, used = read_completion(response.get("body"), request.schema)
        except InvalidJudgeOutput as exc:
            request.usage = request.usage + exc.usage
            return f"batch line answered with an invalid reply: {exc}"[:500]
        except ValueError as exc:  # a body that is not JSON
            return f"batch line answered with an invalid reply: {exc}"[:500]
        request.usage = request.usage + used
        self._resolve(request, Completion(value, request.usage, request.attempts))
        return None

    async def _online(self, request: _Request) -> None:
        try:
            done = await self.chat.complete(request.render, request.schema, request.schema_name)
        except JudgeError as exc:
            self._fail(request, JudgeError(str(exc), request.usage + exc.usage, request.attempts + exc.requests))
        except Exception as exc:  # the judge is unusable: the run stops with the reason
            self._fail(request, exc)
        else:
            self._resolve(request, Completion(done.value, request.usage + done.usage, request.attempts + done.attempts))

    @staticmethod
    def _resolve(request: _Request, completion: Completion) -> None:
        for future in request.futures:
            if not future.done():
                future.set_result(completion)

    @staticmethod
    def _fail(request: _Request, exc: BaseException) -> None:
        for future in request.futures:
            if not future.done():
                future.set_exception(exc)

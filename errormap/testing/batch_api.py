"""The files and batches endpoints of the OpenAI API, for the local protocol server.

`POST /v1/files` (multipart upload, purpose "batch"), `GET /v1/files/{id}`, `GET /v1/files/{id}/content`,
`POST /v1/batches`, `GET /v1/batches/{id}`, `GET /v1/batches` (newest first, `limit`/`after`) and
`POST /v1/batches/{id}/cancel`. A batch's lines are answered by the server's responder, one after
another, in the background: the status goes validating -> in_progress -> finalizing -> completed,
with `request_counts` counting as it goes. Non-200 replies go to the error file, the rest to the
output file, in the line format of the real API. `hold()` keeps new work from finishing until
`release()`, so a test can stop a client in the middle of polling.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web

Answer = Callable[[dict[str, Any]], Any]
"""Turns one chat body into (status, JSON body) the way the chat endpoint would answer it (awaitable)."""


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}, status=status)


class BatchService:
    """In-memory files and batches; counters for tests (`created`, `polls`, `lines_answered`)."""

    def __init__(self, answer: Answer):
        self.answer = answer
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.created = 0
        self.polls = 0
        self.lines_answered = 0
        self._open = threading.Event()
        self._open.set()
        self._tasks: set[asyncio.Task[None]] = set()

    # --- test controls ---------------------------------------------------------------------------

    def hold(self) -> None:
        """Batches stay in progress (no line is answered) until `release()`."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    # --- routes ------------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/files", self.upload)
        app.router.add_get("/v1/files/{file_id}", self.file)
        app.router.add_get("/v1/files/{file_id}/content", self.content)
        app.router.add_post("/v1/batches", self.create)
        app.router.add_get("/v1/batches", self.list)
        app.router.add_get("/v1/batches/{batch_id}", self.retrieve)
        app.router.add_post("/v1/batches/{batch_id}/cancel", self.cancel)

    async def upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return _error(400, "multipart field 'file' is required")
        data = upload.file.read()
        return web.json_response(self._store_file(data, upload.filename or "upload.jsonl", str(form.get("purpose") or "")))

    async def file(self, request: web.Request) -> web.Response:
        found = self.files.get(request.match_info["file_id"])
        return web.json_response(found) if found else _error(404, "no such file")

    async def content(self, request: web.Request) -> web.Response:
        data = self.contents.get(request.match_info["file_id"])
        if data is None:
            return _error(404, "no such file")
        return web.Response(body=data, content_type="application/octet-stream")

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        input_file = body.get("input_file_id")
        if input_file not in self.contents:
            return _error(400, f"input_file_id {input_file!r} is not an uploaded file")
        if body.get("endpoint") != "/v1/chat/completions":
            return _error(400, "only endpoint /v1/chat/completions is supported")
        now = int(time.time())
        batch = {
            "id": f"batch_{uuid.uuid4().hex[:24]}", "object": "batch", "endpoint": body["endpoint"], "errors": None,
            "input_file_id": input_file, "completion_window": body.get("completion_window", "24h"),
            "status": "validating", "output_file_id": None, "error_file_id": None, "created_at": now,
            "in_progress_at": None, "expires_at": now + 86400, "finalizing_at": None, "completed_at": None,
            "failed_at": None, "expired_at": None, "cancelling_at": None, "cancelled_at": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": body.get("metadata") or {},
        }
        self.batches[batch["id"]] = batch
        self.created += 1
        task = asyncio.get_running_loop().create_task(self._run(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response(batch)

    async def retrieve(self, request: web.Request) -> web.Response:
        self.polls += 1
        found = self.batches.get(request.match_info["batch_id"])
        return web.json_response(found) if found else _error(404, "no such batch")

    async def list(self, request: web.Request) -> web.Response:
        ordered = sorted(self.batches.values(), key=lambda b: b["created_at"], reverse=True)
        after = request.query.get("after")
        if after:
            ids = [b["id"] for b in ordered]
            ordered = ordered[ids.index(after) + 1 :] if after in ids else []
        limit = int(request.query.get("limit", 20))
        page = ordered[:limit]
        return web.json_response({
            "object": "list", "data": page, "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None, "has_more": len(ordered) > limit,
        })

    async def cancel(self, request: web.Request) -> web.Response:
        found = self.batches.get(request.match_info["batch_id"])
        if not found:
            return _error(404, "no such batch")
        if found["status"] not in ("completed", "failed", "expired", "cancelled"):
            found["status"] = "cancelling"
            found["cancelling_at"] = int(time.time())
        return web.json_response(found)

    # --- processing --------------------------------------------------------------------------------

    def _store_file(self, data: bytes, filename: str, purpose: str) -> dict[str, Any]:
        meta = {
            "id": f"file-{uuid.uuid4().hex[:24]}", "object": "file", "bytes": len(data), "created_at": int(time.time()),
            "filename": filename, "purpose": purpose, "status": "processed",
        }
        self.files[meta["id"]] = meta
        self.contents[meta["id"]] = data
        return meta

    async def _run(self, batch: dict[str, Any]) -> None:
        try:
            lines = [json.loads(line) for line in self.contents[batch["input_file_id"]].decode("utf-8").splitlines() if line.strip()]
            ids = [line["custom_id"] for line in lines]
            if len(set(ids)) != len(ids):
                raise ValueError("custom_id values must be unique within a batch")
        except (ValueError, KeyError, TypeError) as exc:
            batch.update(status="failed", failed_at=int(time.time()),
                         errors={"object": "list", "data": [{"code": "invalid_file", "message": str(exc)}]})
            return
        batch.update(status="in_progress", in_progress_at=int(time.time()))
        batch["request_counts"]["total"] = len(lines)
        outputs, errors = [], []
        for line in lines:
            while not self._open.is_set():
                await asyncio.sleep(0.01)
            if batch["status"] == "cancelling":
                break
            result = self.answer(line["body"])
            status, body = (await result) if inspect.isawaitable(result) else result
            record = {"id": f"batch_req_{uuid.uuid4().hex[:24]}", "custom_id": line["custom_id"],
                      "response": {"status_code": status, "request_id": uuid.uuid4().hex, "body": body}, "error": None}
            (outputs if status == 200 else errors).append(record)
            batch["request_counts"]["completed" if status == 200 else "failed"] += 1
            self.lines_answered += 1
            await asyncio.sleep(0)
        batch.update(status="finalizing", finalizing_at=int(time.time()))
        for records, field in ((outputs, "output_file_id"), (errors, "error_file_id")):
            if records:
                data = "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")
                batch[field] = self._store_file(data, f"{batch['id']}_{field}.jsonl", "batch_output")["id"]
        done = "cancelled" if batch["status"] == "cancelling" else "completed"
        batch.update(status=done, **{f"{done}_at": int(time.time())})

"""A real local HTTP server for judge failure modes the protocol server does not script: any status, body,
content type or silence on any path, and the headers of every request it received."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Answer:
    """What the stub sends: `hang` keeps the connection open without ever answering."""

    status: int = 200
    body: str = "{}"
    content_type: str = "application/json"
    hang: bool = False


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case


@dataclass
class StubServer:
    """`with StubServer(handler) as stub:` serves `handler(method, path) -> Answer` on 127.0.0.1."""

    handler: Callable[[str, str], Answer]
    received: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def posts(self) -> int:
        return sum(1 for r in self.received if r.method == "POST")

    def __enter__(self) -> "StubServer":
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("stub server did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()

        async def handle(request: web.Request) -> web.StreamResponse:
            await request.read()
            self.received.append(Received(request.method, request.path, {k.lower(): v for k, v in request.headers.items()}))
            answer = self.handler(request.method, request.path)
            if answer.hang:
                await self._stop.wait()
            return web.Response(status=answer.status, text=answer.body, content_type=answer.content_type)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = runner.addresses[0][1]
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


MODELS = Answer(body='{"object": "list", "data": [{"id": "judge-model", "object": "model"}]}')
HTML = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"

"""Vega-Lite to static SVG (vl-convert), drawn in a separate process while the report is assembled.

vl-convert's engine takes about 0.4 s to start, and each chart then takes 50 to 100 ms, much of it
holding the GIL. So the charts are drawn by a child process (this file, run with `python -I`: the
standard library and vl-convert only). `start_engine()` starts it (the report stage calls it before
loading pandas), and each `Chart` is sent to it at once; the template waits for a chart's SVG only
when it writes it. Specs and answers are JSON lines, in order; a failed chart is an error in its answer.
"""

from __future__ import annotations

import atexit
import json
import subprocess
import sys
import threading
from collections import deque
from concurrent.futures import Future
from functools import cache
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
_WARM_UP = {"$schema": SCHEMA, "data": {"values": [{"x": 1}]}, "mark": "bar", "encoding": {"x": {"field": "x"}}}


_ENDED = "the chart process (vl-convert) ended: see its error above"


class ChartError(RuntimeError):
    """A chart vl-convert could not draw, or the drawing process ended."""


def render_svg(spec: dict[str, Any]) -> str:
    """A complete Vega-Lite spec (data inside) as an SVG string, marked as an image for assistive technology."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec).replace("<svg ", '<svg role="img" ', 1)


class _Renderer:
    """The drawing process: specs go to its stdin, answers are matched to their futures in order by a reader thread."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-I", __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, encoding="utf-8",
        )
        self._pending: deque[Future[str]] = deque()
        self._lock = threading.Lock()
        self._ended = False
        threading.Thread(target=self._read, name="charts", daemon=True).start()
        atexit.register(self.close)

    def submit(self, spec: dict[str, Any]) -> Future[str]:
        future: Future[str] = Future()
        with self._lock:
            if self._ended:
                future.set_exception(ChartError(_ENDED))
                return future
            self._pending.append(future)
            try:
                self._process.stdin.write(json.dumps(spec) + "\n")
                self._process.stdin.flush()
            except OSError:
                pass  # the process has ended: the reader fails every pending chart
        return future

    def _read(self) -> None:
        try:
            for line in self._process.stdout:
                answer = json.loads(line)
                future = self._pending.popleft()
                if "svg" in answer:
                    future.set_result(answer["svg"])
                else:
                    future.set_exception(ChartError(answer["error"]))
        finally:  # whatever ended the answers, no chart is left waiting for one
            with self._lock:
                self._ended = True
                while self._pending:
                    self._pending.popleft().set_exception(ChartError(_ENDED))

    def close(self) -> None:
        """End the process: its input closes, so it stops after the charts it was given (killed if it hangs)."""
        with self._lock:
            if not self._process.stdin.closed:
                self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


@cache
def _renderer() -> _Renderer:
    return _Renderer()


def start_engine() -> None:
    """Start the drawing process, which starts vl-convert's engine at once, so that the first chart is quick."""
    _renderer()


class Chart:
    """A chart being drawn in the background; the template's `| safe` (`__html__`) or `str()` waits for its SVG."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._svg = _renderer().submit(spec)

    def __html__(self) -> str:
        return self._svg.result()

    def __str__(self) -> str:
        return self.__html__()


def serve() -> None:
    """The drawing process: start the engine, then answer each spec line with {"svg": ...} or {"error": ...}."""
    render_svg(_WARM_UP)
    for line in sys.stdin:
        try:
            answer = {"svg": render_svg(json.loads(line))}
        except Exception as exc:  # noqa: BLE001 - the parent raises it for the chart that failed
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()

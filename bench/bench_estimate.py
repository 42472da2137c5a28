#!/usr/bin/env python
"""The estimate's error against a counted run: `errormap estimate` for the demo with the OpenAI judge, then
the judge steps run for real against a protocol server that counts what it received.

The server is the independent simulator of ../shared/judge_sim (simjudge.py) when it is there, else the
local protocol server. Both count prompt tokens as chars/4, so the estimate is made once with
`cost.tokenizer=chars/4` (comparable with the count) and once with the default tokenizer (what a user
sees for an OpenAI model; its difference from the count is the tokenizer, not the estimate). A fresh
answer store; the estimate's latency is the server's mean latency.

    .venv/bin/python bench/bench_estimate.py                # simjudge at 200 ms, concurrency 32
    .venv/bin/python bench/bench_estimate.py --local        # the local protocol server instead
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from errormap.config import compose  # noqa: E402
from errormap.cost import estimate_run, render  # noqa: E402
from errormap.judge import judge_from_settings  # noqa: E402
from errormap.settings import validate  # noqa: E402
from errormap.steps.analyze import analyze  # noqa: E402
from errormap.steps.prepare import prepare  # noqa: E402
from errormap.steps.stability import measure_stability  # noqa: E402
from errormap.steps.taxonomy import build_taxonomy  # noqa: E402

SIMJUDGE = ROOT.parent / "shared" / "judge_sim" / "simjudge.py"


class Counts:
    """Requests and tokens the server counted (simjudge's /stats, or the local server's request log)."""

    def __init__(self, base_url: str, local: object | None):
        self.base_url, self.local = base_url, local

    def read(self) -> tuple[int, int, int]:
        if self.local is not None:
            return self.local.totals()  # type: ignore[attr-defined]
        root = self.base_url.rsplit("/v1", 1)[0]
        with urllib.request.urlopen(f"{root}/stats", timeout=10) as response:
            stats = json.load(response)
        return int(stats["calls_total"]), int(stats["prompt_tokens"]), int(stats["completion_tokens"])


def start_simjudge(latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(SIMJUDGE), "--port", "0", "--latency-ms", str(latency_ms), "--jitter-ms", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "http://" in line:
            url = line[line.index("http://"):].split()[0].rstrip("/.,")
            return proc, url.rsplit("/v1", 1)[0] + "/v1"
    proc.terminate()
    raise RuntimeError("simjudge did not say where it listens")


def local_server(latency: float):
    from errormap.testing.openai_server import AutoResponder, ScriptedServer, _estimate_prompt_tokens

    class Counting(AutoResponder):
        def __init__(self) -> None:
            super().__init__()
            self.calls = self.prompt = self.completion = 0

        def __call__(self, body: dict):
            reply = super().__call__(body)
            self.calls += 1
            self.prompt += _estimate_prompt_tokens(body)
            self.completion += len(reply.content or "") // 4
            return reply

        def totals(self) -> tuple[int, int, int]:
            return self.calls, self.prompt, self.completion

    responder = Counting()
    return ScriptedServer(responder, delay=latency), responder


def pct(estimated: float, counted: float) -> str:
    return f"{100 * (estimated - counted) / counted:+.1f}%" if counted else ("0" if not estimated else "n/a")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--local", action="store_true", help="use the local protocol server, not simjudge")
    parser.add_argument("--latency", type=float, default=0.2, help="server latency per request, s (default 0.2)")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    local = args.local or not SIMJUDGE.exists()
    proc = None
    server = counter = None
    if local:
        server, counter = local_server(args.latency)
        server.start()
        base_url = server.base_url
    else:
        proc, base_url = start_simjudge(args.latency * 1000)
    counts = Counts(base_url, counter)
    try:
        with tempfile.TemporaryDirectory(prefix="errormap-estimate-") as tmp:
            store = Path(tmp) / "cache.sqlite"
            overrides = ["judge=openai", f"judge.base_url={base_url}", "judge.api_key_env=null", "judge.model=sim",
                         f"judge.max_concurrency={args.concurrency}", f"cost.latency={args.latency}"]
            settings = validate(compose(ROOT / "conf", [*overrides, "cost.tokenizer=chars/4"]))
            default_tokens = validate(compose(ROOT / "conf", overrides))
            prepared = prepare(settings, ROOT / "data" / "demo")
            estimate = estimate_run(settings, prepared.results, prepared.failures, store_path=store)
            as_users_see_it = estimate_run(default_tokens, prepared.results, prepared.failures, store_path=store)
            print(f"server: {'local protocol server' if local else 'simjudge'} at {args.latency} s/request; "
                  f"{len(prepared.failures)} failures (demo data)\n")
            print("== errormap estimate judge=openai (default tokenizer), as a user sees it ==")
            print(render(as_users_see_it))
            print("\n== the same with cost.tokenizer=chars/4, as the server counts ==")
            print(render(estimate))

            counted: dict[str, tuple[int, int, int, float]] = {}

            def step(name: str, run) -> None:
                before, start = counts.read(), time.perf_counter()
                run()
                after = counts.read()
                counted[name] = (*(a - b for a, b in zip(after, before)), time.perf_counter() - start)

            analysis = {}
            step("analyze", lambda: analysis.update(result=asyncio.run(analyze(
                prepared.results, prepared.failures, settings, judge_from_settings(settings, store)))))
            diagnoses = analysis["result"].diagnoses
            step("taxonomy", lambda: asyncio.run(build_taxonomy(diagnoses, settings, judge_from_settings(settings, store))))
            step("stability", lambda: asyncio.run(measure_stability(
                diagnoses, settings, lambda: judge_from_settings(settings, store))))

            print("\n== estimate (chars/4) against the counted run ==")
            header = f"{'step':<10}{'requests est/counted':>24}{'err':>8}{'prompt tok est/counted':>28}{'err':>8}" \
                     f"{'completion est/counted':>26}{'err':>9}{'time est/wall s':>18}{'err':>8}"
            print(header)
            totals = [0.0] * 8
            for s in estimate.steps:
                calls, prompt, completion, wall = counted[s.step]
                seconds = s.seconds or 0.0
                for i, v in enumerate((s.requests, calls, s.prompt_tokens, prompt, s.completion_tokens, completion, seconds, wall)):
                    totals[i] += v
                print(f"{s.step:<10}{f'{s.requests}/{calls}':>24}{pct(s.requests, calls):>8}"
                      f"{f'{s.prompt_tokens}/{prompt}':>28}{pct(s.prompt_tokens, prompt):>8}"
                      f"{f'{s.completion_tokens}/{completion}':>26}{pct(s.completion_tokens, completion):>9}"
                      f"{f'{seconds:.1f}/{wall:.1f}':>18}{pct(seconds, wall):>8}")
            r, rc, p, pc, c, cc, t, w = totals
            print(f"{'total':<10}{f'{r:.0f}/{rc:.0f}':>24}{pct(r, rc):>8}{f'{p:.0f}/{pc:.0f}':>28}{pct(p, pc):>8}"
                  f"{f'{c:.0f}/{cc:.0f}':>26}{pct(c, cc):>9}{f'{t:.1f}/{w:.1f}':>18}{pct(t, w):>8}")
            user_prompt = sum(s.prompt_tokens for s in as_users_see_it.steps)
            print(f"\ndefault tokenizer against the server's chars/4 count: prompt tokens {user_prompt} vs {pc:.0f} "
                  f"({pct(user_prompt, pc)}; a tokenizer difference, not an estimate error)")
            again = estimate_run(settings, prepared.results, prepared.failures, store_path=store)
            print(f"after the run, the estimate sends {again.requests} requests "
                  f"({sum(s.tally.in_store for s in again.steps)} answers found in the store); completion tokens now: "
                  + next(a for a in again.assumptions if a.startswith("completion")))
    finally:
        if server is not None:
            server.stop()
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())

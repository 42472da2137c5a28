#!/usr/bin/env python
"""Throughput of a judge fleet (`judge.endpoints`): requests per second and client CPU per request with 1, 2
and 4 endpoints, each a local protocol server subprocess with a fixed delay and its own concurrency limit.

With n endpoints of concurrency c and delay d the latency floor is (failures x d) / (n x c). On a 2-core
machine the servers share the CPU with the client, which caps what more endpoints can add.

    .venv/bin/python bench/bench_fleet.py                     # 2000 failures, 0.2 s, 50 per endpoint
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_analyze import Server, make_cases  # noqa: E402

from errormap.judge import build_judge  # noqa: E402
from errormap.steps.analyze import diagnose_all  # noqa: E402
from errormap.testing.defaults import openai_judge_config  # noqa: E402


def run(n_endpoints: int, args: argparse.Namespace, cases: list) -> dict[str, float]:
    with ExitStack() as stack:
        servers = [stack.enter_context(Server(args.delay)) for _ in range(n_endpoints)]
        endpoints = [{"base_url": s.base_url, "max_concurrency": args.per_endpoint, "weight": 1.0} for s in servers]
        config = openai_judge_config(model="bench", base_url=None, api_key_env=None, endpoints=endpoints,
                                     max_retries=0, timeout=60)

        async def main() -> tuple[float, float, int, int, list]:
            judge = build_judge(config, prompt_version="v1", store_path=None)
            server_cpu0 = sum(s.cpu_seconds() or 0.0 for s in servers)
            wall0, cpu0 = time.perf_counter(), time.process_time()
            try:
                frame, stats = await diagnose_all(cases, judge)
            finally:
                wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
                served = judge.client.stats()
                await judge.aclose()
            server_cpu = sum(s.cpu_seconds() or 0.0 for s in servers) - server_cpu0
            return wall, cpu, server_cpu, stats.failed, served

        wall, cpu, server_cpu, failed, served = asyncio.run(main())
    n = len(cases)
    floor = n * args.delay / (n_endpoints * args.per_endpoint)
    return {"endpoints": n_endpoints, "wall": wall, "rps": n / wall, "floor": floor, "cpu_ms": 1000 * cpu / n,
            "server_cpu_ms": 1000 * server_cpu / n, "failed": failed, "shares": [s["served"] for s in served]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", type=int, default=2000)
    parser.add_argument("--delay", type=float, default=0.2, help="server delay per request, s")
    parser.add_argument("--per-endpoint", type=int, default=50, help="max_concurrency of each endpoint")
    parser.add_argument("--endpoints", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args(argv)
    cases = make_cases(args.failures, 0)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {args.failures} failures, delay {args.delay} s, "
          f"{args.per_endpoint} concurrent requests per endpoint\n")
    print(f"{'endpoints':>9} {'wall s':>8} {'floor s':>8} {'wall/floor':>10} {'req/s':>8} {'client CPU ms/req':>18} "
          f"{'servers CPU ms/req':>19} {'failed':>6}  answers per endpoint")
    for n in args.endpoints:
        r = run(n, args, cases)
        print(f"{r['endpoints']:>9} {r['wall']:>8.2f} {r['floor']:>8.2f} {r['wall'] / r['floor']:>10.2f} {r['rps']:>8.0f} "
              f"{r['cpu_ms']:>18.2f} {r['server_cpu_ms']:>19.2f} {r['failed']:>6}  {r['shares']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

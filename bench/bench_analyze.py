#!/usr/bin/env python
"""Benchmark of the `analyze` stage's judge client against the local OpenAI-compatible server.

Starts ``python -m errormap.testing.openai_server`` as a subprocess (fixed per-request delay),
builds N synthetic failures of realistic size, runs ``diagnose_all`` with an ``OpenAIJudge``
and reports throughput against the latency floor (N x delay / concurrency) and the client's
CPU time per request.

    .venv/bin/python bench/bench_analyze.py                 # defaults: 1200 failures, 0.2 s, 100 concurrent
    .venv/bin/python bench/bench_analyze.py --store         # + sqlite AnswerStore, then a cached rerun
    .venv/bin/python bench/bench_analyze.py --profile       # + cProfile of the client run

Targets: wall / floor <= 1.25, client CPU <= 2.0 ms per request, 0 failed diagnoses.
Exit status: 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import os
import pstats
import random
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from errormap.judge import AnswerStore, OpenAIJudge
from errormap.judge.schemas import FailureCase
from errormap.steps.analyze import diagnose_all
from errormap.testing.defaults import openai_judge_config

RATIO_TARGET = 1.25
CPU_MS_TARGET = 2.0
MODELS = ("model-a", "model-b", "model-c", "model-d", "model-e")


# --------------------------------------------------------------------------- the server subprocess


class Server:
    """The protocol server as a subprocess; always terminated by ``stop`` (use as a context manager)."""

    def __init__(self, delay: float, startup_timeout: float = 30.0):
        self.delay = delay
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self._stderr = tempfile.TemporaryFile(mode="w+")

    def __enter__(self) -> Server:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        cmd = [sys.executable, "-m", "errormap.testing.openai_server", "--port", "0",
               "--delay", str(self.delay), "--mode", "auto"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + self.startup_timeout
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise RuntimeError(f"server did not print READY within {self.startup_timeout:.0f} s{self._tail()}")
                line = self.proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"server exited (status {self.proc.poll()}) before READY{self._tail()}")
                if line.startswith("READY "):
                    self.base_url = line.split(None, 1)[1].strip()
                    return

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the server process so far (Linux /proc), or None."""
        if self.proc is None:
            return None
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        self._stderr.close()

    def _tail(self) -> str:
        try:
            self._stderr.seek(0)
            text = self._stderr.read()[-2000:]
        except (OSError, ValueError):
            return ""
        return f"\n--- server stderr ---\n{text}" if text.strip() else ""


# --------------------------------------------------------------------------- synthetic failures


def _fill(rng: random.Random, first: str, pool: list[str], target: int) -> str:
    """``first`` followed by sentences from ``pool`` until the text is about ``target`` characters."""
    parts, size = [first], len(first)
    order = pool[:]
    rng.shuffle(order)
    for sentence in order * 4:
        if size >= target - 20:
            break
        parts.append(sentence)
        size += len(sentence) + 1
    return " ".join(parts)


def make_case(i: int, rng: random.Random) -> FailureCase:
    boxes, per_box, sold, price = rng.randint(12, 60), rng.randint(6, 24), rng.randint(40, 300), rng.randint(2, 9)
    total = boxes * per_box
    left = total - sold
    answer = left * price
    wrong = answer + rng.choice((-1, 1)) * rng.randint(3, 40) * price
    question = _fill(rng, f"Problem {i}: a bakery packs {boxes} boxes of muffins with {per_box} muffins in each box.", [
        f"During the morning rush it sells {sold} muffins to walk-in customers.",
        f"Every muffin left at noon is sold to a cafe for {price} dollars each.",
        "The baker wants to know how much money the cafe pays for the remaining muffins.",
        "No muffins are thrown away and no new batch is baked before noon.",
        "Give the final amount in dollars as a whole number.",
    ], 300)
    steps = [
        f"First, the total number of muffins is {boxes} x {per_box} = {total}.",
        f"Then {sold} muffins are sold in the morning, so {total} - {sold} = {left} muffins remain.",
        f"Each remaining muffin is sold for {price} dollars, so the cafe pays {left} x {price}.",
        "We make sure no muffins were discarded and that no new batch was baked before noon.",
        "Checking the units: muffins times dollars per muffin gives dollars, as the question asks.",
        "Double-checking the subtraction and the multiplication confirms each intermediate value.",
    ]
    wrong_output = _fill(rng, "Let's work through it step by step.", [
        f"The bakery has {boxes} boxes of {per_box} muffins, so {boxes} x {per_box} = {total} muffins.",
        f"After selling {sold} muffins, {total - sold + rng.randint(1, 9)} muffins are left for the cafe.",
        f"At {price} dollars per muffin this comes to {wrong} dollars.",
        "I think this is right because we subtracted the morning sales from the total.",
        "The cafe therefore pays for every muffin that was not sold in the morning.",
    ], 380) + f" The answer is {wrong}."
    correct = [
        _fill(rng, f"Solution by {m}:", steps, 380) + f" {left} x {price} = {answer}. The answer is {answer}."
        for m in MODELS[1:4]
    ]
    return FailureCase(
        failure_id=f"bench-{i:06d}",
        dataset="bench_arith",
        example_id=f"ex-{i:06d}",
        model=MODELS[0],
        input_text=question,
        output_text=wrong_output,
        correct_answer=str(answer),
        other_correct_outputs=correct,
        other_models=list(MODELS[1:4]),
        peer_outputs=correct,
    )


def make_cases(n: int, seed: int) -> list[FailureCase]:
    rng = random.Random(seed)
    return [make_case(i, rng) for i in range(n)]


# --------------------------------------------------------------------------- one run


class GcPauses:
    """Collections and pause time of Python's cyclic GC per generation while active."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self._start = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.count[info["generation"]] += 1
            self.seconds[info["generation"]] += time.perf_counter() - self._start

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self._callback)

    def __str__(self) -> str:
        gens = ", ".join(f"gen{g} {self.count[g]}x {1000 * self.seconds[g]:.0f} ms" for g in range(3))
        return f"{1000 * sum(self.seconds):.0f} ms ({gens})"


@dataclass
class Result:
    label: str
    n: int
    wall: float
    cpu: float
    server_cpu: float | None
    requests: int
    requests_sent: int
    cached: int
    failed: int
    first_error: str | None
    gc: GcPauses | None = None


def run_once(label: str, cases: list[FailureCase], server: Server, args: argparse.Namespace,
             store: AnswerStore | None, profiler: cProfile.Profile | None = None) -> Result:
    config = openai_judge_config(model="bench", base_url=server.base_url, api_key_env=None,
                               max_concurrency=args.concurrency, max_retries=0, timeout=30)

    async def main() -> Result:
        judge = OpenAIJudge(config, store=store)
        try:
            server_cpu0 = server.cpu_seconds()
            with GcPauses() as pauses:
                wall0, cpu0 = time.perf_counter(), time.process_time()
                if profiler is not None:
                    profiler.enable()
                try:
                    frame, stats = await diagnose_all(cases, judge)
                finally:
                    if profiler is not None:
                        profiler.disable()
                wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            server_cpu1 = server.cpu_seconds()
        finally:
            await judge.aclose()
        failed_rows = frame[frame["status"] != "ok"]
        return Result(
            label=label,
            n=len(cases),
            wall=wall,
            cpu=cpu,
            server_cpu=None if server_cpu0 is None or server_cpu1 is None else server_cpu1 - server_cpu0,
            requests=stats.requests,
            requests_sent=judge.requests_sent,
            cached=stats.cached,
            failed=stats.failed,
            first_error=None if failed_rows.empty else str(failed_rows["error"].iloc[0]),
            gc=pauses,
        )

    return asyncio.run(main())


def floor_seconds(n: int, args: argparse.Namespace) -> float:
    return n * args.delay / args.concurrency


def report(result: Result, args: argparse.Namespace, *, judged: bool = True) -> bool:
    """Print the figures of one run; True when it meets every target (only failures count if not judged)."""
    cached_run = result.requests_sent == 0
    floor = floor_seconds(result.n, args)
    ratio = result.wall / floor if floor > 0 else float("inf")
    per, unit = (result.n, "failure") if cached_run else (result.requests_sent, "request")
    cpu_ms = 1000 * result.cpu / per
    ok_ratio, ok_cpu, ok_failed = ratio <= RATIO_TARGET, cpu_ms <= CPU_MS_TARGET, result.failed == 0
    print(f"[{result.label}]")
    print(f"  failures               {result.n}")
    print(f"  requests               {result.requests_sent}  "
          f"(counted by diagnose_all: {result.requests}, answers from the store: {result.cached})")
    print(f"  wall                   {result.wall:.3f} s")
    if not cached_run:
        print(f"  requests/s             {result.requests_sent / result.wall:.1f}")
        print(f"  latency floor          {floor:.3f} s  (= {result.n} x {args.delay} / {args.concurrency})")
        print(f"  wall / floor           {ratio:.3f}  (target <= {RATIO_TARGET})")
    target = "" if cached_run else f"  (target <= {CPU_MS_TARGET})"
    print(f"  client CPU             {result.cpu:.3f} s = {cpu_ms:.3f} ms/{unit}{target}")
    if result.server_cpu is not None:
        print(f"  server CPU (info)      {result.server_cpu:.3f} s = {1000 * result.server_cpu / per:.3f} ms/{unit}")
    if result.gc is not None:
        print(f"  GC pauses (info)       {result.gc}")
    print(f"  failed diagnoses       {result.failed}  (must be 0)")
    if result.first_error:
        print(f"  first error            {result.first_error[:300]}")
    if not judged or cached_run:
        return ok_failed
    verdict = "PASS" if ok_ratio and ok_cpu and ok_failed else "FAIL"
    print(f"  result                 {verdict}  (ratio {'ok' if ok_ratio else 'MISSED'}, "
          f"cpu {'ok' if ok_cpu else 'MISSED'}, failures {'ok' if ok_failed else 'MISSED'})")
    return verdict == "PASS"


def print_profile(profiler: cProfile.Profile, top: int) -> None:
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(top)
        print(f"\n===== cProfile: top {top} by {key} =====")
        print(out.getvalue().rstrip())


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Throughput and client CPU of errormap's analyze stage (diagnose_all + OpenAIJudge) "
        "against the local OpenAI-compatible test server. Targets: wall/floor <= "
        f"{RATIO_TARGET}, client CPU <= {CPU_MS_TARGET} ms/request, 0 failed diagnoses.",
    )
    parser.add_argument("--failures", type=int, default=1200, help="synthetic failures to diagnose (default: %(default)s)")
    parser.add_argument("--delay", type=float, default=0.2, help="server delay per request, seconds (default: %(default)s)")
    parser.add_argument("--concurrency", type=int, default=100, help="judge max_concurrency (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs; the verdict uses the median (default: %(default)s)")
    parser.add_argument("--store", action="store_true",
                        help="use a sqlite AnswerStore in a temp dir (fresh per repeat), then rerun on the filled "
                        "store to show that cached reruns send 0 requests")
    parser.add_argument("--no-rerun", action="store_true", help="with --store: skip the cached rerun")
    parser.add_argument("--profile", action="store_true",
                        help="run cProfile over one extra client run and print the top entries "
                        "(profiled timings are inflated and not judged)")
    parser.add_argument("--profile-top", type=int, default=25, help="entries shown with --profile (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic failures (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.failures < 1 or args.concurrency < 1 or args.repeats < 1 or args.delay < 0:
        parser.error("--failures, --concurrency and --repeats must be >= 1 and --delay >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cases = make_cases(args.failures, args.seed)
    sizes = {
        "input_text": statistics.mean(len(c.input_text) for c in cases),
        "output_text": statistics.mean(len(c.output_text) for c in cases),
        "other_correct_outputs[i]": statistics.mean(len(o) for c in cases for o in c.other_correct_outputs),
    }
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; failures={args.failures} delay={args.delay} "
          f"concurrency={args.concurrency} repeats={args.repeats} store={args.store}")
    print("mean text sizes (chars): " + ", ".join(f"{k}={v:.0f}" for k, v in sizes.items()))

    all_ok = True
    with Server(args.delay) as server, tempfile.TemporaryDirectory(prefix="errormap-bench-") as tmp:
        print(f"server: {server.base_url} (pid {server.proc.pid if server.proc else '?'})\n")
        results: list[Result] = []
        store: AnswerStore | None = None
        for r in range(args.repeats):
            if store is not None:
                store.close()
            store = AnswerStore(Path(tmp) / f"store-{r}.sqlite") if args.store else None
            label = f"run {r + 1}/{args.repeats}" + (" (sqlite store)" if args.store else " (no store)")
            result = run_once(label, cases, server, args, store)
            results.append(result)
            ok = report(result, args, judged=args.repeats == 1)
            all_ok = all_ok and (ok if args.repeats == 1 else result.failed == 0)
            print()

        if args.repeats > 1:
            walls = sorted(r.wall for r in results)
            cpus = sorted(r.cpu for r in results)
            median = Result("median of runs", args.failures, statistics.median(walls), statistics.median(cpus),
                            None, results[0].requests, results[0].requests_sent, 0,
                            max(r.failed for r in results), None)
            print(f"walls: {', '.join(f'{w:.3f}' for w in walls)} s; client CPU: {', '.join(f'{c:.3f}' for c in cpus)} s")
            all_ok = report(median, args) and all_ok
            print()

        if args.store and not args.no_rerun and store is not None:
            rerun = run_once("cached rerun (same store)", cases, server, args, store)
            report(rerun, args, judged=False)
            cached_ok = rerun.requests_sent == 0 and rerun.requests == 0 and rerun.cached == args.failures
            print(f"  cached rerun           {'PASS' if cached_ok else 'FAIL'}  (requests sent {rerun.requests_sent}, "
                  f"answers from the store {rerun.cached}/{args.failures}; must send 0 requests)")
            all_ok = all_ok and cached_ok
            print()
        if store is not None:
            store.close()

        if args.profile:
            profiler = cProfile.Profile()
            profiled_store = AnswerStore(Path(tmp) / "store-profile.sqlite") if args.store else None
            result = run_once("profiled run (timings inflated, not judged)", cases, server, args,
                              profiled_store, profiler)
            report(result, args, judged=False)
            if profiled_store is not None:
                profiled_store.close()
            print_profile(profiler, args.profile_top)

    print(f"\nOVERALL {'PASS' if all_ok else 'FAIL'}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""The `analyze` stage's client CPU per request and wall against its latency floor, against either judge server.

On the shared bench data (`../shared/judge_sim/make_bench_data.py`, 1,116 sampled failures by
default), the parent prepares the failures once, starts a judge server, and runs the stage's work
in a fresh child process per run, as `stages/analyze.py` does it: the same imports, the judge built
from settings with an SQLite answer store (empty), the progress bar, `analyze` (case building, the
judge check, every diagnosis) and the diagnoses written to Parquet. The child's CPU is split into
start-up (interpreter, imports, settings, judge construction) and the work, which is divided by the
requests sent; the servers:

    --server sim    the shared independent simulator (simjudge.py, latency +- latency/4 jitter;
                    costs about 1.8 ms of CPU per request itself, on the same cores)
    --server test   the project's own test server (errormap.testing.openai_server, fixed delay)
    --server both   one after the other (default)

    .venv/bin/python bench/bench_analyze.py                     # both servers, 1 run each
    .venv/bin/python bench/bench_analyze.py --server sim --repeats 3
    .venv/bin/python bench/bench_analyze.py --server test --profile   # + CPU profile of the work

Targets: client CPU <= 1.5 ms per request (all the work: cases, rendering, parsing, validation,
store, progress, output), analysis wall <= 1.5 x the latency floor (failures x latency / concurrency),
0 failed diagnoses. Exit status: 0 when every run meets every target, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JUDGE_SIM = ROOT.parent / "shared" / "judge_sim"
CPU_MS_TARGET = 1.5
RATIO_TARGET = 1.5
STARTUP_TIMEOUT = 30.0
SDK_MODULES = ("openai", "httpx", "httpx2")  # the default transport must load none of them (issue 14)


# --------------------------------------------------------------------------- the judge server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A judge server subprocess (`sim` or `test`); always terminated on leaving the context."""

    def __init__(self, kind: str, latency: float):
        self.kind = kind
        self.latency = latency
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        if self.kind == "sim":
            ms = 1000 * self.latency
            return [sys.executable, str(JUDGE_SIM / "simjudge.py"), "--port", str(self.port),
                    "--latency-ms", str(ms), "--jitter-ms", str(ms / 4)]
        return [sys.executable, "-m", "errormap.testing.openai_server", "--port", str(self.port),
                "--delay", str(self.latency), "--mode", "auto"]

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(self.command(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited with status {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"{self.kind} server did not listen within {STARTUP_TIMEOUT:.0f} s")

    def __exit__(self, *exc_info: object) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the server so far (Linux /proc), or None."""
        if self.proc is None:
            return None
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None


# --------------------------------------------------------------------------- the data


def prepare_failures(work: Path, examples: int) -> int:
    """Bench data, prepared as the prepare stage does (results and failures as Parquet); the failure count."""
    sys.path.insert(0, str(ROOT))
    from errormap.settings import default_settings
    from errormap.steps.prepare import prepare

    data = work / "data"
    subprocess.run([sys.executable, str(JUDGE_SIM / "make_bench_data.py"), "--out", str(data),
                    "--examples", str(examples)], check=True, stdout=subprocess.DEVNULL)
    prepared = prepare(default_settings(), data)
    prepared.results.to_parquet(work / "results.parquet")
    prepared.failures.to_parquet(work / "failures.parquet")
    return len(prepared.failures)


def write_params(work: Path, base_url: str, concurrency: int) -> Path:
    """conf/ composed with the judge of this run, as `errormap config compose` would (as JSON)."""
    from errormap.config import compose
    from errormap.settings import PROJECT_CONF

    overrides = ["judge=openai", "judge.model=bench", f"judge.base_url={base_url}", "judge.api_key_env=null",
                 f"judge.max_concurrency={concurrency}"]
    path = work / "params.json"
    path.write_text(json.dumps(compose(PROJECT_CONF, overrides)))
    return path


# --------------------------------------------------------------------------- the child: one stage run


def child(work: Path, profile: bool) -> None:
    """What `stages/analyze.py` does, with CPU and wall marks; one JSON line on stdout."""
    startup_wall0 = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    import asyncio

    import pandas as pd

    import errormap.artifacts  # noqa: F401  (imported by the stage)
    from errormap.judge import judge_from_settings
    from errormap.progress import judge_progress
    from errormap.settings import validate
    from errormap.steps.analyze import analyze

    settings = validate(json.loads((work / "params.json").read_text()))
    judge = judge_from_settings(settings, work / f"store-{os.getpid()}.sqlite")
    startup_cpu, startup_wall = time.process_time(), time.perf_counter() - startup_wall0

    profiler = _profiler() if profile else None
    results, failures = pd.read_parquet(work / "results.parquet"), pd.read_parquet(work / "failures.parquet")
    wall0 = time.perf_counter()
    with judge_progress("analyze", len(failures)) as update:
        analysis = asyncio.run(analyze(results, failures, settings, judge, update))
    wall = time.perf_counter() - wall0
    analysis.diagnoses.to_parquet(work / f"diagnoses-{os.getpid()}.parquet")
    work_cpu = time.process_time() - startup_cpu
    if profiler is not None:
        profiler.disable()
        _print_profile(profiler)
    stats = analysis.stats
    print(json.dumps({"startup_cpu": startup_cpu, "startup_wall": startup_wall, "work_cpu": work_cpu, "wall": wall,
                      "requests": stats.requests, "failures": stats.total, "failed": stats.failed,
                      "sdk_loaded": int(any(m in sys.modules for m in SDK_MODULES))}))


def _profiler():  # type: ignore[no-untyped-def]
    import cProfile

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    return profiler


def _print_profile(profiler: object, top: int = 30) -> None:
    import io
    import pstats

    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(top)  # type: ignore[arg-type]
        print(f"\n===== CPU profile of the work (inflated): top {top} by {key} =====\n{out.getvalue().rstrip()}",
              file=sys.stderr)


# --------------------------------------------------------------------------- the parent


@dataclass
class Run:
    """The figures of one child run."""

    startup_cpu: float
    startup_wall: float
    work_cpu: float
    total_cpu: float
    wall: float
    process_wall: float
    server_cpu: float | None
    requests: int
    failures: int
    failed: int
    sdk_loaded: int

    def ms(self, seconds: float) -> float:
        return 1000 * seconds / max(self.requests, 1)


def run_child(server: Server, work: Path, profile: bool) -> Run:
    """One fresh process doing the stage's work; its CPU from the kernel, including interpreter start."""
    before, server0, wall0 = resource.getrusage(resource.RUSAGE_CHILDREN), server.cpu_seconds(), time.perf_counter()
    command = [sys.executable, __file__, "--child", str(work)] + (["--profile"] if profile else [])
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=None if profile else subprocess.DEVNULL,
                          text=True, check=True, env={**os.environ, "ERRORMAP_TRACKING": "off"})
    process_wall, after, server1 = time.perf_counter() - wall0, resource.getrusage(resource.RUSAGE_CHILDREN), \
        server.cpu_seconds()
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    total_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    server_cpu = None if server0 is None or server1 is None else server1 - server0
    return Run(total_cpu=total_cpu, process_wall=process_wall, server_cpu=server_cpu, **figures)


def report(kind: str, run: Run, floor: float, label: str) -> bool:
    """Print one run's figures; True when it meets every target."""
    ratio = run.wall / floor
    work_ms = run.ms(run.work_cpu)
    ok = work_ms <= CPU_MS_TARGET and ratio <= RATIO_TARGET and run.failed == 0
    print(f"[{kind}: {label}]")
    print(f"  requests                 {run.requests} for {run.failures} failures ({run.failed} failed, must be 0)")
    print(f"  client CPU, work         {run.work_cpu:.3f} s = {work_ms:.3f} ms/request  (target <= {CPU_MS_TARGET})")
    print(f"  client CPU, start-up     {run.startup_cpu:.3f} s  ({run.startup_wall:.3f} s wall: imports, settings, judge)")
    print(f"  client CPU, whole process {run.total_cpu:.3f} s = {run.ms(run.total_cpu):.3f} ms/request "
          "(start-up and interpreter included)")
    print(f"  analysis wall            {run.wall:.3f} s = {ratio:.2f} x floor {floor:.3f} s  (target <= {RATIO_TARGET})")
    print(f"  process wall             {run.process_wall:.3f} s")
    print(f"  openai SDK/httpx loaded  {'yes' if run.sdk_loaded else 'no'}")
    if run.server_cpu is not None:
        print(f"  server CPU (info)        {run.server_cpu:.3f} s = {run.ms(run.server_cpu):.3f} ms/request")
    print(f"  result                   {'PASS' if ok else 'FAIL'}")
    return ok


def median_run(runs: list[Run]) -> Run:
    """Field-wise medians of several runs."""
    fields = Run.__dataclass_fields__
    return Run(**{name: statistics.median(getattr(r, name) for r in runs)
                  if all(getattr(r, name) is not None for r in runs) else None for name in fields})


def bench_server(kind: str, work: Path, args: argparse.Namespace, failures: int) -> bool:
    """Every run against one server; True when all meet the targets."""
    floor = failures * args.latency / args.concurrency
    with Server(kind, args.latency) as server:
        write_params(work, server.base_url, args.concurrency)
        runs = [run_child(server, work, args.profile and r == 0) for r in range(args.repeats)]
    ok = [report(kind, run, floor, f"run {i + 1}/{len(runs)}") for i, run in enumerate(runs)]
    if len(runs) > 1:
        report(kind, median_run(runs), floor, f"median of {len(runs)}")
    return all(ok)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=("sim", "test", "both"), default="both",
                        help="judge server (default: %(default)s)")
    parser.add_argument("--examples", type=int, default=200, help="examples per dataset (default: %(default)s)")
    parser.add_argument("--latency", type=float, default=0.2, help="judge latency, seconds (default: %(default)s)")
    parser.add_argument("--concurrency", type=int, default=100, help="judge.max_concurrency (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per server (default: %(default)s)")
    parser.add_argument("--profile", action="store_true", help="CPU profile of the first run's work (stderr)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        child(args.child, args.profile)
        return 0
    kinds = ("sim", "test") if args.server == "both" else (args.server,)
    with tempfile.TemporaryDirectory(prefix="errormap-bench-analyze-") as tmp:
        work = Path(tmp)
        failures = prepare_failures(work, args.examples)
        print(f"{failures} failures, latency {args.latency} s, concurrency {args.concurrency}; "
              f"latency floor {failures * args.latency / args.concurrency:.3f} s\n")
        results = [bench_server(kind, work, args, failures) for kind in kinds]
    print(f"\nOVERALL {'PASS' if all(results) else 'FAIL'}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

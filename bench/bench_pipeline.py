"""Stage by stage and whole `dvc repro`: wall, CPU, peak RSS and judge requests, with the OpenAI-compatible judge.

Runs in temporary copies of the repository, on `../shared/judge_sim/make_bench_data.py` data (default
3 datasets x 200 examples x 6 models; `--scale 10` for 10x the examples), against the shared simulator
(`simjudge.py --latency-ms 200 --jitter-ms 50`) and the project's own test server (a fixed delay), each
from empty caches with tracking off, as in the reference figures of `../shared/judge_sim/README.md`,
which are printed beside errormap's. For each judge, one copy runs the stage scripts one by one (the
per-stage figures, measured with wait4) and a second copy runs the whole `dvc repro` (the user's
command, DVC's own work included). The latency floor of the analysis is failures x latency /
concurrency; whole-run figures are stated as a ratio to it, measured in the same run.

    .venv/bin/python bench/bench_pipeline.py [--judge sim|test|both] [--scale N] [--no-dvc] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from errormap.testing.checkout import copy_checkout  # noqa: E402

JUDGE_SIM = REPO.parent / "shared" / "judge_sim"
STAGES = ("prepare", "analyze", "taxonomy", "stability", "signatures", "report")
NON_JUDGE_STAGES = ("prepare", "signatures", "report")
REFERENCE_ROWS = {"whole run": "whole", "per-instance analysis stage": "analyze"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_judge(kind: str, latency_ms: float) -> tuple[subprocess.Popen, str]:
    """The judge server and its base URL."""
    if kind == "sim":
        port = free_port()
        command = [sys.executable, str(JUDGE_SIM / "simjudge.py"), "--port", str(port),
                   "--latency-ms", str(latency_ms), "--jitter-ms", str(latency_ms / 4)]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base_url = f"http://127.0.0.1:{port}/v1"
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return server, base_url
            except OSError:
                time.sleep(0.1)
        server.kill()
        raise SystemExit("simjudge.py did not start")
    command = [sys.executable, "-m", "errormap.testing.openai_server", "--delay", str(latency_ms / 1000)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline() if server.stdout else ""
    if not line.startswith("READY "):
        server.kill()
        raise SystemExit(f"test server did not start: {line!r}")
    return server, line.split()[1]


@dataclass
class Figures:
    """One measured process: wall, CPU (user + system, its children included) and peak RSS."""

    wall: float
    cpu: float
    rss_mb: float
    requests: int | None = None


@dataclass
class Run:
    """What one judge gave at one scale."""

    judge: str
    failures: int
    floor: float
    stages: dict[str, Figures] = field(default_factory=dict)
    whole: Figures | None = None

    @property
    def stage_sum(self) -> Figures:
        rows = [self.stages[s] for s in STAGES]
        return Figures(sum(f.wall for f in rows), sum(f.cpu for f in rows), max(f.rss_mb for f in rows))


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> Figures:
    """Run a command as a child process; wait4 gives its CPU and peak RSS, its waited-for children included."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read().decode() if child.stderr else ""
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr[-3000:]}")
    return Figures(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def judge_requests(cwd: Path, stage: str) -> int | None:
    path = cwd / "metrics" / f"{stage}.json"
    metrics = json.loads(path.read_text()) if path.exists() else {}
    return int(metrics["judge_requests"]) if "judge_requests" in metrics else None


def workspace(scale: int, base_url: str, concurrency: int, *overrides: str) -> tuple[Path, dict[str, str]]:
    """A fresh copy with the bench data and params composed for the judge at `base_url`."""
    work = Path(tempfile.mkdtemp(prefix="errormap-bench-"))
    copy_checkout(REPO, work, skip=("metrics/", "plots/", "data/"))
    subprocess.run([sys.executable, str(JUDGE_SIM / "make_bench_data.py"), "--out", str(work / "data" / "bench"),
                    "--examples", str(200 * scale)], check=True, stdout=subprocess.DEVNULL)
    env = {**os.environ, "ERRORMAP_TRACKING": "off", "PYTHONPATH": str(work), "DVC_NO_ANALYTICS": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as a user's checkout: modules compiled once, not in every stage
    compose(work, env, base_url, concurrency, *overrides)
    return work, env


def compose(work: Path, env: dict[str, str], base_url: str, concurrency: int, *overrides: str) -> None:
    settings = ["data.input_dir=data/bench", "judge=openai", "judge.model=sim", f"judge.base_url={base_url}",
                "judge.api_key_env=null", f"judge.max_concurrency={concurrency}", *overrides]
    subprocess.run([sys.executable, "-m", "errormap.cli", "config", "compose", *settings], cwd=work, env=env,
                   check=True, stdout=subprocess.DEVNULL)


def run_stages(run: Run, work: Path, env: dict[str, str], base_url: str, concurrency: int) -> None:
    """Each stage script on its own, then stability again with one seed (skipped: the cost of a no-op stage)."""
    for stage in STAGES:
        run.stages[stage] = measure([sys.executable, f"stages/{stage}.py"], work, env)
        run.stages[stage].requests = judge_requests(work, stage)
    compose(work, env, base_url, concurrency, "stability.seeds=[1]")
    run.stages["stability (skipped)"] = measure([sys.executable, "stages/stability.py"], work, env)
    prepared = json.loads((work / "metrics" / "prepare.json").read_text())
    run.failures = int(prepared["sampled_failures"])


def run_dvc_repro(work: Path, env: dict[str, str]) -> Figures:
    """The whole pipeline as the user runs it: `dvc repro` in a fresh git repository, from empty caches."""
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for command in (["git", "init", "-q"], ["git", "add", "-A"], [*git, "commit", "-qm", "bench"]):
        subprocess.run(command, cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return measure([sys.executable, "-m", "dvc", "repro", "-q"], work, env)


def bench_judge(kind: str, args: argparse.Namespace, scale: int, kept: list[Path]) -> Run:
    server, base_url = start_judge(kind, args.latency_ms)
    copies: list[Path] = []
    try:
        work, env = workspace(scale, base_url, args.concurrency)
        copies.append(work)
        run = Run(kind, 0, 0.0)
        run_stages(run, work, env, base_url, args.concurrency)
        run.floor = run.failures * args.latency_ms / 1000 / args.concurrency
        if not args.no_dvc:
            work, env = workspace(scale, base_url, args.concurrency)
            copies.append(work)
            run.whole = run_dvc_repro(work, env)
        return run
    finally:
        server.terminate()
        server.wait(timeout=10)
        for copy in copies:
            kept.append(copy) if args.keep else shutil.rmtree(copy, ignore_errors=True)


def reference_figures() -> dict[str, str]:
    """The reference implementation's figures from the judge_sim README table (first column after the label)."""
    readme = JUDGE_SIM / "README.md"
    figures: dict[str, str] = {}
    for line in readme.read_text().splitlines() if readme.exists() else []:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        for label, key in REFERENCE_ROWS.items():
            if len(cells) >= 2 and cells[0].startswith(label):
                figures[key] = cells[1]
    return figures


def print_table(runs: list[Run], scale: int, args: argparse.Namespace) -> None:
    reference = reference_figures()
    first = runs[0]
    print(f"\nbench data x{scale}: {first.failures} failures; judge latency {args.latency_ms:.0f} ms, concurrency "
          f"{args.concurrency}; analysis latency floor {first.floor:.2f} s")
    header = f"{'':<21}" + "".join(f"{f'{r.judge} judge: wall  CPU s  RSS MB  requests':>44}" for r in runs)
    print(header + "   reference (sim judge)")
    rows = [*STAGES, "stability (skipped)"]
    for name in rows:
        cells = "".join(cell(r.stages[name]) for r in runs)
        print(f"{name:<21}{cells}   {reference.get(name, '') if scale == 1 else ''}")
    print(f"{'all stages (sum)':<21}" + "".join(cell(r.stage_sum) for r in runs))
    if all(r.whole for r in runs):
        print(f"{'dvc repro (whole)':<21}" + "".join(cell(r.whole) for r in runs)  # type: ignore[arg-type]
              + f"   {reference.get('whole', '') if scale == 1 else ''}")
    print(f"{'whole / floor':<21}" + "".join(f"{ratio(r):>44}" for r in runs) + "   (target <= 2.9)")
    for r in runs:
        slow = [f"{s} {r.stages[s].wall:.2f} s" for s in (*NON_JUDGE_STAGES, "stability (skipped)") if r.stages[s].wall > 1.0]
        print(f"{r.judge}: stages without a judge over 1.0 s: {', '.join(slow) or 'none'}; analyze "
              f"{r.stages['analyze'].wall:.2f} s = floor x {r.stages['analyze'].wall / r.floor:.2f}")


def cell(figures: Figures) -> str:
    requests = "" if figures.requests is None else str(figures.requests)
    return f"{figures.wall:>18.2f} {figures.cpu:>6.2f} {figures.rss_mb:>7.0f} {requests:>9}"


def ratio(run: Run) -> str:
    whole = f"{run.whole.wall / run.floor:.2f} (dvc repro), " if run.whole else ""
    return f"{whole}{run.stage_sum.wall / run.floor:.2f} (sum)"


def print_scaling(by_scale: dict[int, list[Run]]) -> None:
    """Peak RSS and wall of the largest scale against the smallest, per judge."""
    low, high = min(by_scale), max(by_scale)
    print(f"\nx{high} against x{low} (targets: peak RSS <= 1.5x, wall at most linear, i.e. <= {high / low:.0f}x)")
    for small, large in zip(by_scale[low], by_scale[high]):
        a, b = small.whole or small.stage_sum, large.whole or large.stage_sum
        print(f"{small.judge} judge: peak RSS {b.rss_mb:.0f} / {a.rss_mb:.0f} MB = {b.rss_mb / a.rss_mb:.2f}x; "
              f"wall {b.wall:.1f} / {a.wall:.1f} s = {b.wall / a.wall:.1f}x; "
              f"failures {large.failures} / {small.failures} = {large.failures / small.failures:.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judge", choices=("sim", "test", "both"), default="both", help="judge server(s) (default: both)")
    parser.add_argument("--scale", type=int, nargs="+", default=[1],
                        help="examples x these factors (default: 1 = 200); two or more also print the scaling")
    parser.add_argument("--latency-ms", type=float, default=200.0, help="judge latency (default: 200)")
    parser.add_argument("--concurrency", type=int, default=100, help="judge.max_concurrency (default: 100)")
    parser.add_argument("--no-dvc", action="store_true", help="skip the whole `dvc repro` run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies and print their paths")
    args = parser.parse_args()
    if not (JUDGE_SIM / "make_bench_data.py").exists():
        print(f"{JUDGE_SIM} not found: the bench needs ../shared/judge_sim", file=sys.stderr)
        return 1
    judges = ("sim", "test") if args.judge == "both" else (args.judge,)
    kept: list[Path] = []
    by_scale: dict[int, list[Run]] = {}
    for scale in args.scale:
        by_scale[scale] = [bench_judge(kind, args, scale, kept) for kind in judges]
        print_table(by_scale[scale], scale, args)
    if len(by_scale) > 1:
        print_scaling(by_scale)
    for path in kept:
        print(f"kept: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Stage by stage: wall, CPU, peak RSS and judge requests of the whole pipeline with the OpenAI-compatible judge.

Runs in a temporary copy of the repository, on `../shared/judge_sim/make_bench_data.py` data (default
3 datasets x 200 examples x 6 models; `--scale 10` for 10x the examples), against either the shared
simulator (`--judge sim`, `simjudge.py --latency-ms 200 --jitter-ms 50`) or the project's own test
server (`--judge test`, a fixed delay). Caches start empty and tracking is off, as in the reference
figures of `../shared/judge_sim/README.md`, which are printed alongside. The latency floor of the
analysis is failures x latency / concurrency; whole-run figures are stated as a ratio to it.

    .venv/bin/python bench/bench_pipeline.py [--judge sim|test] [--scale N] [--concurrency 100]
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JUDGE_SIM = REPO.parent / "shared" / "judge_sim"
STAGES = ("prepare", "analyze", "taxonomy", "stability", "signatures", "report")
REFERENCE = "reference implementation (judge_sim README, default data): whole run 11.8-14.4 s wall, 11.4-13.2 s CPU"


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


def copy_repository(target: Path) -> None:
    listing = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, check=True,
                             capture_output=True, text=True).stdout.split()
    for name in listing:
        source = REPO / name
        if source.is_file() and not name.startswith(("metrics/", "plots/", "data/")):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / "dvc.lock").unlink(missing_ok=True)


def run_stage(stage: str, cwd: Path, env: dict[str, str]) -> dict[str, float]:
    """One stage script as a child process: wall, CPU (user + system) and peak RSS from wait4."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, f"stages/{stage}.py"], cwd=cwd, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    stderr = child.stderr.read().decode() if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stage {stage} failed:\n{stderr[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def judge_requests(cwd: Path, stage: str) -> int | str:
    path = cwd / "metrics" / f"{stage}.json"
    if not path.exists():
        return ""
    metrics = json.loads(path.read_text())
    return int(metrics.get("judge_requests", 0)) if "judge_requests" in metrics else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judge", choices=("sim", "test"), default="sim", help="judge server (default: sim)")
    parser.add_argument("--scale", type=int, default=1, help="examples x this factor (default: 1 = 200)")
    parser.add_argument("--latency-ms", type=float, default=200.0, help="judge latency (default: 200)")
    parser.add_argument("--concurrency", type=int, default=100, help="judge.max_concurrency (default: 100)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and print its path")
    args = parser.parse_args()
    if not (JUDGE_SIM / "make_bench_data.py").exists():
        print(f"{JUDGE_SIM} not found: the bench needs ../shared/judge_sim", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="errormap-bench-"))
    server = None
    try:
        copy_repository(work)
        data = work / "data" / "bench"
        subprocess.run([sys.executable, str(JUDGE_SIM / "make_bench_data.py"), "--out", str(data),
                        "--examples", str(200 * args.scale)], check=True, stdout=subprocess.DEVNULL)
        server, base_url = start_judge(args.judge, args.latency_ms)
        env = {**os.environ, "ERRORMAP_TRACKING": "off", "PYTHONPATH": str(work)}
        overrides = ["data.input_dir=data/bench", "judge=openai", "judge.model=sim", f"judge.base_url={base_url}",
                     "judge.api_key_env=null", f"judge.max_concurrency={args.concurrency}"]
        subprocess.run([sys.executable, "-m", "errormap.cli", "config", "compose", *overrides], cwd=work, env=env,
                       check=True, stdout=subprocess.DEVNULL)
        rows = []
        for stage in STAGES:
            figures = run_stage(stage, work, env)
            rows.append((stage, figures, judge_requests(work, stage)))
        failures = json.loads((work / "metrics" / "prepare.json").read_text())["sampled_failures"]
        floor = failures * args.latency_ms / 1000 / args.concurrency
        print(f"{args.judge} judge, {args.latency_ms:.0f} ms latency, concurrency {args.concurrency}, "
              f"{failures} failures (scale {args.scale}); analysis latency floor {floor:.2f} s")
        print(f"{'stage':<11} {'wall s':>7} {'CPU s':>7} {'peak RSS MB':>12} {'requests':>9}")
        for stage, figures, requests in rows:
            print(f"{stage:<11} {figures['wall']:>7.2f} {figures['cpu']:>7.2f} {figures['rss_mb']:>12.0f} {requests!s:>9}")
        wall = sum(f["wall"] for _, f, _ in rows)
        cpu = sum(f["cpu"] for _, f, _ in rows)
        print(f"{'all stages':<11} {wall:>7.2f} {cpu:>7.2f} {max(f['rss_mb'] for _, f, _ in rows):>12.0f}")
        print(f"whole run / latency floor = {wall / floor:.2f}  (target <= 2.9)")
        print(REFERENCE)
        if args.keep:
            print(f"kept: {work}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

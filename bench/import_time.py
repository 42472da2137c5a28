"""Import time of one stage script: the total and the top 10 packages by self time, from `python -X importtime`.

Loads `stages/<stage>.py` without running its `main()` (the module is imported under another name),
in a fresh interpreter, so the figure is the stage's start-up cost before it reads any data. `--repo`
measures another checkout (a `git worktree` of an older commit, to compare before and after).

    .venv/bin/python bench/import_time.py signatures [--repo PATH] [--top 10] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOADER = (
    "import importlib.util, sys; sys.path.insert(0, {root!r}); "
    "spec = importlib.util.spec_from_file_location('stage_under_test', {script!r}); "
    "spec.loader.exec_module(importlib.util.module_from_spec(spec))"
)


def import_log(repo: Path, stage: str) -> str:
    """The stderr of `python -X importtime` importing the stage script."""
    script = repo / "stages" / f"{stage}.py"
    if not script.exists():
        raise SystemExit(f"{script} not found")
    code = LOADER.format(root=str(repo), script=str(script))
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=repo, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"importing {script} failed:\n{done.stderr[-2000:]}")
    return done.stderr


def package_costs(log: str) -> dict[str, float]:
    """Import seconds per top-level package: the self time of all its modules, wherever they were imported from."""
    costs: dict[str, float] = defaultdict(float)
    for line in log.splitlines():
        fields = line.split(":", 1)[-1].split("|")
        if not line.startswith("import time:") or len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        costs[fields[2].strip().split(".")[0]] += int(fields[0]) / 1e6
    return dict(costs)


def wall_seconds(repo: Path, stage: str, runs: int) -> float:
    """Median wall time of a fresh interpreter importing the stage script (no -X importtime overhead)."""
    code = LOADER.format(root=str(repo), script=str(repo / "stages" / f"{stage}.py"))
    timer = f"import time; t = time.perf_counter(); exec({code!r}); print(time.perf_counter() - t)"
    samples = [float(subprocess.run([sys.executable, "-c", timer], cwd=repo, check=True, capture_output=True,
                                    text=True).stdout) for _ in range(runs)]
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stage", help="a stage script under stages/, e.g. signatures")
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout to measure (default: this one)")
    parser.add_argument("--top", type=int, default=10, help="how many packages to list (default: 10)")
    parser.add_argument("--runs", type=int, default=5, help="runs for the median wall time (default: 5)")
    args = parser.parse_args()
    costs = package_costs(import_log(args.repo.resolve(), args.stage))
    print(f"stages/{args.stage}.py in {args.repo}: imports take {wall_seconds(args.repo.resolve(), args.stage, args.runs):.3f} s "
          f"(median of {args.runs}; -X importtime total {sum(costs.values()):.3f} s)")
    print(f"{'package':<24} {'self s':>12}")
    for name, seconds in sorted(costs.items(), key=lambda item: -item[1])[: args.top]:
        print(f"{name:<24} {seconds:>12.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

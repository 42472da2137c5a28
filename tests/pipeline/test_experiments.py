"""DVC experiments keep their metrics and plots: `cache: false` files are small and committed to git, not ignored."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, pipeline_env, run


def _declared(kind: str) -> set[str]:
    """The `cache: false` metrics or plots files dvc.yaml declares."""
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    paths = set()
    for stage in stages.values():
        for entry in stage.get(kind, []):
            path, options = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
            if (options or {}).get("cache", True) is False:
                paths.add(path)
    return paths


def test_committed_metrics_and_plots_are_not_git_ignored() -> None:
    declared = sorted(_declared("metrics") | _declared("plots"))
    assert declared, "dvc.yaml declares no cache: false metrics or plots"
    result = subprocess.run(["git", "check-ignore", "--no-index", *declared], cwd=REPO, capture_output=True, text=True)
    ignored = result.stdout.split()
    assert not ignored, f"git ignores {ignored}: DVC experiments would not keep them (`dvc exp show` shows '!')"


def _experiments(node: Any) -> Iterator[dict[str, Any]]:
    """Every revision record in `dvc exp show --json` output that has a name."""
    if isinstance(node, dict):
        if isinstance(node.get("name"), str) and isinstance(node.get("data"), dict):
            yield node
        for value in node.values():
            yield from _experiments(value)
    elif isinstance(node, list):
        for value in node:
            yield from _experiments(value)


@pytest.mark.slow
def test_experiments_keep_their_metrics(repo_copy: Path) -> None:
    env = pipeline_env({"ERRORMAP_TRACKING": "off"})
    run(["dvc", "exp", "run", "-n", "exp-base"], repo_copy, env)
    run(["dvc", "exp", "run", "-n", "exp-half", "-S", "sampling.ratio=0.5"], repo_copy, env)

    shown = json.loads(run(["dvc", "exp", "show", "--json"], repo_copy, env).stdout)
    records = {record["name"]: record for record in _experiments(shown)}
    assert {"exp-base", "exp-half"} <= set(records), f"experiments shown: {sorted(records)}"
    metrics_files = _declared("metrics")
    for name in ("exp-base", "exp-half"):
        data = records[name]["data"]
        assert records[name].get("error") is None, records[name]["error"]
        metrics = data.get("metrics") or {}
        assert set(metrics) >= metrics_files, f"{name}: metrics missing from `dvc exp show`: {metrics_files - set(metrics)}"
        for path in metrics_files:
            assert metrics[path].get("error") is None and metrics[path].get("data"), f"{name}: {path} is '!'"
        # the experiment's commit holds the metrics and plots themselves, so `dvc exp apply` brings them back
        committed = run(["git", "ls-tree", "-r", "--name-only", data["rev"]], repo_copy, env).stdout.split()
        assert (metrics_files | _declared("plots")) <= set(committed), name
    ratios = {name: records[name]["data"]["params"]["params.yaml"]["data"]["sampling"]["ratio"] for name in records
              if name in ("exp-base", "exp-half")}
    assert ratios == {"exp-base": 1.0, "exp-half": 0.5}

    metrics_diff = json.loads(run(["dvc", "metrics", "diff", "exp-base", "exp-half", "--json"], repo_copy, env).stdout)
    assert metrics_diff, "dvc metrics diff between the experiments is empty"
    assert "metrics/prepare.json" in metrics_diff  # half the failures were sampled
    params_diff = json.loads(run(["dvc", "params", "diff", "exp-base", "exp-half", "--json"], repo_copy, env).stdout)
    ratio = params_diff["params.yaml"]["sampling.ratio"]
    assert (ratio["old"], ratio["new"]) == (1.0, 0.5)

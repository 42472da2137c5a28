"""What a release was built from: the taxonomy's data and judge, the git and DVC state, coverage and stability."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from errormap import artifacts
from errormap.atlas import gitutil
from errormap.atlas.model import BuiltFrom
from errormap.taxonomy.model import ROOT_ID, Taxonomy, coverage

STABILITY_KEYS = ("adjusted_rand_index", "normalized_mutual_info", "matched_precision", "matched_recall")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def dvc_state(root: Path, stage: str = "taxonomy") -> dict[str, str]:
    """The DVC version and the hashes dvc.lock records for the stage's dependencies and outputs."""
    import dvc

    state = {"dvc_version": dvc.__version__}
    try:
        lock = yaml.safe_load((root / "dvc.lock").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return state
    entry = (lock.get("stages") or {}).get(stage) or {}
    for role in ("deps", "outs"):
        for item in entry.get(role) or []:
            if isinstance(item, dict) and item.get("md5") and str(item.get("path", "")).startswith("data/"):
                state[f"{role[:-1]}:{item['path']}"] = str(item["md5"])
    return state


def coverage_figures(taxonomy: Taxonomy, metrics_dir: Path | None) -> dict[str, float]:
    """coverage, other_share and hard_share: from metrics/taxonomy.json when present, else computed."""
    recorded = _read_json(metrics_dir / Path(artifacts.TAXONOMY_METRICS.path).name) if metrics_dir else {}
    computed = coverage(taxonomy)
    return {k: round(float(recorded.get(k, computed[k])), 6) for k in computed}


def stability_figures(metrics_dir: Path | None) -> dict[str, float]:
    """The stability stage's agreement figures (empty when it did not run or was skipped)."""
    recorded = _read_json(metrics_dir / Path(artifacts.STABILITY_METRICS.path).name) if metrics_dir else {}
    figures = {k: round(float(recorded[k]), 6) for k in STABILITY_KEYS if isinstance(recorded.get(k), (int, float))}
    if figures and isinstance(recorded.get("seeds"), list):
        figures["seeds"] = float(len(recorded["seeds"]))
    return figures


def built_from(taxonomy: Taxonomy, source: str, root: Path) -> BuiltFrom:
    """Provenance of a release made from an induced taxonomy."""
    top = taxonomy.node(ROOT_ID)
    params = {k: v for k, v in taxonomy.params.items() if isinstance(v, (str, int, float, bool)) or v is None}
    repository = gitutil.is_repository(root)
    return BuiltFrom(
        kind="induced", source=source, datasets=dict(top.per_dataset), models=dict(top.per_model),
        failures=taxonomy.total_failures, judge_id=taxonomy.judge_id, prompt_version=taxonomy.prompt_version,
        taxonomy_params=params,
        git_revision=gitutil.head_revision(root) if repository else None,
        git_dirty=bool(gitutil.git(root, "status", "--porcelain", "--untracked-files=no", check=False).strip()) if repository else None,
        dvc=dvc_state(root),
    )

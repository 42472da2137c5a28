"""Atlas mode in the pipeline: the taxonomy stage classifies into a fixed release instead of inducing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from errormap import artifacts
from tests.conftest import REPO, StageRunner


def test_stages_in_atlas_mode_give_signatures_over_the_seed_release(tmp_path: Path, stages: StageRunner) -> None:
    shutil.copytree(REPO / "data" / "demo", tmp_path / "data" / "demo")
    shutil.copytree(REPO / "atlas", tmp_path / "atlas")
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["taxonomy"].update(mode="atlas", atlas="0.1.0")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    for name in ("prepare", "analyze", "taxonomy", "stability", "signatures"):
        assert stages(name) == 0, name

    seed = json.loads((REPO / "atlas" / "releases" / "0.1.0" / "taxonomy.json").read_text())
    seed_names = {c["name"] for c in seed["categories"]}
    taxonomy = artifacts.TAXONOMY.read(tmp_path)
    placed = {n.name for n in taxonomy.nodes if n.kind == "category"}
    assert placed and placed <= seed_names  # only the release's categories, none induced
    metrics = artifacts.TAXONOMY_METRICS.read_json(tmp_path)
    assert metrics["mode"] == "atlas" and metrics["atlas_version"] == "0.1.0"
    assert metrics["coverage"] >= 0.8 and metrics["failures"] == taxonomy.total_failures > 0
    stability = artifacts.STABILITY_METRICS.read_json(tmp_path)
    assert "atlas mode" in stability["skipped"]
    signatures = artifacts.SIGNATURES.read_json(tmp_path)
    shown = {c["name"] for entry in signatures["models"].values() for c in entry["categories"].values()}
    assert shown <= seed_names | {"Other", "Hard to analyze"}

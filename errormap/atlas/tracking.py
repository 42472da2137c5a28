"""Logging a release to MLflow through the project's tracking setup, so the tracking UI lists every release.

Each release is one run in the project's experiment, tagged `errormap.kind=atlas-release` and with
the version, its GTO tag and the release files as artefacts. ERRORMAP_TRACKING=off (or
`tracking.enabled: false` in params.yaml) turns it off, as for the pipeline.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import yaml

from errormap.atlas.model import AtlasRelease

log = logging.getLogger(__name__)
OFF = ("0", "off", "false", "no")


def tracking_settings(root: Path) -> tuple[bool, str]:
    """Whether to log, and the experiment: ERRORMAP_TRACKING=off wins, then params.yaml's `tracking` group."""
    from errormap.tracking import EXPERIMENT

    group: dict = {}
    params = root / "params.yaml"
    if params.is_file():
        try:
            group = (yaml.safe_load(params.read_text(encoding="utf-8")) or {}).get("tracking") or {}
        except yaml.YAMLError:
            group = {}
    enabled = bool(group.get("enabled", True)) and os.environ.get("ERRORMAP_TRACKING", "").lower() not in OFF
    return enabled, str(group.get("experiment") or EXPERIMENT)


def log_release(release: AtlasRelease, directory: Path, root: Path, tag: str | None) -> str | None:
    """Log the release as an MLflow run; returns the run id, or None when tracking is off."""
    enabled, experiment = tracking_settings(root)
    if not enabled:
        return None
    import mlflow
    from mlflow.entities import Metric, Param, RunTag

    from errormap.tracking import MLflowTracker, numeric_metrics, redact

    tracker = MLflowTracker(root, experiment)  # sets the project's tracking URI and experiment
    client = mlflow.MlflowClient()
    tags = {
        "errormap.kind": "atlas-release", "atlas.name": release.name, "atlas.version": release.version,
        "atlas.built_from": release.built_from.kind, "version": release.version,
    }
    if tag:
        tags["atlas.tag"] = tag
    run = client.create_run(tracker.experiment_id, run_name=f"{release.name} {release.version}", tags=tags)
    run_id = run.info.run_id
    params = redact({"release": {"version": release.version, "date": release.date, "source": release.built_from.source,
                                 "judge_id": release.built_from.judge_id, "prompt_version": release.built_from.prompt_version,
                                 "git_revision": release.built_from.git_revision or ""},
                     "taxonomy": release.built_from.taxonomy_params})
    figures = {
        "categories": len(release.categories), "top_level_categories": len(release.top_level()),
        "failures": release.built_from.failures, **release.coverage,
        **{f"stability.{k}": v for k, v in release.stability.items()},
    }
    client.log_batch(
        run_id,
        metrics=[Metric(k, v, 0, 0) for k, v in numeric_metrics(figures).items()],
        params=[Param(k, str(v)[:500]) for k, v in params.items()],
        tags=[RunTag(k, v) for k, v in tags.items()],
    )
    client.log_artifacts(run_id, str(directory), artifact_path=f"{release.name}-{release.version}")
    client.set_terminated(run_id)
    log.info("MLflow: release %s logged as run %s (%s)", release.version, run_id, tracker.uri)
    return str(run_id)

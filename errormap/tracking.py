"""Experiment tracking behind a small interface: MLflow for real runs, in-memory for tests.

Every stage logs into a child run under one parent run per `dvc repro`. A stage starts a new
parent when it is the first stage of the pipeline or has already logged into the current parent
(which means a new reproduction has begun); otherwise it joins the current one. So a run that
stopped half-way and was resumed stays one parent run.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from errormap.mlflow_names import MAPPING_FILE, KeyMap
from errormap.orphan_runs import close_orphans, process_tags
from errormap.secrets import SECRET_KEY, SECRET_VALUE

log = logging.getLogger(__name__)
# errormap promises no network unless a remote judge or tracking server is configured: MLflow's usage
# telemetry (read once, when mlflow is imported) stays off unless the user turns it on explicitly.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

MAX_PARAM_LENGTH = 500
EXPERIMENT = "errormap"
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"
FIRST_STAGE = "prepare"


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': 1}} -> {'a.b': 1}; lists are kept as JSON text."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, (list, tuple)):
            flat[name] = json.dumps(value)
        else:
            flat[name] = value
    return flat


def redact_url(value: str) -> str:
    """A URL without user info and without query parameters whose names look secret."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return value
    if not parts.scheme or not parts.netloc:
        return value
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if "@" in parts.netloc:
        netloc = f"REDACTED@{netloc}"
    query = urlencode(
        [(k, "REDACTED" if SECRET_KEY.search(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact(params: Mapping[str, Any]) -> dict[str, Any]:
    """Flattened params without anything that looks like a secret (key names, values, URL credentials)."""
    clean = {}
    for key, value in flatten(params).items():
        leaf = key.rsplit(".", 1)[-1]
        if SECRET_KEY.search(leaf) or (isinstance(value, str) and SECRET_VALUE.search(value)):
            continue
        clean[key] = redact_url(value) if isinstance(value, str) and "://" in value else value
    return clean


def numeric_metrics(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Only the numbers of a nested metrics mapping, flattened."""
    return {
        k: float(v)
        for k, v in flatten(metrics, prefix).items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v
    }


def repository_root(start: Path | None = None) -> Path:
    """The project root; inside a `dvc exp run --queue` workspace, the original repository."""
    path = (start or Path.cwd()).resolve()
    text = str(path)
    marker = f"{os.sep}.dvc{os.sep}tmp{os.sep}exps{os.sep}"
    if marker in text:
        return Path(text.split(marker, 1)[0])
    return path


def tracking_uri(root: Path | None = None) -> str:
    """MLFLOW_TRACKING_URI if set, else a SQLite store in the repository root."""
    configured = os.environ.get("MLFLOW_TRACKING_URI")
    if configured:
        return configured
    return f"sqlite:///{repository_root(root) / 'mlflow.db'}"


def git_revision(root: Path | None = None) -> str:
    """The short commit of HEAD, with `+changes` when tracked files differ from it; empty outside git."""
    import subprocess

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=root or Path.cwd(), capture_output=True, text=True, timeout=10)
        return result.stdout.strip() if result.returncode == 0 else ""

    try:
        revision = git("rev-parse", "--short", "HEAD")
        changed = revision and git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"{revision}+changes" if changed else revision


def run_provenance(root: Path | None = None) -> dict[str, str]:
    """When and from what a run was made: UTC time, git revision, DVC experiment name and baseline."""
    from datetime import datetime, timezone

    return {
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "git_revision": git_revision(root),
        "dvc_experiment": os.environ.get("DVC_EXP_NAME", ""),
        "dvc_baseline": os.environ.get("DVC_EXP_BASELINE_REV", "")[:7],
    }


def dataset_names(root: Path, params: Mapping[str, Any]) -> list[str]:
    """The datasets of this run: from metrics/prepare.json when present, else the input files' names."""
    try:
        prepared = json.loads((root / "metrics" / "prepare.json").read_text())
        if prepared.get("thresholds"):
            return sorted(prepared["thresholds"])
    except (OSError, ValueError):
        pass
    input_dir = root / str(params.get("data", {}).get("input_dir", ""))
    suffixes = (".csv", ".jsonl", ".parquet")
    return sorted(p.stem for p in input_dir.glob("*") if p.suffix in suffixes) if input_dir.is_dir() else []


def parent_run_name(params: Mapping[str, Any], provenance: Mapping[str, str]) -> str:
    """`<DVC experiment or git revision> · <input>`: which code or experiment ran, on which data."""
    source = provenance.get("dvc_experiment") or provenance.get("git_revision") or "workspace"
    input_dir = str(params.get("data", {}).get("input_dir", "")).rstrip("/")
    return f"{source} · {Path(input_dir).name or input_dir or 'input'}"


def parent_run_tags(params: Mapping[str, Any], provenance: Mapping[str, str], datasets: list[str]) -> dict[str, str]:
    """Tags to find a pipeline run by: judge, input, datasets, revision and experiment."""
    judge = params.get("judge", {})
    tags = {
        "errormap.kind": "pipeline",
        "errormap.judge": ":".join(str(judge[k]) for k in ("kind", "model") if judge.get(k)),
        "errormap.input": redact_url(str(params.get("data", {}).get("input_dir", ""))),
        "errormap.datasets": ",".join(datasets)[:MAX_PARAM_LENGTH],
        "errormap.git_revision": provenance.get("git_revision", ""),
    }
    if provenance.get("dvc_experiment"):
        tags["dvc.exp_name"] = provenance["dvc_experiment"]
    return {k: v for k, v in tags.items() if v}


class Tracker(Protocol):
    """What stages log."""

    def stage(self, name: str, params: Mapping[str, Any]) -> Any: ...

    def log_metrics(self, metrics: Mapping[str, Any]) -> None: ...

    def log_artifact(self, path: Path | str) -> None: ...


@dataclass
class MemoryTracker:
    """Keeps everything in memory; for tests."""

    runs: list[dict[str, Any]] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str, params: Mapping[str, Any]) -> Iterator["MemoryTracker"]:
        self.runs.append({"stage": name, "params": redact(params), "metrics": {}, "artifacts": [], "status": "RUNNING"})
        try:
            yield self
        except BaseException:
            self.runs[-1]["status"] = "FAILED"
            raise
        self.runs[-1]["status"] = "FINISHED"

    def log_metrics(self, metrics: Mapping[str, Any]) -> None:
        self.runs[-1]["metrics"].update(numeric_metrics(metrics))

    def log_artifact(self, path: Path | str) -> None:
        self.runs[-1]["artifacts"].append(str(path))


class MLflowTracker:
    """Logs each stage as a child run of one parent run per pipeline reproduction."""

    def __init__(self, root: Path | None = None, experiment: str = EXPERIMENT):
        import mlflow

        self._mlflow = mlflow
        self.root = repository_root(root)
        self.uri = tracking_uri(self.root)
        mlflow.set_tracking_uri(self.uri)
        self._state_file = self.root / ".errormap" / "mlflow_parent.json"
        self._client = client = mlflow.MlflowClient()
        found = client.get_experiment_by_name(experiment)
        if found is None:
            artifacts = (self.root / "mlartifacts").as_uri() if self.uri.startswith("sqlite:") else None
            experiment_id = client.create_experiment(experiment, artifact_location=artifacts)
        else:
            experiment_id = found.experiment_id
        if found is None or found.tags.get(EXPERIMENT_KIND_TAG) != EXPERIMENT_KIND:
            # The MLflow UI opens an experiment of this kind on its runs table (not the GenAI traces view).
            client.set_experiment_tag(experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND)
        self.experiment_id = experiment_id
        self._stage_name = ""
        self._parent_id = ""  # the stage's parent run, while a stage is open
        self._keys = KeyMap()  # names MLflow refuses in a key, made safe; the mapping is kept in the run

    def _read_state(self) -> dict[str, Any]:
        try:
            return json.loads(self._state_file.read_text())
        except (OSError, ValueError):
            return {}

    def _parent_for(self, stage: str, params: Mapping[str, Any]) -> str:
        state = self._read_state()
        run_id = state.get("run_id")
        fresh = stage == FIRST_STAGE or not run_id or stage in state.get("stages", []) or state.get("uri") != self.uri
        if not fresh:
            try:
                self._client.get_run(run_id)
            except Exception:
                fresh = True
        if fresh:
            provenance = run_provenance(self.root)
            tags = parent_run_tags(params, provenance, dataset_names(Path.cwd(), params))
            name = parent_run_name(params, provenance)
            parent = self._client.create_run(self.experiment_id, tags=tags, run_name=name)
            run_id = parent.info.run_id
            from mlflow.entities import Param

            batch = [Param(k, str(v)[:MAX_PARAM_LENGTH]) for k, v in self._keys.convert(redact(params)).items()]
            self._client.log_batch(run_id, params=batch)
            if stage != FIRST_STAGE:
                self._carry_metrics(run_id, stage)
            self._write_state({"run_id": run_id, "uri": self.uri, "stages": []})
        return str(run_id)

    def _carry_metrics(self, run_id: str, stage: str) -> None:
        """A parent started by a later stage (a partial rerun) gets the up-to-date metrics of the stages DVC skipped."""
        from mlflow.entities import Metric

        now, batch = int(time.time() * 1000), []
        for path in sorted(Path.cwd().glob("metrics/*.json")):
            if path.stem == stage:
                continue
            try:
                values = numeric_metrics(json.loads(path.read_text()), f"{path.stem}.")
            except (OSError, ValueError):
                continue
            batch += [Metric(k, v, now, 0) for k, v in values.items()]
        if batch:
            self._client.log_batch(run_id, metrics=batch)
            self._client.set_tag(run_id, "errormap.carried_metrics", "from the metrics files of skipped stages")

    def _write_state(self, state: dict[str, Any]) -> None:
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        self._state_file.write_text(json.dumps(state))

    @contextmanager
    def stage(self, name: str, params: Mapping[str, Any]) -> Iterator["MLflowTracker"]:
        for run_id in close_orphans(self._client, self.experiment_id):  # left RUNNING by a kill -9
            log.info("MLflow: run %s was left running by a stopped process; marked KILLED", run_id)
        parent_id = self._parent_for(name, params)
        self._stage_name, self._parent_id = name, parent_id
        owner = process_tags()
        with self._mlflow.start_run(run_id=parent_id, experiment_id=self.experiment_id):
            self._mlflow.set_tags(owner)
            with self._mlflow.start_run(run_name=name, nested=True, experiment_id=self.experiment_id, tags=owner):
                self._mlflow.log_params({k: str(v)[:MAX_PARAM_LENGTH] for k, v in self._keys.convert(redact(params)).items()})
                yield self
                self._log_key_map(parent_id)
        if name == FIRST_STAGE:  # the datasets the prepare stage has just found
            datasets = dataset_names(Path.cwd(), params)
            if datasets:
                self._client.set_tag(parent_id, "errormap.datasets", ",".join(datasets)[:MAX_PARAM_LENGTH])
        state = self._read_state()
        state.setdefault("stages", []).append(name)
        self._write_state(state)
        log.info("MLflow: stage %s logged under run %s (%s)", name, parent_id, self.uri)

    def _log_key_map(self, parent_id: str) -> None:
        """Keys MLflow could not take as they were (names with `( ) + @ # ...`): the mapping back, in both runs."""
        if self._keys.renamed:
            self._mlflow.log_dict(self._keys.renamed, MAPPING_FILE)
            self._client.log_dict(parent_id, self._keys.renamed, MAPPING_FILE)

    def log_metrics(self, metrics: Mapping[str, Any]) -> None:
        values = self._keys.convert(numeric_metrics(metrics))
        self._mlflow.log_metrics(values)
        if values:
            from mlflow.entities import Metric

            now = int(time.time() * 1000)
            batch = [Metric(f"{self._stage_name}.{k}", v, now, 0) for k, v in values.items()]
            self._client.log_batch(self._parent_id, metrics=batch)

    def log_artifact(self, path: Path | str) -> None:
        self._mlflow.log_artifact(str(path))
        self._client.log_artifact(self._parent_id, str(path), artifact_path=self._stage_name)


def runs_page(experiment_id: str, ui: str = "http://127.0.0.1:5000") -> str:
    """The MLflow UI's runs table of an experiment (MLflow 3 otherwise opens on its GenAI view)."""
    return f"{ui}/#/experiments/{experiment_id}/runs?workflowType=machine_learning"


def default_tracker(enabled: bool = True, experiment: str = EXPERIMENT) -> Tracker:
    """MLflow, into `experiment`, unless disabled (ERRORMAP_TRACKING=off or tracking.enabled=false)."""
    if not enabled or os.environ.get("ERRORMAP_TRACKING", "").lower() in ("0", "off", "false", "no"):
        return MemoryTracker()
    return MLflowTracker(experiment=experiment)

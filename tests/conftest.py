"""Shared fixtures: a throw-away copy of the repository to run DVC in, and the real-data location."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from errormap.testing.checkout import copy_checkout

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"


def pipeline_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for DVC stage commands: this interpreter's `python` first on PATH, no inherited MLflow URI."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "DVC_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "errormap tests"
    env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "tests@errormap.invalid"
    env.update(extra or {})
    return env


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command; on failure show its output in the assertion message."""
    result = subprocess.run(command, cwd=cwd, env=env or pipeline_env(), capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def stored_answer_count(store: Path, kind: str = "diagnosis", timeout: float = 1.0) -> int:
    """How many answers of `kind` an answer store holds, read while another process may be creating it.

    0 while the store is not there yet in any usable form: no file, a file without the `answers` table
    (created but not yet initialised), or a database locked beyond `timeout`. Read-only, so polling
    never writes to the store it watches.
    """
    if not store.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)) as db:
            return int(db.execute("SELECT COUNT(*) FROM answers WHERE kind = ?", (kind,)).fetchone()[0])
    except sqlite3.OperationalError as exc:
        if any(part in str(exc) for part in ("no such table", "locked", "busy", "unable to open")):
            return 0
        raise
    except sqlite3.DatabaseError as exc:  # a header still being written
        if "not a database" in str(exc):
            return 0
        raise


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A fresh git repository holding a copy of the project (without outputs, caches or the venv)."""
    target = tmp_path / "repo"
    copy_checkout(REPO, target, skip=("data/prepared", "data/analysis", "data/taxonomy", "data/signatures"))
    env = pipeline_env()
    run(["git", "init", "-q"], target, env)
    run(["git", "add", "-A"], target, env)
    run(["git", "commit", "-qm", "copy"], target, env)
    return target


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not present")
    return REALDATA


class StageRunner:
    """Runs stage scripts in-process in a directory, against an in-memory tracker (no DVC, no MLflow)."""

    def __init__(self, directory: Path, monkeypatch: pytest.MonkeyPatch):
        from errormap import stage as stage_module
        from errormap.tracking import MemoryTracker

        self.directory = directory
        self.tracker = MemoryTracker()
        monkeypatch.setattr(stage_module, "default_tracker", lambda *args, **kwargs: self.tracker)
        monkeypatch.setattr(stage_module, "store_path", lambda: directory / ".errormap" / "cache.sqlite")
        monkeypatch.chdir(directory)

    def __call__(self, name: str) -> int:
        """The stage's exit code (0 when it returns normally)."""
        import runpy

        try:
            runpy.run_path(str(REPO / "stages" / f"{name}.py"), run_name="__main__")
        except SystemExit as stopped:
            return int(stopped.code or 0)
        return 0


@pytest.fixture
def stages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StageRunner:
    """Stage scripts run in-process in tmp_path (copy inputs and params.yaml there first)."""
    return StageRunner(tmp_path, monkeypatch)

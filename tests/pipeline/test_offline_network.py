"""The offline default is offline: the demo pipeline attempts no outbound connection (issue 11, item 11).

`dvc repro` runs in a new network namespace (`unshare -rn`: only a loopback interface, and it is
down) under `strace -f`, which records every connect/sendto/sendmsg of DVC, the stages and their
children. Any AF_INET/AF_INET6 address there (a DNS lookup included) is a phone-home attempt. The
environment is a clean one: no CI or pytest variables (MLflow keeps quiet under those by itself),
and a fresh HOME, so telemetry state files written anywhere would show.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import pipeline_env

CONNECTION = re.compile(r"\b(connect|sendto|sendmsg)\(.*sa_family=AF_INET6?\b.*")


def _usable(command: list[str]) -> str | None:
    """Why `command` cannot run here, or None."""
    if shutil.which(command[0]) is None:
        return f"{command[0]} is not installed"
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    return None if result.returncode == 0 else f"`{' '.join(command)}` fails here: {result.stderr.strip()[:200]}"


def clean_env(home: Path) -> dict[str, str]:
    """Only what the pipeline needs: PATH with this interpreter first, a fresh HOME, git identity."""
    inherited = pipeline_env()
    env = {key: inherited[key] for key in ("PATH", "LANG", "LC_ALL", "PYTHONPATH") if key in inherited}
    env.update({key: inherited[key] for key in inherited if key.startswith("GIT_")})
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"))
    return env


@pytest.mark.slow
def test_the_demo_pipeline_attempts_no_outbound_connection(repo_copy: Path, tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("network namespaces are Linux only")
    for probe in (["unshare", "-rn", "true"], ["strace", "-f", "-qq", "-o", os.devnull, "true"]):
        reason = _usable(probe)
        if reason:
            pytest.skip(f"cannot isolate and watch the network: {reason}")
    home = tmp_path / "home"
    home.mkdir()
    trace = tmp_path / "strace.log"
    result = subprocess.run(
        ["unshare", "-rn", "strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace), "dvc", "repro"],
        cwd=repo_copy, env=clean_env(home), capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert "Running stage 'report'" in result.stdout and (repo_copy / "reports" / "report.html").exists()
    attempts = [line for line in trace.read_text().splitlines() if CONNECTION.search(line)]
    assert attempts == [], "outbound connection attempts:\n" + "\n".join(attempts[:20])
    state = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
    assert not [p for p in state if "telemetry" in p or "analytics" in p or p.endswith("user_id")], state

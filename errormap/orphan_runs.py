"""MLflow runs left RUNNING by a stage process that was killed (kill -9, OOM killer, power loss).

Every run a stage opens is tagged with its process: host, pid and the process's start time (a pid
alone may be reused). The next stage marks each RUNNING run whose process is gone as KILLED. Runs of
another host, or of a process still alive (a parallel `dvc exp run --queue` worker), are left alone.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import psutil

HOST_TAG = "errormap.host"
PID_TAG = "errormap.pid"
STARTED_TAG = "errormap.process_started"


def process_tags() -> dict[str, str]:
    """The tags that identify this process."""
    started = psutil.Process(os.getpid()).create_time()
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid()), STARTED_TAG: f"{started:.3f}"}


def process_alive(tags: dict[str, str]) -> bool:
    """Whether the process a run was tagged with may still be running (unknown counts as alive)."""
    if tags.get(HOST_TAG) != socket.gethostname() or not tags.get(PID_TAG, "").isdigit():
        return True
    try:
        started = psutil.Process(int(tags[PID_TAG])).create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True
    recorded = tags.get(STARTED_TAG)
    return recorded is None or abs(started - float(recorded)) < 1.0  # a different start time: the pid was reused


def close_orphans(client: Any, experiment_id: str) -> list[str]:
    """Mark the experiment's RUNNING runs whose stage process is gone as KILLED; their ids."""
    closed = []
    for run in client.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'", max_results=1000):
        tags = run.data.tags
        if PID_TAG in tags and not process_alive(tags):
            client.set_terminated(run.info.run_id, "KILLED")
            closed.append(run.info.run_id)
    return closed

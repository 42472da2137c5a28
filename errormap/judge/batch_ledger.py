"""Which requests were sent in which provider batch, kept in the answer store's SQLite file.

A submission is written before the batch is created at the provider and gets the batch id once it
exists, so a run that is stopped (Ctrl-C, a killed process) finds its batch again and waits for it
instead of paying for the same requests twice. Requests are named by `custom_id`, a hash of the
request body, so a rerun that renders the same requests finds them whatever else changed.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

SUBMITTING, OPEN, DONE = "submitting", "open", "done"


@dataclass(frozen=True)
class Submission:
    """One batch as the ledger knows it: its own id, the provider's batch id (once created), its state."""

    submission: str
    batch_id: str | None
    state: str
    requests: int


class BatchLedger:
    """The `batches` and `batch_requests` tables of the answer store."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS batches (submission TEXT PRIMARY KEY, batch_id TEXT, endpoint TEXT,"
            " state TEXT NOT NULL, requests INTEGER NOT NULL, created REAL NOT NULL)"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS batch_requests (custom_id TEXT NOT NULL, submission TEXT NOT NULL,"
            " PRIMARY KEY (custom_id, submission))"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS batch_requests_id ON batch_requests (custom_id)")

    def begin(self, endpoint: str, custom_ids: list[str]) -> str:
        """Record a submission (before the batch exists at the provider); its id goes in the batch's metadata."""
        submission = uuid.uuid4().hex
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO batches (submission, batch_id, endpoint, state, requests, created) VALUES (?, NULL, ?, ?, ?, ?)",
                (submission, endpoint, SUBMITTING, len(custom_ids), time.time()),
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO batch_requests (custom_id, submission) VALUES (?, ?)",
                [(c, submission) for c in custom_ids],
            )
        return submission

    def opened(self, submission: str, batch_id: str) -> None:
        """The provider created the batch: from now on a rerun waits for it."""
        self._db.execute("UPDATE batches SET batch_id = ?, state = ? WHERE submission = ?", (batch_id, OPEN, submission))

    def finish(self, submission: str) -> None:
        """Every result of the batch is read (answers stored, failures handed on)."""
        self._db.execute("UPDATE batches SET state = ? WHERE submission = ?", (DONE, submission))

    def forget(self, submission: str) -> None:
        """A submission that never reached the provider."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM batch_requests WHERE submission = ?", (submission,))
            self._db.execute("DELETE FROM batches WHERE submission = ?", (submission,))

    def unfinished(self, custom_ids: list[str]) -> dict[str, Submission]:
        """For each of these requests that an unfinished submission holds: that submission (the newest)."""
        found: dict[str, Submission] = {}
        for start in range(0, len(custom_ids), 500):
            chunk = custom_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT r.custom_id, b.submission, b.batch_id, b.state, b.requests FROM batch_requests r"
                " JOIN batches b ON b.submission = r.submission"
                f" WHERE r.custom_id IN ({marks}) AND b.state != ? ORDER BY b.created",
                (*chunk, DONE),
            )
            for custom_id, submission, batch_id, state, requests in rows:
                found[custom_id] = Submission(submission, batch_id, state, int(requests))
        return found

    def members(self, submission: str) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT custom_id FROM batch_requests WHERE submission = ?", (submission,))]

    def close(self) -> None:
        self._db.close()

"""A persistent answer store: judge answers are written as they arrive, so nothing answered is lost."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def stable_hash(*parts: Any) -> str:
    """SHA-256 over a canonical JSON rendering of the parts."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredAnswer:
    """One stored judge answer: the JSON payload, what it cost when it was asked, what it was given."""

    payload: str
    prompt_tokens: int
    completion_tokens: int
    context: dict[str, Any]
    requests: int


class AnswerStore:
    """SQLite key-value store for judge answers (one row per request key)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS answers ("
            " key TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL,"
            " prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, created REAL NOT NULL,"
            " context TEXT)"
        )
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(answers)")}
        for column, kind in (("context", "TEXT"), ("requests", "INTEGER"), ("subject", "TEXT")):
            if column not in columns:  # a store written by an older errormap
                self._db.execute(f"ALTER TABLE answers ADD COLUMN {column} {kind}")
        self._db.execute("CREATE INDEX IF NOT EXISTS answers_subject ON answers (subject)")

    def get(self, key: str) -> StoredAnswer | None:
        """The stored answer for a key, or None."""
        row = self._db.execute(
            "SELECT payload, prompt_tokens, completion_tokens, context, requests FROM answers WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        return StoredAnswer(row[0], int(row[1]), int(row[2]), json.loads(row[3]) if row[3] else {}, int(row[4] or 1))

    def has_subject(self, subject: str) -> bool:
        """Whether any answer about this subject (a failure id) is stored, under whatever request."""
        return self._db.execute("SELECT 1 FROM answers WHERE subject = ? LIMIT 1", (subject,)).fetchone() is not None

    def put(
        self, key: str, kind: str, payload: str, prompt_tokens: int, completion_tokens: int,
        context: dict[str, Any] | None = None, requests: int = 1, subject: str | None = None,
    ) -> None:
        """Store one answer durably (autocommit), with its cost, its context and what it is about."""
        self._db.execute(
            "INSERT OR REPLACE INTO answers"
            " (key, kind, payload, prompt_tokens, completion_tokens, created, context, requests, subject)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (key, kind, payload, prompt_tokens, completion_tokens, time.time(),
             json.dumps(context, ensure_ascii=False, sort_keys=True) if context else None, requests, subject),
        )

    def count(self, kind: str | None = None) -> int:
        if kind is None:
            return int(self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
        return int(self._db.execute("SELECT COUNT(*) FROM answers WHERE kind = ?", (kind,)).fetchone()[0])

    def close(self) -> None:
        self._db.close()

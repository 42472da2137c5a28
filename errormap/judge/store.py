"""A persistent answer store: judge answers are written as they arrive, so nothing answered is lost."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any


def stable_hash(*parts: Any) -> str:
    """SHA-256 over a canonical JSON rendering of the parts."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


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
            " prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, created REAL NOT NULL)"
        )

    def get(self, key: str) -> tuple[str, int, int] | None:
        """The stored payload and its token usage, or None."""
        row = self._db.execute(
            "SELECT payload, prompt_tokens, completion_tokens FROM answers WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else (row[0], int(row[1]), int(row[2]))

    def put(self, key: str, kind: str, payload: str, prompt_tokens: int, completion_tokens: int) -> None:
        """Store one answer durably (autocommit)."""
        self._db.execute(
            "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?)",
            (key, kind, payload, prompt_tokens, completion_tokens, time.time()),
        )

    def count(self, kind: str | None = None) -> int:
        if kind is None:
            return int(self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
        return int(self._db.execute("SELECT COUNT(*) FROM answers WHERE kind = ?", (kind,)).fetchone()[0])

    def close(self) -> None:
        self._db.close()

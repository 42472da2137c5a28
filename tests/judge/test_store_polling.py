"""The helper that polls an answer store while another process creates and fills it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from errormap.judge import AnswerStore
from tests.conftest import stored_answer_count


def test_no_store_file_yet_counts_as_none(tmp_path: Path) -> None:
    assert stored_answer_count(tmp_path / ".errormap" / "cache.sqlite") == 0


def test_a_store_file_without_its_table_yet_counts_as_none(tmp_path: Path) -> None:
    """The race seen on a loaded machine: the writer has created the file, not yet the table."""
    empty = tmp_path / "empty.sqlite"
    empty.touch()  # sqlite3.connect() creates the file before anything is written to it
    initialised = tmp_path / "wal.sqlite"
    with closing(sqlite3.connect(initialised)) as db:  # the store's first statement, before CREATE TABLE
        db.execute("PRAGMA journal_mode=WAL")
        with pytest.raises(sqlite3.OperationalError, match="no such table: answers"):  # what the old poll did
            db.execute("SELECT COUNT(*) FROM answers WHERE kind = 'diagnosis'")
        assert stored_answer_count(initialised) == 0  # while the writer's connection is open
    assert stored_answer_count(empty) == 0
    assert stored_answer_count(initialised) == 0
    assert empty.stat().st_size == 0  # polling is read-only: it does not initialise the file itself


def test_a_locked_store_counts_as_none_yet(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite"
    with closing(sqlite3.connect(path, isolation_level=None)) as db:  # rollback journal: a writer blocks readers
        db.execute("CREATE TABLE answers (key TEXT PRIMARY KEY, kind TEXT NOT NULL)")
        db.execute("INSERT INTO answers VALUES ('a', 'diagnosis')")
        db.execute("BEGIN EXCLUSIVE")
        assert stored_answer_count(path, timeout=0.05) == 0
        db.execute("COMMIT")
    assert stored_answer_count(path) == 1


def test_stored_answers_are_counted_by_kind(tmp_path: Path) -> None:
    path = tmp_path / ".errormap" / "cache.sqlite"
    store = AnswerStore(path)
    try:
        assert stored_answer_count(path) == 0
        for key in ("a", "b", "c"):
            store.put(key, "diagnosis", "{}", 1, 1)
        store.put("d", "category_list", "{}", 1, 1)
        assert stored_answer_count(path) == 3  # read while the writer still holds the store open
        assert stored_answer_count(path, "category_list") == 1
    finally:
        store.close()
    assert stored_answer_count(path) == 3


def test_other_database_errors_are_not_hidden(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE answers (key TEXT PRIMARY KEY)")  # no `kind` column: a real mistake
    with pytest.raises(sqlite3.OperationalError, match="no such column"):
        stored_answer_count(path)

"""The few git operations releases need: revision, dirty paths, reading a file at a revision, committing paths."""

from __future__ import annotations

import subprocess
from pathlib import Path

from errormap.atlas.model import ReleaseError


def git(root: Path | str, *args: str, check: bool = True) -> str:
    """Run git in `root` and return its output; a failure is a ReleaseError with git's message."""
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise ReleaseError("git is not installed") from None
    if check and result.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout if result.returncode == 0 else ""


def is_repository(root: Path | str) -> bool:
    return git(root, "rev-parse", "--is-inside-work-tree", check=False).strip() == "true"


def head_revision(root: Path | str) -> str | None:
    return git(root, "rev-parse", "HEAD", check=False).strip() or None


def resolve(root: Path | str, rev: str) -> str | None:
    """The commit a revision names, or None."""
    return git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False).strip() or None


def dirty_paths(root: Path | str, paths: list[str]) -> list[str]:
    """Modified, staged or untracked files under `paths`."""
    output = git(root, "status", "--porcelain", "--untracked-files=all", "--", *paths)
    return [line[3:] for line in output.splitlines() if line.strip()]


def show(root: Path | str, rev: str, path: str) -> bytes | None:
    """A file's content at a revision, or None when it is not there."""
    result = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True, timeout=60)
    return result.stdout if result.returncode == 0 else None


def last_commit_touching(root: Path | str, path: str) -> str | None:
    return git(root, "log", "-1", "--format=%H", "--", path, check=False).strip() or None


def commit_paths(root: Path | str, paths: list[str], message: str) -> str:
    """Commit exactly these paths (nothing else that is staged) and return the new commit."""
    git(root, "add", "--", *paths)
    git(root, "commit", "-q", "-m", message, "--", *paths)
    revision = head_revision(root)
    assert revision is not None
    return revision

"""A copy of the project's checkout for tests and benches, without the outputs they are to make themselves."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def tracked_files(root: Path) -> list[str]:
    """Files git tracks plus untracked ones it does not ignore."""
    listing = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=root, check=True, capture_output=True, text=True
    )
    return [line for line in listing.stdout.splitlines() if line]


def copy_checkout(root: Path, target: Path, skip: tuple[str, ...] = ()) -> None:
    """Copy `root`'s files (as `tracked_files`) into `target`, except those under the prefixes `skip`, and no dvc.lock."""
    for name in tracked_files(root):
        source = root / name
        if not source.is_file() or name.startswith(skip) or name == "dvc.lock":
            continue
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)

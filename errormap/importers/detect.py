"""Which harness wrote a file or directory, from its name and first bytes, and the units each importer reads.

A unit is what one importer call reads: an lm-eval samples file (its results file is found next to it),
a HELM run directory, or an inspect log (`.eval` zip or `.json`).
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

from errormap.importers.base import FORMATS, ImportProblem

HEAD_BYTES = 65536
_FIRST_KEY = re.compile(r'^\s*\{\s*"([^"]+)"\s*:')
_SAMPLES_NAME = re.compile(r"^samples_.+\.jsonl?$")
_DOC_ID = re.compile(r'"doc_id"\s*:')


def _head(path: Path) -> str:
    with path.open("rb") as handle:
        return handle.read(HEAD_BYTES).decode("utf-8", errors="replace")


def first_json_key(path: Path) -> str | None:
    """The first key of a JSON object file, read from its head only."""
    match = _FIRST_KEY.match(_head(path))
    return match.group(1) if match else None


def is_lm_eval_results(path: Path) -> bool:
    return path.suffix == ".json" and first_json_key(path) == "results"


def is_lm_eval_samples(path: Path) -> bool:
    """`samples_<task>_<ts>.jsonl` by name; legacy files (`pretrained=..._task.jsonl`, JSON arrays) by content."""
    if path.suffix not in (".jsonl", ".json"):
        return False
    if _SAMPLES_NAME.match(path.name):
        return True
    head = _head(path).lstrip()
    if head.startswith("["):
        return bool(_DOC_ID.search(head[:4096]))
    if head.startswith("{"):
        first_line = head.split("\n", 1)[0]
        try:
            record = json.loads(first_line)
        except ValueError:
            return False
        return isinstance(record, dict) and "doc_id" in record and "doc" in record
    return False


def is_helm_run(path: Path) -> bool:
    return path.is_dir() and (path / "run_spec.json").is_file()


def is_inspect_log(path: Path) -> bool:
    if path.suffix == ".eval":
        try:
            with zipfile.ZipFile(path) as archive:
                return "header.json" in archive.namelist() or any(
                    n.startswith(("samples/", "_journal/")) for n in archive.namelist()
                )
        except (zipfile.BadZipFile, OSError):
            return True  # named like a log: the reader says what is wrong with it
    return path.suffix == ".json" and first_json_key(path) == "version" and '"eval"' in _head(path)


def format_of(path: Path) -> str | None:
    """The harness that wrote this file or run directory, or None."""
    if path.is_dir():
        return "helm" if is_helm_run(path) else None
    if is_inspect_log(path):
        return "inspect"
    if is_lm_eval_samples(path) or is_lm_eval_results(path):
        return "lm-eval"
    return None


def _walk(root: Path) -> list[Path]:
    """Files and HELM run directories below root, in a stable order; a run directory is not entered."""
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs.sort()
        runs = [d for d in dirs if is_helm_run(here / d)]
        found.extend(here / d for d in runs)
        dirs[:] = [d for d in dirs if d not in runs and not d.startswith(".")]
        found.extend(here / f for f in sorted(files) if not f.startswith("."))
    return found


def units(fmt: str, paths: list[Path]) -> tuple[list[tuple[str, Path]], list[Path], list[ImportProblem]]:
    """(format, unit) pairs to import, files passed over, and problems with paths given explicitly.

    `fmt` is one of FORMATS or "auto". A directory is searched; files of other formats (or none) in it are
    passed over. A path given explicitly must be of the requested format.
    """
    wanted = FORMATS if fmt == "auto" else (fmt,)
    found: list[tuple[str, Path]] = []
    ignored: list[Path] = []
    problems: list[ImportProblem] = []
    results_only: list[Path] = []
    for path in paths:
        if not path.exists():
            problems.append(ImportProblem(str(path), None, None, "does not exist"))
            continue
        explicit = not path.is_dir() or is_helm_run(path)
        candidates = [path] if explicit else _walk(path)
        before = len(found)
        for candidate in candidates:
            kind = format_of(candidate)
            if kind == "lm-eval" and is_lm_eval_results(candidate):
                results_only.append(candidate)  # a companion file: its samples are the units
                if explicit and "lm-eval" in wanted:
                    found.extend(("lm-eval", s) for s in _samples_beside(candidate))
                continue
            if kind in wanted:
                found.append((kind, candidate))
            elif explicit:
                problems.append(_wrong_format(candidate, kind, fmt))
            else:
                ignored.append(candidate)
        if len(found) == before and not any(p.file == str(path) for p in problems):
            problems.append(_nothing_found(path, fmt, results_only))
    return _unique(found), ignored, problems


def _samples_beside(results_file: Path) -> list[Path]:
    from errormap.importers.lm_eval import results_for

    return [p for p in sorted(results_file.parent.iterdir()) if is_lm_eval_samples(p) and results_for(p) == results_file]


def _unique(found: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    seen: set[Path] = set()
    unique = []
    for kind, path in found:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append((kind, path))
    return unique


def _wrong_format(path: Path, kind: str | None, fmt: str) -> ImportProblem:
    expected = "harness output (lm-eval samples, a HELM run directory or an inspect log)" if fmt == "auto" else {
        "lm-eval": "lm-eval output (samples_<task>_<time>.jsonl from --log_samples, or its results_<time>.json)",
        "helm": "a HELM run directory (with run_spec.json and scenario_state.json)",
        "inspect": "an inspect log (.eval or .json)",
    }[fmt]
    if kind is not None:
        return ImportProblem(str(path), None, None, f"this is {kind} output, not {expected}: use `errormap import {kind}`")
    return ImportProblem(str(path), None, None, f"not {expected}")


def _nothing_found(path: Path, fmt: str, results_only: list[Path]) -> ImportProblem:
    if fmt in ("lm-eval", "auto") and any(r.is_relative_to(path) for r in results_only):
        return ImportProblem(
            str(path), None, None,
            "holds lm-eval results files but no samples files: run lm_eval with --log_samples",
        )
    what = "harness output" if fmt == "auto" else f"{fmt} output"
    return ImportProblem(str(path), None, None, f"no {what} found in this directory")

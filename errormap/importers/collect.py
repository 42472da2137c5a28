"""Run the importers over paths: find the units, read each, apply the bad-record policy, reject duplicates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from errormap.importers.base import (
    FORMATS,
    HarnessImportError,
    ImportOptions,
    ImportProblem,
    Outcome,
    Policy,
    RecordError,
    Row,
)
from errormap.importers.detect import units

Reader = Callable[[Path, ImportOptions, Policy], list[Row]]


def _reader(fmt: str) -> Reader:
    if fmt == "lm-eval":
        from errormap.importers.lm_eval import import_samples

        return import_samples
    if fmt == "helm":
        from errormap.importers.helm import import_run

        return import_run
    from errormap.importers.inspect_logs import import_log

    return import_log


def import_paths(
    fmt: str, paths: Sequence[Path | str], options: ImportOptions | None = None, skip_bad: bool = False
) -> Outcome:
    """Every row the harness output under `paths` holds. `fmt` is one of FORMATS or "auto".

    Fails on the first unreadable record (naming file, record and field) unless `skip_bad`, which lists and
    counts them in the outcome instead. A (model, task, example) read twice is always an error naming both files.
    """
    if fmt != "auto" and fmt not in FORMATS:
        raise HarnessImportError([ImportProblem(fmt, None, None, f"unknown format (use one of {', '.join(FORMATS)}, auto)")])
    options = options or ImportOptions()
    outcome = Outcome()
    policy = Policy(outcome, skip_bad)
    found, outcome.ignored, problems = units(fmt, [Path(p) for p in paths])
    if problems:
        raise HarnessImportError(problems)
    for kind, unit in found:
        outcome.files.append(unit)
        try:
            outcome.rows.extend(_reader(kind)(unit, options, policy))
        except RecordError as error:  # the whole file or run is unreadable
            policy.bad(error)
    check_duplicates(outcome.rows)
    if not outcome.rows:
        raise HarnessImportError(
            outcome.skipped or [ImportProblem(", ".join(map(str, paths)), None, None, "no rows to import")]
        )
    return outcome


def check_duplicates(rows: list[Row]) -> None:
    """One problem per (model, task, example) that two records give, naming both files and records."""
    first: dict[tuple[str, str, str], Row] = {}
    problems = []
    for row in rows:
        key = (row.model, row.dataset, row.example_id)
        if key in first:
            other = first[key]
            problems.append(ImportProblem(
                str(row.file), row.record_label, "example_id",
                f"model {row.model!r}, task {row.dataset!r}, example {row.example_id!r} is also in "
                f"{other.file} ({other.record_label}): import one of the two runs",
            ))
        else:
            first[key] = row
    if problems:
        raise HarnessImportError(problems)

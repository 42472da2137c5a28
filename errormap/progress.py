"""Progress bars for long judge work (done/total, requests per second, tokens, failures)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from errormap.console import console

if TYPE_CHECKING:
    from errormap.steps.analyze import RunStats
    from errormap.taxonomy.builder import BuildStats


@contextmanager
def judge_progress(description: str, total: int) -> Iterator[Callable[[RunStats], None]]:
    """Yields a callback that takes RunStats and redraws the bar."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>7.1f} req/s"),
        TextColumn("{task.fields[tokens]:>9,} tok"),
        TextColumn("{task.fields[requests]} req, {task.fields[retries]} retries, [red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        refresh_per_second=4,
    )
    task = progress.add_task(description, total=total, rate=0.0, tokens=0, failed=0, requests=0, retries=0)

    def update(stats: RunStats) -> None:
        elapsed = max(stats.elapsed, 1e-6)
        progress.update(
            task,
            completed=stats.done,
            rate=stats.requests / elapsed,
            tokens=stats.usage.prompt_tokens + stats.usage.completion_tokens,
            failed=stats.failed,
            requests=stats.requests,
            retries=stats.retries,
        )

    with progress:
        yield update


@contextmanager
def taxonomy_progress(description: str) -> Iterator[Callable[[str, BuildStats], None]]:
    """Yields a callback for `TaxonomyBuilder(on_progress=...)`: the last step, requests and tokens so far.

    The number of requests of a build is not known in advance (it depends on how the tree
    splits), so this is a spinner with counters rather than a bar.
    """
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn(
            "{task.fields[steps]} steps, {task.fields[requests]} requests, {task.fields[tokens]:,} tok, "
            "[red]{task.fields[errors]} errors[/] [dim]{task.fields[step]}"
        ),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        refresh_per_second=4,
    )
    task = progress.add_task(description, total=None, steps=0, requests=0, tokens=0, errors=0, step="")
    steps = 0

    def update(step: str, stats: BuildStats) -> None:
        nonlocal steps
        steps += 1
        progress.update(
            task,
            steps=steps,
            requests=stats.requests,
            tokens=stats.usage.prompt_tokens + stats.usage.completion_tokens,
            errors=stats.judge_errors,
            step=step,
        )

    with progress:
        yield update

"""Progress bars for long judge work (done/total, requests per second, tokens, failures)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from errormap.analysis import RunStats

console = Console(stderr=True)


@contextmanager
def judge_progress(description: str, total: int) -> Iterator[callable]:
    """Yields a callback that takes RunStats and redraws the bar."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>7.1f} req/s"),
        TextColumn("{task.fields[tokens]:>9,} tok"),
        TextColumn("[red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        refresh_per_second=4,
    )
    task = progress.add_task(description, total=total, rate=0.0, tokens=0, failed=0)

    def update(stats: RunStats) -> None:
        elapsed = max(stats.elapsed, 1e-6)
        progress.update(
            task,
            completed=stats.done,
            rate=stats.requests / elapsed,
            tokens=stats.usage.prompt_tokens + stats.usage.completion_tokens,
            failed=stats.failed,
        )

    with progress:
        yield update

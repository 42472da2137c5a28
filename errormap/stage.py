"""What every stage script shares: typed settings, quiet logging, tracking, readable errors, the answer store."""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.logging import RichHandler

from errormap.config import stale_params
from errormap.console import console
from errormap.errors import StageError, UserError
from errormap.settings import PARAMS_FILE, Settings, load_settings
from errormap.tracking import Tracker, default_tracker, repository_root

log = logging.getLogger("errormap")
LOG_LEVEL_ENV = "ERRORMAP_LOG_LEVEL"


def setup_logging() -> None:
    """errormap's own messages at INFO; every other library (HTTP clients, MLflow...) at WARNING.

    ERRORMAP_LOG_LEVEL=DEBUG brings back everything, the judge's request log included.
    """
    level = os.environ.get(LOG_LEVEL_ENV, "").upper()
    verbose = level in ("DEBUG", "INFO") and level
    logging.basicConfig(
        level=verbose or logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, rich_tracebacks=False)],
        force=True,
    )
    log.setLevel(verbose or logging.INFO)


def use_system_memory_pool() -> None:
    """Arrow allocates through malloc, which hands freed memory back, instead of its own pool, which keeps it.

    Tables read from Parquet become pandas columns backed by Arrow; with Arrow's default pool a
    stage's peak memory grew by about twice the data it read (measured in bench/bench_pipeline.py).
    """
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


@contextmanager
def stage_context(name: str, params_path: str = PARAMS_FILE) -> Iterator[tuple[Settings, Tracker]]:
    """Validate the settings, open the tracking run, and turn user errors into one line and exit code 1."""
    setup_logging()
    use_system_memory_pool()
    try:
        settings = load_settings(params_path)
        stale = stale_params(params_path)  # conf/ edited since params.yaml was composed: not silently the old one
        if stale:
            raise StageError(stale)
        tracker = default_tracker(settings.tracking.enabled, settings.tracking.experiment)
        with tracker.stage(name, settings.model_dump(mode="json")):
            yield settings, tracker
    except (UserError, FileNotFoundError, ValueError) as exc:
        console.print(f"[bold red]errormap {name} failed:[/] {exc}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print(
            f"[bold yellow]errormap {name} interrupted.[/] Judge answers received so far are kept in "
            f"{store_path()}; run `dvc repro` again to continue where it stopped."
        )
        sys.exit(130)


def store_path() -> Path:
    """The judge answer store, outside DVC outputs so interrupted runs keep what was answered."""
    return repository_root() / ".errormap" / "cache.sqlite"


def run(main: Callable[[], None]) -> None:
    """Run `main` from a stage script's module code; when it succeeds as the process's program, skip module teardown.

    Tearing down pandas, pyarrow, pydantic and the HTTP stack costs 0.1-0.3 s of CPU per stage and
    does nothing for the outputs, which are closed by then. Exit handlers still run (logging, MLflow,
    the report's chart process) and the streams are flushed before `os._exit(0)`. A failure exits as
    usual; so does a stage whose module code Python code ran (tests, runpy, `-m`, a profiler), or with threads
    still running.
    """
    main()
    if sys._getframe(1).f_back is not None:  # the script's module code was called by Python code, not the interpreter
        return
    if any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate()):
        return
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)

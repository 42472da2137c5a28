"""What every stage script shares: params, logging, tracking, readable errors, file writing."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from rich.logging import RichHandler

from errormap.config import load_params
from errormap.data import InputValidationError
from errormap.judge import Judge, JudgeError, build_judge
from errormap.progress import console
from errormap.tracking import Tracker, default_tracker, repository_root

log = logging.getLogger("errormap")


class StageError(RuntimeError):
    """A stage cannot finish; the message says why and what to do."""


def setup_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, rich_tracebacks=False)],
        force=True,
    )
    for noisy in ("httpx", "openai", "mlflow", "alembic", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextmanager
def stage_context(name: str, params_path: str = "params.yaml") -> Iterator[tuple[dict[str, Any], Tracker]]:
    """Load params, open the tracking run, and turn known errors into a short message and exit code."""
    setup_logging()
    try:
        params = load_params(params_path)
        tracking = params.get("tracking", {}) or {}
        tracker = default_tracker(bool(tracking.get("enabled", True)))
        with tracker.stage(name, params):
            yield params, tracker
    except (InputValidationError, StageError, JudgeError, FileNotFoundError, ValueError) as exc:
        console.print(f"[bold red]errormap {name} failed:[/] {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        console.print(
            f"[bold yellow]errormap {name} interrupted.[/] Judge answers received so far are kept in "
            f"{store_path()}; run `dvc repro` again to continue where it stopped."
        )
        sys.exit(130)


def judge_from_params(params: Mapping[str, Any]) -> Judge:
    """The judge the composed params configure, with the project's answer store."""
    return build_judge(params["judge"], prompt_version=params["prompts"]["version"], store_path=store_path())


def store_path() -> Path:
    """The judge answer store, outside DVC outputs so interrupted runs keep what was answered."""
    return repository_root() / ".errormap" / "cache.sqlite"


def write_json(path: Path | str, document: Any) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
    return path


def write_parquet(path: Path | str, frame: pd.DataFrame) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path


def write_csv(path: Path | str, frame: pd.DataFrame) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path

"""The hand-labelled failures the offline judge is scored on (evaluation/offline_judge/*.jsonl).

Written cases carry their texts; real-data cases are references (dataset directory, example,
model) rebuilt from the data as the pipeline builds them, peers included.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from errormap.judge.schemas import FailureCase

NONE = "none"
PARTS = ("tuning", "held_out", "fresh")
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "evaluation" / "offline_judge"


@dataclass(frozen=True)
class LabelledCase:
    """One failure with the title a correct offline judge gives it (or `none`)."""

    id: str
    part: str
    label: str
    also: tuple[str, ...]
    reason: str
    case: FailureCase

    @property
    def acceptable(self) -> set[str]:
        """Titles that are true of this case (an emitted one counts as correct)."""
        return {t for t in (self.label, *self.also) if t != NONE}


def read_records(directory: Path = DEFAULT_DIR) -> list[dict]:
    """Every record of every *.jsonl file in the directory, in file order."""
    records = []
    for path in sorted(directory.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            records += [json.loads(line) for line in handle if line.strip()]
    return records


def _crafted(record: dict) -> FailureCase:
    return FailureCase(
        failure_id=record["id"],
        dataset=record.get("format", "crafted"),
        example_id=record["id"],
        model="crafted",
        input_text=record["input_text"],
        output_text=record["output_text"],
        correct_answer=record.get("correct_answer"),
        other_correct_outputs=record.get("other_correct_outputs", []),
        peer_outputs=record.get("peer_outputs", []),
    )


def _real_cases(records: list[dict], realdata: Path) -> dict[str, FailureCase]:
    """The pipeline's case for each real-data record (prepare + build_cases on its dataset directory)."""
    from errormap.settings import default_settings
    from errormap.steps.analyze import build_cases
    from errormap.steps.prepare import prepare

    settings = default_settings()
    by_dir: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        by_dir[record["dir"]].append(record)
    cases: dict[str, FailureCase] = {}
    for directory, wanted in by_dir.items():
        marked = prepare(settings, realdata / directory).results
        keys = {(r["dataset"], r["example_id"], r["model"]): r["id"] for r in wanted}
        rows = marked[[k in keys for k in zip(marked["dataset"], marked["example_id"], marked["model"])]]
        missing = set(keys) - set(zip(rows["dataset"], rows["example_id"], rows["model"]))
        if missing:
            raise ValueError(f"{len(missing)} labelled cases are not in {realdata / directory}, e.g. {sorted(missing)[0]}")
        for case in build_cases(marked, rows, k_correct=settings.analysis.k_correct, seed=settings.seed,
                                max_text_chars=settings.judge.max_text_chars):
            cases[keys[(case.dataset, case.example_id, case.model)]] = case
    return cases


def load_labelled(directory: Path = DEFAULT_DIR, realdata: Path | None = None) -> tuple[list[LabelledCase], int]:
    """The labelled cases, and how many real-data ones were skipped because `realdata` is None or absent."""
    records = read_records(directory)
    real = [r for r in records if r.get("source") == "realdata"]
    available = realdata is not None and realdata.is_dir()
    built = _real_cases(real, realdata) if available and real else {}  # type: ignore[arg-type]
    labelled = []
    for record in records:
        if record.get("source") == "realdata" and not available:
            continue
        case = built[record["id"]] if record.get("source") == "realdata" else _crafted(record)
        labelled.append(LabelledCase(record["id"], record["part"], record["label"], tuple(record.get("also", [])),
                                     record["reason"], case))
    return labelled, (0 if available else len(real))

"""Solutions with human first-error labels, split into steps, and where a quoted piece of text stands among them.

Two label formats are read from a results directory (any columns beyond the usual ones are kept):
MR-Ben (`human_solution_correct`, `human_first_error_step`: the 1-based "Step k" number, or for code
the text of the first wrong line) and BIG-Bench Mistake (`mistake_index`: the 0-based index of the
first wrong "Thought", empty when there is none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from errormap.errors import UserError

_MARKER = re.compile(r"(?im)^[ \t]*(?:step|thought)[ \t]+(\d+)[ \t]*[:.]")


@dataclass(frozen=True)
class Step:
    """One step of a solution: its number as the solution writes it, and where it stands in the text."""

    number: int
    start: int
    end: int


def split_steps(output: str) -> list[Step]:
    """The steps of a solution: 'Step k:' / 'Thought k:' sections when there are two or more, else its non-empty lines."""
    markers = list(_MARKER.finditer(output))
    if len(markers) >= 2:
        bounds = [m.start() for m in markers] + [len(output)]
        return [Step(int(m.group(1)), bounds[i], bounds[i + 1]) for i, m in enumerate(markers)]
    steps, offset, number = [], 0, 0
    for line in output.split("\n"):
        if line.strip():
            number += 1
            steps.append(Step(number, offset, offset + len(line)))
        offset += len(line) + 1
    return steps


def locate(text: str, output: str) -> int | None:
    """Where a quote stands in the output: verbatim, else with any run of whitespace matching any other."""
    text = text.strip()
    if not text:
        return None
    at = output.find(text)
    if at != -1:
        return at
    words = text.split()
    if not words:
        return None
    match = re.search(r"\s+".join(re.escape(w) for w in words), output)
    return match.start() if match else None


def step_at(position: int, steps: list[Step]) -> int | None:
    for step in steps:
        if step.start <= position < step.end:
            return step.number
    return None


def _human_step(row: pd.Series, steps: list[Step]) -> int | None:
    if "mistake_index" in row and str(row["mistake_index"]).strip():
        return int(float(row["mistake_index"])) + 1
    raw = str(row.get("human_first_error_step", "")).strip()
    if not raw:
        return None
    if re.fullmatch(r"\d+(?:\.0)?", raw):
        return int(float(raw))
    position = locate(raw, str(row["output_text"]))  # code: the text of the first wrong line
    return step_at(position, steps) if position is not None else None


def _human_correct(row: pd.Series) -> bool | None:
    for column in ("human_solution_correct",):
        value = str(row.get(column, "")).strip()
        if value in ("0", "1", "0.0", "1.0"):
            return value.startswith("1")
    if "has_mistake" in row and str(row["has_mistake"]).strip() in ("0", "1", "0.0", "1.0"):
        return not str(row["has_mistake"]).startswith("1")
    if "mistake_index" in row:  # no has_mistake column: a located mistake is what makes the solution wrong
        return not str(row["mistake_index"]).strip()
    return None


def load_annotated(directory: Path | str) -> pd.DataFrame:
    """The results under `directory` with `human_step` (int or None) and `human_correct` (bool or None) per solution."""
    from errormap.data import load_results

    results = load_results(directory)
    if not {"human_first_error_step", "mistake_index"} & set(results.columns):
        raise UserError(
            f"{directory}: no human first-error labels (a human_first_error_step or mistake_index column is needed)"
        )
    steps = [split_steps(str(output)) for output in results["output_text"]]
    results["human_step"] = pd.Series([_human_step(row, s) for (_, row), s in zip(results.iterrows(), steps)],
                                      index=results.index, dtype=object)
    results["human_correct"] = pd.Series([_human_correct(row) for _, row in results.iterrows()], index=results.index,
                                         dtype=object)
    return results

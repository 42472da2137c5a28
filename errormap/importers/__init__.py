"""Importers for evaluation harness output: lm-evaluation-harness, HELM and inspect-ai.

`import_paths(format, paths)` reads harness output into rows of errormap's results table; `write_tables`
writes them to a directory the pipeline reads; `load_harness_results` is what the prepare stage calls when
`data.format` names a harness.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from errormap.importers.base import FORMATS, HarnessImportError, ImportOptions, ImportProblem, Outcome, Row
from errormap.importers.collect import import_paths
from errormap.importers.writer import to_frame, write_tables

__all__ = [
    "FORMATS", "HarnessImportError", "ImportOptions", "ImportProblem", "Outcome", "Row",
    "import_paths", "load_harness_results", "to_frame", "write_tables",
]


def load_harness_results(fmt: str, input_dir: Path | str, options: ImportOptions | None = None) -> pd.DataFrame:
    """The results frame `errormap.data.load_results` would give, read from harness output under `input_dir`.

    `source_file` is the harness file below `input_dir` and `source_row` its record number.
    """
    input_dir = Path(input_dir)
    outcome = import_paths(fmt, [input_dir], options)
    frame = to_frame(outcome.rows, root=input_dir)
    frame["source_file"] = frame["harness_file"]
    frame["source_row"] = [r.record for r in outcome.rows]
    return frame

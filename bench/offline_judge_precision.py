#!/usr/bin/env python
"""Precision, recall and support per title of the offline judge on the hand-labelled failures.

Scores each part of evaluation/offline_judge/*.jsonl separately: tuning (rules were tuned on it),
held_out (never tuned on, but its totals were seen while the rules were developed) and fresh
(labelled after the rules were frozen, scored once), and writes the figures to
evaluation/offline_judge/precision.json,
which the report can read. Real-data cases need ../shared/realdata; without it they are skipped
(and said so) and nothing is written unless --output is given.

    .venv/bin/python bench/offline_judge_precision.py
    .venv/bin/python bench/offline_judge_precision.py --show-errors held_out   # the wrong emissions

Figures, not a pass/fail check: exit status 0 unless the input cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from errormap.evaluation.labelled import DEFAULT_DIR, PARTS, load_labelled  # noqa: E402
from errormap.evaluation.precision import PartScore, diagnose_labelled, score  # noqa: E402
from errormap.judge.detectors import UNEXPLAINED_TITLE, diagnose_offline  # noqa: E402

REALDATA = REPO.parent / "shared" / "realdata"
BAR = 0.9


def _fmt(value: float | None) -> str:
    return "   -" if value is None else f"{value:.2f}"


def show(part: str, result: PartScore) -> None:
    print(f"\n{part}: {result.cases} failures, {result.abstained} not explainable offline "
          f"({result.abstained_correctly} of the {result.labelled_none} labelled none)")
    print(f"  {'title':<36} {'prec':>5} {'recall':>6} {'emitted':>7} {'support':>7}")
    for t in result.titles:
        flag = "  <- below the bar" if part != "tuning" and t.precision is not None and t.precision < BAR else ""
        print(f"  {t.title:<36} {_fmt(t.precision):>5} {_fmt(t.recall):>6} {t.emitted:>7} {t.support:>7}{flag}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=DEFAULT_DIR, help="directory of labelled *.jsonl files")
    parser.add_argument("--realdata", type=Path, default=REALDATA, help="the shared real data (default ../shared/realdata)")
    parser.add_argument("--output", type=Path, default=None, help="where to write the JSON figures (default: precision.json "
                        "next to the labels, only when every case could be scored)")
    parser.add_argument("--show-errors", choices=PARTS, default=None, help="print the wrongly titled failures of a part")
    args = parser.parse_args()
    labelled, skipped = load_labelled(args.labels, args.realdata)
    if skipped:
        print(f"{args.realdata} not found: {skipped} real-data cases skipped", file=sys.stderr)
    diagnoses = diagnose_labelled(labelled, diagnose_offline)
    titles = {case_id: d.error_title for case_id, d in diagnoses.items()}
    results = {part: score([c for c in labelled if c.part == part], titles, UNEXPLAINED_TITLE) for part in PARTS}
    for part in PARTS:
        show(part, results[part])
    if args.show_errors:
        print(f"\nwrong titles on {args.show_errors}:")
        for case in labelled:
            title = titles[case.id]
            if case.part == args.show_errors and title != UNEXPLAINED_TITLE and title not in case.acceptable:
                print(f"  {case.id}: gave {title!r}, labelled {case.label!r} ({case.reason})")
                print(f"      {diagnoses[case.id].error_summary[:200]}")
    output = args.output or (args.labels / "precision.json" if not skipped else None)
    if output is not None:
        figures = {"judge": "offline", "bar": BAR, "labels": str(args.labels.relative_to(REPO)) if args.labels.is_relative_to(REPO) else str(args.labels),
                   "skipped_realdata": skipped, **{part: results[part].as_dict() for part in PARTS}}
        output.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nwrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

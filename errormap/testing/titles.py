"""Simulated diagnoses with many distinct error titles, for taxonomy-induction tests and benchmarks.

Each title is one of the offline judge's base titles, worded with a qualifier and, past the
base x qualifier combinations, a case number, so that n distinct titles can be made for any n. The
base title's family is kept as the ground truth a taxonomy can be checked against.
"""

from __future__ import annotations

import random

import pandas as pd

from errormap.judge.detectors import TITLE_FAMILIES

QUALIFIERS = (
    "in the final step", "in an intermediate step", "with fractions", "with percentages", "with large numbers",
    "in a multi-step problem", "after a correct setup", "under time pressure", "in the explanation",
    "in the last sentence", "despite a correct method", "with negative numbers", "in a word problem",
    "in a table lookup", "when restating the question", "in the summary", "in a list answer",
    "with decimals", "in a unit question", "in a science question",
)


def synthetic_diagnoses(distinct: int, *, seed: int = 0, failures_per_title: int = 2) -> pd.DataFrame:
    """A diagnoses table (columns the taxonomy builder reads, plus `family`) with `distinct` distinct titles."""
    rng = random.Random(seed)
    bases = sorted(TITLE_FAMILIES)
    titles, families = [], []
    for i in range(distinct):
        base = bases[i % len(bases)]
        qualifier = QUALIFIERS[(i // len(bases)) % len(QUALIFIERS)]
        round_ = i // (len(bases) * len(QUALIFIERS))
        titles.append(f"{base} {qualifier}" + (f", case {round_}" if round_ else ""))
        families.append(TITLE_FAMILIES[base])
    rows = []
    for title, family in zip(titles, families):
        for _ in range(rng.randint(1, 2 * failures_per_title - 1)):
            n = len(rows)
            rows.append({"failure_id": f"f{n:07d}", "dataset": "sim", "example_id": f"e{n}", "model": f"m{n % 5}",
                         "status": "ok", "error_title": title, "error_summary": "", "family": family})
    return pd.DataFrame(rows)

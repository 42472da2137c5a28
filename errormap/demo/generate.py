"""Assembly: which example each model fails and how, the rows of each dataset, the CSV files."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from errormap.demo.arith import ArithWord
from errormap.demo.base import DemoDataset, Example, rng_for
from errormap.demo.kinds import GENERIC_KINDS, render
from errormap.demo.mcq import McqScience
from errormap.demo.plan import COLUMNS, CORRECT, FAILURE_PLAN, MODELS, Plan
from errormap.demo.short_qa import ShortQa
from errormap.demo.units import UnitConvert

DATASETS: tuple[DemoDataset, ...] = (McqScience(), ArithWord(), ShortQa(), UnitConvert())


def _check_plan(ds: DemoDataset, plan: Plan) -> None:
    for kind, _ in plan:
        if kind not in GENERIC_KINDS and kind not in ds.special_kinds:
            raise ValueError(f"failure kind {kind!r} is not defined for dataset {ds.name}")


def assign_kinds(ds: DemoDataset, examples: Sequence[Example], model: str, rng: random.Random) -> dict[str, str]:
    """Map example_id -> answer kind for one model; noisy examples are always answered correctly."""
    plan = FAILURE_PLAN[model][ds.name]
    _check_plan(ds, plan)
    pool = [ex for ex in examples if not ex.noisy]
    rng.shuffle(pool)
    kinds = {ex.example_id: CORRECT for ex in examples}
    taken: set[str] = set()
    for kind, count in plan:
        for _ in range(count):
            chosen = next((ex for ex in pool if ex.example_id not in taken and ds.supports(kind, ex)), None)
            if chosen is None:
                raise ValueError(f"not enough examples in {ds.name} for {count} x {kind!r} ({model})")
            taken.add(chosen.example_id)
            kinds[chosen.example_id] = kind
    return kinds


def build_rows(ds: DemoDataset, seed: int) -> pd.DataFrame:
    """All (example, model) rows of one dataset."""
    examples = ds.build(rng_for(seed, ds.name, "examples"))
    rows = []
    for model in MODELS:
        kinds = assign_kinds(ds, examples, model, rng_for(seed, ds.name, model, "plan"))
        text_rng = rng_for(seed, ds.name, model, "text")
        for ex in examples:
            kind = kinds[ex.example_id]
            rows.append({
                "example_id": ex.example_id,
                "model": model,
                "input_text": ex.input_text,
                "output_text": render(ds, kind, ex, model, text_rng),
                "score": int(kind == CORRECT and not ex.noisy),
                "correct_answer": ex.reference,
            })
    order = {ex.example_id: i for i, ex in enumerate(examples)}
    rows.sort(key=lambda r: (order[r["example_id"]], MODELS.index(r["model"])))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def generate_demo(out_dir: Path | str, seed: int = 0) -> list[Path]:
    """Write a deterministic demo benchmark (one CSV per dataset) and return the file paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for ds in DATASETS:
        path = out / f"{ds.name}.csv"
        build_rows(ds, seed).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        paths.append(path)
    return paths

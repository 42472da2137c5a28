"""A deterministic demo benchmark: four small datasets answered by five fictional models.

Every model has a designed failure profile, so errormap's taxonomy and per-model failure
signatures have something real to find:

* ``atlas-7b``     -- arithmetic slips carried to the final answer, confident wrong choices;
* ``borealis-13b`` -- format problems: buried answers, option text instead of the letter,
  chatter, answers in Spanish or French;
* ``cirrus-70b``   -- strong; near misses from rounding/precision and omitted answer parts;
* ``drift-3b``     -- degenerate outputs: truncated, repetition loops, empty;
* ``ember-chat``   -- over-cautious refusals and several conflicting final answers.

A few examples carry a wrong reference answer ("noisy reference"): every model gives the
same, actually correct, answer and is scored 0.

All texts come from the templates in this package and seeded RNGs (never ``hash()`` of a
string), so the same seed always yields byte-identical CSV files.

Layout: ``plan`` (who fails how), ``base`` (example, dataset interface, helpers), ``kinds`` (answer kinds
shared by all datasets), one module per dataset (``mcq``, ``arith``, ``short_qa``, ``units``) and
``generate`` (assembly and the CSV files).
"""

from __future__ import annotations

from errormap.demo.base import DemoDataset, Example, number_to_words
from errormap.demo.generate import DATASETS, assign_kinds, build_rows, generate_demo
from errormap.demo.kinds import GENERIC_KINDS, render
from errormap.demo.plan import COLUMNS, CORRECT, FAILURE_PLAN, MODELS

__all__ = [
    "COLUMNS",
    "CORRECT",
    "DATASETS",
    "FAILURE_PLAN",
    "GENERIC_KINDS",
    "MODELS",
    "DemoDataset",
    "Example",
    "assign_kinds",
    "build_rows",
    "generate_demo",
    "number_to_words",
    "render",
]

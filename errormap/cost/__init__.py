"""Know the judge's bill before paying it: the estimate of a run and the `judge.max_cost` guard.

The estimate (which simulates the judge steps with the offline judge) loads on first use, so the
guard costs nothing at start-up when no budget is set.
"""

from __future__ import annotations

from errormap.lazy import lazy_attributes

_LAZY = {
    "STEPS": "errormap.cost.estimate",
    "Estimate": "errormap.cost.estimate",
    "StepEstimate": "errormap.cost.estimate",
    "estimate_run": "errormap.cost.estimate",
    "over_budget": "errormap.cost.report",
    "render": "errormap.cost.report",
}
__all__ = list(_LAZY)


__getattr__ = lazy_attributes(__name__, _LAZY)

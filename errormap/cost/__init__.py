"""Know the judge's bill before paying it: the estimate of a run and the `judge.max_cost` guard."""

from errormap.cost.estimate import STEPS, Estimate, StepEstimate, estimate_run
from errormap.cost.report import over_budget, render

__all__ = ["STEPS", "Estimate", "StepEstimate", "estimate_run", "over_budget", "render"]

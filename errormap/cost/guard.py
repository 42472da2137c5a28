"""`judge.max_cost`: stop the analyze stage before its first request when the run's estimated bill exceeds it."""

from __future__ import annotations

import asyncio
import logging

import pandas as pd

from errormap.errors import StageError
from errormap.judge.base import Judge
from errormap.judge.caching import CachingJudge
from errormap.settings import OpenAIJudgeConfig, Settings

log = logging.getLogger(__name__)


async def check_budget(results: pd.DataFrame, failures: pd.DataFrame, settings: Settings, judge: Judge) -> None:
    """StageError with the figures when the judge steps still to run would cost more than judge.max_cost."""
    config = settings.judge
    if not isinstance(config, OpenAIJudgeConfig) or config.max_cost is None:
        return
    from errormap.cost.estimate import estimate_run  # the estimate's machinery loads only when a budget is set
    from errormap.cost.report import money, over_budget

    store_path = judge.store.path if isinstance(judge, CachingJudge) else None
    # The estimate runs the steps on a simulated clock, on its own event loop: in a thread.
    estimate = await asyncio.to_thread(estimate_run, settings, results, failures, store_path=store_path)
    reason = over_budget(estimate, config.max_cost)
    if reason is not None:
        raise StageError(reason)
    log.info("judge.max_cost %g: estimated bill %s for %d requests", config.max_cost, money(estimate.cost), estimate.requests)

"""The estimate as a table for people (`errormap estimate`) and as the stop message of `judge.max_cost`."""

from __future__ import annotations

from errormap.cost.estimate import Estimate


def money(value: float | None) -> str:
    return "unknown" if value is None else f"{value:,.4f}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "batch window"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else (f"{minutes}m {secs:02d}s" if minutes else f"{secs}s")


def render(estimate: Estimate) -> str:
    """A table, one row per step, then the assumptions."""
    header = ("step", "requests", "in store", "prompt tok", "static prefix", "cacheable", "completion tok", "cost", "time")
    rows = []
    for s in estimate.steps:
        share = f"{s.prefix_tokens / s.prompt_tokens:.0%}" if s.prompt_tokens else "-"
        rows.append((
            s.step + (" (batch)" if s.batch else ""), f"{s.requests:,}", f"{s.tally.in_store:,}", f"{s.prompt_tokens:,}",
            share, f"{s.cacheable_tokens:,}", f"{s.completion_tokens:,}", money(s.cost), duration(s.seconds),
        ))
    seconds = [s.seconds for s in estimate.steps]
    total_time = None if any(t is None for t in seconds) else sum(t for t in seconds if t is not None)
    prompt = sum(s.prompt_tokens for s in estimate.steps)
    prefix = sum(s.prefix_tokens for s in estimate.steps)
    rows.append((
        "total", f"{estimate.requests:,}", f"{sum(s.tally.in_store for s in estimate.steps):,}", f"{prompt:,}",
        f"{prefix / prompt:.0%}" if prompt else "-", f"{sum(s.cacheable_tokens for s in estimate.steps):,}",
        f"{sum(s.completion_tokens for s in estimate.steps):,}", money(estimate.cost), duration(total_time),
    ))
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = [f"judge {estimate.judge}: what the judge steps would send (cost in the currency of cost.prices)"]
    for row in (header, *rows):
        lines.append("  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths))))
    lines.append("assumptions:")
    lines += [f"  - {note}" for note in estimate.assumptions]
    return "\n".join(lines)


def over_budget(estimate: Estimate, limit: float) -> str | None:
    """Why the run must not start under `judge.max_cost`, or None when it may."""
    if estimate.requests == 0:
        return None
    if estimate.cost is None:
        return (f"judge.max_cost is {limit:g} but the cost is unknown: give the price of the judge model in cost.prices. "
                f"The run would send {estimate.requests:,} requests.")
    if estimate.cost <= limit:
        return None
    parts = ", ".join(f"{s.step} {s.requests:,} requests {money(s.cost)}" for s in estimate.steps if s.requests)
    return (f"the estimated judge bill {money(estimate.cost)} exceeds judge.max_cost {limit:g} ({parts}); nothing was sent. "
            "See `errormap estimate` for the figures; raise judge.max_cost, or sample fewer failures (sampling.ratio).")

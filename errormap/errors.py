"""The one base class of errors a user can fix: stages and the CLI show them as one line, not a traceback."""

from __future__ import annotations

from collections.abc import Sequence

MAX_LISTED = 20


class UserError(RuntimeError):
    """A problem with the input, the configuration or the judge that the message explains."""


class StageError(UserError):
    """A stage cannot finish; the message says why and what to do."""


def listing(header: str, problems: Sequence[object], limit: int = MAX_LISTED) -> str:
    """`header`, then one indented line per problem, the first `limit` of them and how many more."""
    lines = [header, *(f"  - {p}" for p in problems[:limit])]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more")
    return "\n".join(lines)

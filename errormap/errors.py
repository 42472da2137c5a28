"""The one base class of errors a user can fix: stages and the CLI show them as one line, not a traceback."""

from __future__ import annotations


class UserError(RuntimeError):
    """A problem with the input, the configuration or the judge that the message explains."""


class StageError(UserError):
    """A stage cannot finish; the message says why and what to do."""

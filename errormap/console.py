"""The one console errormap writes progress and messages to (stderr, so stdout stays for data)."""

from __future__ import annotations

from rich.console import Console

console = Console(stderr=True)

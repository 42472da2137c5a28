"""Cutting a text to the judge's budget: head and tail kept, the cut stated where it was made."""

from __future__ import annotations

HEAD_SHARE = 1 / 3  # the rest of the budget goes to the tail, where final answers are


def clip(text: str, budget: int) -> tuple[str, int]:
    """`text` cut to `budget` characters (plus a one-line marker), and how many characters were left out."""
    if len(text) <= budget:
        return text, 0
    head = int(budget * HEAD_SHARE)
    tail = budget - head
    omitted = len(text) - budget
    marker = f"\n[... {omitted:,} characters left out here: the text was cut to judge.max_text_chars={budget:,} ...]\n"
    return text[:head] + marker + text[len(text) - tail :], omitted

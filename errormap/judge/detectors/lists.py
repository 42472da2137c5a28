"""Short answers with several parts and list answers: parts left out, items out of order."""

from __future__ import annotations

import re

from errormap.answers import normalise_text
from errormap.judge.detectors.base import CaseView, Family, emits, make_diagnosis, quote
from errormap.judge.detectors.task import TaskType
from errormap.judge.schemas import Criterion, Diagnosis, Verdict

_ITEM_LINE = re.compile(r"(?m)^\s*(?:[-*•]|\d+[.)])\s+(?P<item>.+?)\s*$")


def reference_items(reference: str, task_type: TaskType) -> list[str]:
    """The parts a reference requires: list items, or the 'X and Y' parts of a short answer."""
    if task_type is TaskType.list:
        parts = [p for p in re.split(r"\s*[,;\n]\s*", reference) if p.strip()]
        if len(parts) < 3:
            parts = reference.split()
    else:
        parts = re.split(r"\s*(?:,|;|\band\b|&)\s*", reference)
    return [p.strip() for p in parts if len(normalise_text(p)) >= 1]


def answer_text(view: CaseView) -> tuple[str, str]:
    """The text that holds the answer (its items), and a verbatim quote of it."""
    final = view.final
    if final is not None and view.task.type is TaskType.list:
        line_end = view.own_output.find("\n", final.start)
        text = view.own_output[final.start : line_end if line_end != -1 else len(view.own_output)]
        return text, quote(final.quote)
    if final is not None:
        return final.text, quote(final.quote)
    items = _ITEM_LINE.findall(view.own_output)
    if items:
        return " ; ".join(items), quote(view.own_output.strip()[-160:])
    return view.own_output, quote(view.own_output.strip()[-160:])


def _position(item: str, text: str) -> int | None:
    wanted = normalise_text(item)
    match = re.search(rf"(?<![\w.]){re.escape(wanted)}(?![\w.])", normalise_text(text)) if wanted else None
    return match.start() if match else None


def item_positions(view: CaseView) -> tuple[list[str], list[int | None], str]:
    """The reference's items, where each stands in the answer (None: missing), and the evidence quote."""
    items = reference_items(view.reference or "", view.task.type)
    text, evidence = answer_text(view)
    return items, [_position(item, text) for item in items], evidence


def list_matches(view: CaseView) -> bool:
    """Whether the answer has every required item in the reference's order.

    Another order is never called a match: whether the order matters is not always said in words
    the rules read ('from the Sun outwards'), so such an answer is left unexplained instead.
    """
    items, positions, _ = item_positions(view)
    if len(items) < 2 or any(p is None for p in positions):
        return False
    return positions == sorted(positions)  # type: ignore[type-var]


@emits({
    "Missing required element": Family.REASONING,
    "List items out of order": Family.REASONING,
}, tasks=(TaskType.list, TaskType.short))
def list_error(view: CaseView) -> Diagnosis | None:
    if not view.reference:
        return None
    items, positions, evidence = item_positions(view)
    if len(items) < 2 or (view.task.type is TaskType.short and view.final is None):
        return None
    present = [item for item, p in zip(items, positions) if p is not None]
    missing = [item for item, p in zip(items, positions) if p is None]
    if present and missing:
        return make_diagnosis(
            "Missing required element",
            f"The answer gives {', '.join(present[:6])}{'...' if len(present) > 6 else ''} but leaves out "
            f"{', '.join(missing)}, which the reference requires.",
            [Criterion(criterion=f"Includes {item}", verdict=Verdict.absent, evidence="") for item in missing[:5]]
            + [Criterion(criterion="Includes every required element", verdict=Verdict.not_met, evidence=evidence)],
        )
    if not missing and view.task.type is TaskType.list and view.task.ordered and positions != sorted(positions):  # type: ignore[type-var]
        order = [item for _, item in sorted(zip(positions, items))]  # type: ignore[arg-type]
        first = next(i for i, (a, b) in enumerate(zip(items, order)) if a != b)
        return make_diagnosis(
            "List items out of order",
            f"The answer has every required item but in the wrong order: {order[first]!r} comes where "
            f"{items[first]!r} belongs.",
            [Criterion(criterion="Puts the items in the required order", verdict=Verdict.not_met, evidence=evidence)],
        )
    return None

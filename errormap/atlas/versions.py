"""Semantic versions of releases and the bump a taxonomy diff requires.

The rule: a change in the top-level categories (added, removed, split, merged, regrouped, or a rename
or rematch that changes what the category holds) needs a major bump; the same below the top level a
minor bump; wording-only edits (a rename or a reworded description that keeps the meaning) a patch.
The rule reads the diff's JSON, so `errormap taxonomy diff` and `errormap atlas release` agree.
Before 1.0.0 (SemVer's initial development) a minor bump may carry a change that needs a major one:
0.1.0 -> 0.2.0 is how a release changes its top level while it is still 0.x.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import semver

from errormap.atlas.model import ReleaseError

Bump = Literal["major", "minor", "patch"]
ORDER: dict[str, int] = {"patch": 0, "minor": 1, "major": 2}
STRUCTURAL = {"added", "removed", "split", "merged", "regrouped"}
WORDING = {"renamed", "reworded"}


def parse_version(text: str) -> semver.Version:
    """X.Y.Z (a leading 'v' is allowed); anything else is refused."""
    raw = text.strip()
    candidate = raw[1:] if raw[:1] in ("v", "V") else raw
    try:
        version = semver.Version.parse(candidate)
    except (ValueError, TypeError):
        raise ReleaseError(f"invalid version {text!r}: use MAJOR.MINOR.PATCH, for example 0.2.0") from None
    if version.prerelease or version.build:
        raise ReleaseError(f"invalid version {text!r}: releases have no pre-release or build suffix")
    return version


def bump_between(previous: semver.Version, new: semver.Version) -> Bump:
    """Which bump leads from `previous` to `new`; refused when `new` is not the next major, minor or patch."""
    if new <= previous:
        raise ReleaseError(f"version {new} is not newer than the latest release {previous}")
    for kind in ("major", "minor", "patch"):
        if getattr(previous, f"bump_{kind}")() == new:
            return kind  # type: ignore[return-value]
    nexts = ", ".join(str(getattr(previous, f"bump_{k}")()) for k in ("patch", "minor", "major"))
    raise ReleaseError(f"version {new} skips versions after {previous}: the next release is one of {nexts}")


@dataclass
class RequiredBump:
    """The smallest bump a diff allows, and the changes that force it (most severe first)."""

    bump: Bump
    reasons: list[tuple[Bump, str]] = field(default_factory=list)

    def why(self, limit: int = 4) -> str:
        shown = [text for kind, text in self.reasons if kind == self.bump][:limit]
        return "; ".join(shown) if shown else "no category changed"


def required_bump(diff: dict[str, Any]) -> RequiredBump:
    """The bump the diff's changes require (its JSON form, as `errormap taxonomy diff --format json` writes it)."""
    reasons: list[tuple[Bump, str]] = []
    for level in diff.get("levels", []):
        depth = int(level["depth"])
        for change in level.get("changes", []):
            kind = change["kind"]
            where = "top level" if depth == 1 else f"level {depth}"
            if kind in STRUCTURAL or change.get("meaning_changed"):
                reasons.append(("major" if depth == 1 else "minor", f"{where}: {change['summary']}"))
            elif kind in WORDING:
                reasons.append(("patch", f"{where}: {change['summary']}"))
    reasons.sort(key=lambda item: -ORDER[item[0]])
    bump: Bump = reasons[0][0] if reasons else "patch"
    return RequiredBump(bump, reasons)


def smallest_allowed(previous: semver.Version, required: Bump) -> Bump:
    """The smallest bump that satisfies `required` after `previous` (a major need is a minor bump while 0.x)."""
    return "minor" if required == "major" and previous.major == 0 else required


def check_bump(previous: semver.Version, new: semver.Version, required: RequiredBump) -> Bump:
    """The bump from `previous` to `new`, refused when it is smaller than the diff requires."""
    actual = bump_between(previous, new)
    allowed = smallest_allowed(previous, required.bump)
    if ORDER[actual] < ORDER[allowed]:
        needed = getattr(previous, f"bump_{allowed}")()
        note = " (before 1.0.0 a minor bump carries a major change)" if allowed != required.bump else ""
        raise ReleaseError(
            f"{new} is a {actual} bump from {previous}, but the taxonomy changed in a way that needs a "
            f"{required.bump} bump ({required.why()}): release {needed} instead{note}"
        )
    return actual

"""atlas/CHANGELOG.md: one entry per release, newest first, written from the diff against the previous release."""

from __future__ import annotations

from pathlib import Path

from errormap.atlas.model import AtlasRelease
from errormap.atlas.versions import RequiredBump
from errormap.taxonomy.diff import TaxonomyDiff, diff_markdown

HEADER = (
    "# error-atlas changelog\n\n"
    "Every release of the error atlas, newest first. Each entry is written by `errormap atlas release` from the\n"
    "diff against the previous release (`errormap taxonomy diff`), which also decides the version bump.\n"
)


def changelog_entry(
    release: AtlasRelease, previous: str | None, diff: TaxonomyDiff | None, required: RequiredBump | None,
    bump: str | None, notes: str = "",
) -> str:
    """The Markdown section of one release."""
    kind = "seed" if release.built_from.kind == "seed" else bump or "first release"
    lines = [f"## {release.version} — {release.date} ({kind})", ""]
    if notes.strip():
        lines += [notes.strip(), ""]
    top = len(release.top_level())
    lines.append(
        f"{top} top-level categories, {len(release.categories)} in all"
        + (f", built on {release.built_from.failures} failures" if release.built_from.failures else "")
        + (f"; coverage {100 * release.coverage['coverage']:.1f}%" if "coverage" in release.coverage else "")
        + "."
    )
    if diff is not None and previous is not None:
        lines += ["", f"Changes since {previous}: {required.bump if required else 'patch'} bump required"
                  + (f" ({required.why()})" if required and required.reasons else "") + "."]
        if diff.changed():
            lines += ["", diff_markdown(diff, heading=3).rstrip()]
        else:
            lines += ["", "No category was added, removed, renamed, split or merged."]
    return "\n".join(lines).rstrip() + "\n"


def prepend(path: Path, entry: str) -> str:
    """The changelog with `entry` placed first, after the header."""
    current = path.read_text(encoding="utf-8") if path.is_file() else HEADER
    head, marker, rest = current.partition("\n## ")
    body = (marker.lstrip("\n") + rest) if marker else ""
    return head.rstrip() + "\n\n" + entry.rstrip() + "\n" + ("\n" + body if body else "")

"""`errormap atlas ...`: publish a release, list releases, resolve one, register the tag of a committed release."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _release(args: argparse.Namespace) -> int:
    from errormap.atlas.publish import plan_release, publish

    notes = args.notes.read_text(encoding="utf-8") if args.notes else ""
    plan = plan_release(args.version, args.root, source=args.source, notes=notes, atlas_dir=args.atlas_dir,
                        metrics_dir=args.metrics, require_clean=not args.dry_run)
    if args.dry_run:
        print(plan.changelog(), end="")
        needed = plan.required.bump if plan.required else "none (first release)"
        print(f"\nrequired bump: {needed}" + (f" ({plan.required.why()})" if plan.required and plan.required.reasons else ""))
        for problem in plan.problems:
            print(f"errormap atlas: refused: {problem}", file=sys.stderr)
        print("dry run: nothing written")
        return 1 if plan.problems else 0
    result = publish(plan, commit=not args.no_commit, tag=not (args.no_tag or args.no_commit), track=True)
    for path in result.paths:
        print(f"wrote {path}")
    if result.commit:
        print(f"committed {result.commit[:12]}")
    if result.tag:
        print(f"registered {result.tag} (fetch it: dvc artifacts get . error-atlas --rev v{plan.release.version})")
    else:
        print(f"not tagged: register it later with `errormap atlas register {plan.release.version}`")
    if result.run_id:
        print(f"MLflow run {result.run_id}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from errormap.atlas.registry import list_releases

    releases = list_releases(args.root, args.atlas_dir)
    rows = []
    for info in releases:
        release = info.release
        rows.append({
            "version": str(info.version), "date": release.date, "kind": release.built_from.kind,
            "top_level": len(release.top_level()), "categories": len(release.categories),
            "failures": release.built_from.failures, "tag": info.tag, "latest": info is releases[-1],
        })
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no error-atlas release yet: publish one with `errormap atlas release X.Y.Z`")
        return 0
    table = Table(title="error-atlas releases", title_justify="left")
    for column in ("version", "date", "built", "categories (top / all)", "failures", "tag"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["version"] + (" (latest)" if row["latest"] else ""), row["date"], row["kind"],
                      f"{row['top_level']} / {row['categories']}", str(row["failures"]) if row["failures"] else "—",
                      row["tag"] or "not tagged")
    Console(width=120).print(table)
    return 0


def _resolve(args: argparse.Namespace) -> int:
    from errormap.atlas.registry import resolve_release

    print(resolve_release(args.spec, args.root))
    return 0


def _register(args: argparse.Namespace) -> int:
    from errormap.atlas.publish import register_existing

    tag = register_existing(args.root, args.version, args.ref, args.atlas_dir)
    print(f"registered {tag} at {args.ref}")
    return 0


def add_atlas_commands(commands: argparse._SubParsersAction) -> None:
    """Register `errormap atlas release|list|resolve|register`."""
    atlas = commands.add_parser("atlas", help="publish, list and resolve error-atlas releases")
    actions = atlas.add_subparsers(dest="atlas_command", required=True, metavar="ACTION")

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--root", type=Path, default=Path("."), help="the repository (default: .)")
        parser.add_argument("--atlas-dir", default="atlas", help="the atlas directory in the repository (default: atlas)")

    release = actions.add_parser(
        "release", help="publish the current taxonomy as release X.Y.Z (bump checked against the previous release)",
    )
    release.add_argument("version", help="MAJOR.MINOR.PATCH")
    release.add_argument("--from", dest="source", type=Path, help="taxonomy output to release (default: data/taxonomy)")
    release.add_argument("--notes", type=Path, help="Markdown file with release notes for the changelog")
    release.add_argument("--metrics", type=Path, help="where metrics/taxonomy.json and stability.json are (default: metrics)")
    release.add_argument("--dry-run", action="store_true", help="print the changelog entry and the required bump; write nothing")
    release.add_argument("--no-commit", action="store_true", help="write the files only (no commit, no tag)")
    release.add_argument("--no-tag", action="store_true", help="commit the release but do not register its Git tag")
    common(release)
    release.set_defaults(handler=_release)

    listing = actions.add_parser("list", help="releases: version, date, categories, failures they were built on")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    common(listing)
    listing.set_defaults(handler=_list)

    resolve = actions.add_parser("resolve", help="print the release file a version, tag, `latest` or path names")
    resolve.add_argument("spec", help="0.1.0, v0.1.0, latest, error-atlas@v0.1.0 or a path")
    resolve.add_argument("--root", type=Path, default=Path("."), help="the repository (default: .)")
    resolve.set_defaults(handler=_resolve)

    register = actions.add_parser("register", help="register the Git tag of a release that is already committed")
    register.add_argument("version", help="the release's version")
    register.add_argument("--ref", default="HEAD", help="the commit to tag (default: HEAD)")
    common(register)
    register.set_defaults(handler=_register)

"""Publishing a release: plan it (version checks, diff against the previous release, required bump),
write the release directory and changelog, commit exactly those files, register the GTO tag and log
the release to MLflow."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from errormap import artifacts
from errormap.atlas import gitutil
from errormap.atlas.card import render_card
from errormap.atlas.changelog import changelog_entry, prepend
from errormap.atlas.model import ATLAS_NAME, AtlasRelease, ReleaseError, release_from_taxonomy, write_release
from errormap.atlas.provenance import built_from, coverage_figures, stability_figures
from errormap.atlas.registry import (
    ATLAS_DIR,
    CARD_FILE,
    CHANGELOG_FILE,
    RELEASE_FILE,
    ReleaseInfo,
    list_releases,
    register_tag,
    release_dir,
    release_path_in_repo,
    tag_name,
)
from errormap.atlas.sources import LoadedTaxonomy, load_version
from errormap.atlas.versions import Bump, RequiredBump, bump_between, check_bump, parse_version, required_bump
from errormap.taxonomy.diff import TaxonomyDiff, diff_taxonomies

DEFAULT_SOURCE = str(Path(artifacts.TAXONOMY.path).parent)


@dataclass
class ReleasePlan:
    """Everything a release will write, and whether it may be written."""

    root: Path
    release: AtlasRelease
    previous: ReleaseInfo | None
    diff: TaxonomyDiff | None
    required: RequiredBump | None
    bump: Bump | None
    notes: str = ""
    atlas_dir: str = ATLAS_DIR
    problems: list[str] = field(default_factory=list)

    @property
    def directory(self) -> Path:
        return release_dir(self.root, self.release.version, self.atlas_dir)

    @property
    def tag(self) -> str:
        return tag_name(self.release.version)

    def changelog(self) -> str:
        previous = str(self.previous.version) if self.previous else None
        return changelog_entry(self.release, previous, self.diff, self.required, self.bump, self.notes)


@dataclass
class Published:
    paths: list[Path]
    commit: str | None = None
    tag: str | None = None
    run_id: str | None = None


def _source(root: Path, source: Path | None) -> LoadedTaxonomy:
    path = source if source is not None else root / DEFAULT_SOURCE
    if not path.exists():
        raise ReleaseError(f"{path} not found: run `dvc repro taxonomy` first, or name a taxonomy output with --from")
    loaded = load_version(str(path), root)
    if loaded.release is not None:
        raise ReleaseError(f"{path} is already a release ({loaded.release.version}); --from takes a taxonomy output")
    return loaded


def check_clean(root: Path, atlas_dir: str) -> None:
    """Refuse when the released files have uncommitted changes (a release commits exactly what it writes)."""
    dirty = gitutil.dirty_paths(root, [atlas_dir])
    if dirty:
        shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
        raise ReleaseError(f"uncommitted changes in {atlas_dir}/ ({shown}): commit or discard them before releasing")


def check_declared(root: Path, atlas_dir: str, rev: str = "HEAD") -> None:
    """Refuse to tag a commit whose dvc.yaml does not declare the atlas (then `dvc artifacts get` could not fetch it)."""
    content = gitutil.show(root, rev, "dvc.yaml")
    artifacts = ((yaml.safe_load(content) or {}).get("artifacts") or {}) if content else {}
    entry = artifacts.get(ATLAS_NAME) if isinstance(artifacts, dict) else None
    if not isinstance(entry, dict) or str(entry.get("path", "")).rstrip("/") != atlas_dir:
        raise ReleaseError(
            f"dvc.yaml at {rev} does not declare the artifact {ATLAS_NAME} with path {atlas_dir}: add it under "
            "`artifacts:` and commit it, or release with --no-tag"
        )


def plan_release(
    version: str, root: Path | str = ".", *, source: Path | None = None, notes: str = "", date: str | None = None,
    atlas_dir: str = ATLAS_DIR, metrics_dir: Path | None = None, require_clean: bool = True,
) -> ReleasePlan:
    """Check the version, build the release from the taxonomy output and diff it against the latest release.

    Refusals that make the rest meaningless raise ReleaseError (invalid, existing or older version, dirty
    released files); a bump smaller than the diff needs is recorded in `problems`, so a dry run can still
    show the changelog and the bump it needs.
    """
    root = Path(root)
    parsed = parse_version(version)
    releases = list_releases(root, atlas_dir)
    existing = next((r for r in releases if r.version == parsed), None)
    if existing is not None:
        where = existing.tag or existing.path
        raise ReleaseError(f"release {parsed} exists already ({where}): choose a new version")
    previous = releases[-1] if releases else None
    if previous is not None:
        bump_between(previous.version, parsed)  # refuses older and skipping versions
    if require_clean and gitutil.is_repository(root):
        check_clean(root, atlas_dir)
    loaded = _source(root, source)
    metrics = metrics_dir if metrics_dir is not None else root / "metrics"
    release = release_from_taxonomy(
        loaded.taxonomy, version=str(parsed), date=date or dt.date.today().isoformat(),
        built_from=built_from(loaded.taxonomy, loaded.label, root), stability=stability_figures(metrics),
        summary=notes.strip().splitlines()[0] if notes.strip() else "",
    )
    release = release.model_copy(update={"coverage": coverage_figures(loaded.taxonomy, metrics)})
    plan = ReleasePlan(root, release, previous, None, None, None, notes, atlas_dir)
    if previous is not None:
        plan.diff = diff_taxonomies(
            previous.release.to_taxonomy(), release.to_taxonomy(), label_a=str(previous.version), label_b=str(parsed)
        )
        plan.required = required_bump(plan.diff.model_dump(mode="json"))
        try:
            plan.bump = check_bump(previous.version, parsed, plan.required)
        except ReleaseError as exc:
            plan.problems.append(str(exc))
    return plan


def write_release_files(
    root: Path, release: AtlasRelease, *, notes: str, diff: TaxonomyDiff | None, required: RequiredBump | None,
    previous: str | None, bump: str | None, atlas_dir: str = ATLAS_DIR,
) -> list[Path]:
    """Write the release file, its card and the changelog entry; returns the paths written."""
    directory = release_dir(root, release.version, atlas_dir)
    if directory.exists():
        raise ReleaseError(f"{directory} exists already")
    written = [write_release(release, directory / RELEASE_FILE)]
    card = directory / CARD_FILE
    card.write_text(render_card(release, tag_name(release.version)), encoding="utf-8")
    changelog = Path(root) / atlas_dir / CHANGELOG_FILE
    changelog.write_text(prepend(changelog, changelog_entry(release, previous, diff, required, bump, notes)), encoding="utf-8")
    return [*written, card, changelog]


def publish(plan: ReleasePlan, *, commit: bool = True, tag: bool = True, track: bool = True) -> Published:
    """Write the planned release; then commit its files, register its tag and log it, as asked."""
    if plan.problems:
        raise ReleaseError(plan.problems[0])
    root = plan.root
    if commit or tag:
        if not gitutil.is_repository(root):
            raise ReleaseError(f"{root} is not a Git repository: release with --no-commit")
        check_clean(root, plan.atlas_dir)
        if tag:
            check_declared(root, plan.atlas_dir)
    previous = str(plan.previous.version) if plan.previous else None
    paths = write_release_files(
        root, plan.release, notes=plan.notes, diff=plan.diff, required=plan.required, previous=previous,
        bump=plan.bump, atlas_dir=plan.atlas_dir,
    )
    result = Published(paths)
    if commit or tag:
        relative = [str(p.relative_to(root)) for p in paths]
        result.commit = gitutil.commit_paths(root, relative, f"Release {ATLAS_NAME} {plan.release.version}")
        if tag:
            result.tag = register_tag(root, plan.release.version, result.commit)
    if track:
        from errormap.atlas.tracking import log_release

        result.run_id = log_release(plan.release, plan.directory, root, result.tag)
    return result


def register_existing(root: Path | str, version: str, ref: str = "HEAD", atlas_dir: str = ATLAS_DIR) -> str:
    """Register the tag of a release already committed (the seed, for example) at `ref`."""
    root = Path(root)
    parsed = parse_version(version)
    commit = gitutil.resolve(root, ref)
    if commit is None:
        raise ReleaseError(f"unknown revision {ref!r}")
    path = release_path_in_repo(parsed, atlas_dir)
    if gitutil.show(root, commit, path) is None:
        raise ReleaseError(f"{path} is not committed at {ref}: commit it first")
    check_declared(root, atlas_dir, commit)
    return register_tag(root, parsed, commit)

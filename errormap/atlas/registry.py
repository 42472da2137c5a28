"""Where releases live and how a release is named: directories under atlas/releases/, GTO tags, `latest`.

A release is found by its directory (`atlas/releases/0.1.0/taxonomy.json`) and by its Git tag in
the GTO convention (`error-atlas@v0.1.0`, created with the `gto` library), so `dvc artifacts get`
fetches a version with no errormap tooling, and a version whose directory is gone from the working
tree is still read from its tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import semver

from errormap.atlas import gitutil
from errormap.atlas.model import ATLAS_NAME, AtlasRelease, ReleaseError, load_release
from errormap.atlas.versions import parse_version

ATLAS_DIR = "atlas"
RELEASES = "releases"
RELEASE_FILE = "taxonomy.json"
CARD_FILE = "card.md"
CHANGELOG_FILE = "CHANGELOG.md"
CACHE_DIR = ".errormap/atlas"


def release_dir(root: Path | str, version: semver.Version | str, atlas_dir: str = ATLAS_DIR) -> Path:
    return Path(root) / atlas_dir / RELEASES / str(version)


def release_path_in_repo(version: semver.Version | str, atlas_dir: str = ATLAS_DIR) -> str:
    return f"{atlas_dir}/{RELEASES}/{version}/{RELEASE_FILE}"


def tag_name(version: semver.Version | str) -> str:
    """The GTO tag of a version, as the gto library names it."""
    from gto.constants import Action
    from gto.tag import name_tag

    return name_tag(Action.REGISTER, ATLAS_NAME, version=f"v{version}", simple=True)


@dataclass
class ReleaseInfo:
    """One known release: its version, where its file is (if in the working tree), its tag and commit (if registered)."""

    version: semver.Version
    path: Path | None = None
    tag: str | None = None
    commit: str | None = None
    root: Path = Path(".")

    @cached_property
    def release(self) -> AtlasRelease:
        return load_release(self.path) if self.path else load_release(materialise(self.root, self.version, self.commit))


def registered_versions(root: Path | str) -> dict[str, tuple[str, str]]:
    """version -> (tag, commit) of every active GTO registration of the atlas; empty outside a git repository."""
    if not gitutil.is_repository(root):
        return {}
    import gto.api

    try:
        shown = gto.api.show(str(root), ATLAS_NAME)
    except Exception:  # gto raises when the artifact was never registered or the repo has no commits
        return {}
    found = {}
    for entry in shown:
        if not entry.get("is_active", True) or not entry.get("registrations"):
            continue
        version = str(entry["version"]).lstrip("v")
        found[version] = (entry["registrations"][-1]["tag"], entry["commit_hexsha"])
    return found


def list_releases(root: Path | str = ".", atlas_dir: str = ATLAS_DIR, tags: bool = True) -> list[ReleaseInfo]:
    """Every release in the working tree or registered as a tag, oldest first."""
    root = Path(root)
    found: dict[str, ReleaseInfo] = {}
    base = root / atlas_dir / RELEASES
    if base.is_dir():
        for directory in base.iterdir():
            if (directory / RELEASE_FILE).is_file():
                try:
                    version = parse_version(directory.name)
                except ReleaseError:
                    continue
                found[str(version)] = ReleaseInfo(version, path=directory / RELEASE_FILE, root=root)
    for version, (tag, commit) in (registered_versions(root) if tags else {}).items():
        try:
            parsed = parse_version(version)
        except ReleaseError:
            continue
        info = found.setdefault(str(parsed), ReleaseInfo(parsed, root=root))
        info.tag, info.commit = tag, commit
    return sorted(found.values(), key=lambda r: r.version)


def materialise(root: Path | str, version: semver.Version | str, commit: str | None) -> Path:
    """A registered release's file read from its tag's commit into .errormap/atlas/<version>/."""
    if commit is None:
        raise ReleaseError(f"release {version} has neither a directory nor a tag")
    content = gitutil.show(root, commit, release_path_in_repo(version))
    if content is None:
        raise ReleaseError(f"tag {tag_name(version)} points to {commit[:12]}, which has no {release_path_in_repo(version)}")
    target = Path(root) / CACHE_DIR / str(version) / RELEASE_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return target


def _version_of(spec: str) -> semver.Version | None:
    text = spec.split("@", 1)[1] if spec.startswith(f"{ATLAS_NAME}@") else spec
    try:
        return parse_version(text)
    except ReleaseError:
        return None


def resolve_release(spec: str, root: Path | str = ".") -> Path:
    """The release file a spec names: a version (0.1.0 or v0.1.0), `latest`, a tag (error-atlas@v0.1.0),
    a release file or directory, or an atlas directory (its newest release)."""
    root = Path(root)
    spec = str(spec).strip()
    for candidate in (Path(spec), root / spec):
        if candidate.is_file():
            return candidate
        if (candidate / RELEASE_FILE).is_file():
            return candidate / RELEASE_FILE
        if (candidate / RELEASES).is_dir():
            newest = list_releases(candidate.parent, candidate.name, tags=False)
            if newest:
                return newest[-1].path  # type: ignore[return-value]
    releases = list_releases(root)
    if spec == "latest":
        if not releases:
            raise ReleaseError(f"no error-atlas release in {root / ATLAS_DIR / RELEASES} and no {ATLAS_NAME} tag")
        info = releases[-1]
    else:
        version = _version_of(spec)
        info = next((r for r in releases if version is not None and r.version == version), None)
        if info is None:
            known = ", ".join(str(r.version) for r in releases) or "none"
            raise ReleaseError(f"unknown error-atlas release {spec!r} (known releases: {known}; or give a path)")
    return info.path if info.path else materialise(root, info.version, info.commit)


def register_tag(root: Path | str, version: semver.Version | str, ref: str = "HEAD", message: str | None = None) -> str:
    """Register `version` at `ref` as a GTO tag (error-atlas@vX.Y.Z) and return the tag name."""
    import gto.api
    from gto.exceptions import GTOException

    try:
        registration = gto.api.register(
            str(root), ATLAS_NAME, ref, version=f"v{version}",
            message=message or f"Release {ATLAS_NAME} {version}",
        )
    except GTOException as exc:
        raise ReleaseError(f"could not register {ATLAS_NAME} v{version} at {ref}: {exc}") from None
    return str(registration.tag)

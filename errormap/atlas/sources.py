"""Reading one taxonomy version from wherever it lives, for `errormap taxonomy diff` and releases.

A spec is tried as: a path (a taxonomy output directory or file, a release directory or file, an
atlas directory); a release (`0.1.0`, `v0.1.0`, `latest`, `error-atlas@v0.1.0`); `REV:PATH`; and
last a Git revision or a `dvc exp` name, at which the pipeline's taxonomy output is read with
`dvc.api` (so DVC-tracked outputs come from the cache).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from errormap import artifacts
from errormap.atlas.gitutil import is_repository
from errormap.atlas.model import ATLAS_FORMAT, AtlasRelease, ReleaseError
from errormap.atlas.registry import resolve_release
from errormap.taxonomy.model import Taxonomy

TAXONOMY_OUTPUT = artifacts.TAXONOMY.path
ASSIGNMENTS_NAME = Path(artifacts.ASSIGNMENTS.path).name


@dataclass
class LoadedTaxonomy:
    """One side of a diff: the tree, its assignments when known, and the release it is (if it is one)."""

    label: str
    taxonomy: Taxonomy
    assignments: pd.DataFrame | None = None
    release: AtlasRelease | None = None


def parse_document(data: dict[str, Any], where: str) -> tuple[Taxonomy, AtlasRelease | None]:
    """A release or a taxonomy document, told apart by its format field."""
    try:
        if data.get("format") == ATLAS_FORMAT:
            release = AtlasRelease.model_validate(data)
            return release.to_taxonomy(), release
        return Taxonomy.model_validate(data), None
    except ValueError as exc:
        raise ReleaseError(f"{where} is neither a taxonomy nor an error-atlas release: {str(exc).splitlines()[0]}") from None


def _from_file(path: Path, label: str) -> LoadedTaxonomy:
    taxonomy, release = parse_document(json.loads(path.read_text(encoding="utf-8")), str(path))
    sibling = path.with_name(ASSIGNMENTS_NAME)
    assignments = pd.read_parquet(sibling) if release is None and sibling.is_file() else None
    return LoadedTaxonomy(label, taxonomy, assignments, release)


def _at_revision(root: Path, rev: str, path: str, label: str) -> LoadedTaxonomy | None:
    """The taxonomy (and its assignments) at a Git revision or experiment, read through DVC."""
    import dvc.api
    from dvc.exceptions import DvcException
    from dvc.scm import SCM, RevError, resolve_rev

    scm = SCM(str(root))
    try:
        commit = resolve_rev(scm, rev)
    except RevError:
        return None
    finally:
        scm.close()
    try:
        text = dvc.api.read(path, repo=str(root), rev=commit, mode="r", encoding="utf-8")
    except (DvcException, FileNotFoundError) as exc:
        raise ReleaseError(f"{path} cannot be read at {rev} ({commit[:12]}): {exc}") from None
    taxonomy, release = parse_document(json.loads(text), f"{path} at {rev}")
    assignments = None
    if release is None:
        sibling = str(Path(path).with_name(ASSIGNMENTS_NAME).as_posix())
        try:
            assignments = pd.read_parquet(io.BytesIO(dvc.api.read(sibling, repo=str(root), rev=commit, mode="rb")))
        except (DvcException, FileNotFoundError, OSError):
            assignments = None
    return LoadedTaxonomy(label, taxonomy, assignments, release)


def load_version(spec: str, root: Path | str = ".") -> LoadedTaxonomy:
    """One taxonomy version named by `spec` (see the module docstring)."""
    root = Path(root)
    spec = str(spec).strip()
    try:
        found = resolve_release(spec, root)  # a taxonomy or release file or directory, an atlas directory, a release
    except ReleaseError as exc:
        release_problem = str(exc)
    else:
        return _from_file(found, spec)
    rev, _, path = spec.partition(":") if ":" in spec and not spec.startswith(("/", ".")) else (spec, "", "")
    loaded = _at_revision(root, rev, path or TAXONOMY_OUTPUT, spec) if is_repository(root) else None
    if loaded is not None:
        return loaded
    raise FileNotFoundError(
        f"{spec!r} not found: not a path, an error-atlas release, a Git revision or a dvc experiment ({release_problem})"
    )

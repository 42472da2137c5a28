"""ErrorAtlas: versioned, fixed taxonomy releases; classifying failures into a release; publishing releases.

The release model and the resolver are imported eagerly (they are light); classification and
publishing, which need the judge, scikit-learn, DVC or MLflow, load on first use.
"""

from __future__ import annotations

from errormap.atlas.model import (
    ATLAS_FORMAT,
    ATLAS_NAME,
    AtlasCategory,
    AtlasRelease,
    BuiltFrom,
    ReleaseError,
    load_release,
    release_from_taxonomy,
    write_release,
)
from errormap.atlas.registry import ATLAS_DIR, list_releases, resolve_release, tag_name
from errormap.lazy import lazy_attributes

_LAZY = {
    "classify_into_release": "errormap.atlas.classify",
    "release_of": "errormap.atlas.classify",
    "plan_release": "errormap.atlas.publish",
    "publish": "errormap.atlas.publish",
    "register_existing": "errormap.atlas.publish",
    "seed_release": "errormap.atlas.seed",
    "load_version": "errormap.atlas.sources",
    "required_bump": "errormap.atlas.versions",
}

__all__ = [
    "ATLAS_DIR", "ATLAS_FORMAT", "ATLAS_NAME", "AtlasCategory", "AtlasRelease", "BuiltFrom", "ReleaseError",
    "list_releases", "load_release", "release_from_taxonomy", "resolve_release", "tag_name", "write_release", *_LAZY,
]


__getattr__ = lazy_attributes(__name__, _LAZY)

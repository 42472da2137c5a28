"""The error taxonomy: the tree model, the recursive builder, applying a taxonomy to new failures, quality.

The tree model is imported eagerly (it is light); the builder and the quality measures, which
need the judge and scikit-learn, load on first use.
"""

from __future__ import annotations

from errormap.lazy import lazy_attributes
from errormap.taxonomy.model import (
    HARD_TO_ANALYZE,
    OTHER,
    ROOT_ID,
    TAXONOMY_FORMAT,
    Taxonomy,
    TaxonomyNode,
    TreeNode,
    assemble,
    coverage,
)

_LAZY = {
    "BuildStats": "errormap.taxonomy.builder",
    "TaxonomyBuilder": "errormap.taxonomy.builder",
    "sanitise_categories": "errormap.taxonomy.builder",
    "short_name": "errormap.taxonomy.builder",
    "taxonomy_metrics": "errormap.taxonomy.builder",
    "apply_taxonomy": "errormap.taxonomy.apply",
    "agreement": "errormap.taxonomy.quality",
    "coverage_report": "errormap.taxonomy.quality",
    "matched_categories": "errormap.taxonomy.quality",
    "stability": "errormap.taxonomy.quality",
}

__all__ = [
    "HARD_TO_ANALYZE", "OTHER", "ROOT_ID", "TAXONOMY_FORMAT", "Taxonomy", "TaxonomyNode", "TreeNode",
    "assemble", "coverage", *_LAZY,
]


__getattr__ = lazy_attributes(__name__, _LAZY)

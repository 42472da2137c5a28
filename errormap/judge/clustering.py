"""Local taxonomy operations: cluster error titles with TF-IDF and agglomerative clustering."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from errormap.judge.base import TitleCount
from errormap.judge.schemas import MAX_NAME_WORDS, CategoryDraft

_MEMBERS_PREFIX = "Covers: "
SIMILARITY_FLOOR = 0.05
FAMILY_WEIGHT = 2.0


def _vectorizer() -> FeatureUnion:
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, lowercase=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True)),
        ]
    )


def _normalised_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length TF-IDF vectors (word and character n-grams) of the texts."""
    matrix = _vectorizer().fit_transform(texts).toarray()
    return _normalised_rows(matrix)


def embed_titles(titles: list[str], families: Mapping[str, str]) -> np.ndarray:
    """Title TF-IDF vectors joined with a one-hot of each title's family, so families stay together."""
    text = embed(titles)
    known = sorted({families[t] for t in titles if t in families})
    if not known:
        return text
    one_hot = np.zeros((len(titles), len(known)))
    for row, title in enumerate(titles):
        if title in families:
            one_hot[row, known.index(families[title])] = FAMILY_WEIGHT
    return _normalised_rows(np.hstack([text, one_hot]))


def describe(title: str, families: Mapping[str, str]) -> str:
    """The text a title is represented by: the title plus its family, when known (weighted twice)."""
    family = families.get(title)
    return f"{title}. {family}. {family}." if family else title


def cluster_titles(
    titles: list[TitleCount], n_clusters: int, families: Mapping[str, str] | None = None
) -> list[list[TitleCount]]:
    """Group titles into at most n_clusters clusters, largest (by failure count) first."""
    if not titles:
        return []
    n_clusters = max(1, min(n_clusters, len(titles)))
    if n_clusters == 1:
        return [list(titles)]
    vectors = embed_titles([t.title for t in titles], families or {})
    labels = AgglomerativeClustering(n_clusters=n_clusters, metric="cosine", linkage="average").fit_predict(vectors)
    groups: dict[int, list[TitleCount]] = defaultdict(list)
    for title, label in zip(titles, labels):
        groups[int(label)].append(title)
    return sorted(groups.values(), key=lambda g: (-sum(t.count for t in g), g[0].title))


def _family_name(members: list[TitleCount], families: Mapping[str, str]) -> str | None:
    weights: Counter[str] = Counter()
    for member in members:
        if member.title in families:
            weights[families[member.title]] += member.count
    if not weights:
        return None
    family, _ = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[0]
    mixed = f"{family} and related"
    return family if len(weights) == 1 or len(mixed.split()) > MAX_NAME_WORDS else mixed


def name_clusters(
    clusters: list[list[TitleCount]], taken: set[str] | None = None, families: Mapping[str, str] | None = None
) -> list[CategoryDraft]:
    """Name each cluster by its members' family, else by its most frequent title; describe it by its members."""
    taken = {n.lower() for n in (taken or set())}
    families = families or {}
    drafts = []
    for cluster in clusters:
        members = sorted(cluster, key=lambda t: (-t.count, t.title))
        family = _family_name(members, families)
        if len(members) == 1:
            name = members[0].title
        elif family is not None and family.lower() not in taken:
            name = family
        else:
            mixed = f"{members[0].title} and related"
            name = mixed if len(mixed.split()) <= MAX_NAME_WORDS else members[0].title
        base, suffix = name, 2
        while name.lower() in taken:
            name, suffix = f"{base} ({suffix})", suffix + 1
        taken.add(name.lower())
        shown = "; ".join(m.title for m in members[:8])
        drafts.append(CategoryDraft(name=name, description=f"{_MEMBERS_PREFIX}{shown}."))
    return drafts


def nearest_categories(
    titles: list[str], categories: list[CategoryDraft], families: Mapping[str, str] | None = None
) -> list[tuple[int, float]]:
    """For each title, the index of the most similar category (name plus description) and the similarity."""
    if not titles or not categories:
        return [(-1, 0.0) for _ in titles]
    documents = [f"{c.name}. {c.description}" for c in categories]
    vectors = embed(documents + [describe(t, families or {}) for t in titles])
    category_vectors, title_vectors = vectors[: len(documents)], vectors[len(documents) :]
    similarity = title_vectors @ category_vectors.T
    best = similarity.argmax(axis=1)
    return [(int(b), float(similarity[i, b])) for i, b in enumerate(best)]


def add_members(category: CategoryDraft, titles: list[str]) -> CategoryDraft:
    """The category with more example titles listed in its description."""
    listed = category.description.removeprefix(_MEMBERS_PREFIX).rstrip(".")
    members = [m for m in listed.split("; ") if m] if category.description.startswith(_MEMBERS_PREFIX) else []
    for title in titles:
        if title not in members and len(members) < 8:
            members.append(title)
    if not category.description.startswith(_MEMBERS_PREFIX):
        return category
    return CategoryDraft(name=category.name, description=f"{_MEMBERS_PREFIX}{'; '.join(members)}.")

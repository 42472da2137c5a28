"""Seeds derived from a base seed and names, so each group, failure or node has its own stable randomness."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def derived_seed(seed: int, *keys: object) -> int:
    """A 64-bit seed from the base seed and keys; adding other keys elsewhere never changes it."""
    text = "\x1f".join(str(part) for part in (seed, *keys))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def rng_for(seed: int, *keys: object) -> np.random.Generator:
    return np.random.default_rng(derived_seed(seed, *keys))


def seeded_order(items: Sequence[T], seed: int, *keys: object) -> list[T]:
    """The items in an order fixed by the seed and keys."""
    return [items[i] for i in rng_for(seed, *keys).permutation(len(items))]

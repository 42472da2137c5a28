"""MLflow-safe metric and parameter keys for any model or dataset name, with the mapping back to the original.

MLflow accepts only letters, digits, `_ - . / :` and spaces in a key, at most 250 characters, and
no key that a path normalisation would change (`a//b`, `./x`). A user's names (`gsm8k (cot)`,
`atlas-7b+cot`) may hold anything: each other character becomes `_`, and a key that then collides
with another gets a numbered suffix. `KeyMap.renamed` is what was changed, kept in the run as
`mlflow_keys.json` so every key can be read back as the name it stands for.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass, field

MAX_KEY_LENGTH = 250
_UNSAFE = re.compile(r"[^\w.\- :/]")
MAPPING_FILE = "mlflow_keys.json"


def _path_safe(key: str) -> bool:
    normal = posixpath.normpath(key)
    return normal == key and normal != "." and not normal.startswith(("..", "/"))


def safe_key(name: str) -> str:
    """`name` with every character MLflow refuses replaced by `_`; shortened with a hash when too long."""
    key = _UNSAFE.sub("_", name)
    if not _path_safe(key):
        key = key.replace("/", "_")
    if key in ("", ".", ".."):
        key = "_" * max(1, len(key))
    if len(key) > MAX_KEY_LENGTH:
        digest = hashlib.sha1(name.encode()).hexdigest()[:10]
        key = f"{key[: MAX_KEY_LENGTH - 11]}_{digest}"
    return key


@dataclass
class KeyMap:
    """Assigns each original name one safe key, the same one every time, and never the same key to two names."""

    keys: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)

    def key(self, name: str) -> str:
        if name in self.keys:
            return self.keys[name]
        base = candidate = safe_key(name)
        number = 1
        while candidate in self.owners and self.owners[candidate] != name:
            number += 1
            suffix = f"_{number}"
            candidate = base[: MAX_KEY_LENGTH - len(suffix)] + suffix
        self.keys[name] = candidate
        self.owners[candidate] = name
        return candidate

    def convert(self, values: dict[str, object]) -> dict[str, object]:
        """The same mapping with safe keys."""
        return {self.key(name): value for name, value in values.items()}

    @property
    def renamed(self) -> dict[str, str]:
        """Safe key -> original name, for the keys that differ from their name."""
        return {key: name for key, name in self.owners.items() if key != name}

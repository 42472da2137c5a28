"""Versioned prompt templates. Static instructions come first, per-case material last (prefix caching)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

PROMPTS_DIR = Path(__file__).parent


def available_versions() -> list[str]:
    return sorted(p.name for p in PROMPTS_DIR.iterdir() if p.is_dir() and not p.name.startswith("_"))


class PromptSet:
    """The templates of one prompt version."""

    def __init__(self, version: str, directory: Path | None = None):
        directory = directory or PROMPTS_DIR / version
        if not directory.is_dir():
            raise ValueError(f"unknown prompt version {version!r}; available: {available_versions()}")
        self.version = version
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, name: str, **context: object) -> str:
        return self._env.get_template(f"{name}.jinja").render(**context).strip()


@lru_cache(maxsize=8)
def prompt_set(version: str) -> PromptSet:
    return PromptSet(version)

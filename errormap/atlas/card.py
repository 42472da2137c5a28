"""The release card (card.md): what a release was built from, how well it covers and holds, how to use and cite it."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jinja2

from errormap.atlas.model import AtlasRelease


def _pct(value: float) -> str:
    return f"{100 * float(value):.1f}%"


def _counts(mapping: dict[str, int]) -> str:
    if not mapping:
        return "—"
    return ", ".join(f"{k} ({v})" for k, v in sorted(mapping.items(), key=lambda item: (-item[1], item[0])))


def _params(mapping: dict[str, object]) -> str:
    return ", ".join(f"`{k}={json.dumps(v)}`" for k, v in sorted(mapping.items())) or "—"


def _dvc(state: dict[str, str]) -> str:
    if not state:
        return "—"
    parts = [f"DVC {state['dvc_version']}"] if "dvc_version" in state else []
    parts += [f"{k} `{v[:12]}`" for k, v in sorted(state.items()) if k != "dvc_version"]
    if len(parts) == 1 and "dvc_version" in state:
        parts.append("no dvc.lock entry for the taxonomy stage")
    return "; ".join(parts)


def _escape(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent), trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )
    return environment.get_template("card.md.jinja")


def render_card(release: AtlasRelease, tag: str) -> str:
    """The card's Markdown."""
    return _template().render(
        r=release, tag=tag, top=release.top_level(), pct=_pct, counts=_counts, params=_params, dvc=_dvc, esc=_escape,
    )

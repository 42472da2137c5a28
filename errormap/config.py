"""Composing the pipeline configuration from conf/ with Hydra, and keeping params.yaml in sync."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

PARAMS_FILE = "params.yaml"
CONF_DIR = "conf"
CONFIG_NAME = "config"
PARAMS_HEADER = (
    "# Generated from conf/ by `errormap config compose`; do not edit by hand.\n"
    "# `dvc exp run -S judge=openai` recomposes it; `dvc repro` reads it as it is.\n"
)


def compose(conf_dir: Path | str = CONF_DIR, overrides: Sequence[str] = (), config_name: str = CONFIG_NAME) -> dict[str, Any]:
    """The resolved configuration Hydra composes from conf/ plus overrides."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from omegaconf import OmegaConf

    with initialize_config_dir(config_dir=str(Path(conf_dir).resolve()), version_base=None):
        config = hydra_compose(config_name=config_name, overrides=list(overrides))
    return OmegaConf.to_container(config, resolve=True)  # type: ignore[return-value]


def dump_params(config: dict[str, Any]) -> str:
    return PARAMS_HEADER + yaml.safe_dump(config, sort_keys=False, default_flow_style=False)


def write_params(config: dict[str, Any], path: Path | str = PARAMS_FILE) -> Path:
    path = Path(path)
    path.write_text(dump_params(config))
    return path


def load_params(path: Path | str = PARAMS_FILE) -> dict[str, Any]:
    """Read params.yaml; a clear error when it is missing or broken."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `errormap config compose` first")
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} must hold a mapping at the top level")
    return loaded

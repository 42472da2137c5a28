"""Composing the pipeline configuration from conf/ with Hydra, and keeping params.yaml in sync."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
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
OVERRIDES_LINE = "# overrides: "  # the Hydra overrides it was composed with, as JSON: every stage recomposes with them
DIGEST_LINE = "# conf digest: "  # the content of conf/ it was composed from: unchanged conf/ needs no recomposition
EXPERIMENT_ENV = ("DVC_EXP_BASELINE_REV", "DVC_EXP_NAME")  # set by `dvc exp run`, which composes params.yaml itself


def compose(conf_dir: Path | str = CONF_DIR, overrides: Sequence[str] = (), config_name: str = CONFIG_NAME) -> dict[str, Any]:
    """The resolved configuration Hydra composes from conf/ plus overrides."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from omegaconf import OmegaConf

    with initialize_config_dir(config_dir=str(Path(conf_dir).resolve()), version_base=None):
        config = hydra_compose(config_name=config_name, overrides=list(overrides))
    return OmegaConf.to_container(config, resolve=True)  # type: ignore[return-value]


def conf_digest(conf_dir: Path | str = CONF_DIR) -> str:
    """A digest of every file under conf/ (names and bytes)."""
    root = Path(conf_dir)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def dump_params(config: dict[str, Any], overrides: Sequence[str] = (), digest: str | None = None) -> str:
    recorded = f"{OVERRIDES_LINE}{json.dumps(list(overrides))}\n" + (f"{DIGEST_LINE}{digest}\n" if digest else "")
    return PARAMS_HEADER + recorded + yaml.safe_dump(config, sort_keys=False, default_flow_style=False)


def write_params(
    config: dict[str, Any], path: Path | str = PARAMS_FILE, overrides: Sequence[str] = (), conf_dir: Path | str | None = None
) -> Path:
    """Write params.yaml with its header: the overrides, and the digest of the conf/ it came from."""
    path = Path(path)
    path.write_text(dump_params(config, overrides, conf_digest(conf_dir) if conf_dir is not None else None))
    return path


def _header(path: Path | str) -> list[str]:
    header = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.startswith("#"):
                break
            header.append(line)
    return header


def recorded_digest(path: Path | str = PARAMS_FILE) -> str | None:
    """The conf/ digest params.yaml's header records, if any."""
    return next((line[len(DIGEST_LINE) :].strip() for line in _header(path) if line.startswith(DIGEST_LINE)), None)


def recorded_overrides(path: Path | str = PARAMS_FILE) -> list[str] | None:
    """The overrides `errormap config compose` wrote into params.yaml's header; None when it did not write the file.

    A params.yaml without the header was composed by `dvc exp run` (with overrides it does not record) or by hand.
    """
    header = _header(path)
    for line in header:
        if line.startswith(OVERRIDES_LINE):
            return [str(o) for o in json.loads(line[len(OVERRIDES_LINE) :])]
    return [] if header and PARAMS_HEADER.startswith(header[0]) else None  # composed before overrides were recorded


def _differences(found: Any, wanted: Any, key: str = "") -> list[str]:
    if isinstance(found, dict) and isinstance(wanted, dict):
        keys = list(dict.fromkeys([*wanted, *found]))
        return [d for k in keys for d in _differences(found.get(k, "(missing)"), wanted.get(k, "(missing)"), f"{key}{k}.")]
    return [] if found == wanted else [f"{key.rstrip('.')}: {found!r} in params.yaml, {wanted!r} from conf/"]


def stale_params(path: Path | str = PARAMS_FILE, conf_dir: Path | str | None = None) -> str | None:
    """Why params.yaml is not what conf/ composes to, or None when it is.

    - Inside `dvc exp run` it is fresh: DVC has just composed it from conf/ with its `-S` overrides.
    - Written by `errormap config compose`: conf/ recomposed with the overrides recorded in its header must equal it.
    - Written by an earlier `dvc exp run`, whose overrides are not recorded: no file of conf/ may be newer than it.
    Not checked where there is no conf/ next to params.yaml.
    """
    path = Path(path)
    conf = Path(conf_dir) if conf_dir is not None else path.resolve().parent / CONF_DIR
    if any(os.environ.get(name) for name in EXPERIMENT_ENV) or not conf.is_dir():
        return None
    overrides = recorded_overrides(path)
    if overrides is None:
        written = path.stat().st_mtime_ns
        newer = sorted(str(f.relative_to(conf.parent)) for f in conf.rglob("*") if f.is_file() and f.stat().st_mtime_ns > written)
        if not newer:
            return None
        shown = f"{', '.join(newer[:3])} changed after {path.name} was written"
        return f"{path.name} is out of date with conf/ ({shown}): run `errormap config compose`, or use `dvc exp run`"
    if recorded_digest(path) == conf_digest(conf):  # conf/ as it was when composed: nothing to recompose
        return None
    differences = _differences(load_params(path), compose(conf, overrides))
    if not differences:
        return None
    shown = "; ".join(differences[:3]) + (f"; and {len(differences) - 3} more" if len(differences) > 3 else "")
    command = shlex.join(["errormap", "config", "compose", *overrides])
    return f"{path.name} is out of date with conf/ ({shown}): run `{command}`, or use `dvc exp run`"


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

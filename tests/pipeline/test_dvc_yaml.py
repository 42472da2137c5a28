"""dvc.yaml agrees with the code: every module a stage imports is a dependency, every artefact path is declared."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from errormap import artifacts
from tests.import_closure import REPO, import_closure

STAGES = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]


def _paths(entries: list) -> list[str]:
    return [next(iter(e)) if isinstance(e, dict) else e for e in entries or []]


def _covered(path: Path, deps: list[str]) -> bool:
    text = path.as_posix()
    return any(text == dep or text.startswith(dep.rstrip("/") + "/") for dep in deps)


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_every_imported_module_is_a_dependency(stage: str) -> None:
    deps = _paths(STAGES[stage]["deps"])
    closure = import_closure(Path("stages") / f"{stage}.py")
    assert closure, "the closure finder found nothing: it is broken"
    missing = sorted(str(p) for p in closure if not _covered(p, deps))
    assert not missing, f"dvc.yaml stage {stage} does not depend on modules it imports: {missing}"


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_outputs_are_the_artefacts_the_stage_writes(stage: str) -> None:
    spec = STAGES[stage]
    declared = set(_paths(spec.get("outs"))) | set(_paths(spec.get("metrics"))) | set(_paths(spec.get("plots")))
    assert declared == set(artifacts.produced_by(stage))


def test_inputs_are_declared_artefacts_of_earlier_stages() -> None:
    known = {a.path: a.stage for a in artifacts.ALL}
    order = list(STAGES)
    for stage, spec in STAGES.items():
        for dep in _paths(spec["deps"]):
            if dep.startswith(("data/prepared", "data/analysis", "data/taxonomy", "data/signatures", "metrics/")):
                assert dep in known, f"{stage} depends on {dep}, which errormap/artifacts.py does not declare"
                assert order.index(known[dep]) < order.index(stage), f"{stage} reads {dep} before it is written"


def test_the_closure_finder_follows_imports_through_packages() -> None:
    closure = {p.as_posix() for p in import_closure(Path("stages") / "signatures.py")}
    assert {"errormap/__init__.py", "errormap/signatures.py", "errormap/taxonomy/model.py"} <= closure
    assert "errormap/judge/client.py" not in closure  # signatures never loads the judge

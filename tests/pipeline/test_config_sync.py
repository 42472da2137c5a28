"""A params.yaml older than conf/ is caught at every stage's start, and `dvc exp run -S` still works (issue 11, item 9)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from errormap.cli import main as cli_main
from errormap.config import compose, recorded_overrides, stale_params, write_params
from tests.conftest import REPO, pipeline_env, run


def project(tmp_path: Path, *overrides: str) -> Path:
    """conf/ and a params.yaml composed from it with `overrides`, as `errormap config compose` writes it."""
    shutil.copytree(REPO / "conf", tmp_path / "conf")
    shutil.copytree(REPO / "data" / "demo", tmp_path / "data" / "demo")
    assert cli_main(["config", "compose", *overrides, "--conf-dir", str(tmp_path / "conf"),
                     "--output", str(tmp_path / "params.yaml")]) == 0
    return tmp_path / "params.yaml"


def edit_conf(root: Path) -> None:
    demo = root / "conf" / "data" / "demo.yaml"
    demo.write_text(demo.read_text().replace("mean_ratio: 0.7", "mean_ratio: 0.6"))


@pytest.fixture(autouse=True)
def _not_in_an_experiment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DVC_EXP_NAME", raising=False)
    monkeypatch.delenv("DVC_EXP_BASELINE_REV", raising=False)


def test_a_fresh_composition_is_in_sync_and_an_edit_of_conf_is_not(tmp_path: Path) -> None:
    params = project(tmp_path)
    assert stale_params(params) is None
    edit_conf(tmp_path)
    message = stale_params(params)
    assert message is not None
    assert "data.success_threshold.mean_ratio: 0.7 in params.yaml, 0.6 from conf/" in message
    assert "run `errormap config compose`, or use `dvc exp run`" in message


def test_overrides_are_recorded_and_used_for_the_check(tmp_path: Path) -> None:
    params = project(tmp_path, "judge=openai", "judge.model=some model")
    assert recorded_overrides(params) == ["judge=openai", "judge.model=some model"]
    assert stale_params(params) is None
    edit_conf(tmp_path)
    assert "run `errormap config compose judge=openai 'judge.model=some model'`" in stale_params(params)


def test_a_hand_edited_params_yaml_is_out_of_date(tmp_path: Path) -> None:
    params = project(tmp_path)
    config = compose(tmp_path / "conf")
    config["sampling"]["ratio"] = 0.5
    write_params(config, params)
    assert "sampling.ratio: 0.5 in params.yaml, 1.0 from conf/" in stale_params(params)


def test_inside_dvc_exp_run_params_yaml_is_dvc_s_own_composition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    params = project(tmp_path)
    edit_conf(tmp_path)
    monkeypatch.setenv("DVC_EXP_NAME", "exp-1")  # what `dvc exp run` sets for the stages it runs
    assert stale_params(params) is None


def test_every_stage_stops_on_a_stale_params_yaml_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import runpy

    from errormap import stage as stage_module
    from errormap.tracking import MemoryTracker

    project(tmp_path)
    edit_conf(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(stage_module, "default_tracker", lambda *args, **kwargs: MemoryTracker())
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(REPO / "stages" / "prepare.py"), run_name="__main__")
    err = capsys.readouterr().err
    assert stopped.value.code == 1 and len(err.strip().splitlines()) <= 3  # one message (wrapped by the console)
    assert "params.yaml is out of date with conf/" in " ".join(err.split())
    assert not (tmp_path / "data" / "prepared").exists()


def test_a_params_yaml_composed_by_dvc_is_stale_only_once_conf_changes_after_it(tmp_path: Path) -> None:
    """`dvc exp run -S` writes params.yaml without errormap's header and without its overrides."""
    import os

    from omegaconf import OmegaConf

    project(tmp_path)
    params = tmp_path / "params.yaml"
    params.write_text(OmegaConf.to_yaml(compose(tmp_path / "conf", ["sampling.ratio=0.5"])))  # as DVC writes it
    assert recorded_overrides(params) is None and stale_params(params) is None
    demo = tmp_path / "conf" / "data" / "demo.yaml"
    later = params.stat().st_mtime_ns + 1_000_000_000
    os.utime(demo, ns=(later, later))
    assert "conf/data/demo.yaml changed after params.yaml was written" in stale_params(params)


@pytest.mark.slow
def test_dvc_sees_an_edited_conf_and_exp_run_still_works(repo_copy: Path) -> None:
    """`dvc repro` used to say 'up to date' with the old params.yaml after conf/ was edited."""
    env = pipeline_env({"ERRORMAP_TRACKING": "off"})

    def repro_fails() -> str:
        result = subprocess.run(["dvc", "repro", "-f", "prepare"], cwd=repo_copy, env=env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode != 0
        return " ".join((result.stdout + result.stderr).split())

    run(["dvc", "repro", "prepare"], repo_copy, env)
    edit_conf(repo_copy)
    status = run(["dvc", "status", "prepare"], repo_copy, env)
    assert "modified:" in status.stdout and "conf" in status.stdout
    assert "params.yaml is out of date with conf/ (data.success_threshold.mean_ratio" in repro_fails()
    run(["dvc", "exp", "run", "prepare", "-S", "sampling.ratio=0.5"], repo_copy, env)  # DVC composes params.yaml
    run(["dvc", "repro", "-f", "prepare"], repo_copy, env)  # its composition, conf/ unchanged since: in sync
    edit_conf(repo_copy)
    demo = repo_copy / "conf" / "data" / "demo.yaml"
    demo.write_text(demo.read_text().replace("mean_ratio: 0.6", "mean_ratio: 0.65"))
    assert "conf/data/demo.yaml changed after params.yaml was written" in repro_fails()
    run(["errormap", "config", "compose"], repo_copy, env)
    run(["dvc", "repro", "prepare"], repo_copy, env)


def test_an_unchanged_conf_is_checked_without_recomposing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The conf/ digest in params.yaml's header spares every stage a Hydra composition (about half a second)."""
    import shutil

    from errormap import config

    shutil.copytree(REPO / "conf", tmp_path / "conf")
    assert cli_main(["config", "compose", "--conf-dir", str(tmp_path / "conf"), "--output", str(tmp_path / "params.yaml")]) == 0
    calls = []
    real_compose = config.compose
    monkeypatch.setattr(config, "compose", lambda *a, **k: calls.append(a) or real_compose(*a, **k))
    assert config.stale_params(tmp_path / "params.yaml") is None and calls == []
    edited = tmp_path / "conf" / "config.yaml"
    edited.write_text(edited.read_text().replace("seed: 13", "seed: 14"))
    assert "seed: 13 in params.yaml, 14 from conf/" in config.stale_params(tmp_path / "params.yaml")
    assert len(calls) == 1

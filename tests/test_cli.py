"""The `errormap` command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from errormap.cli import main
from tests.conftest import REPO


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo-data", "config", "validate", "taxonomy"):
        assert command in out


def test_committed_demo_data_is_what_demo_data_generates(tmp_path: Path) -> None:
    assert main(["demo-data", str(tmp_path)]) == 0
    generated = sorted(p.name for p in tmp_path.iterdir())
    assert generated == sorted(p.name for p in (REPO / "data/demo").iterdir())
    for name in generated:
        assert (tmp_path / name).read_bytes() == (REPO / "data/demo" / name).read_bytes(), name


def test_config_compose_check_detects_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "params.yaml"
    assert main(["config", "compose", "--conf-dir", str(REPO / "conf"), "--output", str(target)]) == 0
    assert main(["config", "compose", "--check", "--conf-dir", str(REPO / "conf"), "--output", str(target)]) == 0
    assert main(["config", "compose", "judge=openai", "--conf-dir", str(REPO / "conf"), "--output", str(target)]) == 0
    assert main(["config", "compose", "--check", "--conf-dir", str(REPO / "conf"), "--output", str(target)]) == 1
    assert "out of date" in capsys.readouterr().err


def test_validate_reports_located_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "r.csv").write_text("example_id,model,input_text,output_text,score\ne1,m,x,y,oops\n")
    assert main(["validate", str(tmp_path)]) == 1
    assert "r.csv, row 2, column 'score'" in capsys.readouterr().err
    assert main(["validate", str(REPO / "data/demo")]) == 0
    assert "900 rows" in capsys.readouterr().out


def test_taxonomy_commands_on_missing_files_fail_readably(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "errormap.cli", "taxonomy", "compare", str(tmp_path / "a"), str(tmp_path / "b")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1 and "not found" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [("judge=nonexistent", "Could not find 'judge/nonexistent'"), ("judge.base_url=http://a/b?x=1", "mismatched input")],
)
def test_config_compose_reports_bad_overrides_in_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], override: str, message: str
) -> None:
    output = tmp_path / "params.yaml"
    code = main(["config", "compose", "--conf-dir", str(REPO / "conf"), "--output", str(output), override])
    error = capsys.readouterr().err
    assert code == 1 and error.startswith("errormap config: ") and message in error
    assert "Traceback" not in error and not output.exists()


def test_config_compose_refuses_a_typo_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`judge.max_concurency` used to be dropped without a word; now it stops composition, naming the key."""
    target = tmp_path / "params.yaml"
    code = main(["config", "compose", "judge=openai", "+judge.max_concurency=8", "--conf-dir", str(REPO / "conf"),
                 "--output", str(target)])
    assert code == 1 and not target.exists()
    assert "judge.max_concurency: unknown key" in capsys.readouterr().err


def test_config_compose_refuses_a_bad_value_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "params.yaml"
    code = main(["config", "compose", "sampling.ratio=1.5", "--conf-dir", str(REPO / "conf"), "--output", str(target)])
    assert code == 1 and not target.exists()
    assert "sampling.ratio: Input should be less than or equal to 1 (got 1.5)" in capsys.readouterr().err


def test_every_judge_option_composes_into_valid_settings() -> None:
    from errormap.config import compose
    from errormap.settings import validate

    for option in sorted(p.stem for p in (REPO / "conf" / "judge").glob("*.yaml")):
        settings = validate(compose(REPO / "conf", [f"judge={option}"]))
        assert settings.judge.kind in ("offline", "openai"), option

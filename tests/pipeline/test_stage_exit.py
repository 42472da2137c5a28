"""`errormap.stage.run`: a stage that succeeds as its own process skips module teardown, and nothing else changes."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

from errormap.stage import run

SCRIPT = """
import atexit, sys
from pathlib import Path
from errormap.stage import run

out = Path(sys.argv[1])

def main():
    atexit.register(lambda: (out / "exit-handler").write_text("ran"))
    print("printed, not yet flushed", end="")
    (out / "output").write_text("written")
    if len(sys.argv) > 2:
        raise SystemExit(int(sys.argv[2]))

class Finalised:
    def __del__(self):  # runs only when the interpreter tears the module down
        (out / "teardown").write_text("ran")

keep = Finalised()

if __name__ == "__main__":
    run(main)
"""


def run_script(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "stage.py"
    script.write_text(SCRIPT)
    return subprocess.run([sys.executable, str(script), str(tmp_path), *args], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=60)


def test_a_successful_stage_runs_exit_handlers_flushes_and_skips_teardown(tmp_path: Path) -> None:
    done = run_script(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "printed, not yet flushed"
    assert (tmp_path / "output").read_text() == "written"
    assert (tmp_path / "exit-handler").read_text() == "ran"
    assert not (tmp_path / "teardown").exists()


def test_a_failing_stage_exits_as_usual(tmp_path: Path) -> None:
    done = run_script(tmp_path, "3")
    assert done.returncode == 3
    assert (tmp_path / "exit-handler").read_text() == "ran"
    assert (tmp_path / "teardown").exists()


def test_in_process_it_only_calls_main() -> None:
    calls = []
    run(lambda: calls.append("main"))  # pytest's own process: must return, not exit
    assert calls == ["main"]


def test_run_by_runpy_in_this_process_it_returns(tmp_path: Path) -> None:
    script = tmp_path / "stage.py"
    script.write_text(SCRIPT)
    argv = sys.argv[:]
    try:
        sys.argv = [str(script), str(tmp_path)]
        runpy.run_path(str(script), run_name="__main__")  # sets sys.argv[0] to the script, as the stage runner does
    finally:
        sys.argv = argv
    assert (tmp_path / "output").read_text() == "written"


def test_under_a_profiler_the_process_ends_as_usual(tmp_path: Path) -> None:
    script = tmp_path / "stage.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, "-m", "cProfile", str(script), str(tmp_path)], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert done.returncode == 0 and "function calls" in done.stdout  # the profile is printed after main returns

"""Publishing error-atlas releases: versions and bumps, every refusal, the card, GTO tags, `dvc artifacts get`, MLflow."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from errormap.atlas import ReleaseError, list_releases, load_release, resolve_release
from errormap.atlas.card import render_card
from errormap.atlas.publish import plan_release, publish
from errormap.atlas.seed import seed_release, write_seed
from errormap.atlas.versions import RequiredBump, bump_between, check_bump, parse_version, required_bump
from errormap.cli import main
from tests.taxonomy.test_taxonomy_diff import build, errors_for, git, write_output

REPO = Path(__file__).resolve().parents[2]
ERRORS = errors_for(40)
INDUCED = [
    ("Calculation errors", "Numbers computed wrongly.", list(range(0, 12)), [
        ("Arithmetic slips", "A calculation step is wrong.", list(range(0, 7)), []),
        ("Rounding slips", "Rounded at the wrong precision.", list(range(7, 12)), []),
    ]),
    ("Format errors", "The answer is not in the requested form.", list(range(12, 22)), []),
    ("Refusals", "The model declines to answer.", list(range(22, 30)), []),
    ("Truncated outputs", "The output stops before the end.", list(range(30, 36)), []),
]


def dvc_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("DVC_", "MLFLOW_"))} | {"ERRORMAP_TRACKING": "off"}


@pytest.fixture
def atlas_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DVC repository declaring the project's error-atlas artifact, with the seed release committed."""
    monkeypatch.setenv("ERRORMAP_TRACKING", "off")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "t")
    git(repo, "config", "user.email", "t@errormap.invalid")
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=repo, check=True, env=dvc_env())
    declared = yaml.safe_load((REPO / "dvc.yaml").read_text())["artifacts"]
    (repo / "dvc.yaml").write_text(yaml.safe_dump({"artifacts": declared}))
    (repo / ".gitignore").write_text("/data\n/metrics\n/.errormap\n")
    write_seed(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "seed release")
    return repo


def induce(repo: Path, spec=INDUCED) -> Path:
    return write_output(repo / "data" / "taxonomy", *build(spec, ERRORS))


# --- versions and bump rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1.2", "v1.x", "1.0.0-rc.1", "one", "1.0.0+build", ""])
def test_invalid_versions_are_refused(text: str) -> None:
    with pytest.raises(ReleaseError, match="invalid version"):
        parse_version(text)


def test_bump_between_versions() -> None:
    v = parse_version
    assert bump_between(v("0.1.0"), v("v1.0.0")) == "major"
    assert bump_between(v("1.0.0"), v("1.1.0")) == "minor"
    assert bump_between(v("1.1.0"), v("1.1.1")) == "patch"
    with pytest.raises(ReleaseError, match="not newer than the latest release 1.1.0"):
        bump_between(v("1.1.0"), v("1.0.5"))
    with pytest.raises(ReleaseError, match=r"skips versions after 1.1.0: the next release is one of 1.1.1, 1.2.0, 2.0.0"):
        bump_between(v("1.1.0"), v("1.3.0"))


def test_a_major_change_is_a_minor_bump_before_1_0_0() -> None:
    v = parse_version
    major = RequiredBump("major", [("major", "top level: 'A' removed")])
    assert check_bump(v("0.1.0"), v("0.2.0"), major) == "minor"
    assert check_bump(v("0.1.0"), v("1.0.0"), major) == "major"
    with pytest.raises(ReleaseError, match=r"needs a major bump \(top level: 'A' removed\): release 0.2.0 instead"):
        check_bump(v("0.1.0"), v("0.1.1"), major)
    with pytest.raises(ReleaseError, match=r"1.1.0 is a minor bump .* release 2.0.0 instead$"):
        check_bump(v("1.0.0"), v("1.1.0"), major)
    assert check_bump(v("1.0.0"), v("1.0.1"), RequiredBump("patch")) == "patch"


def change(kind: str, summary: str, meaning_changed: bool = False) -> dict:
    return {"kind": kind, "summary": summary, "meaning_changed": meaning_changed}


STRUCTURAL = ("added", "removed", "split", "merged", "regrouped")


@pytest.mark.parametrize(
    ("levels", "bump"),
    [
        ([{"depth": 1, "changes": [change("matched", "kept")]}], "patch"),
        ([{"depth": 1, "changes": [change("reworded", "'A' reworded"), change("renamed", "'B' renamed to 'C'")]}], "patch"),
        ([{"depth": 1, "changes": [change("renamed", "'B' renamed to 'C': what it holds changed", True)]}], "major"),
        ([{"depth": 1, "changes": []}, {"depth": 2, "changes": [change("added", "'X' added")]}], "minor"),
        ([{"depth": 2, "changes": [change("merged", "'X', 'Y' merged")]}, {"depth": 3, "changes": [change("split", "s")]}], "minor"),
        *[([{"depth": 1, "changes": [change(kind, f"'A' {kind}")]}], "major") for kind in STRUCTURAL],
    ],
)
def test_required_bump_follows_the_rules(levels: list, bump: str) -> None:
    needed = required_bump({"levels": levels})
    assert needed.bump == bump
    changed = [c for level in levels for c in level["changes"] if c["kind"] != "matched"]
    assert bool(needed.reasons) == bool(changed)
    if changed:
        assert needed.reasons[0][0] == bump and needed.reasons[0][1].startswith(("top level: ", "level "))


# --- the seed ------------------------------------------------------------------------------------------


def test_seed_release_is_committed_as_defined() -> None:
    directory = REPO / "atlas" / "releases" / "0.1.0"
    seed = seed_release()
    assert load_release(directory) == seed
    assert (directory / "card.md").read_text() == render_card(seed, "error-atlas@v0.1.0")
    assert [c.name for c in seed.top_level()] == [
        "Missing Required Element", "Specification Misinterpretation", "Logical Reasoning Error",
        "Incorrect Identification", "Computation Error", "Formatting Violation", "Factual Knowledge Error",
        "Incomplete Reasoning", "Counting Error", "Refusal", "Truncated or Degenerate Output",
        "Invalid Reference or Dataset Noise",
    ]
    assert all(c.description and len(c.examples) >= 2 for c in seed.categories)
    card = (directory / "card.md").read_text()
    assert "**Seed release.**" in card and "meant to be replaced by releases induced" in card
    assert "## 0.1.0 — 2026-12-01 (seed)" in (REPO / "atlas" / "CHANGELOG.md").read_text()
    assert resolve_release("0.1.0", REPO) == directory / "taxonomy.json"


# --- the card ------------------------------------------------------------------------------------------


def test_card_says_what_the_release_was_built_from(atlas_repo: Path) -> None:
    induce(atlas_repo)
    metrics = atlas_repo / "metrics"
    metrics.mkdir()
    (metrics / "taxonomy.json").write_text(json.dumps({"coverage": 0.9, "other_share": 0.1, "hard_share": 0.0}))
    (metrics / "stability.json").write_text(json.dumps({
        "adjusted_rand_index": 0.8125, "normalized_mutual_info": 0.9, "matched_precision": 0.75, "matched_recall": 1.0,
        "seeds": [1, 2, 3],
    }))
    (atlas_repo / "dvc.lock").write_text(yaml.safe_dump({"schema": "2.0", "stages": {"taxonomy": {
        "deps": [{"path": "data/analysis/diagnoses.parquet", "md5": "d" * 32}],
        "outs": [{"path": "data/taxonomy/taxonomy.json", "md5": "a" * 32}],
    }}}))
    plan = plan_release("1.0.0", atlas_repo, date="2026-12-24")
    card = render_card(plan.release, plan.tag)
    head = git(atlas_repo, "rev-parse", "HEAD").strip()
    for expected in [
        "# error-atlas 1.0.0", "| Version | 1.0.0 (Git tag `error-atlas@v1.0.0`) |", "| Date | 2026-12-24 |",
        "| Failures | 40 |", "| Datasets | d (40) |", "| Models | m1 (20), m2 (20) |", "| Judge | `test` |",
        "| Prompt version | `v1` |", f"| Git revision | `{head[:12]}` |", "dep:data/analysis/diagnoses.parquet `dddddddddddd`",
        "out:data/taxonomy/taxonomy.json `aaaaaaaaaaaa`", "90.0% fall in a named top-level", "10.0% in Other",
        "rebuilt with 3 seeds", "| 0.812 | 0.900 | 0.750 | 1.000 |", "| 1.1 | › Arithmetic slips | 17.5% |",
        "dvc artifacts get <repository URL> error-atlas --rev v1.0.0", "dvc exp run -S taxonomy.mode=atlas -S taxonomy.atlas=1.0.0",
        "errormap taxonomy diff 1.0.0 data/taxonomy", "eprint        = {2601.15812}",
    ]:
        assert expected in card, expected
    assert "Seed release" not in card
    assert plan.release.built_from.source.endswith("data/taxonomy") and plan.release.coverage["coverage"] == 0.9


# --- refusals ------------------------------------------------------------------------------------------


def test_every_refusal(atlas_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ReleaseError, match="not found: run `dvc repro taxonomy` first"):
        plan_release("1.0.0", atlas_repo)
    induce(atlas_repo)
    with pytest.raises(ReleaseError, match="invalid version '1.2'"):
        plan_release("1.2", atlas_repo)
    with pytest.raises(ReleaseError, match=r"release 0.1.0 exists already"):
        plan_release("v0.1.0", atlas_repo)
    with pytest.raises(ReleaseError, match="not newer than the latest release 0.1.0"):
        plan_release("0.0.9", atlas_repo)
    with pytest.raises(ReleaseError, match="skips versions after 0.1.0"):
        plan_release("0.3.0", atlas_repo)
    too_small = plan_release("0.1.1", atlas_repo)
    (problem,) = too_small.problems
    assert "0.1.1 is a patch bump from 0.1.0, but the taxonomy changed in a way that needs a major bump" in problem
    assert "top level: " in problem
    assert problem.endswith("release 0.2.0 instead (before 1.0.0 a minor bump carries a major change)")
    with pytest.raises(ReleaseError, match="needs a major bump"):
        publish(too_small)

    status_before = git(atlas_repo, "status", "--porcelain")
    assert main(["atlas", "release", "0.1.1", "--dry-run", "--root", str(atlas_repo)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("## 0.1.1 — ") and "required bump: major" in out and "dry run: nothing written" in out
    assert "### Taxonomy diff: `0.1.0` → `0.1.1`" in out and "refused: 0.1.1 is a patch bump" in err
    assert main(["atlas", "release", "0.2.0", "--dry-run", "--root", str(atlas_repo)]) == 0
    assert "required bump: major" in capsys.readouterr().out
    assert git(atlas_repo, "status", "--porcelain") == status_before
    assert not (atlas_repo / "atlas" / "releases" / "0.2.0").exists()

    (atlas_repo / "atlas" / "scratch.md").write_text("not committed\n")
    assert main(["atlas", "release", "0.2.0", "--root", str(atlas_repo)]) == 1
    assert "uncommitted changes in atlas/ (atlas/scratch.md)" in capsys.readouterr().err
    (atlas_repo / "atlas" / "scratch.md").unlink()

    declared = atlas_repo / "dvc.yaml"
    declared.write_text("artifacts: {}\n")
    git(atlas_repo, "commit", "-qam", "forget the artifact")
    with pytest.raises(ReleaseError, match="does not declare the artifact error-atlas with path atlas"):
        publish(plan_release("0.2.0", atlas_repo))
    assert not (atlas_repo / "atlas" / "releases" / "0.2.0").exists()


def test_minor_and_patch_releases_follow_the_diff(atlas_repo: Path) -> None:
    induce(atlas_repo)
    publish(plan_release("1.0.0", atlas_repo), tag=False, track=False)
    reworded = [("Calculation mistakes" if n == "Calculation errors" else n, d, m, c) for n, d, m, c in INDUCED]
    induce(atlas_repo, reworded)
    patch = plan_release("1.0.1", atlas_repo)
    assert not patch.problems and patch.required is not None and patch.required.bump == "patch"
    assert "'Calculation errors' renamed to 'Calculation mistakes'" in patch.required.why()
    publish(patch, tag=False, track=False)
    deeper = [(n, d, m, c) for n, d, m, c in reworded]
    deeper[1] = ("Format errors", "The answer is not in the requested form.", list(range(12, 22)), [
        ("Option letter problems", "Option text instead of its letter.", list(range(12, 17)), []),
        ("Number format problems", "A number written in words.", list(range(17, 22)), []),
    ])
    induce(atlas_repo, deeper)
    refused = plan_release("1.0.2", atlas_repo)
    assert refused.problems and "needs a minor bump (level 2: 'Option letter problems' added; level 2: 'Number format problems' added)" in refused.problems[0]
    assert refused.problems[0].endswith("release 1.1.0 instead")
    assert not plan_release("1.1.0", atlas_repo).problems
    assert not plan_release("2.0.0", atlas_repo).problems  # a larger bump than needed is allowed
    induce(atlas_repo, reworded[:3])  # a top-level category gone: after 1.0.0 that needs the major
    assert plan_release("1.1.0", atlas_repo).problems[0].endswith(
        "needs a major bump (top level: 'Truncated outputs' removed): release 2.0.0 instead"
    )
    assert [str(r.version) for r in list_releases(atlas_repo)] == ["0.1.0", "1.0.0", "1.0.1"]
    changelog = (atlas_repo / "atlas" / "CHANGELOG.md").read_text()
    assert changelog.index("## 1.0.1") < changelog.index("## 1.0.0") < changelog.index("## 0.1.0")
    assert "Changes since 1.0.0: patch bump required" in changelog


# --- registration and fetching -------------------------------------------------------------------------


def test_release_is_a_gto_tag_that_dvc_artifacts_get_fetches(atlas_repo: Path, tmp_path: Path, capsys) -> None:
    assert main(["atlas", "register", "0.1.0", "--root", str(atlas_repo)]) == 0
    assert "registered error-atlas@v0.1.0" in capsys.readouterr().out
    induce(atlas_repo)
    notes = tmp_path / "notes.md"
    notes.write_text("First release induced from the test failures.\n")
    assert main(["atlas", "release", "0.2.0", "--root", str(atlas_repo), "--notes", str(notes)]) == 0
    out = capsys.readouterr().out
    assert "registered error-atlas@v0.2.0" in out
    assert git(atlas_repo, "tag", "-l").split() == ["error-atlas@v0.1.0", "error-atlas@v0.2.0"]
    committed = git(atlas_repo, "show", "--name-only", "--format=%s", "error-atlas@v0.2.0^{commit}").split("\n")
    assert committed[0] == "Release error-atlas 0.2.0"
    assert sorted(filter(None, committed[1:])) == [
        "atlas/CHANGELOG.md", "atlas/releases/0.2.0/card.md", "atlas/releases/0.2.0/taxonomy.json",
    ]
    changelog = (atlas_repo / "atlas" / "CHANGELOG.md").read_text()
    assert "(minor)\n\nFirst release induced from the test failures." in changelog
    assert "Changes since 0.1.0: major bump required (top level: " in changelog

    for version, expected in (("v0.2.0", ["0.1.0", "0.2.0"]), ("v0.1.0", ["0.1.0"])):
        target = tmp_path / f"fetched-{version}"
        result = subprocess.run(
            [sys.executable, "-m", "dvc", "artifacts", "get", str(atlas_repo), "error-atlas", "--rev", version, "-o", str(target)],
            capture_output=True, text=True, env=dvc_env(), cwd=tmp_path, timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in (target / "releases").iterdir()) == expected
        fetched = target / "releases" / expected[-1] / "taxonomy.json"
        assert fetched.read_bytes() == (atlas_repo / "atlas" / "releases" / expected[-1] / "taxonomy.json").read_bytes()
        assert resolve_release(str(target)) == fetched  # an atlas directory resolves to its newest release

    import dvc.api

    shown = dvc.api.artifacts_show("error-atlas", version="v0.2.0", repo=str(atlas_repo))
    assert shown == {"rev": git(atlas_repo, "rev-parse", "error-atlas@v0.2.0^{commit}").strip(), "path": "atlas"}

    assert main(["atlas", "list", "--json", "--root", str(atlas_repo)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["version"], r["tag"], r["latest"], r["kind"]) for r in rows] == [
        ("0.1.0", "error-atlas@v0.1.0", False, "seed"), ("0.2.0", "error-atlas@v0.2.0", True, "induced"),
    ]
    assert rows[1]["failures"] == 40 and rows[1]["top_level"] == 4 and rows[1]["categories"] == 6

    release_file = atlas_repo / "atlas" / "releases" / "0.2.0" / "taxonomy.json"
    assert resolve_release("latest", atlas_repo) == release_file
    assert resolve_release("error-atlas@v0.1.0", atlas_repo) == atlas_repo / "atlas/releases/0.1.0/taxonomy.json"
    content = release_file.read_bytes()
    shutil.rmtree(release_file.parent)  # gone from the working tree: read from its tag
    fetched = resolve_release("v0.2.0", atlas_repo)
    assert fetched == atlas_repo / ".errormap" / "atlas" / "0.2.0" / "taxonomy.json" and fetched.read_bytes() == content
    with pytest.raises(ReleaseError, match=r"unknown error-atlas release '2.0.0' \(known releases: 0.1.0, 0.2.0"):
        resolve_release("2.0.0", atlas_repo)


@pytest.mark.slow
def test_release_is_logged_to_mlflow_unless_tracking_is_off(atlas_repo: Path, tmp_path: Path, monkeypatch) -> None:
    import mlflow

    from errormap.atlas.tracking import log_release

    seed = load_release(atlas_repo / "atlas" / "releases" / "0.1.0")
    directory = atlas_repo / "atlas" / "releases" / "0.1.0"
    assert log_release(seed, directory, atlas_repo, "error-atlas@v0.1.0") is None  # ERRORMAP_TRACKING=off
    monkeypatch.delenv("ERRORMAP_TRACKING")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    run_id = log_release(seed, directory, atlas_repo, "error-atlas@v0.1.0")
    assert run_id is not None
    client = mlflow.MlflowClient(uri)
    run = client.get_run(run_id)
    assert run.info.run_name == "error-atlas 0.1.0" and run.info.status == "FINISHED"
    assert run.data.tags["errormap.kind"] == "atlas-release" and run.data.tags["atlas.version"] == "0.1.0"
    assert run.data.tags["atlas.tag"] == "error-atlas@v0.1.0" and run.data.metrics["top_level_categories"] == 12
    artifacts = {a.path for a in client.list_artifacts(run_id, "error-atlas-0.1.0")}
    assert artifacts == {"error-atlas-0.1.0/card.md", "error-atlas-0.1.0/taxonomy.json"}
    (atlas_repo / "params.yaml").write_text("tracking:\n  enabled: false\n  experiment: errormap\n")
    assert log_release(seed, directory, atlas_repo, None) is None

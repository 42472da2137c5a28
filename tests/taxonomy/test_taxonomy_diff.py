"""`errormap taxonomy diff`: matching by members and by text, each kind of change, agreement, moved failures, sources."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from errormap.atlas.versions import required_bump
from errormap.cli import main
from errormap.taxonomy.diff import TaxonomyDiff, diff_markdown, diff_taxonomies
from errormap.taxonomy.model import ROOT_ID, Taxonomy, TreeNode, assemble

# (name, description, failure numbers, children)
Spec = list[tuple[str, str, list[int], list]]


def errors_for(count: int) -> pd.DataFrame:
    return pd.DataFrame({
        "failure_id": [f"f{i:03d}" for i in range(count)], "dataset": "d",
        "example_id": [f"e{i}" for i in range(count)], "model": ["m1", "m2"] * (count // 2) + ["m1"] * (count % 2),
        "status": "ok", "error_title": [f"title {i}" for i in range(count)],
    })


def build(spec: Spec, errors: pd.DataFrame, other: list[int] = ()) -> tuple[Taxonomy, pd.DataFrame]:
    """A taxonomy holding exactly the given failures per category (the rest of `errors` in Other)."""
    ids = list(errors["failure_id"])
    nodes = [TreeNode(ROOT_ID, "All failures", "Every analysed failure.", 0, None, "root", ids)]

    def add(items: Spec, parent: str, depth: int) -> list[int]:
        used: list[int] = []
        for number, (name, description, members, children) in enumerate(items, start=1):
            node_id = str(number) if parent == ROOT_ID else f"{parent}.{number}"
            nodes.append(TreeNode(node_id, name, description, depth, parent, "category", [ids[i] for i in members]))
            used += members
            add(children, node_id, depth + 1)
        return used

    placed = set(add(spec, ROOT_ID, 1))
    rest = [ids[i] for i in range(len(ids)) if i not in placed]
    if rest:
        nodes.append(TreeNode("other", "Other", "Fits no category.", 1, ROOT_ID, "other", rest))
    return assemble(nodes, errors, "test", "v1", {})


ERRORS = errors_for(50)
BEFORE: Spec = [
    ("Calculation errors", "Numbers computed wrongly.", list(range(0, 10)), []),
    ("Format errors", "Answer not in the requested form.", list(range(10, 20)), []),
    ("Refusals", "The model declines to answer.", list(range(20, 30)), []),
    ("Truncated outputs", "The output stops before the end.", list(range(30, 40)), []),
    ("Knowledge errors", "A recalled fact is wrong.", list(range(45, 50)), []),
]
AFTER: Spec = [
    ("Arithmetic slips", "A calculation step is wrong.", list(range(0, 5)), []),
    ("Rounding slips", "Rounded at the wrong precision.", list(range(5, 10)), []),
    ("Answer format problems", "Answer not in the requested form.", list(range(10, 18)), []),
    ("Non-answers", "No usable answer: a refusal or a cut-off output.", list(range(18, 40)), []),
    ("Counting errors", "Items counted wrongly.", list(range(40, 45)), []),
]


def kinds(diff: TaxonomyDiff, depth: int = 1) -> dict[str, list]:
    found: dict[str, list] = {}
    for change in diff.levels[depth - 1].changes:
        found.setdefault(change.kind, []).append(change)
    return found


def test_member_diff_detects_each_kind_of_change_with_scores() -> None:
    a, assign_a = build(BEFORE, ERRORS)
    b, assign_b = build(AFTER, ERRORS)
    diff = diff_taxonomies(a, b, assign_a, assign_b, label_a="old", label_b="new")
    assert diff.method == "members" and diff.score == "Jaccard" and diff.shared_failures == 50
    found = kinds(diff)
    assert set(found) == {"split", "renamed", "merged", "added", "removed"}
    (split,) = found["split"]
    assert [r.name for r in split.before] == ["Calculation errors"]
    assert sorted(r.name for r in split.after) == ["Arithmetic slips", "Rounding slips"]
    assert [link.score for link in split.scores] == [0.5, 0.5]
    (renamed,) = found["renamed"]
    assert (renamed.before[0].name, renamed.after[0].name) == ("Format errors", "Answer format problems")
    assert renamed.scores[0].score == 0.8 and not renamed.meaning_changed
    (merged,) = found["merged"]
    assert sorted(r.name for r in merged.before) == ["Refusals", "Truncated outputs"]
    assert [link.score for link in merged.scores] == [round(10 / 22, 3)] * 2
    assert [c.after[0].name for c in found["added"]] == ["Counting errors"]
    assert [c.before[0].name for c in found["removed"]] == ["Knowledge errors"]
    # agreement on the shared failures: 2 of A's 5 categories and 3 of B's 5 have a Jaccard >= 0.5 match
    assert diff.agreement is not None
    assert diff.agreement["matched_precision"] == pytest.approx(0.4)
    assert diff.agreement["matched_recall"] == pytest.approx(0.6)
    assert 0 < diff.agreement["adjusted_rand_index"] < 1 and 0 < diff.agreement["normalized_mutual_info"] < 1
    moved = {(m.before, m.after): m for m in diff.moved}
    assert set(moved) == {("Format errors", "Non-answers"), ("Knowledge errors", "Other"), ("Other", "Counting errors")}
    assert moved[("Format errors", "Non-answers")].count == 2
    assert moved[("Format errors", "Non-answers")].examples == ["title 18", "title 19"]
    assert moved[("Other", "Counting errors")].count == 5
    needed = required_bump(diff.model_dump(mode="json"))
    assert needed.bump == "major"
    assert any("'Calculation errors' split into" in reason for _, reason in needed.reasons)
    markdown = diff_markdown(diff, needed.bump)
    assert "| split | Calculation errors (10) | Arithmetic slips (5)<br>Rounding slips (5) | Arithmetic slips: 0.50<br>Rounding slips: 0.50 |" in markdown
    assert "| renamed | Format errors (10) | Answer format problems (8) | 0.80 |" in markdown
    assert "| Format errors | Non-answers | 2 | title 18; title 19 |" in markdown
    assert "Release bump required: **major**" in markdown


def test_wording_only_changes_need_a_patch_and_identical_versions_match() -> None:
    a, assign_a = build(BEFORE, ERRORS)
    reworded = [(n, d, m, c) for n, d, m, c in BEFORE]
    reworded[0] = ("Calculation errors", "Numbers computed wrongly in some step.", list(range(10)), [])
    reworded[1] = ("Formatting errors", "Answer not in the requested form.", list(range(10, 20)), [])
    b, assign_b = build(reworded, ERRORS)
    diff = diff_taxonomies(a, b, assign_a, assign_b)
    found = kinds(diff)
    assert set(found) == {"matched", "reworded", "renamed"}
    assert found["renamed"][0].scores[0].score == 1.0 and found["reworded"][0].before[0].name == "Calculation errors"
    assert diff.moved == []
    assert required_bump(diff.model_dump(mode="json")).bump == "patch"
    same = diff_taxonomies(a, a, assign_a, assign_a)
    assert {c.kind for c in same.levels[0].changes} == {"matched"} and not same.changed()
    assert same.agreement is not None and same.agreement["adjusted_rand_index"] == pytest.approx(1.0)


def test_change_below_the_top_level_needs_a_minor_bump() -> None:
    with_children = [(n, d, m, c) for n, d, m, c in BEFORE]
    with_children[0] = ("Calculation errors", "Numbers computed wrongly.", list(range(10)), [
        ("Arithmetic slips", "A step is wrong.", list(range(0, 5)), []),
        ("Rounding slips", "Wrong precision.", list(range(5, 10)), []),
    ])
    regrouped = [(n, d, m, c) for n, d, m, c in BEFORE]
    regrouped[0] = ("Calculation errors", "Numbers computed wrongly.", list(range(10)), [
        ("Arithmetic slips", "A step is wrong.", list(range(0, 3)), []),
        ("Carry slips", "A carry is lost.", list(range(3, 5)), []),
        ("Rounding slips", "Wrong precision.", list(range(5, 10)), []),
    ])
    a, assign_a = build(with_children, ERRORS)
    b, assign_b = build(regrouped, ERRORS)
    diff = diff_taxonomies(a, b, assign_a, assign_b)
    assert {c.kind for c in diff.levels[0].changes} == {"matched"}
    level_2 = kinds(diff, 2)
    assert set(level_2) == {"split", "matched"}
    assert level_2["split"][0].before[0].parent == "Calculation errors"
    assert sorted(r.name for r in level_2["split"][0].after) == ["Arithmetic slips", "Carry slips"]
    needed = required_bump(diff.model_dump(mode="json"))
    assert needed.bump == "minor" and needed.reasons[0][1].startswith("level 2: 'Arithmetic slips' split into")


def test_text_matching_without_shared_failures() -> None:
    a, _ = build([
        ("Calculation errors", "Numbers computed wrongly in arithmetic steps.", [0], []),
        ("Answer formatting errors", "The answer ignores the requested option letter or number format.", [1], []),
        ("Refusals", "The model declines to answer a benign question.", [2], []),
        ("Truncated outputs", "The output is cut off before the end.", [3], []),
    ], errors_for(4))
    b, _ = build([
        ("Computation errors", "Numbers computed wrongly in arithmetic steps.", [0], []),
        ("Option letter format", "The answer gives option text instead of the requested option letter.", [1], []),
        ("Number format", "The answer writes a number in words instead of the requested number format.", [2], []),
        ("Refusals", "The model declines to answer a benign question.", [3], []),
        ("Hallucinated facts", "Invented facts presented as true.", [4], []),
    ], errors_for(5))
    diff = diff_taxonomies(a, b, label_a="a", label_b="b")  # no assignments: matched by text
    assert diff.method == "text" and diff.score == "cosine" and diff.agreement is None and diff.moved == []
    found = kinds(diff)
    assert set(found) == {"matched", "renamed", "split", "added", "removed"}
    assert found["matched"][0].scores[0].score > 0.95  # same name and description; example titles differ
    assert (found["renamed"][0].before[0].name, found["renamed"][0].after[0].name) == ("Calculation errors", "Computation errors")
    assert 0.4 <= found["renamed"][0].scores[0].score < 1.0
    assert sorted(r.name for r in found["split"][0].after) == ["Number format", "Option letter format"]
    assert all(0.2 <= link.score < 1 for link in found["split"][0].scores)
    assert [c.after[0].name for c in found["added"]] == ["Hallucinated facts"]
    assert [c.before[0].name for c in found["removed"]] == ["Truncated outputs"]
    assert "Categories matched by name, description and example titles (TF-IDF cosine)." in diff_markdown(diff)


def write_output(directory: Path, taxonomy: Taxonomy, assignments: pd.DataFrame) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "taxonomy.json").write_text(taxonomy.model_dump_json(indent=2))
    assignments.to_parquet(directory / "assignments.parquet", index=False)
    return directory


def test_diff_command_prints_table_markdown_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = write_output(tmp_path / "old", *build(BEFORE, ERRORS))
    new = write_output(tmp_path / "new", *build(AFTER, ERRORS))
    assert main(["taxonomy", "diff", str(old), str(new), "--format", "json", "--output", str(tmp_path / "d.json")]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["format"] == "errormap.taxonomy-diff/1" and document["method"] == "members"
    assert document["required_bump"]["bump"] == "major"
    assert json.loads((tmp_path / "d.json").read_text()) == document
    assert main(["taxonomy", "diff", str(old), str(new), "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith(f"## Taxonomy diff: `{old}` → `{new}`")
    assert main(["taxonomy", "diff", str(old), str(new)]) == 0
    table = capsys.readouterr().out
    assert "split" in table and "Non-answers" in table and "release bump this diff requires: major" in table
    assert main(["taxonomy", "compare", str(old), str(new), "--format", "json"]) == 0  # the former name
    assert json.loads(capsys.readouterr().out)["levels"] == document["levels"]
    assert main(["taxonomy", "diff", str(old), str(tmp_path / "missing")]) == 1
    assert "not found" in capsys.readouterr().err


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@errormap.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@errormap.invalid", "PATH": subprocess.os.environ["PATH"], "HOME": str(repo)}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def dvc(repo: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo, check=True, capture_output=True, text=True,
                   env={k: v for k, v in subprocess.os.environ.items() if not k.startswith("DVC_")} | {"HOME": str(repo)})


def test_diff_between_git_revisions_and_a_dvc_experiment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The pipeline's DVC-tracked taxonomy output read at two commits and at a saved experiment."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "t")
    git(repo, "config", "user.email", "t@errormap.invalid")
    dvc(repo, "init", "-q")
    write_output(repo / "data" / "taxonomy", *build(BEFORE, ERRORS))
    dvc(repo, "add", "-q", "data/taxonomy")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first taxonomy")
    renamed = [("Formatting errors" if n == "Format errors" else n, d, m, c) for n, d, m, c in BEFORE]
    write_output(repo / "data" / "taxonomy", *build(renamed, ERRORS))
    dvc(repo, "add", "-q", "data/taxonomy")
    git(repo, "commit", "-qam", "renamed a category")
    write_output(repo / "data" / "taxonomy", *build(AFTER, ERRORS))
    dvc(repo, "add", "-q", "data/taxonomy")
    dvc(repo, "exp", "save", "-n", "regrouped")

    assert main(["taxonomy", "diff", "HEAD~1", "HEAD", "--root", str(repo), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["method"] == "members" and document["shared_failures"] == 50
    changes = [c for c in document["levels"][0]["changes"] if c["kind"] != "matched"]
    assert [(c["kind"], c["before"][0]["name"], c["after"][0]["name"]) for c in changes] == [
        ("renamed", "Format errors", "Formatting errors")
    ]
    assert document["required_bump"]["bump"] == "patch"
    assert main(["taxonomy", "diff", "HEAD~1:data/taxonomy/taxonomy.json", "HEAD", "--root", str(repo), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["levels"] == document["levels"]

    assert main(["taxonomy", "diff", "HEAD", "regrouped", "--root", str(repo), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert {c["kind"] for c in document["levels"][0]["changes"]} == {"split", "renamed", "merged", "added", "removed"}

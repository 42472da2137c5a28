"""First-error evaluation (errormap evaluate first-error) and the offline judge's labelled-set scorer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from errormap.evaluation.annotations import load_annotated, locate, split_steps, step_at
from errormap.evaluation.cli import main as evaluate_main
from errormap.evaluation.first_error import agreement, claimed_correct, claimed_step
from errormap.evaluation.labelled import NONE, PARTS, LabelledCase, load_labelled
from errormap.evaluation.precision import score
from errormap.judge.detectors import UNEXPLAINED_TITLE
from errormap.judge.schemas import FailureCase
from errormap.testing.openai_server import Reply, ScriptedServer, json_reply

MCQ = "Which number is prime?\n\nOptions:\nA: 4 \nB: 6 \nC: 7 \nD: 9"
STEPS = "Step 1: 4 = 2 * 2, not prime.\nStep 2: 6 = 2 * 3, not prime.\nStep 3: 7 = 7 * 1 = 8, not prime.\nSolution: Choice_D"
ARITH = "Solve multi-step arithmetic problems.\n\nQ: ((2 + 3) * (4 - 1)) ="
THOUGHTS = (
    "Thought 1: This equation can be written as \"A * B\", where A = (2 + 3) and B = (4 - 1).\n"
    "Thought 2: Let's calculate A = (2 + 3) = 6.\n"
    "Thought 3: Let's calculate B = (4 - 1) = 3.\n"
    "Thought 4: Then, the final equation is A * B = 6 * 3 = 18. So the answer is 18"
)


def write_mr_ben(directory: Path) -> Path:
    """A small results table in MR-Ben's format: three models, human first-error steps and correctness."""
    rows = [
        {"example_id": "q1", "model": "m1", "output_text": STEPS, "score": 0, "correct_answer": "C",
         "human_solution_correct": 0, "human_first_error_step": "3"},
        {"example_id": "q1", "model": "m2", "output_text": STEPS.replace("= 8, not", ", prime").replace("Choice_D", "Choice_C"),
         "score": 1, "correct_answer": "C", "human_solution_correct": 1, "human_first_error_step": ""},
        {"example_id": "q1", "model": "m3", "output_text": STEPS.replace("Step 1: 4 = 2 * 2", "Step 1: 4 = 2 * 3"), "score": 0,
         "correct_answer": "C", "human_solution_correct": 0, "human_first_error_step": "1"},
    ]
    frame = pd.DataFrame(rows).assign(input_text=MCQ, dataset="toy_mcq")
    directory.mkdir(parents=True, exist_ok=True)
    frame.to_csv(directory / "toy_mcq.csv", index=False)
    return directory


def write_bigbench(directory: Path) -> Path:
    """BIG-Bench Mistake's format: a 0-based mistake_index ('Thought k' is index k-1), empty when there is none."""
    rows = [
        {"example_id": "a1", "output_text": THOUGHTS, "score": 0, "correct_answer": "15", "mistake_index": "1"},
        {"example_id": "a2", "output_text": THOUGHTS.replace("= 6.", "= 5.").replace("6 * 3 = 18", "5 * 3 = 15")
         .replace("is 18", "is 15"), "score": 1, "correct_answer": "15", "mistake_index": ""},
    ]
    frame = pd.DataFrame(rows).assign(input_text=ARITH, model="palm", dataset="toy_arith")
    directory.mkdir(parents=True, exist_ok=True)
    frame.to_csv(directory / "toy_arith.csv", index=False)
    return directory


# --- steps and evidence ----------------------------------------------------------------------------


def test_split_steps_by_markers_or_lines() -> None:
    steps = split_steps(STEPS)
    assert [s.number for s in steps] == [1, 2, 3]
    assert STEPS[steps[2].start : steps[2].end].startswith("Step 3:") and "Solution" in STEPS[steps[2].start : steps[2].end]
    assert [s.number for s in split_steps(THOUGHTS)] == [1, 2, 3, 4]
    code = "def f(x):\n\n    return x + 1\n"
    assert [(s.number, code[s.start : s.end]) for s in split_steps(code)] == [(1, "def f(x):"), (2, "    return x + 1")]


def test_locate_ignores_whitespace_differences() -> None:
    assert locate("6 = 2 * 3,  not prime", STEPS) == STEPS.index("6 = 2 * 3")
    assert locate("not in the text", STEPS) is None and locate("  ", STEPS) is None
    assert step_at(STEPS.index("7 = 7"), split_steps(STEPS)) == 3


def test_claimed_step_takes_the_earliest_failing_evidence_but_not_the_answer_line() -> None:
    criteria = [
        {"criterion": "Answers C", "verdict": "not met", "evidence": "Solution: Choice_D"},
        {"criterion": "Checks 7", "verdict": "not met", "evidence": "7 = 7 * 1 = 8"},
        {"criterion": "Checks 6", "verdict": "partially", "evidence": "6 = 2 * 3, not prime"},
        {"criterion": "Checks 4", "verdict": "met", "evidence": "4 = 2 * 2"},
    ]
    assert claimed_step(criteria, "Some title", STEPS, "openai:x") == 2
    assert claimed_step(criteria[:1], "Some title", STEPS, "openai:x") is None  # only the answer: no step claim
    # the offline judge claims a step only with a title that locates the error in the work
    assert claimed_step(criteria, UNEXPLAINED_TITLE, STEPS, "offline") is None
    assert claimed_step(criteria[1:2], "Arithmetic calculation error", STEPS, "offline") == 3
    assert claimed_correct(criteria) is False and claimed_correct(criteria[3:]) is True and claimed_correct([]) is None


def test_human_labels_are_read_in_both_formats(tmp_path: Path) -> None:
    mr_ben = load_annotated(write_mr_ben(tmp_path / "mr"))
    assert mr_ben.set_index("model")["human_step"].to_dict() == {"m1": 3, "m2": None, "m3": 1}
    assert mr_ben.set_index("model")["human_correct"].to_dict() == {"m1": False, "m2": True, "m3": False}
    bigbench = load_annotated(write_bigbench(tmp_path / "bb"))
    assert bigbench.set_index("example_id")["human_step"].to_dict() == {"a1": 2, "a2": None}  # index 1 -> Thought 2
    assert bigbench.set_index("example_id")["human_correct"].to_dict() == {"a1": False, "a2": True}
    plain = tmp_path / "plain"
    plain.mkdir()
    pd.DataFrame([{"example_id": "1", "model": "m", "input_text": "q", "output_text": "a", "score": 0}]).to_csv(
        plain / "x.csv", index=False)
    assert evaluate_main(["first-error", str(plain)]) == 1  # no human labels: a one-line error


def test_agreement_counts_abstentions_apart() -> None:
    frame = pd.DataFrame({
        "status": ["ok"] * 5,
        "human_step": [2, 3, 4, None, 5],
        "judge_step": [2, 4, None, None, 1],
        "human_correct": [False, False, False, True, False],
        "judge_correct": [False, False, True, True, None],
    })
    metrics = agreement(frame)
    assert metrics["with_human_step"] == 4 and metrics["step_claims"] == 3
    assert metrics["step_exact"] == pytest.approx(1 / 3, abs=1e-4) and metrics["step_within_one"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["step_exact_of_labelled"] == pytest.approx(1 / 4)
    assert metrics["correctness_judged"] == 4 and metrics["correctness_agreement"] == pytest.approx(3 / 4)


# --- the command, offline and through the OpenAI judge ------------------------------------------------


def test_offline_judge_finds_the_first_wrong_computation(tmp_path: Path) -> None:
    output = tmp_path / "metrics.json"
    assert evaluate_main(["first-error", str(write_bigbench(tmp_path / "bb")), "--output", str(output)]) == 0
    metrics = json.loads(output.read_text())
    assert metrics["judge"] == "offline" and metrics["solutions"] == 2
    assert metrics["step_claims"] == 1 and metrics["step_exact"] == 1.0  # (2 + 3) = 6 is Thought 2
    assert metrics["correctness_agreement"] == 1.0  # the right answer of a2 is taken as correct
    assert metrics["per_dataset"]["toy_arith"]["with_human_step"] == 1


def test_offline_judge_abstains_where_it_makes_no_step_claim(tmp_path: Path) -> None:
    output = tmp_path / "metrics.json"
    assert evaluate_main(["first-error", str(write_mr_ben(tmp_path / "mr")), "--output", str(output)]) == 0
    metrics = json.loads(output.read_text())
    assert metrics["with_human_step"] == 2 and metrics["step_claims"] == 0 and metrics["step_exact"] is None


def _quoting_responder(requests: list[str]):
    """Diagnoses that quote step 2 of the solution under review (and the answer line), as an LLM judge would."""

    def respond(body: dict) -> Reply:
        user = body["messages"][-1]["content"]
        requests.append(user)
        solution = user.split("## Answer under review (graded incorrect)", 1)[1]
        step = re.search(r"Step 2:[^\n]*", solution)
        answer = re.search(r"Solution:[^\n]*", solution)
        criteria = [
            {"criterion": "Tests each option", "verdict": "not met", "evidence": step.group(0) if step else ""},
            {"criterion": "Chooses option C", "verdict": "not met", "evidence": answer.group(0) if answer else ""},
        ]
        criteria = [c if c["evidence"] else {**c, "verdict": "absent"} for c in criteria]
        return json_reply({"criteria": criteria, "error_title": "Misjudged an option", "error_summary": "Step 2 is wrong."})

    return respond


def test_openai_judge_through_the_local_protocol_server(tmp_path: Path) -> None:
    data = write_mr_ben(tmp_path / "mr")
    store, output, details = tmp_path / "store.sqlite", tmp_path / "metrics.json", tmp_path / "rows.csv"
    requests: list[str] = []
    with ScriptedServer(_quoting_responder(requests)) as server:
        overrides = ["judge=openai", "judge.model=errormap-test-judge", f"judge.base_url={server.base_url}",
                     "judge.api_key_env=null", "judge.max_retries=0", "judge.timeout=10"]
        arguments = ["first-error", str(data), *overrides, "--store", str(store), "--output", str(output),
                     "--details", str(details), "--conf-dir", str(Path(__file__).resolve().parents[2] / "conf")]
        assert evaluate_main(arguments) == 0
        asked = server.request_count
        assert evaluate_main(arguments) == 0  # the second run is answered from the store
        assert server.request_count == asked
    assert len(requests) == 3 and all(MCQ.splitlines()[0] in r for r in requests)
    metrics = json.loads(output.read_text())
    assert metrics["judge"] == "openai:errormap-test-judge" and metrics["diagnoses_failed"] == 0
    rows = pd.read_csv(details).set_index("model")
    assert rows["judge_step"].to_dict() == {"m1": 2, "m2": 2, "m3": 2}  # the quoted step, never the answer line
    assert metrics["step_claims"] == 2 and metrics["step_exact"] == 0.0 and metrics["step_within_one"] == 1.0
    assert metrics["steps_claimed_in_correct_solutions"] == 1
    assert metrics["correctness_agreement"] == pytest.approx(2 / 3, abs=1e-4)  # m2 is right, the judge says not


# --- the labelled set and its scorer --------------------------------------------------------------------


def _labelled(case_id: str, label: str, also: tuple[str, ...] = ()) -> LabelledCase:
    case = FailureCase(failure_id=case_id, dataset="d", example_id=case_id, model="m", input_text="q", output_text="o")
    return LabelledCase(case_id, "held_out", label, also, "", case)


def test_score_counts_titles_and_abstentions() -> None:
    cases = [_labelled("1", "A"), _labelled("2", "A"), _labelled("3", NONE), _labelled("4", "B", ("A",)), _labelled("5", NONE)]
    titles = {"1": "A", "2": UNEXPLAINED_TITLE, "3": "A", "4": "A", "5": UNEXPLAINED_TITLE}
    result = score(cases, titles, UNEXPLAINED_TITLE)
    by_title = {t.title: t for t in result.titles}
    assert (by_title["A"].emitted, by_title["A"].correct, by_title["A"].support, by_title["A"].recalled) == (3, 2, 2, 1)
    assert by_title["A"].precision == pytest.approx(2 / 3) and by_title["A"].recall == 0.5
    assert by_title["B"].emitted == 0 and by_title["B"].precision is None and by_title["B"].recall == 0.0
    assert (result.abstained, result.abstained_correctly, result.labelled_none) == (2, 1, 2)


def test_labelled_set_without_the_real_data(tmp_path: Path) -> None:
    labelled, skipped = load_labelled(realdata=tmp_path / "absent")
    assert skipped >= 200 and len(labelled) >= 100
    assert {c.part for c in labelled} == set(PARTS)
    assert all(c.case.output_text is not None and c.label for c in labelled)


@pytest.mark.realdata
def test_labelled_set_has_300_failures_and_every_emitted_title_meets_the_bar(realdata: Path) -> None:
    from errormap.evaluation.precision import diagnose_labelled
    from errormap.judge.detectors import diagnose_offline

    labelled, skipped = load_labelled(realdata=realdata)
    assert skipped == 0 and len(labelled) >= 300
    titles = {k: d.error_title for k, d in diagnose_labelled(labelled, diagnose_offline).items()}
    for part in ("held_out", "fresh"):
        result = score([c for c in labelled if c.part == part], titles, UNEXPLAINED_TITLE)
        low = {t.title: t.precision for t in result.titles if t.precision is not None and t.precision < 0.9}
        assert not low, (part, low)

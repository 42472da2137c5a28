"""lm-evaluation-harness samples from ../shared/harness_samples, checked against values read from the files by hand."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from errormap.data import load_results
from errormap.importers import HarnessImportError, ImportOptions, import_paths, to_frame, write_tables
from tests.conftest import REPO

SAMPLES = REPO.parent / "shared" / "harness_samples"
LM_EVAL = SAMPLES / "lm_eval"
GSM8K = LM_EVAL / "gsm8k_tinyllama_local-completions_olot"
GSM8K_SAMPLES = "samples_gsm8k_2025-04-30T18-24-41.082644.jsonl"


@pytest.fixture(autouse=True)
def _needs_samples() -> None:
    if not LM_EVAL.is_dir():
        pytest.skip("../shared/harness_samples is not present")


def _frame(path: Path, **options: object) -> pd.DataFrame:
    return to_frame(import_paths("lm-eval", [path], ImportOptions(**options)).rows)


def _row(frame: pd.DataFrame, task: str, doc_id: str) -> pd.Series:
    rows = frame[(frame["dataset"] == task) & (frame["example_id"] == doc_id)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_every_lm_eval_run_imports_with_its_model_task_and_row_count() -> None:
    outcome = import_paths("lm-eval", [LM_EVAL])
    frame = to_frame(outcome.rows)
    counts = frame.groupby(["model", "dataset"]).size().to_dict()
    assert counts == {
        ("tinyllama", "gsm8k"): 3,
        ("Qwen/Qwen3-8B", "negotiationtom_belief"): 20,
        ("Qwen/Qwen3-8B", "negotiationtom_desire"): 20,
        ("Qwen/Qwen3-8B", "negotiationtom_intention"): 20,
        ("meta-llama/Meta-Llama-3-8B", "bias_classification"): 100,
        ("meta-llama/Meta-Llama-3-8B-Instruct", "asdiv"): 50,
        ("EleutherAI/gpt-neo-125M", "truthfulqa_gen"): 20,
        ("EleutherAI/pythia-2.8b", "winogrande"): 4,
        ("gpt-3.5-turbo-0125", "wmdp_bio"): 20,
    }
    assert len(outcome.files) == 9 and not outcome.skipped
    # trimmed files are reported, not hidden: the results files describe the whole runs
    assert any("reports 1319 samples for gsm8k, this file gives 3" in w for w in outcome.warnings)
    assert any("reports 609 samples for bias_classification, this file gives 100" in w for w in outcome.warnings)


def test_generate_until_uses_the_reported_filter_the_raw_output_and_the_extracted_answer() -> None:
    frame = _frame(GSM8K)
    assert set(frame["metric"]) == {"exact_match"} and set(frame["filter"]) == {"strict-match"}
    assert frame["score"].tolist() == [0.0, 0.0, 0.0]
    first = _row(frame, "gsm8k", "0")
    assert first["output_text"].startswith("Warequrng chi edizaghi iecua bre eaind tesigiouc!")
    assert first["extracted_answer"] == "[invalid]"
    assert first["correct_answer"].endswith("#### 18")
    assert first["input_text"].startswith("Question: Jen and Tyler are gymnasts practicing flips.")  # few-shot prompt
    assert first["input_text"].endswith("How much in dollars does she make every day at the farmers' market?\nAnswer:")
    assert first["harness_record"] == "line 1"


def test_a_filter_the_samples_file_does_not_hold_is_a_clear_error() -> None:
    with pytest.raises(HarnessImportError) as error:
        _frame(GSM8K, lm_eval_filter="flexible-extract")
    message = str(error.value)
    assert GSM8K_SAMPLES in message and "field 'filter'" in message and "strict-match" in message


def test_group_task_multiple_choice_chosen_and_gold_options() -> None:
    frame = _frame(LM_EVAL / "negotiationtom_qwen3-8b")
    belief = frame[frame["dataset"] == "negotiationtom_belief"]
    assert belief["score"].mean() == pytest.approx(0.45) and belief["metric"].unique().tolist() == ["acc"]
    doc0 = _row(frame, "negotiationtom_belief", "0")  # logprobs -10.0, -17.625, -21.0, -17.75; target "3"
    assert (doc0["chosen_option"], doc0["gold_index"], doc0["correct_answer"], doc0["score"]) == ("A", 3.0, "D", 0.0)
    assert doc0["output_text"].startswith("Answer: A\n(option 1 of 4")
    assert doc0["input_text"].endswith("Options (scored by log-likelihood):\n1. A\n2. B\n3. C\n4. D")
    doc1 = _row(frame, "negotiationtom_belief", "1")  # same logprobs, target "0"
    assert (doc1["chosen_option"], doc1["correct_answer"], doc1["score"]) == ("A", "A", 1.0)
    assert _row(frame, "negotiationtom_desire", "0")["score"] == 1.0


def test_list_valued_metrics_are_passed_over_for_the_first_per_sample_score() -> None:
    frame = _frame(LM_EVAL / "negotiationtom_qwen3-8b")
    intention = frame[frame["dataset"] == "negotiationtom_intention"]
    assert intention["metric"].unique().tolist() == ["exact_match"]  # micro_f1 is reported first but is a list
    assert intention["score"].sum() == 4.0  # exact_match 0.2 over 20
    doc1 = _row(frame, "negotiationtom_intention", "1")
    assert doc1["output_text"] == "G, F, C" and doc1["correct_answer"] == "Describe-Need,Discover-Preference"


def test_asking_for_a_corpus_level_metric_is_a_clear_error() -> None:
    with pytest.raises(HarnessImportError) as error:
        _frame(LM_EVAL / "negotiationtom_qwen3-8b" / "samples_negotiationtom_intention_2026-07-08T16-04-34.219874.jsonl",
               lm_eval_metric="micro_f1")
    assert "corpus-level" in str(error.value) and "exact_match" in str(error.value)
    assert "samples_negotiationtom_intention" in str(error.value)


def test_mid_2024_multiple_choice_without_filter_keys_and_acc_norm() -> None:
    directory = LM_EVAL / "bias_classification_llama-3-8b"
    frame = _frame(directory)
    doc0 = _row(frame, "bias_classification", "0")  # -0.9798 (A) vs -0.8548 (B), target B, acc 1.0
    assert (doc0["chosen_option"], doc0["correct_answer"], doc0["score"], doc0["filter"]) == ("B", "B", 1.0, None)
    doc1 = _row(frame, "bias_classification", "1")  # -1.0327 (A) vs -0.9077 (B), target A, acc 0.0
    assert (doc1["chosen_option"], doc1["correct_answer"], doc1["score"]) == ("B", "A", 0.0)
    normalised = _frame(directory, lm_eval_metric="acc_norm")
    assert normalised["metric"].unique().tolist() == ["acc_norm"]
    assert "log-likelihood per character" in _row(normalised, "bias_classification", "1")["output_text"]
    assert normalised["score"].tolist() == frame["score"].tolist()  # the file's acc and acc_norm agree here


def test_loglikelihood_task_scores_whether_the_reference_was_the_greedy_decode() -> None:
    frame = _frame(LM_EVAL / "asdiv_llama-3-8b-instruct_loglikelihood_chat")
    assert len(frame) == 50 and frame["score"].sum() == 46
    assert sorted(frame.loc[frame["score"] == 0, "example_id"], key=int) == ["30", "31", "36", "38"]
    doc30 = _row(frame, "asdiv", "30")
    assert [doc30["is_greedy"]] == [False]
    assert doc30["logprob"] == pytest.approx(-4.831231594085693) and doc30["correct_answer"] == "13"
    assert "not the reference continuation '13'" in doc30["output_text"]


def test_fork_keys_are_kept_and_the_primary_metric_is_the_first_reported() -> None:
    directory = LM_EVAL / "truthfulqa_gen_gpt-neo-125m_bleu_rouge"  # results file renamed by its author
    frame = _frame(directory)
    doc0 = _row(frame, "truthfulqa_gen", "0")
    assert doc0["metric"] == "bleu_max" and doc0["score"] == pytest.approx(41.11336169005198)
    assert doc0["sample_hallucination"] == "truthful" and doc0["model"] == "EleutherAI/gpt-neo-125M"
    assert doc0["output_text"] == "\nA: I eat watermelon seeds."
    assert doc0["correct_answer"] is None  # target " ": no reference
    assert _row(_frame(directory, lm_eval_metric="bleu_acc"), "truthfulqa_gen", "0")["score"] == 1.0


def test_2023_dev_file_without_results_takes_model_and_task_from_its_name() -> None:
    outcome = import_paths("lm-eval", [LM_EVAL / "legacy_v0.4.0_pythia-2.8b_winogrande"])
    frame = to_frame(outcome.rows)
    assert set(frame["model"]) == {"EleutherAI/pythia-2.8b"} and set(frame["dataset"]) == {"winogrande"}
    assert frame["score"].tolist() == [0.0, 0.0, 0.0, 1.0]
    doc0 = _row(frame, "winogrande", "0")  # Sarah -15.55 vs Maria -15.78, doc answer "2", acc 0
    assert (doc0["chosen_option"], doc0["correct_answer"], doc0["gold_from"]) == ("Sarah", "Maria", "score")
    doc3 = _row(frame, "winogrande", "3")  # eggplant -4.93 vs toaster -7.11, doc answer "1", acc 1
    assert (doc3["chosen_option"], doc3["correct_answer"]) == ("eggplant", "eggplant")
    assert any("no lm-eval results file" in w for w in outcome.warnings)


def test_0_4_2_json_array_file_and_its_broken_list_target() -> None:
    outcome = import_paths("lm-eval", [LM_EVAL / "legacy_v0.4.2_wmdp_gpt-3.5-turbo_json_array"])
    frame = to_frame(outcome.rows)
    assert len(frame) == 20 and set(frame["model"]) == {"gpt-3.5-turbo-0125"} and set(frame["dataset"]) == {"wmdp_bio"}
    assert set(frame["score"]) == {1.0}
    doc0 = _row(frame, "wmdp_bio", "0")
    assert doc0["output_text"] == "A" and doc0["correct_answer"] == "A | B | C | D"
    assert doc0["harness_record"] == "element 1"
    assert any("'target' is a list in 20 record(s)" in w for w in outcome.warnings)


def test_imported_table_is_valid_pipeline_input(tmp_path: Path) -> None:
    outcome = import_paths("lm-eval", [LM_EVAL])
    written = write_tables(outcome.rows, tmp_path)
    assert [p.name for p in written] == ["lm-eval.parquet"]
    results = load_results(tmp_path)
    assert len(results) == len(outcome.rows) == 257


# --- bad input ---------------------------------------------------------------------------------------------


def _copy_run(tmp_path: Path, name: str = "run") -> Path:
    target = tmp_path / name
    shutil.copytree(GSM8K, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def _rewrite(path: Path, change) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    change(records)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_a_truncated_run_fails_naming_the_line_or_is_skipped_and_listed(tmp_path: Path) -> None:
    run = _copy_run(tmp_path)
    samples = run / GSM8K_SAMPLES
    text = samples.read_text(encoding="utf-8")
    samples.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 200], encoding="utf-8")  # cut inside line 3
    with pytest.raises(HarnessImportError) as error:
        import_paths("lm-eval", [run])
    assert f"{samples}, line 3: record cut off" in str(error.value)
    outcome = import_paths("lm-eval", [run], skip_bad=True)
    assert len(outcome.rows) == 2 and outcome.skipped_records == 1
    assert [p.record for p in outcome.skipped] == ["line 3"]


def test_a_missing_metric_or_a_non_numeric_score_names_file_line_and_field(tmp_path: Path) -> None:
    run = _copy_run(tmp_path)
    _rewrite(run / GSM8K_SAMPLES, lambda records: records[1].pop("exact_match"))
    with pytest.raises(HarnessImportError, match=r"line 2, field 'exact_match': missing"):
        import_paths("lm-eval", [run])
    _rewrite(run / GSM8K_SAMPLES, lambda records: records[1].update(exact_match="n/a"))
    with pytest.raises(HarnessImportError, match=r"line 2, field 'exact_match': score 'n/a' is not a number"):
        import_paths("lm-eval", [run])


def test_a_record_without_doc_id_or_a_doc_id_twice_is_named(tmp_path: Path) -> None:
    run = _copy_run(tmp_path)
    _rewrite(run / GSM8K_SAMPLES, lambda records: records[0].pop("doc_id"))
    with pytest.raises(HarnessImportError, match=r"line 1, field 'doc_id': missing"):
        import_paths("lm-eval", [run])
    run = _copy_run(tmp_path, "again")
    _rewrite(run / GSM8K_SAMPLES, lambda records: records.append(records[1]))
    with pytest.raises(HarnessImportError, match=r"line 4, field 'doc_id': doc_id 1 appears twice \(also at line 2\)"):
        import_paths("lm-eval", [run])


def test_the_same_run_twice_is_a_duplicate_naming_both_files(tmp_path: Path) -> None:
    first, second = _copy_run(tmp_path, "a"), _copy_run(tmp_path, "b")
    with pytest.raises(HarnessImportError) as error:
        import_paths("lm-eval", [first, second], skip_bad=True)
    message = str(error.value)
    assert "model 'tinyllama', task 'gsm8k', example '0'" in message
    assert str(second / GSM8K_SAMPLES) in message and str(first / GSM8K_SAMPLES) in message


def test_wrong_format_and_results_without_samples_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(HarnessImportError, match="this is helm output, not lm-eval output"):
        import_paths("lm-eval", [SAMPLES / "helm" / "harm_bench_gpt-4o_generation"])
    run = _copy_run(tmp_path)
    (run / GSM8K_SAMPLES).unlink()
    with pytest.raises(HarnessImportError, match="run lm_eval with --log_samples"):
        import_paths("lm-eval", [run])
    (tmp_path / "notes.jsonl").write_text('{"question": "no doc_id here"}\n')
    with pytest.raises(HarnessImportError, match=r"notes.jsonl: not lm-eval output"):
        import_paths("lm-eval", [tmp_path / "notes.jsonl"])


def test_a_results_file_that_is_not_json_is_named(tmp_path: Path) -> None:
    run = _copy_run(tmp_path)
    results = run / "results_2025-04-30T18-24-41.082644.json"
    results.write_text(results.read_text()[:500])
    with pytest.raises(HarnessImportError) as error:
        import_paths("lm-eval", [run])
    assert str(results) in str(error.value) and "not valid JSON" in str(error.value)

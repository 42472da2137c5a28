"""Tests for the deterministic demo benchmark (errormap.demo)."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd
import pytest

from errormap.demo import MODELS, generate_demo

DATASETS = ("arith_word", "mcq_science", "short_qa", "unit_convert")
COLUMNS = ["example_id", "model", "input_text", "output_text", "score", "correct_answer"]

ARITH_FINAL = re.compile(r"^The answer is (.+?)\.$", re.M)
ANSWER_LINE = re.compile(r"^Answer: (.*)$", re.M)
FOREIGN = re.compile(r"Respuesta|Réponse|respuesta es|réponse est|Paso \d|Étape \d")
REFUSAL = re.compile(r"I'm sorry|I apologi[sz]e|I can't|I cannot|I'm not able")
EQUATION = re.compile(r"(?<![\d.])(\d+) ([-+*/]) (\d+) = (\d+)(?!\d|\.\d)")
OPTION_LINE = re.compile(r"^[A-D]\) (.*)$", re.M)


# ----------------------------------------------------------------------------- helpers


def final_answers(dataset: str, text: str) -> list[str]:
    """Every final-answer line a strict grader would parse."""
    pattern = ARITH_FINAL if dataset == "arith_word" else ANSWER_LINE
    return [m.strip() for m in pattern.findall(text)]


def _number(text: str) -> Decimal | None:
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - guarded by the regex
        return None


def well_formed(dataset: str, answer: str) -> bool:
    if dataset == "mcq_science":
        return answer in ("A", "B", "C", "D")
    if dataset in ("arith_word", "unit_convert"):
        return _number(answer) is not None
    return bool(answer)


def matches(dataset: str, answer: str, reference: str) -> bool:
    if dataset in ("arith_word", "unit_convert"):
        a, r = _number(answer), _number(reference)
        return a is not None and r is not None and a == r
    if dataset == "short_qa":
        return answer.casefold() == reference.strip().casefold()
    return answer == reference


def grade(dataset: str, text: str, reference: str) -> int:
    """Independent strict grader: exactly one final answer, on the last line, equal to the reference."""
    answers = final_answers(dataset, text)
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if len(answers) != 1 or not lines or not final_answers(dataset, lines[-1]):
        return 0
    return int(matches(dataset, answers[0], reference))


def max_repeats(text: str) -> int:
    segments = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", text) if len(s.strip()) > 10]
    return max(Counter(segments).values(), default=0)


def classify(dataset: str, text: str) -> str:
    """A coarse failure category, independent of how the demo generated the text."""
    if not text.strip():
        return "empty"
    if REFUSAL.search(text):
        return "refusal"
    if max_repeats(text) >= 5:
        return "repetition"
    answers = final_answers(dataset, text)
    if len(answers) >= 2:
        return "conflicting"
    if FOREIGN.search(text):
        return "other_language"
    if not answers:
        return "no_answer_line" if text.rstrip()[-1] in ".!?" else "truncated"
    if not well_formed(dataset, answers[0]):
        return "malformed_answer"
    return "wrong_answer"


GROUPS = {
    "atlas-7b": {"wrong_answer"},
    "borealis-13b": {"no_answer_line", "malformed_answer", "other_language"},
    "cirrus-70b": {"wrong_answer"},
    "drift-3b": {"empty", "truncated", "repetition"},
    "ember-chat": {"refusal", "conflicting"},
}


def has_wrong_equation(text: str) -> bool:
    ops = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}
    for left, op, right, result in EQUATION.findall(text):
        if ops[op](int(left), int(right)) != int(result):
            return True
    return False


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo(out, seed=0)
    return out


@pytest.fixture(scope="module")
def frames(demo_dir: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(demo_dir / f"{name}.csv", dtype=str, keep_default_na=False).assign(
            score=lambda f: f["score"].astype(int)
        )
        for name in DATASETS
    }


@pytest.fixture(scope="module")
def failures(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {name: frame[frame["score"] == 0] for name, frame in frames.items()}


# ----------------------------------------------------------------------------- files and determinism


def test_returns_one_csv_per_dataset(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "demo"
    paths = generate_demo(out)
    assert sorted(p.stem for p in paths) == sorted(DATASETS)
    assert all(p.parent == out and p.suffix == ".csv" and p.is_file() for p in paths)
    assert sorted(out.iterdir()) == sorted(paths)


def test_same_seed_is_byte_identical(tmp_path: Path) -> None:
    first = generate_demo(tmp_path / "a", seed=7)
    second = generate_demo(tmp_path / "b", seed=7)
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes()


def test_different_seed_changes_content(tmp_path: Path) -> None:
    first = generate_demo(tmp_path / "a", seed=0)
    second = generate_demo(tmp_path / "b", seed=1)
    assert any(a.read_bytes() != b.read_bytes() for a, b in zip(first, second))


def test_files_are_utf8_and_load_with_default_reader(demo_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    for name in DATASETS:
        path = demo_dir / f"{name}.csv"
        text = path.read_bytes().decode("utf-8")
        assert "\r\n" not in text
        plain = pd.read_csv(path, keep_default_na=False)
        assert len(plain) == len(frames[name])
        assert list(plain.columns) == COLUMNS


# ----------------------------------------------------------------------------- schema


def test_schema(frames: dict[str, pd.DataFrame]) -> None:
    for name, frame in frames.items():
        assert list(frame.columns) == COLUMNS
        assert frame["example_id"].str.strip().ne("").all()
        assert frame["input_text"].str.strip().ne("").all()
        assert frame["correct_answer"].str.strip().ne("").all()
        assert set(frame["score"]) == {0, 1}
        assert set(frame["model"]) == set(MODELS)
        assert frame["example_id"].str.fullmatch(rf"{name}-\d{{4}}").all()


def test_every_model_answers_every_example_once(frames: dict[str, pd.DataFrame]) -> None:
    for frame in frames.values():
        n_examples = frame["example_id"].nunique()
        assert 40 <= n_examples <= 60
        assert len(frame) == n_examples * len(MODELS)
        assert not frame.duplicated(["example_id", "model"]).any()
        assert (frame.groupby("example_id")["model"].nunique() == len(MODELS)).all()
        # the prompt and the reference belong to the example, not to the model
        assert (frame.groupby("example_id")[["input_text", "correct_answer"]].nunique() == 1).all().all()


def test_reference_formats(frames: dict[str, pd.DataFrame]) -> None:
    assert frames["mcq_science"]["correct_answer"].isin(list("ABCD")).all()
    assert frames["arith_word"]["correct_answer"].str.fullmatch(r"\d+").all()
    assert frames["unit_convert"]["correct_answer"].str.fullmatch(r"\d+\.\d\d").all()
    refs = frames["short_qa"].drop_duplicates("example_id")["correct_answer"]
    assert refs.str.contains(" and ").sum() >= 8  # some references have two required elements


def test_prompts_follow_dataset_layout(frames: dict[str, pd.DataFrame]) -> None:
    for text in frames["mcq_science"]["input_text"].unique():
        assert "\n\nOptions:\nA) " in text
        assert len(OPTION_LINE.findall(text)) == 4
        assert text.endswith("\n\nAnswer with the letter of the correct option.")
    assert frames["arith_word"]["input_text"].str.contains("The answer is <number>.", regex=False).all()


# ----------------------------------------------------------------------------- scores match the texts


def test_scores_agree_with_a_strict_grader(frames: dict[str, pd.DataFrame]) -> None:
    for name, frame in frames.items():
        graded = [grade(name, t, r) for t, r in zip(frame["output_text"], frame["correct_answer"])]
        mismatched = frame[frame["score"].to_numpy() != graded]
        assert mismatched.empty, mismatched[["example_id", "model", "output_text", "correct_answer"]].head()


def test_correct_outputs_show_their_work(frames: dict[str, pd.DataFrame]) -> None:
    for name, frame in frames.items():
        good = frame[frame["score"] == 1]
        for text, ref in zip(good["output_text"], good["correct_answer"]):
            final = f"The answer is {ref}." if name == "arith_word" else f"Answer: {ref}"
            assert text.endswith(final)
            assert text[: -len(final)].strip()  # some reasoning precedes the final line
            if name == "arith_word":
                assert EQUATION.search(text) and not has_wrong_equation(text)


def test_successful_outputs_vary_in_wording(frames: dict[str, pd.DataFrame]) -> None:
    for frame in frames.values():
        good = frame[frame["score"] == 1]
        first_lines = good["output_text"].str.split("\n").str[0].str.split(":").str[0]
        assert first_lines.nunique() >= 5


def test_accuracy_per_model(frames: dict[str, pd.DataFrame]) -> None:
    for frame in frames.values():
        accuracy = frame.groupby("model")["score"].mean()
        assert accuracy.between(0.4, 0.95).all(), accuracy
        assert accuracy.idxmax() == "cirrus-70b"
        assert accuracy.idxmin() == "drift-3b"
    overall = pd.concat(frames.values()).groupby("model")["score"].mean()
    assert overall.between(0.55, 0.9).all(), overall


# ----------------------------------------------------------------------------- failure profiles


def test_every_model_fails_somewhere_in_every_dataset(failures: dict[str, pd.DataFrame]) -> None:
    for frame in failures.values():
        counts = frame.groupby("model").size()
        assert set(counts.index) == set(MODELS)
        assert (counts >= 3).all()


def test_models_have_distinct_dominant_failure_groups(failures: dict[str, pd.DataFrame]) -> None:
    categories: dict[str, Counter[str]] = {m: Counter() for m in MODELS}
    for name, frame in failures.items():
        for model, text in zip(frame["model"], frame["output_text"]):
            categories[model][classify(name, text)] += 1
    for model, group in GROUPS.items():
        counts = categories[model]
        share = sum(counts[c] for c in group) / sum(counts.values())
        assert share >= 0.7, (model, counts)


def test_drift_produces_degenerate_outputs(failures: dict[str, pd.DataFrame]) -> None:
    for name, frame in failures.items():
        texts = frame.loc[frame["model"] == "drift-3b", "output_text"]
        kinds = Counter(classify(name, t) for t in texts)
        assert kinds["empty"] >= 1 and kinds["truncated"] >= 1 and kinds["repetition"] >= 1, (name, kinds)
        truncated = [t for t in texts if classify(name, t) == "truncated"]
        assert all(not final_answers(name, t) and t[-1] not in ".!?" for t in truncated)


def test_ember_refuses_and_contradicts_itself(failures: dict[str, pd.DataFrame]) -> None:
    for name, frame in failures.items():
        texts = frame.loc[frame["model"] == "ember-chat", "output_text"]
        assert sum(bool(REFUSAL.search(t)) for t in texts) >= 3, name
        conflicting = [final_answers(name, t) for t in texts if len(final_answers(name, t)) >= 2]
        assert conflicting, name
        assert all(len(set(a)) >= 2 for a in conflicting)


def test_borealis_has_format_problems(failures: dict[str, pd.DataFrame], frames: dict[str, pd.DataFrame]) -> None:
    for name, frame in failures.items():
        rows = frame[frame["model"] == "borealis-13b"]
        no_line = [t for t in rows["output_text"] if t.strip() and not final_answers(name, t)]
        assert no_line, name
        assert any(FOREIGN.search(t) for t in rows["output_text"]), name
        # the buried answers are right, only the format is off
        assert any(r.split(" and ")[0] in t for t, r in zip(rows["output_text"], rows["correct_answer"])
                   if not final_answers(name, t))
    mcq = failures["mcq_science"]
    option_text = 0
    for text, prompt in zip(mcq.loc[mcq["model"] == "borealis-13b", "output_text"],
                            mcq.loc[mcq["model"] == "borealis-13b", "input_text"]):
        answers = final_answers("mcq_science", text)
        if len(answers) == 1 and answers[0] in OPTION_LINE.findall(prompt):
            option_text += 1
    assert option_text >= 2
    arith = failures["arith_word"]
    words = [a for t in arith.loc[arith["model"] == "borealis-13b", "output_text"]
             for a in final_answers("arith_word", t) if re.fullmatch(r"[a-z][a-z -]+", a)]
    assert words


def test_atlas_makes_arithmetic_slips_and_confident_wrong_choices(failures: dict[str, pd.DataFrame]) -> None:
    arith = failures["arith_word"]
    texts = list(arith.loc[arith["model"] == "atlas-7b", "output_text"])
    assert sum(has_wrong_equation(t) for t in texts) >= len(texts) / 2
    mcq = failures["mcq_science"]
    rows = mcq[mcq["model"] == "atlas-7b"]
    confident_wrong = [
        a for t, r in zip(rows["output_text"], rows["correct_answer"])
        if len(a := final_answers("mcq_science", t)) == 1 and a[0] in "ABCD" and a[0] != r
    ]
    assert len(confident_wrong) >= len(rows) / 2
    for name in ("arith_word", "mcq_science", "short_qa", "unit_convert"):
        rows = failures[name][failures[name]["model"] == "atlas-7b"]
        assert sum(classify(name, t) == "wrong_answer" for t in rows["output_text"]) >= len(rows) * 0.7


def test_cirrus_fails_by_near_misses_and_omissions(failures: dict[str, pd.DataFrame]) -> None:
    qa = failures["short_qa"]
    rows = qa[qa["model"] == "cirrus-70b"]
    omissions = [
        t for t, r in zip(rows["output_text"], rows["correct_answer"])
        if " and " in r and any(a in r.split(" and ") for a in final_answers("short_qa", t))
    ]
    assert len(omissions) >= 3
    for name in ("arith_word", "unit_convert"):
        rows = failures[name][failures[name]["model"] == "cirrus-70b"]
        near = 0
        for text, ref in zip(rows["output_text"], rows["correct_answer"]):
            answers = final_answers(name, text)
            value = _number(answers[-1]) if answers else None
            computed_but_not_reported = f"= {ref}" in text or f"= {ref[:-1]}" in text
            if value is not None and (abs(value - Decimal(ref)) <= Decimal(ref) * Decimal("0.05")
                                      or computed_but_not_reported):
                near += 1
        assert near >= 3, name


def test_noisy_references(frames: dict[str, pd.DataFrame]) -> None:
    """A few examples where (nearly) all models agree on one answer that differs from the reference."""
    noisy = []
    for name, frame in frames.items():
        for example_id, group in frame.groupby("example_id"):
            answers = [tuple(final_answers(name, t)) for t in group["output_text"]]
            common, votes = Counter(a for a in answers if len(a) == 1).most_common(1)[0] if any(
                len(a) == 1 for a in answers) else ((), 0)
            reference = group["correct_answer"].iloc[0]
            if votes >= 4 and not matches(name, common[0], reference):
                assert (group["score"] == 0).all()
                noisy.append((name, example_id))
    assert 3 <= len(noisy) <= 5, noisy
    assert len({name for name, _ in noisy}) >= 3

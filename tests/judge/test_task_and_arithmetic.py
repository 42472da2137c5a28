"""Task-type detection, option parsing, few-shot run-on, and the arithmetic re-evaluator of the offline judge."""

from __future__ import annotations

import pytest

from errormap.judge.detectors.arithmetic import arithmetic_slips
from errormap.judge.detectors.task import TaskType, detect_task, parse_options, run_on_start

LINE_OPTIONS = "Which organelle?\n\nOptions:\nA) Golgi\nB) Ribosome\nC) Mitochondrion\nD) Nucleus"
API_OPTIONS = "Question: Which gas?\nOptions: A. Oxygen\nB. Nitrogen\nC. Argon\nD. Carbon dioxide\nAnswer:"
INLINE_OPTIONS = "What is 2^9?\nOptions: (A) 2 (B) 4 (C) 8 (D) 16 (E) 32 (F) 64 (G) 128 (H) 256 (I) 512 (J) 1024"
COLON_OPTIONS = "Find the area.\n\nOptions:\nA: x^2/9 \nB: x^2/8 \nC: x^2/4 \nD: x^2"
FEW_SHOT = (
    "Question: First?\n(A) one (B) two\nAnswer: Let's think step by step. The answer is (A).\n\n"
    "Question: Second?\n(A) red (B) green (C) blue\nAnswer: Let's think step by step."
)
PREFERENCE = (
    "Which response follows the instruction better?\n\n[Response A]\nKeep a regular bedtime.\n\n"
    "[Response B]\nSleep matters.\n\nAnswer with 'A' or 'B'."
)


@pytest.mark.parametrize(
    ("prompt", "letters", "first", "last"),
    [
        (LINE_OPTIONS, "ABCD", "Golgi", "Nucleus"),
        (API_OPTIONS, "ABCD", "Oxygen", "Carbon dioxide"),  # option A on the "Options:" line
        (INLINE_OPTIONS, "ABCDEFGHIJ", "2", "1024"),  # all on one line
        (COLON_OPTIONS, "ABCD", "x^2/9", "x^2"),
        (FEW_SHOT, "ABC", "red", "blue"),  # the last question's options, not the example's
        ("Vitamin A. It helps. B. vitamins too.", "", None, None),  # prose letters are not a run from A
    ],
)
def test_parse_options(prompt: str, letters: str, first: str | None, last: str | None) -> None:
    options = parse_options(prompt)
    assert "".join(options) == letters
    if letters:
        assert options[letters[0]] == first and options[letters[-1]] == last


@pytest.mark.parametrize(
    ("prompt", "reference", "task_type"),
    [
        (LINE_OPTIONS, "C", TaskType.choice),
        (API_OPTIONS, "(b)", TaskType.choice),
        (LINE_OPTIONS, "AC", TaskType.choice),
        (LINE_OPTIONS, "F", TaskType.short),  # a letter that is not an option is not a choice reference
        (PREFERENCE, "A", TaskType.preference),
        ("How many apples?", "$1,200", TaskType.numeric),
        ("What fraction is left?", "1/6", TaskType.numeric),
        ("Sort in ascending order: 9, 2, 7, 4", "2, 4, 7, 9", TaskType.list),
        ("Sort the words: pear apple fig", "apple fig pear", TaskType.list),
        ("Name the primary colours of light.", "red, green, blue", TaskType.list),
        ("Which two elements make up water?", "hydrogen and oxygen", TaskType.short),
        ("Complete the sequence: ( [ {", "} ] )", TaskType.short),
        ("Write a haiku.", "Crimson leaves drift down. Whispering to the ground. Summer says goodbye.", TaskType.free),
        ("Write a Python function that adds.", "def add(a, b):\n    return a + b", TaskType.free),
        ("Tell me a joke.", None, TaskType.free),
    ],
)
def test_detect_task(prompt: str, reference: str | None, task_type: TaskType) -> None:
    assert detect_task(prompt, reference).type is task_type


def test_task_details() -> None:
    assert detect_task("Sort these words alphabetically: b a c", "a b c").ordered
    assert not detect_task("Name three primary colours.", "red, green, blue").ordered
    assert detect_task("Write a Python function that adds.", "def add(a, b): ...").code
    assert detect_task("Translate into Spanish: 'Good morning.'", "Buenos días.").language == "es"


def test_run_on_starts_at_a_new_question_of_the_prompts_pattern() -> None:
    output = " The answer is (C).\n\nQuestion: Third?\n(A) x (B) y\nAnswer: The answer is (B)."
    assert output[run_on_start(output, FEW_SHOT):].startswith("Question: Third?")
    assert run_on_start("Question: restated first.\nThe answer is (C).", FEW_SHOT) is None  # nothing before it
    assert run_on_start(output, "What is 2 + 2?") is None  # the prompt has no such marker


@pytest.mark.parametrize(
    ("text", "slips"),
    [
        ("Natalia sold 48/2 = <<48/2=25>>25 clips.", [("48/2=25", 25, 24)]),
        ("Harry has 5+2(3)=<<5+2(3)=9>>9 trees", [("5+2(3)=9", 9, 11)]),
        ("A = (-1 * 9 + 1 + -1) = (-9 + 1 + -1) = (-9 + -1) = -10.", [("(-9 + 1 + -1) = (-9 + -1)", -10, -9)]),
        ("The cost is $12 \\times 15 = 170$ dollars.", [("$12 \\times 15 = 170$", 170, 180)]),
        ("Simplify: 0.5 \\* 10 \\* 10^-6 \\* 10^4 = 0.005 J.", [("0.5 \\* 10 \\* 10^-6 \\* 10^4 = 0.005", 0.005, 0.05)]),
        ("3 x 4 = 13", [("3 x 4 = 13", 13, 12)]),
        ("5 - 9 = 4 and 4 + 2 = 6.", [("5 - 9 = 4", 4, -4)]),
        ("They eat 1/2 + 1/3 = 2/5 of it", [("1/2 + 1/3 = 2/5", 0.4, 5 / 6)]),
        # correct arithmetic, or not arithmetic at all
        ("1/2 + 1/3 = 5/6 of the pizza, so 1 - 5/6 = 1/6 is left.", []),
        ("1,200 + 300 = 1,500 and 1,500 + 4,500 = 6,000.", []),
        ("38 / 3 = 12.67, about 12.7", []),
        ("(0.323)^3 = 0.033", []),  # a rounded result of rounded inputs
        ("20% of 50 = 10", []),
        ("9:30 - 8:45 = 45 minutes", []),
        ("3 apples * 4 = 12", []),
        ("Subtract x^2 from both sides: 85 = -34x + 289.", []),
        ("(12x + 1)(12x - 1) = 0", []),
        ("x^2 + y^2 + z^2 = (3/7)^2 + (3/14)^2 = 9/49 + 9/196", []),
        ("2023 - 1999 = 24", []),
    ],
)
def test_arithmetic_slips(text: str, slips: list[tuple[str, float, float]]) -> None:
    found = arithmetic_slips(text)
    assert [(s.text, pytest.approx(s.stated), pytest.approx(s.correct)) for s in found] == slips
    for slip in found:
        assert text[slip.start : slip.start + len(slip.text)] == slip.text  # verbatim, where it stands


def test_names_keep_the_value_the_text_gives_them() -> None:
    text = (
        "Thought 2: A = (-2 - 3 * 3) = (-2 - 9) = -11.\nThought 3: B = (-5 - 1 - -5) = (-5 - 1 + 5) = -1.\n"
        "Thought 4: A * B = -11 * -1 = 12."
    )
    (slip,) = arithmetic_slips(text)
    assert slip.text == "-11 * -1 = 12" and slip.correct == 11
    assert arithmetic_slips("A * B = 11", names={"A": -11.0, "B": -1.0}) == []

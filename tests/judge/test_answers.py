"""Tests for final-answer extraction and answer comparison (errormap.answers)."""

from __future__ import annotations

import pytest

from errormap.answers import (
    AnswerKind,
    canonical_answer,
    final_answers,
    is_number,
    last_answer,
    normalise_choice,
    normalise_text,
    parse_number,
    reference_kind,
    same_answer,
    says_none_of_options,
)


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("Answer: C", ["C"]),
        ("answer: b", ["b"]),
        ("Final answer: 42", ["42"]),
        ("Final Answer：42", ["42"]),
        ("Natalia sold 48+24 = <<48+24=72>>72 clips.\nA: 72", ["72"]),  # GSM8K style
        ("200 + 50 = 250\nA: 250", ["250"]),
        ("Janet makes 9 * 2 = $18.\n#### 18", ["18"]),
        (r"So the result is \boxed{42}.", ["42"]),
        ("The final answer is 42.", ["42"]),
        ("The answer is: $1,200!", ["$1,200"]),
        ("So the answer is hydrogen and oxygen.\nThanks!", ["hydrogen and oxygen"]),
        ("The answer is 42\nDone", ["42"]),
        ("Solution: choice_B", ["B"]),
        ("Solution: A and C", ["A and C"]),
        ("**Answer: B**", ["B"]),
        ("**Final Answer:** 42", ["42"]),
        ("Answer: **C**", ["C"]),
        ("The answer is 42.\nAnswer: 42", ["42", "42"]),
        ("Answer: A\nHmm, wait.\nAnswer: C", ["A", "C"]),
        # no explicit final answer
        ("We get 42 in the end.", []),
        ("Step A: compute the sum.", []),
        ("Answer:   ", []),
        ("", []),
        ("The answer here is Canberra.", []),
    ],
)
def test_final_answers(output: str, expected: list[str]) -> None:
    answers = final_answers(output)
    assert [a.text for a in answers] == expected
    for answer in answers:
        assert answer.quote in output  # verbatim line
        assert answer.text in answer.quote
        assert 0 <= output.find(answer.text, answer.start) - answer.start <= 3  # start points at the answer (after any "**")
    assert [a.start for a in answers] == sorted(a.start for a in answers)


def test_final_answer_quote_is_the_whole_line() -> None:
    output = "Some working.\n  Answer: 17 apples  \nBye."
    (answer,) = final_answers(output)
    assert answer.text == "17 apples"
    assert answer.quote == "Answer: 17 apples"


def test_last_answer() -> None:
    assert last_answer("no answer here") is None
    answer = last_answer("Answer: 1\nAnswer: 2")
    assert answer is not None and answer.text == "2" and answer.quote == "Answer: 2"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("B", "B"),
        ("b", "B"),
        ("(b)", "B"),
        ("C.", "C"),
        ("C)", "C"),
        ("Choice_B", "B"),
        ("choice_b", "B"),
        ("Choice A.", "A"),
        ("option C", "C"),
        ("Option C", "C"),
        ("B) text of the option", "B"),
        ("(C) Mitochondrion", "C"),
        ("A. Mitosis", "A"),
        ("A and C", "AC"),
        ("C and A", "AC"),
        ("B, D", "BD"),
        ("A/C", "AC"),
        ("choice A & choice C", "AC"),
        ("AC", "AC"),
        ("CA", "AC"),
        # not an option letter
        ("A glass bottle", None),
        ("a glass bottle", None),
        ("Mitochondrion", None),
        ("Z", None),
        ("42", None),
        ("", None),
    ],
)
def test_normalise_choice(answer: str, expected: str | None) -> None:
    assert normalise_choice(answer) == expected


@pytest.mark.parametrize(
    ("reference", "kind"),
    [
        ("B", AnswerKind.choice),
        ("(c)", AnswerKind.choice),
        ("AC", AnswerKind.choice),
        ("42", AnswerKind.number),
        ("-7", AnswerKind.number),
        ("3.5", AnswerKind.number),
        ("$1,200", AnswerKind.number),
        ("3.5 kg", AnswerKind.number),
        ("12%", AnswerKind.number),
        ("Paris", AnswerKind.text),
        ("hydrogen and oxygen", AnswerKind.text),
        ("ABCDE", AnswerKind.text),
        ("1969 Apollo 11 landing", AnswerKind.text),
        (None, AnswerKind.text),
    ],
)
def test_reference_kind(reference: str | None, kind: AnswerKind) -> None:
    assert reference_kind(reference) is kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("about $1,234.50 total", 1234.5),
        ("12%", 12.0),
        ("-3.5 degrees", -3.5),
        ("A: 250", 250.0),
        ("none", None),
        ("", None),
    ],
)
def test_parse_number(text: str, expected: float | None) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("answer", "reference", "kind", "expected"),
    [
        ("$94", "94", AnswerKind.number, True),
        ("94.0", "94", AnswerKind.number, True),
        ("1,200", "1200", AnswerKind.number, True),
        ("250 apples", "250", AnswerKind.number, True),
        ("95", "94", AnswerKind.number, False),
        ("94.01", "94", AnswerKind.number, False),
        ("ninety-four", "94", AnswerKind.number, False),
        ("(b)", "B", AnswerKind.choice, True),
        ("Choice_B", "B", AnswerKind.choice, True),
        ("C and A", "AC", AnswerKind.choice, True),
        ("C", "B", AnswerKind.choice, False),
        ("A glass bottle", "A", AnswerKind.choice, False),
        ("Mitochondrion", "AC", AnswerKind.choice, False),  # two unparsable choices are not equal
        ("unsure", "maybe", AnswerKind.choice, False),
        ("The Amazon", "Amazon", AnswerKind.text, True),
        ("amazon!", "Amazon", AnswerKind.text, True),
        ("Paraná", "Amazon", AnswerKind.text, False),
        ("abc", "Am", AnswerKind.text, False),  # short references must match exactly
        ("", "x", AnswerKind.text, False),
    ],
)
def test_same_answer(answer: str, reference: str, kind: AnswerKind, expected: bool) -> None:
    assert same_answer(answer, reference, kind) is expected


@pytest.mark.parametrize(
    ("answer", "kind", "expected"),
    [
        ("$1,200.0", AnswerKind.number, "1200"),
        ("1200", AnswerKind.number, "1200"),
        ("foo", AnswerKind.number, "foo"),
        ("(b)", AnswerKind.choice, "B"),
        ("Mitochondrion", AnswerKind.choice, "mitochondrion"),
        ("The  Amazon!", AnswerKind.text, "the amazon"),
    ],
)
def test_canonical_answer(answer: str, kind: AnswerKind, expected: str) -> None:
    assert canonical_answer(answer, kind) == expected


def test_normalise_text() -> None:
    assert normalise_text("  Hello,   World!\n") == "hello world"
    assert normalise_text("173.16") == "173 16"
    assert normalise_text("...") == ""


# --- forms the offline judge used to misread (issue 10) ---------------------------------------------


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("Answer: The answer is (I).", ["I"]),  # a nested statement: its answer, not the sentence
        ("A: Let's think step by step. Light bends. The answer is (C).", ["C"]),  # few-shot 'A:' label
        ("Answer: Let's think step by step.", []),  # the start of a chain of thought is no answer
        ("Answer: ..", []),
        ("Solution: The problem is most likely related to Choice_A: Fructose intolerance.", ["A"]),
        ("Solution: Choice_D: KOH + HClO4", ["D"]),
        ("Solution: Choice_C (Na2S)", ["C"]),
        ("Solution: Choice\\_C: 300 nm", ["C"]),
        ("Solution: Choice B/D", ["Choice B/D"]),
        ("Solution: Choice A, B, or D (x^2 + y^2 = 1)", ["Choice A, B, or D"]),
        ("Final verdict: [[A]]", ["A"]),
        ("### Final answer\n**B**", ["B"]),
        ("Neutral means pH 7.\n\n$\\boxed{B}$", ["B"]),
        ("So the answer is 5 + 3 = 8.", ["8"]),
        ("the right choice is option B.", ["B"]),
        ("Solution: Choice_A: 1 in 1000, recognizing that this answer is not entirely accurate.", ["A"]),
        ("Therefore, the correct option is not Choice_A.", []),
        ("Solution: None of the choices are correct.", ["None of the choices are correct"]),
        ("Thought 4: So, we need \"}\", \"]\". So the answer is } ]", ["} ]"]),
        ("Answer: I am not sure", []),  # 'I' here is a pronoun, not option I
    ],
)
def test_final_answers_in_misread_forms(output: str, expected: list[str]) -> None:
    answers = final_answers(output)
    assert [a.text for a in answers] == expected
    for answer in answers:
        assert answer.text in answer.quote and answer.quote in output


@pytest.mark.parametrize(
    ("output", "firm"),
    [
        ("The answer is (B). No wait, it grows, so the answer is (C).", [True, True]),
        ("If none fits, then the correct answer would be Choice D.", [False]),
        ("Candidiasis (Choice B) is the most likely cause.", [False]),
        ("Therefore, the solution is Choice A.", [True]),
        ("Answer: C", [True]),
    ],
)
def test_an_answer_weighed_in_passing_is_not_firm(output: str, firm: list[bool]) -> None:
    assert [a.firm for a in final_answers(output)] == firm


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("None of the choices are correct", True),
        ("The correct answer cannot be determined with the information provided", True),
        ("The correct answer is not among the choices provided", True),
        ("No suitable choice provided", True),
        ("Both responses are equally good", True),
        ("None of the ions cancel out", False),
        ("Choice B", False),
    ],
)
def test_says_none_of_options(text: str, expected: bool) -> None:
    assert says_none_of_options(text) is expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("(K)", "K"), ("Option Z", "Z"), ("Choice_C (Na2S)", "C"), ("Choice_A: Fructose intolerance", "A"), ("K", None)],
)
def test_normalise_choice_labels_past_j(answer: str, expected: str | None) -> None:
    assert normalise_choice(answer) == expected


@pytest.mark.parametrize(
    ("text", "value", "number"),
    [("1/6", 1 / 6, True), ("-3/4", -0.75, True), ("2, 4, 7, 9", 2.0, False), ("12 kg", 12.0, True), ("none", None, False)],
)
def test_fractions_and_whole_numbers(text: str, value: float | None, number: bool) -> None:
    parsed = parse_number(text)
    assert (parsed is None and value is None) or parsed == pytest.approx(value)
    assert is_number(text) is number

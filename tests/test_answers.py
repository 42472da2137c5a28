"""Tests for final-answer extraction and answer comparison (errormap.answers)."""

from __future__ import annotations

import pytest

from errormap.answers import (
    AnswerKind,
    canonical_answer,
    final_answers,
    last_answer,
    normalise_choice,
    normalise_text,
    parse_number,
    reference_kind,
    same_answer,
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

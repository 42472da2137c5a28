"""Tests for the rule-based offline judge (errormap.judge.detectors) on small crafted failures."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from errormap.demo import DATASETS, MODELS, assign_kinds, generate_demo
from errormap.demo.base import rng_for
from errormap.judge import detectors
from errormap.judge.detectors import (
    DETECTORS,
    TITLE_FAMILIES,
    UNEXPLAINED_TITLE,
    CaseView,
    Family,
    detect_language,
    diagnose_offline,
    quote,
    words_to_number,
)
from errormap.judge.schemas import Diagnosis, FailureCase, Verdict
from errormap.settings import default_settings
from errormap.steps.analyze import build_cases
from errormap.steps.prepare import prepare

MET, PART, NOT, ABSENT = Verdict.met, Verdict.partially, Verdict.not_met, Verdict.absent

MCQ = (
    "In eukaryotic cells, which organelle is the main site of aerobic respiration?\n\nOptions:\n"
    "A) Golgi apparatus\nB) Ribosome\nC) Mitochondrion\nD) Nucleus\n\n"
    "Answer with the letter of the correct option."
)
MCQ_BOTTLE = (
    "Which container keeps a fizzy drink sealed best?\n\nOptions:\n"
    "A) A paper cup\nB) An open bowl\nC) A glass bottle\nD) A plastic bag\n\n"
    "Answer with the letter of the correct option."
)
MCQ_PH = (
    "What is the pH of pure water at 25 °C?\n\nOptions:\nA) 10\nB) 7\nC) 14\nD) 0\n\n"
    "Answer with the letter of the correct option."
)
ARITH = (
    "Maya buys 3 apples at $18 each and 8 oranges at $5 each. How many dollars does Maya spend in total?\n\n"
    'Solve the problem step by step and finish with "The answer is <number>."'
)
MCQ_INLINE = (
    "Question: Which gas makes up most of the air we breathe?\nOptions: A. Oxygen\nB. Nitrogen\nC. Argon\n"
    "D. Carbon dioxide\nAnswer with the letter of the correct option."
)
SORT = "Sort these words alphabetically: pear apple fig banana"
TEN_OPTIONS = (
    "Question: What is 2 to the power of 9?\nOptions: (A) 2 (B) 4 (C) 8 (D) 16 (E) 32 (F) 64 (G) 128 (H) 256 (I) 512 "
    "(J) 1024\nAnswer with the letter in parentheses."
)
FEW_SHOT = (
    "Question: What is the SI unit of force?\n(A) Joule (B) Newton (C) Watt (D) Pascal\n"
    "Answer: Let's think step by step. Force is measured in newtons. The answer is (B).\n\n"
    "Question: What happens to the period of a pendulum if its length grows?\n"
    "(A) It shrinks (B) It stays the same (C) It grows (D) It vanishes\nAnswer: Let's think step by step."
)
RUN_ON = (
    " A longer pendulum swings more slowly. The answer is (C).\n\nQuestion: What does an ammeter measure?\n"
    "(A) Voltage (B) Current\nAnswer: Let's think step by step. Current. The answer is (B)."
)
PLAIN = "Maya buys 3 apples at $18 each and 8 oranges at $5 each. How many dollars does Maya spend in total?"
GSM8K = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?"
)
DUCKS = (
    "Ducks need to eat 3.5 pounds of insects each week to survive. If there is a flock of ten ducks, how many "
    "pounds of insects do they need per day?"
)
EGGS = "A box holds 12 eggs. Tom has 2 boxes and uses 12 eggs. How many eggs does Tom have left?"
UNIT = (
    "Convert 93.5 nautical miles to kilometres, using 1 nmi = 1.852 km. Round the result to 2 decimal places "
    'and finish with a line of the form "Answer: <number>".'
)
QA = 'Which two elements make up water?\n\nAnswer briefly and finish with a line of the form "Answer: <answer>".'
RIVER = 'What is the longest river in South America?\n\nAnswer briefly and finish with a line of the form "Answer: <answer>".'
SPANISH_TASK = (
    "¿Cuál es la capital de Francia? Responde con el nombre de la ciudad y explica por qué es la capital del país."
)

SPANISH_OUTPUT = (
    "Vamos a resolver el problema paso a paso. El precio de las manzanas es 54 y el de las naranjas es 40. "
    "La respuesta es 94 dólares, que es el total para la compra."
)
FRENCH_OUTPUT = (
    "Résolvons le problème étape par étape. Le prix des pommes est 54 et le prix des oranges est 40. "
    "La réponse est 94 dollars, et ce sont les dépenses pour les fruits."
)
ENGLISH_WITH_FOREIGN_WORDS = (
    "The price per apple is 18 and the price per orange is 5. De facto, the total is 54 plus 40, "
    "which is the sum of the two costs.\nThe answer is 94."
)
LONG_REASONING = (
    "Let us look at each organelle in turn. The Golgi apparatus modifies, sorts and packages proteins for "
    "secretion, so it has nothing to do with releasing energy from glucose. Ribosomes translate messenger RNA "
    "into proteins. The nucleus stores the genetic material and controls gene expression. I cannot provide an "
    "exact count of the mitochondria in a typical cell, since it varies a lot between tissues, but mitochondria "
    "are where the Krebs cycle and oxidative phosphorylation take place, which is what aerobic respiration "
    "means. Muscle and liver cells are packed with them because they need a lot of ATP. Everything therefore "
    "points to the mitochondrion as the main site of aerobic respiration in eukaryotic cells.\nAnswer: C"
)
LOOP = "Let me think about this again."


def make_case(output: str, reference: str | None, input_text: str = PLAIN, peers: tuple[str, ...] = ()) -> FailureCase:
    return FailureCase(
        failure_id="f1",
        dataset="crafted",
        example_id="e1",
        model="m1",
        input_text=input_text,
        output_text=output,
        correct_answer=reference,
        peer_outputs=list(peers),
    )


def first_detector(case: FailureCase) -> str | None:
    """Name of the first detector in DETECTORS that fires (None: unexplained)."""
    view = CaseView(case)
    for detector in DETECTORS:
        if detector(view) is not None:
            return detector.__name__
    return None


def assert_well_formed(diagnosis: Diagnosis, output: str) -> None:
    """Evidence is verbatim and agrees with the verdict; the title is a known one."""
    assert diagnosis.error_title == UNEXPLAINED_TITLE or diagnosis.error_title in TITLE_FAMILIES
    assert diagnosis.error_summary.strip()
    assert diagnosis.criteria
    for criterion in diagnosis.criteria:
        if criterion.evidence:
            assert criterion.evidence in output, f"evidence not verbatim: {criterion.evidence!r}"
        # a criterion is 'absent' exactly when there is nothing to quote
        assert (criterion.verdict is ABSENT) == (criterion.evidence == ""), criterion


# --------------------------------------------------------------------------------------------
# Every detector fires on a crafted case.
# (id, detector that must fire first, input, output, reference, peers, title, verdicts, evidence quotes)
# --------------------------------------------------------------------------------------------

FIRES = [
    ("empty", "empty_output", QA, "", "hydrogen and oxygen", (), "Empty response", [ABSENT], []),
    ("empty-whitespace", "empty_output", QA, "  \n\t ", "hydrogen and oxygen", (), "Empty response", [ABSENT], []),
    ("refusal", "refusal", QA, "I'm sorry, but I can't help with that. Please consult a chemistry textbook.",
     "hydrogen and oxygen", (), "Refusal to answer", [NOT, ABSENT], ["I'm sorry, but I can't help with that."]),
    ("refusal-assist", "refusal", QA, "Unfortunately I can't assist with that.", "hydrogen and oxygen", (),
     "Refusal to answer", [NOT, ABSENT], ["I can't assist with that."]),
    ("refusal-not-able", "refusal", MCQ, "I apologize, but I'm not able to answer this question.", "C", (),
     "Refusal to answer", [NOT, ABSENT], ["I'm not able to answer this question."]),
    ("refusal-as-an-ai", "refusal", PLAIN, "As an AI language model, I cannot do shopping calculations for you.",
     "94", (), "Refusal to answer", [NOT, ABSENT], ["As an AI language model, I cannot"]),
    ("safety-refusal", "refusal", QA,
     "I'm sorry, but I can't help with that. Questions about chemicals could be dangerous.",
     "hydrogen and oxygen", (), "Unwarranted safety refusal", [NOT, ABSENT], ["I'm sorry, but I can't help with that."]),
    ("safety-refusal-medical", "refusal", MCQ, "I cannot provide medical advice about cells.", "C", (),
     "Unwarranted safety refusal", [NOT, ABSENT], ["I cannot provide medical advice"]),
    ("repetition-lines", "repetition_loop", QA, "Water is a molecule.\n" + "\n".join([LOOP] * 8),
     "hydrogen and oxygen", (), "Repetition loop", [NOT, ABSENT], [LOOP]),
    ("repetition-spaces", "repetition_loop", ARITH, "Step 1: 18 * 3 = 54. " + " ".join([LOOP] * 12), "94", (),
     "Repetition loop", [NOT, ABSENT], [LOOP]),
    ("spanish", "wrong_language", ARITH, SPANISH_OUTPUT, "94", (), "Response in wrong language", [NOT, ABSENT],
     ["El precio de las manzanas es 54 y el de las naranjas es 40."]),
    ("french", "wrong_language", ARITH, FRENCH_OUTPUT, "94", (), "Response in wrong language", [NOT, ABSENT],
     ["Le prix des pommes est 54 et le prix des oranges est 40."]),
    ("truncated", "truncated", ARITH, "First, the apples cost 18 * 3 = 54 dollars. Then the oranges cost", "94", (),
     "Truncated response", [NOT, ABSENT], ["Then the oranges cost"]),
    ("truncated-mcq", "truncated", MCQ, "Looking at the options: mitochondria run the Krebs cycle and the", "C", (),
     "Truncated response", [NOT, ABSENT], ["Krebs cycle and the"]),
    ("conflicting-choice", "conflicting_answers", MCQ,
     "Answer: A\nActually, on second thought, I may have been too quick there.\nAnswer: C", "C", (),
     "Conflicting final answers", [NOT, MET], ["Answer: C"]),
    ("conflicting-number", "conflicting_answers", ARITH,
     "54 + 40 = 94.\nThe answer is 94.\nHmm, wait. Let me reconsider that.\nThe answer is 95.", "94", (),
     "Conflicting final answers", [NOT, NOT], ["The answer is 95."]),
    ("conflicting-text", "conflicting_answers", RIVER, "Answer: Nile\nLet me double-check...\nAnswer: Amazon",
     "Amazon", (), "Conflicting final answers", [NOT, MET], ["Answer: Amazon"]),
    ("option-text-no-final", "missing_final_answer", MCQ,
     "Mitochondrion is the main site, because it runs the Krebs cycle.", "C", (),
     "Option text instead of letter", [NOT, ABSENT], ["Mitochondrion is the main site"]),
    ("option-text-final", "option_form", MCQ, "Answer: Mitochondrion", "C", (),
     "Option text instead of letter", [NOT, NOT], ["Answer: Mitochondrion"]),
    ("option-text-starts-with-a", "option_form", MCQ_BOTTLE, "Answer: A glass bottle", "C", (),
     "Option text instead of letter", [NOT, NOT], ["Answer: A glass bottle"]),
    ("answer-buried", "missing_final_answer", ARITH,
     ("Oh, this is a fun one.\n18 * 3 = 54 and 5 * 8 = 40, so 54 + 40 = 94.\n"
      "So if I had to pick, I'd go with 94, which seems like the most sensible reading."), "94", (),
     "Answer not clearly stated", [ABSENT, PART], ["So if I had to pick, I'd go with 94"]),
    ("answer-buried-text", "missing_final_answer", QA,
     "Nitrogen is common in air.\nPutting it together, I'd say it's hydrogen and oxygen, more or less.",
     "hydrogen and oxygen", (), "Answer not clearly stated", [ABSENT, PART], ["I'd say it's hydrogen and oxygen"]),
    ("missing-final", "missing_final_answer", ARITH,
     "Let me think. The apples and the oranges both need to be counted, so we need to add the two costs.", "94", (),
     "Missing final answer", [ABSENT, NOT], ["we need to add the two costs."]),
    ("ignored-format", "ignored_format_instruction", ARITH,
     "18 * 3 = 54 and 5 * 8 = 40, so 54 + 40 = 94.\nFinal answer: 94", "94", (),
     "Ignored answer format instruction", [NOT, MET], ["Final answer: 94"]),
    ("ignored-format-wrong", "ignored_format_instruction", QA, "So the answer is hydrogen.", "hydrogen and oxygen", (),
     "Ignored answer format instruction", [NOT, NOT], ["So the answer is hydrogen."]),
    ("graded-wrong-choice", "answer_matches_reference", MCQ, "Mitochondria run the Krebs cycle.\nAnswer: C", "C", (),
     "Correct answer graded wrong", [MET], ["Answer: C"]),
    ("graded-wrong-choice-prefix", "answer_matches_reference", MCQ, "Solution: Choice_C", "C", (),
     "Correct answer graded wrong", [MET], ["Solution: Choice_C"]),
    ("graded-wrong-bold", "answer_matches_reference", MCQ, "Mitochondria run the Krebs cycle.\n**Answer: C**", "C", (),
     "Correct answer graded wrong", [MET], ["**Answer: C**"]),
    ("graded-wrong-text", "answer_matches_reference", RIVER, "Answer: The Amazon", "Amazon", (),
     "Correct answer graded wrong", [MET], ["Answer: The Amazon"]),
    ("graded-wrong-gsm8k", "answer_matches_reference", GSM8K,
     "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether.\nA: 72",
     "72", (), "Correct answer graded wrong", [MET], ["A: 72"]),
    ("reference-noise", "reference_noise", MCQ, "Only A fits.\nAnswer: A", "D",
     ("Answer: A", "Golgi.\nAnswer: A", "Answer: A", "A fits best.\nAnswer: A"), "Possible reference error", [NOT, MET],
     ["Answer: A"]),
    ("reference-noise-number", "reference_noise", PLAIN, "54 + 40 = 94.\nThe answer is 94.", "18",
     ("The answer is 94.", "#### 94", "A: 94", "54 + 40 = 94\nThe answer is 94."), "Possible reference error", [NOT, MET],
     ["The answer is 94."]),
    ("number-in-words-right", "number_in_words", PLAIN, "The answer is ninety-four.", "94", (),
     "Number written in words", [NOT, MET], ["The answer is ninety-four."]),
    ("number-in-words-wrong", "number_in_words", PLAIN, "The answer is thirteen.", "94", (),
     "Number written in words", [NOT, NOT], ["The answer is thirteen."]),
    ("rounding", "numeric_error", UNIT, "93.5 × 1.852 = 173.162 km.\nAnswer: 173.2", "173.16", (),
     "Rounding or precision error", [NOT, PART], ["Answer: 173.2"]),
    ("arithmetic", "arithmetic_error", PLAIN,
     "Step 1: 18 * 3 = 64.\nStep 2: 5 * 8 = 40.\nStep 3: 64 + 40 = 104.\nThe answer is 104.", "94", (),
     "Arithmetic calculation error", [NOT, NOT], ["18 * 3 = 64", "The answer is 104."]),
    ("arithmetic-gsm8k", "arithmetic_error", GSM8K,
     "Natalia sold 48/2 = <<48/2=25>>25 clips in May.\nNatalia sold 48+25 = <<48+25=73>>73 clips altogether.\nA: 73",
     "72", (), "Arithmetic calculation error", [NOT, NOT], ["48/2=25"]),
    ("arithmetic-symbols", "arithmetic_error", PLAIN, "Apples: $18 × 3 = $64.\nOranges: $5 × 8 = $40.\nThe answer is 104.",
     "94", (), "Arithmetic calculation error", [NOT, NOT], ["$18 × 3 = $64"]),
    ("correct-value-not-reported", "numeric_error", GSM8K,
     "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether.\nA: 250",
     "72", (), "Correct value not reported", [NOT, MET], ["A: 250", "72 clips altogether."]),
    # an answer that a further step would turn into the reference: no rule can tell it from a coincidence
    ("intermediate-value", None, GSM8K, "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nA: 24", "72", (),
     UNEXPLAINED_TITLE, [MET, NOT], ["A: 24"]),
    ("magnitude-x10", "numeric_error", UNIT, "Multiply by the conversion factor to get kilometres.\nAnswer: 1731.6",
     "173.16", (), "Unit or magnitude error", [NOT, NOT], ["Answer: 1731.6"]),
    ("magnitude-div100", "numeric_error", UNIT, "Multiply by the conversion factor to get kilometres.\nAnswer: 1.7316",
     "173.16", (), "Unit or magnitude error", [NOT, NOT], ["Answer: 1.7316"]),
    # a wrong plan, a wrong option, a wrong fact: visible, but no rule can say why (an LLM judge can)
    ("flawed-strategy", None, PLAIN, "The total is the price of one apple plus one orange.\nThe answer is 23.",
     "94", (), UNEXPLAINED_TITLE, [MET, NOT], ["The answer is 23."]),
    ("invalid-label", "option_form", MCQ, "None of the listed organelles fits.\nAnswer: E", "C", (),
     "Invalid option label", [NOT, NOT], ["Answer: E"]),
    ("invalid-label-inline-options", "option_form", MCQ_INLINE, "The answer is (K).", "B", (),
     "Invalid option label", [NOT, NOT], ["The answer is (K)."]),
    ("too-many-options", "option_form", MCQ, "Answer: B and C", "C", (),
     "Wrong number of options selected", [NOT, NOT], ["Answer: B and C"]),
    ("too-few-options", "option_form", MCQ, "Answer: C", "AC", (),
     "Wrong number of options selected", [NOT, NOT], ["Answer: C"]),
    ("none-of-the-options", "option_form", MCQ, "None of them produces ATP.\nSolution: None of the choices are correct.", "C",
     (), "Chose none of the options", [NOT], ["Solution: None of the choices are correct."]),
    ("wrong-option", None, MCQ, "Ribosomes make proteins, so they power the cell.\nAnswer: B", "C", (),
     UNEXPLAINED_TITLE, [MET, NOT], ["Answer: B"]),
    ("wrong-option-parenthesised", None, MCQ, "The answer is (D).", "C", (),
     UNEXPLAINED_TITLE, [MET, NOT], ["The answer is (D)."]),
    ("wrong-option-inline", None, MCQ_INLINE, "(A)", "B", (), UNEXPLAINED_TITLE, [MET, NOT], ["(A)"]),
    ("missing-element", "list_error", QA, "Water contains hydrogen.\nAnswer: hydrogen", "hydrogen and oxygen", (),
     "Missing required element", [ABSENT, NOT], ["Answer: hydrogen"]),
    ("list-out-of-order", "list_error", SORT, "apple banana pear fig", "apple banana fig pear", (),
     "List items out of order", [NOT], ["apple banana pear fig"]),
    ("factual-recall", None, RIVER, "Without doubt, Paraná.\nAnswer: Paraná", "Amazon", (),
     UNEXPLAINED_TITLE, [MET, NOT], ["Answer: Paraná"]),
    ("answer-unknown", "missing_final_answer", PLAIN, "Answer: unknown", "94", (), "Missing final answer", [ABSENT, NOT],
     ["Answer: unknown"]),
    ("start-of-a-chain-of-thought", "missing_final_answer", MCQ_INLINE, "Answer: Let's think step by step.", "B", (),
     "Missing final answer", [ABSENT, NOT], ["Answer: Let's think step by step."]),
    ("unexplained-no-reference", None, PLAIN, "Answer: 94", None, (), UNEXPLAINED_TITLE, [MET, NOT], ["Answer: 94"]),
]


@pytest.mark.parametrize(
    ("detector", "input_text", "output", "reference", "peers", "title", "verdicts", "quotes"),
    [pytest.param(*row[1:], id=row[0]) for row in FIRES],
)
def test_detector_fires(detector, input_text, output, reference, peers, title, verdicts, quotes) -> None:
    case = make_case(output, reference, input_text, peers)
    diagnosis = diagnose_offline(case)
    assert diagnosis.error_title == title, diagnosis.error_summary
    assert first_detector(case) == detector
    assert_well_formed(diagnosis, output)
    assert [c.verdict for c in diagnosis.criteria] == verdicts
    evidence = " ".join(c.evidence for c in diagnosis.criteria)
    for text in quotes:
        assert text in evidence


def test_every_detector_and_title_is_covered() -> None:
    fired = {row[1] for row in FIRES} - {None}
    assert fired == {d.__name__ for d in DETECTORS}
    titles = {row[6] for row in FIRES} | TITLES_TESTED_ELSEWHERE
    assert titles - {UNEXPLAINED_TITLE} == set(TITLE_FAMILIES)


TITLES_TESTED_ELSEWHERE = {"Answer not clearly stated", "Conflicting final answers"}  # both also fire above


def test_a_value_that_correct_solutions_compute_on_the_way_is_not_claimed() -> None:
    """'Answered a different quantity' was dropped: on real outputs the match was mostly a coincidence."""
    output = "The flock eats 3.5 x 10 = 35 pounds.\nA: 35"
    correct = "Ten ducks eat 3.5 * 10 = 35 pounds a week, so 35 / 7 = 5 pounds a day.\nA: 5"
    case = make_case(output, "5", DUCKS).model_copy(update={"other_correct_outputs": [correct]})
    assert diagnose_offline(case).error_title == UNEXPLAINED_TITLE


def test_crafted_titles_have_families() -> None:
    for row in FIRES:
        title = diagnose_offline(make_case(row[3], row[4], row[2], row[5])).error_title
        assert title == UNEXPLAINED_TITLE or title in TITLE_FAMILIES, title
    assert UNEXPLAINED_TITLE not in TITLE_FAMILIES


def _literal_titles(source: str) -> set[str]:
    """Every title literal given to make_diagnosis (directly or via `title = ...`) in the source."""
    tree = ast.parse(textwrap.dedent(source))
    titles: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "make_diagnosis" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                titles.add(first.value)
        if isinstance(node, ast.Assign):
            for target in node.targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                for name, value in zip(names, values):
                    if getattr(name, "id", None) == "title":
                        for constant in ast.walk(value):
                            if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                                titles.add(constant.value)
    return titles


def test_literal_titles_in_source_are_declared_by_their_detector() -> None:
    """Each detector's @emits lists exactly the title literals in its body, and no module gives a title elsewhere."""
    for detector in DETECTORS:
        assert _literal_titles(inspect.getsource(detector)) == set(detector.titles), detector.__name__
    in_modules = set()
    for module in pkgutil.iter_modules(detectors.__path__, f"{detectors.__name__}."):
        in_modules |= _literal_titles(inspect.getsource(importlib.import_module(module.name)))
    assert len(in_modules) >= 20
    assert in_modules - {UNEXPLAINED_TITLE} == set(TITLE_FAMILIES)


def test_titles_emitted_on_the_test_cases_are_declared_by_the_detector() -> None:
    """Every title a detector gives on the crafted cases is one it declares, and every declared title has a family."""
    cases = [make_case(row[3], row[4], row[2], row[5]) for row in FIRES]
    cases += [make_case(row[2], row[3], row[1], row[4]) for row in NEAR_MISSES]
    cases.append(make_case("The flock eats 3.5 x 10 = 35 pounds.\nA: 35", "5", DUCKS).model_copy(
        update={"other_correct_outputs": ["Ten ducks eat 3.5 * 10 = 35 pounds a week, so 35 / 7 = 5 pounds a day.\nA: 5"]}
    ))
    emitted: dict[str, set[str]] = {}
    for case in cases:
        view = CaseView(case)
        for detector in DETECTORS:
            diagnosis = detector(view)
            if diagnosis is not None:
                assert diagnosis.error_title in detector.titles, (detector.__name__, diagnosis.error_title)
                emitted.setdefault(detector.__name__, set()).add(diagnosis.error_title)
    assert set(emitted) == {d.__name__ for d in DETECTORS}
    assert set().union(*emitted.values()) == set(TITLE_FAMILIES)
    for detector in DETECTORS:
        for title, family in detector.titles.items():
            assert TITLE_FAMILIES[title] == family
            assert family in vars(Family).values(), (title, family)


# --------------------------------------------------------------------------------------------
# Near misses: the named title must NOT come out (and, where it is clear, what should instead).
# (id, input, output, reference, peers, forbidden title, expected title or None)
# --------------------------------------------------------------------------------------------

NEAR_MISSES = [
    # language
    ("english-with-per-de", ARITH, ENGLISH_WITH_FOREIGN_WORDS, "94", (), "Response in wrong language",
     "Correct answer graded wrong"),
    ("english-wrong-value-with-per-de", ARITH, ENGLISH_WITH_FOREIGN_WORDS.replace("94", "95"), "94", (),
     "Response in wrong language", UNEXPLAINED_TITLE),
    ("spanish-task-spanish-output", SPANISH_TASK,
     "La capital de Francia es París, que es la ciudad más grande del país y la sede del gobierno.\nAnswer: París",
     "París", (), "Response in wrong language", "Correct answer graded wrong"),
    ("short-english", PLAIN, "Answer: 94", "93", (), "Response in wrong language", None),
    # truncation
    ("finished-sentence", ARITH, "We need to add the cost of the apples and the oranges together.", "94", (),
     "Truncated response", "Missing final answer"),
    ("bare-letter", MCQ, "B", "C", (), "Truncated response", UNEXPLAINED_TITLE),  # B is an answer, a wrong one
    ("bare-letter-parenthesised", MCQ, "(B)", "C", (), "Truncated response", None),
    ("bold-letter", MCQ, "**B**", "C", (), "Truncated response", None),
    ("ends-with-number", PLAIN, "Apples cost 54 and oranges cost 40, so 54 + 40 = 93", "94", (), "Truncated response",
     "Arithmetic calculation error"),
    ("question", PLAIN, "Should I add the two costs?", "94", (), "Truncated response", "Missing final answer"),
    ("final-without-period", RIVER, "Answer: Mount Everest", "Amazon", (), "Truncated response", UNEXPLAINED_TITLE),
    # conflicting answers
    ("same-answer-twice", MCQ, "Answer: B\nWait, let me reconsider that.\nAnswer: B", "C", (),
     "Conflicting final answers", UNEXPLAINED_TITLE),
    ("same-letter-two-forms", MCQ, "Answer: B\nLet me double-check.\nAnswer: (B)", "C", (),
     "Conflicting final answers", UNEXPLAINED_TITLE),
    ("same-number-two-forms", PLAIN, "The answer is $1,200.\n#### 1200", "1300", (), "Conflicting final answers",
     None),
    ("option-lines-are-not-answers", MCQ,
     "A: Golgi apparatus packages proteins\nB: Ribosome makes proteins\nAnswer: C", "C", (),
     "Conflicting final answers", "Correct answer graded wrong"),
    # option text / choice parsing
    ("inline-options-valid-letter", MCQ_INLINE, "(A)", "B", (), "Invalid option label", UNEXPLAINED_TITLE),
    ("answer-is-letter-i", TEN_OPTIONS, "2^9 = 512. The answer is (I).", "I", (), "Invalid option label",
     "Correct answer graded wrong"),
    ("api-let-us-think", MCQ_INLINE, "Answer: Let's think step by step.", "B", (), "Conflicting final answers",
     "Missing final answer"),
    ("few-shot-run-on", FEW_SHOT, RUN_ON, "C", (), "Conflicting final answers", "Correct answer graded wrong"),
    ("letter-is-not-option-text", MCQ, "Answer: D", "C", (), "Option text instead of letter", UNEXPLAINED_TITLE),
    # one short statement may be a reply in a form no rule reads: no claim that the answer is missing
    ("short-option-text", MCQ_PH, "Pure water is neutral, with a pH of 7.", "B", (), "Option text instead of letter",
     UNEXPLAINED_TITLE),
    ("tie-verdict", "Which summary is better?\n\nSummary A: x\nSummary B: y\n\nAnswer A or B.",
     "Both summaries are about as good.", "A", (), "Missing final answer", None),
    ("a-glass-bottle-not-choice-a", MCQ_BOTTLE, "Answer: A glass bottle", "C", (), "Wrong option selected",
     "Option text instead of letter"),
    ("choice-prefix-is-valid", MCQ, "Solution: Choice_B", "C", (), "Invalid option label", UNEXPLAINED_TITLE),
    ("option-word-is-valid", MCQ, "The answer is Option D.", "C", (), "Invalid option label", UNEXPLAINED_TITLE),
    ("lowercase-letter-is-valid", MCQ, "Answer: (d)", "C", (), "Invalid option label", UNEXPLAINED_TITLE),
    ("multi-letter-in-any-order", MCQ, "Answer: C and A", "AC", (), "Wrong number of options selected",
     "Correct answer graded wrong"),
    ("option-text-with-multi-reference", MCQ, "Answer: Mitochondrion", "AC", (), "Correct answer graded wrong",
     "Option text instead of letter"),
    # answer not clearly stated vs missing
    ("reference-inside-longer-number", PLAIN, "I computed 15 apples in total, so that is where I would land.", "5", (),
     "Answer not clearly stated", None),
    ("reference-inside-more-decimals", UNIT, "93.5 × 1.852 = 173.162 km.\nRounding to 2", "173.16", (),
     "Answer not clearly stated", None),
    ("letter-inside-words", MCQ, "Both of these are about cellular biology.", "B", (), "Answer not clearly stated",
     UNEXPLAINED_TITLE),
    # refusal
    ("apology-then-answer", QA,
     "I'm sorry for the confusion earlier. Water is made of hydrogen and oxygen.\nAnswer: hydrogen and oxygen",
     "hydrogen and oxygen", (), "Refusal to answer", "Correct answer graded wrong"),
    ("cant-help-but-notice", ARITH, "I can't help but notice the prices are small. 54 + 40 = 94.\nThe answer is 95.",
     "94", (), "Refusal to answer", None),
    ("long-answer-with-cannot-provide", MCQ, LONG_REASONING, "C", (), "Refusal to answer", "Correct answer graded wrong"),
    # repetition
    ("repeated-twice", QA, f"{LOOP}\nWater is H2O.\n{LOOP}\nIt has hydrogen and oxygen atoms.\nAnswer: hydrogen and oxygen",
     "hydrogen and oxygen", (), "Repetition loop", "Correct answer graded wrong"),
    ("short-units-repeated", QA, "Yes. Yes. Yes. Yes. Yes.\nAnswer: hydrogen", "hydrogen and oxygen", (),
     "Repetition loop", "Missing required element"),
    ("distinct-steps", PLAIN, "Step 1: 18 * 3 = 54.\nStep 2: 5 * 8 = 40.\nStep 3: 54 + 40 = 94.\nStep 4: check 94.\nAnswer: 94",
     "94", (), "Repetition loop", "Correct answer graded wrong"),
    # format instruction
    ("format-followed", ARITH, "54 + 40 = 94.\nThe answer is 94.", "94", (), "Ignored answer format instruction",
     "Correct answer graded wrong"),
    ("no-format-instruction", PLAIN, "54 + 40 = 94.\nFinal answer: 94", "94", (), "Ignored answer format instruction",
     "Correct answer graded wrong"),
    # reference noise: agreement must be strong (conf/judge/offline.yaml): five models, 80%, none for the reference
    ("four-models-agree", MCQ, "Answer: A", "D", ("Answer: A", "Answer: A", "Answer: A"), "Possible reference error",
     UNEXPLAINED_TITLE),
    ("one-gives-the-reference", MCQ, "Answer: A", "D", ("Answer: A", "Answer: A", "Answer: A", "Answer: A", "Answer: D"),
     "Possible reference error", UNEXPLAINED_TITLE),
    ("one-peer-agrees", MCQ, "Answer: A", "D", ("Answer: A", "Answer: B", "Answer: D"), "Possible reference error",
     UNEXPLAINED_TITLE),
    ("too-few-peers", MCQ, "Answer: A", "D", ("Answer: A",), "Possible reference error", UNEXPLAINED_TITLE),
    ("peers-without-answers", MCQ, "Answer: A", "D", ("I think A.", "Probably A.", "A for sure."),
     "Possible reference error", UNEXPLAINED_TITLE),
    # numbers
    ("digits-not-words", PLAIN, "The answer is 95.", "94", (), "Number written in words", None),
    ("words-for-text-reference", RIVER, "Answer: twelve", "Amazon", (), "Number written in words", UNEXPLAINED_TITLE),
    ("not-close-enough-for-rounding", PLAIN, "The total is the price of both fruits.\nThe answer is 96.", "94", (),
     "Rounding or precision error", UNEXPLAINED_TITLE),
    # the reference value stands in the work only because the question gave it: nothing was reached
    ("reference-copied-from-question", EGGS, "Two boxes hold 12 + 2 = 14 eggs. He uses 12, so 14 - 12 = 2 are left.\nA: 2",
     "12", (), "Correct value not reported", None),
    ("gsm8k-correct-step", GSM8K, "She sold 2*3=<<2*3=6>>6 clips.\nA: 6", "72", (), "Arithmetic calculation error",
     UNEXPLAINED_TITLE),
    # The final value is restated in the work, but no single further step leads to the reference.
    ("restated-answer-not-intermediate", GSM8K, "In May she sold 48 - 10 = 38 clips.\nThe answer is 38.\nA: 38", "72",
     (), "Intermediate value reported as final", UNEXPLAINED_TITLE),
    ("correct-steps-with-separators", PLAIN, "1,200 + 300 = 1,500 and $12 × 3 = $36 and 10 / 4 = 2.5.\nThe answer is 7.",
     "94", (), "Arithmetic calculation error", UNEXPLAINED_TITLE),
    ("decimals-within-tolerance", UNIT, "21.7 × 2.20462 = 47.84 lb.\nAnswer: 47.85", "47.84", (),
     "Arithmetic calculation error", "Rounding or precision error"),
    ("off-by-factor-two", UNIT, "Multiply by the conversion factor to get kilometres.\nAnswer: 346.32", "173.16", (),
     "Unit or magnitude error", UNEXPLAINED_TITLE),
    # text answers
    ("free-text-reference", "Explain how plants make food.", "- Leaves catch light\n- Roots bring water",
     "Plants use sunlight, water and carbon dioxide to make sugar in their leaves.", (), "Missing final answer",
     UNEXPLAINED_TITLE),
    ("complete-list-is-not-truncated", "Explain how plants make food.", "- Leaves catch light\n- Roots bring water",
     "Plants use sunlight, water and carbon dioxide to make sugar in their leaves.", (), "Truncated response", None),
    ("all-elements-present", QA, "Answer: hydrogen and oxygen", "hydrogen and oxygen", (), "Missing required element",
     "Correct answer graded wrong"),
    ("elements-in-other-order", QA, "Answer: oxygen and hydrogen", "hydrogen and oxygen", (), "Missing required element",
     None),
    ("reference-with-article", RIVER, "Answer: The Amazon", "Amazon", (), "Factual recall error",
     "Correct answer graded wrong"),
]


@pytest.mark.parametrize(
    ("input_text", "output", "reference", "peers", "forbidden", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in NEAR_MISSES],
)
def test_near_miss(input_text, output, reference, peers, forbidden, expected) -> None:
    diagnosis = diagnose_offline(make_case(output, reference, input_text, peers))
    assert diagnosis.error_title != forbidden, diagnosis.error_summary
    if expected is not None:
        assert diagnosis.error_title == expected, diagnosis.error_summary
    assert_well_formed(diagnosis, output)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("zero", 0),
        ("twelve", 12),
        ("Twelve.", 12),
        ("ninety-four", 94),
        ("twenty one", 21),
        ("three hundred", 300),
        ("one hundred and five", 105),
        ("one thousand one hundred and twenty-two", 1122),
        ("two thousand three hundred", 2300),
        ("one hundred thousand", 100_000),
        ("two million five hundred thousand", 2_500_000),
        ("hundred", 100),
        ("94", None),
        ("apple", None),
        ("twelve apples", None),
        ("", None),
        ("and", None),
    ],
)
def test_words_to_number(text: str, value: int | None) -> None:
    assert words_to_number(text) == value


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (SPANISH_OUTPUT, "es"),
        (FRENCH_OUTPUT, "fr"),
        (ENGLISH_WITH_FOREIGN_WORDS, "en"),
        ("Die Antwort ist nicht einfach, aber das Ergebnis ist mit der Rechnung auch klar.", "de"),
        ("Answer: 94", None),  # too few stop words to decide
        ("", None),
    ],
)
def test_detect_language(text: str, language: str | None) -> None:
    assert detect_language(text)[0] == language


def test_quote_is_a_verbatim_prefix() -> None:
    text = "  " + "x" * 200 + "  "
    assert quote(text) == "x" * 160 and quote(text) in text
    assert quote("  short  ") == "short"


# --------------------------------------------------------------------------------------------
# Integration: the demo benchmark's simulated models get the titles they were designed for.
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_diagnoses(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[FailureCase, Diagnosis]]:
    directory: Path = tmp_path_factory.mktemp("demo")
    generate_demo(directory)
    prepared = prepare(default_settings(), directory)
    marked, failures = prepared.results, prepared.failures
    cases = build_cases(marked, failures, seed=default_settings().seed)
    assert len(cases) == len(failures) > 100
    return [(case, diagnose_offline(case)) for case in cases]


def _titles(demo_diagnoses, model: str) -> Counter[str]:
    titles = Counter(d.error_title for c, d in demo_diagnoses if c.model == model)
    assert titles, f"no failures for {model}"
    return titles


def _share(titles: Counter[str], wanted) -> float:
    return sum(n for t, n in titles.items() if t in wanted) / sum(titles.values())


def test_demo_evidence_is_verbatim(demo_diagnoses) -> None:
    for case, diagnosis in demo_diagnoses:
        assert_well_formed(diagnosis, case.output_text)


def test_demo_drift_is_degenerate(demo_diagnoses) -> None:
    titles = _titles(demo_diagnoses, "drift-3b")
    designed = {"Empty response", "Truncated response", "Repetition loop"}
    assert _share(titles, designed) >= 0.8, titles
    assert {t for t, _ in titles.most_common(3)} == designed


def test_demo_ember_refuses_and_conflicts(demo_diagnoses) -> None:
    titles = _titles(demo_diagnoses, "ember-chat")
    designed = {"Refusal to answer", "Unwarranted safety refusal", "Conflicting final answers"}
    assert _share(titles, designed) >= 0.8, titles
    assert titles.most_common(1)[0][0] in designed


def test_demo_borealis_violates_instructions(demo_diagnoses) -> None:
    titles = _titles(demo_diagnoses, "borealis-13b")
    family = {t for t, f in TITLE_FAMILIES.items() if f == "Instruction violation"}
    assert _share(titles, family) >= 0.7, titles
    assert titles.most_common(1)[0][0] in family


DESIGNED = {  # failure kind the demo's models were given -> titles that name it
    "empty": {"Empty response"},
    "refusal": {"Refusal to answer", "Unwarranted safety refusal"},
    "repetition": {"Repetition loop"},
    "truncated": {"Truncated response"},
    "conflicting": {"Conflicting final answers"},
    "option_text": {"Option text instead of letter"},
    "answer_buried": {"Answer not clearly stated", "Ignored answer format instruction"},
    "number_in_words": {"Number written in words"},
    "noisy": {"Possible reference error"},
    "omission": {"Missing required element"},
    "arithmetic_slip": {"Arithmetic calculation error", "Unit or magnitude error"},
    "approximation": {"Rounding or precision error"},
}


@pytest.fixture(scope="module")
def demo_kinds() -> dict[tuple[str, str, str], str]:
    """(dataset, example, model) -> the failure kind the demo generator gave it."""
    kinds = {}
    for dataset in DATASETS:
        examples = dataset.build(rng_for(0, dataset.name, "examples"))
        noisy = {e.example_id for e in examples if e.noisy}
        for model in MODELS:
            for example_id, kind in assign_kinds(dataset, examples, model, rng_for(0, dataset.name, model, "plan")).items():
                kinds[(dataset.name, example_id, model)] = "noisy" if example_id in noisy else kind
    return kinds


def test_demo_designed_failures_get_their_titles(demo_diagnoses, demo_kinds) -> None:
    """Kinds a rule can see get their title; a wrong choice or a wrong fact is never named, only not explainable."""
    by_kind: dict[str, Counter[str]] = {}
    for case, diagnosis in demo_diagnoses:
        kind = demo_kinds[(case.dataset, case.example_id, case.model)]
        by_kind.setdefault(kind, Counter())[diagnosis.error_title] += 1
    for kind, titles in DESIGNED.items():
        assert _share(by_kind[kind], titles) >= 0.7, (kind, by_kind[kind])  # a cut short answer can read as one
    assert set(by_kind["wrong_choice"]) == {UNEXPLAINED_TITLE}
    assert by_kind["wrong_fact"][UNEXPLAINED_TITLE] >= 0.7 * sum(by_kind["wrong_fact"].values())
    unexplained = sum(d.error_title == UNEXPLAINED_TITLE for _, d in demo_diagnoses)
    assert 0.1 * len(demo_diagnoses) < unexplained < 0.3 * len(demo_diagnoses)

"""The seed release 0.1.0: error categories written by hand for errormap, to be replaced by induced releases.

Its top level holds the five error types the ErrorMap paper reports as most common in ErrorAtlas and
the further kinds it names; two categories are split one level further. Each category lists example
error titles, among them the titles the offline judge gives, so the offline judge can classify into it.
`python -m errormap.atlas.seed [ROOT]` writes the release directory and the changelog's first entry.
"""

from __future__ import annotations

import sys
from pathlib import Path

from errormap.atlas.model import AtlasCategory, AtlasRelease, BuiltFrom

SEED_VERSION = "0.1.0"
SEED_DATE = "2026-12-01"
SEED_SUMMARY = (
    "A hand-written starting taxonomy of why language models fail benchmark items. Use it to classify "
    "failures before you have enough of your own to induce a taxonomy, then publish an induced release."
)

# (id, name, description, example titles)
_CATEGORIES: list[tuple[str, str, str, list[str]]] = [
    ("1", "Missing Required Element",
     "The answer leaves out something the task explicitly asks for: one of several requested items, a part of a "
     "multi-part answer, or a detail the reference treats as essential. What is there may be right; the failure "
     "is the omission.",
     ["Missing required element", "Omitted a requested item", "Answered only part of the question",
      "Required detail absent", "Left out a required field"]),
    ("2", "Specification Misinterpretation",
     "The model answers another question than the one asked: it misreads which quantity, item or form is "
     "wanted, drops or invents a constraint, or selects the wrong number of options. The work can be sound "
     "for the question it believed it saw.",
     ["Answered a different quantity", "Wrong number of options selected", "Misread question constraints",
      "Ignored a stated condition", "Misunderstood the task", "List items out of order"]),
    ("3", "Logical Reasoning Error",
     "The steps do not support the conclusion: a wrong solution strategy, an invalid inference, a contradiction "
     "or a missed case in the argument leads to a wrong answer even where facts and arithmetic are right.",
     ["Flawed solution strategy", "Faulty logical deduction", "Invalid inference", "Contradictory reasoning steps",
      "Missed case in case analysis"]),
    ("4", "Incorrect Identification",
     "The model knows what kind of answer is wanted but picks the wrong instance of it: another option, entity, "
     "label or span, often a plausible distractor.",
     ["Wrong option selected", "Misidentified the entity", "Picked the wrong item", "Wrong label assigned",
      "Confused similar concepts"]),
    ("5", "Computation Error",
     "The approach is right but a number comes out wrong: an arithmetic slip, rounding at the wrong precision, a "
     "unit or magnitude mistake, or a correct value that is not carried into the final answer.",
     ["Arithmetic calculation error", "Rounding or precision error", "Unit or magnitude error",
      "Correct value not reported", "Algebraic manipulation error"]),
    ("5.1", "Arithmetic Slip",
     "One calculation step (a sum, product, quotient or sign) gives a wrong result, and the error carries into "
     "the answer.",
     ["Arithmetic calculation error", "Multiplication slip", "Addition mistake", "Sign error"]),
    ("5.2", "Rounding or Precision Error",
     "The value is close to the reference but rounded or truncated at the wrong precision.",
     ["Rounding or precision error", "Premature rounding", "Too few decimal places"]),
    ("5.3", "Unit or Magnitude Error",
     "The value is off by a unit conversion or by a power of ten.",
     ["Unit or magnitude error", "Unit conversion error", "Off by a power of ten"]),
    ("5.4", "Correct Value Not Reported",
     "The work reaches the right value, but the final answer states a different number.",
     ["Correct value not reported", "Reported a different value than computed", "Copied the wrong number into the answer"]),
    ("6", "Formatting Violation",
     "The content may be right but the answer breaks the required form: a requested format, option letter, "
     "numeric style or language is not followed, or no single final answer can be read off, so it cannot be "
     "graded as correct.",
     ["Ignored answer format instruction", "Option text instead of letter", "Invalid option label",
      "Number written in words", "Answer not clearly stated", "Conflicting final answers",
      "Response in wrong language", "Answer format violation"]),
    ("6.1", "Answer Format Ignored",
     "An explicit answer form is not followed: option text instead of its letter, an option label that does not "
     "exist, a number written in words, or another format instruction.",
     ["Ignored answer format instruction", "Option text instead of letter", "Invalid option label",
      "Number written in words", "Answer format violation"]),
    ("6.2", "Unclear or Conflicting Answer",
     "No single final answer can be read off: it is never stated clearly, or several different final answers "
     "are given.",
     ["Answer not clearly stated", "Conflicting final answers", "Hedged between two answers"]),
    ("6.3", "Wrong Response Language",
     "The answer is written in another language than the task asks for.",
     ["Response in wrong language", "Switched language mid-answer"]),
    ("7", "Factual Knowledge Error",
     "The answer rests on a fact that is false or invented: a wrong date, name, definition or property recalled "
     "from memory, or supporting facts that do not exist.",
     ["Factual recall error", "Hallucinated supporting facts", "Outdated fact", "Wrong date or name recalled"]),
    ("8", "Incomplete Reasoning",
     "The reasoning starts well but stops short: the last step is missing, an intermediate result is given as "
     "the answer, or the work ends without ever stating a final answer.",
     ["Intermediate value reported as final", "Missing final answer", "Premature final conclusion",
      "Stopped before the last step", "Skipped required steps"]),
    ("9", "Counting Error",
     "Items, cases or occurrences are counted wrongly: off by one, counted twice, or some cases left out of an "
     "enumeration.",
     ["Miscounted items", "Off-by-one count", "Double counting", "Missed cases in enumeration"]),
    ("10", "Refusal",
     "The model declines, or answers only with a refusal or a claim that it cannot help, although the task is "
     "benign and answerable.",
     ["Refusal to answer", "Unwarranted safety refusal", "Declined a benign request", "Claimed inability to answer"]),
    ("11", "Truncated or Degenerate Output",
     "The output is incomplete or broken as text: empty, cut off before the end, stuck repeating itself or "
     "otherwise degenerate, so there is no usable answer in it.",
     ["Truncated response", "Empty response", "Repetition loop", "Output cut off mid-sentence", "Garbled output"]),
    ("12", "Invalid Reference or Dataset Noise",
     "The fault lies with the benchmark rather than the model: the reference answer looks wrong or ambiguous, "
     "the question is flawed, or the grader rejected an answer equivalent to the reference.",
     ["Possible reference error", "Correct answer graded wrong", "Ambiguous question", "Wrong gold label",
      "Grader rejected an equivalent answer"]),
]


def seed_release() -> AtlasRelease:
    """The seed release as a model."""
    categories = []
    for category_id, name, description, examples in _CATEGORIES:
        parent = category_id.rsplit(".", 1)[0] if "." in category_id else None
        categories.append(
            AtlasCategory(id=category_id, name=name, description=description, parent=parent,
                          depth=category_id.count(".") + 1, examples=examples)
        )
    return AtlasRelease(
        version=SEED_VERSION, date=SEED_DATE, summary=SEED_SUMMARY,
        built_from=BuiltFrom(kind="seed", source="hand-written"), categories=categories,
    )


def write_seed(root: Path | str = ".") -> list[Path]:
    """Write atlas/releases/0.1.0/{taxonomy.json, card.md} and the changelog's seed entry."""
    from errormap.atlas.publish import write_release_files

    return write_release_files(Path(root), seed_release(), notes="The seed release.", diff=None, required=None,
                               previous=None, bump=None)


if __name__ == "__main__":
    for path in write_seed(sys.argv[1] if len(sys.argv) > 1 else "."):
        print(path)

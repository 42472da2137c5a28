"""Who fails how: the models, and per model and dataset which failure kinds occur and how often."""

from __future__ import annotations

COLUMNS = ("example_id", "model", "input_text", "output_text", "score", "correct_answer")
MODELS = ("atlas-7b", "borealis-13b", "cirrus-70b", "drift-3b", "ember-chat")
CORRECT = "correct"

# --------------------------------------------------------------------------------------
# Failure plan: per model and dataset, which failure kinds occur and how often.
# Examples not picked for a failure are answered correctly.
# --------------------------------------------------------------------------------------

Plan = tuple[tuple[str, int], ...]

FAILURE_PLAN: dict[str, dict[str, Plan]] = {
    "atlas-7b": {
        "mcq_science": (("wrong_choice", 10), ("conflicting", 1)),
        "arith_word": (("arithmetic_slip", 11), ("final_mismatch", 1)),
        "short_qa": (("wrong_fact", 9), ("omission", 2)),
        "unit_convert": (("arithmetic_slip", 8), ("rounding", 1)),
    },
    "borealis-13b": {
        "mcq_science": (("option_text", 5), ("answer_buried", 4), ("other_language", 3)),
        "arith_word": (("answer_buried", 4), ("number_in_words", 4), ("other_language", 3)),
        "short_qa": (("answer_buried", 5), ("other_language", 4), ("wrong_fact", 1)),
        "unit_convert": (("answer_buried", 5), ("other_language", 3)),
    },
    "cirrus-70b": {
        "mcq_science": (("wrong_choice", 5),),
        "arith_word": (("final_mismatch", 3), ("approximation", 3)),
        "short_qa": (("omission", 5), ("wrong_fact", 1)),
        "unit_convert": (("rounding", 4), ("final_mismatch", 2)),
    },
    "drift-3b": {
        "mcq_science": (("truncated", 8), ("repetition", 5), ("empty", 4)),
        "arith_word": (("truncated", 8), ("repetition", 5), ("empty", 4)),
        "short_qa": (("truncated", 7), ("repetition", 5), ("empty", 4)),
        "unit_convert": (("truncated", 6), ("repetition", 4), ("empty", 3)),
    },
    "ember-chat": {
        "mcq_science": (("refusal", 7), ("conflicting", 5)),
        "arith_word": (("refusal", 7), ("conflicting", 5)),
        "short_qa": (("refusal", 6), ("conflicting", 5)),
        "unit_convert": (("refusal", 6), ("conflicting", 4)),
    },
}

MODEL_OPENERS: dict[str, tuple[str, ...]] = {
    "atlas-7b": ("", "", "Let's work through this."),
    "borealis-13b": ("", "Sure thing!", "Great question!"),
    "cirrus-70b": ("",),
    "drift-3b": ("", "", "Okay."),
    "ember-chat": ("Happy to help!", "Sure!", "Of course, here is my answer."),
}

# Kinds whose text gets the model's usual opening line.
OPENER_KINDS = frozenset(
    {CORRECT, "truncated", "conflicting", "wrong_choice", "option_text", "arithmetic_slip",
     "final_mismatch", "approximation", "number_in_words", "wrong_fact", "omission", "rounding"}
)

"""The answer kinds every dataset can render (correct, truncated, looping, refused, ...) and their phrasing."""

from __future__ import annotations

import random
from collections.abc import Callable

from errormap.demo.base import DemoDataset, Example, join_lines
from errormap.demo.plan import CORRECT, MODEL_OPENERS, OPENER_KINDS

REFUSAL_TEMPLATES = (
    "I'm sorry, but I can't help with that. {reason}",
    "I'm sorry, but I can't help with this request. {reason}",
    "I apologize, but I'm not able to answer this question. {reason}",
    "Unfortunately I can't assist with that. {reason}",
)
CONFLICT_HEDGES = (
    "Hmm, wait. Let me reconsider that.",
    "Actually, on second thought, I may have been too quick there.",
    "Although, thinking about it again, another answer also seems reasonable.",
    "Let me double-check... I think I made a mistake above.",
)
LOOP_PHRASES = (
    "Let me think about this again.",
    "We need to find the answer to the question.",
    "I will check this one more time.",
    "The question asks us to find the answer.",
)
BURIED_OPENERS = (
    "Great question! Let me walk you through it.",
    "Oh, this is a fun one.",
    "Sure, happy to take a look at this!",
    "Okay, so there are a few things to consider here.",
)
BURIED_BRIDGES = (
    "Putting all of that together, I'd say it's {mention}, although the wording leaves some room for interpretation.",
    "So if I had to pick, I'd go with {mention}, which seems like the most sensible reading.",
    "Which means we end up with {mention}, more or less, depending on how you read the question.",
    "All in all, {mention} looks like the way to go here.",
)
BURIED_OUTROS = (
    "Let me know if you'd like me to explain any part in more detail!",
    "Hope this helps, and good luck with your studies!",
    "Feel free to ask if anything is unclear.",
    "These questions can be tricky, so don't worry if it took a moment!",
)
LANGUAGES = ("es", "fr")


def render_correct(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    return join_lines(*ds.reasoning(ex, rng), ds.final_line(ex.truth))


def render_truncated(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    """Working cut off mid-sentence, before any final answer."""
    text = join_lines(*ds.reasoning(ex, rng))
    cut = max(12, int(len(text) * rng.uniform(0.35, 0.8)))
    head = text[:cut]
    if " " in head:
        head = head[: head.rfind(" ")]
    return head.rstrip(" .,:;!?\n")


def render_repetition(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    """A start of working that falls into a loop repeating one sentence."""
    lines = ds.reasoning(ex, rng)
    loop = rng.choice([rng.choice(lines), *LOOP_PHRASES])
    head = lines[: rng.randint(0, len(lines) - 1)]
    separator = rng.choice(["\n", " "])
    return join_lines(*head, separator.join([loop] * rng.randint(8, 20)))


def render_empty(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    return ""


def render_refusal(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    return rng.choice(REFUSAL_TEMPLATES).format(reason=rng.choice(ds.refusal_reasons))


def render_conflicting(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    """Correct working followed by two different final answers."""
    answers = [ex.truth, ds.wrong_answer(ex, rng)]
    rng.shuffle(answers)
    return join_lines(
        *ds.reasoning(ex, rng),
        ds.final_line(answers[0]),
        "\n" + rng.choice(CONFLICT_HEDGES),
        ds.final_line(answers[1]),
    )


def render_answer_buried(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    """Chatty prose with the right answer in it, but no final answer line."""
    bridge = rng.choice(BURIED_BRIDGES).format(mention=ds.mention(ex))
    return join_lines(
        rng.choice(BURIED_OPENERS),
        *ds.reasoning(ex, rng),
        f"{bridge} {rng.choice(BURIED_OUTROS)}",
    )


def render_other_language(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    return ds.localized(ex, rng.choice(LANGUAGES), rng)


Renderer = Callable[[DemoDataset, Example, random.Random], str]

GENERIC_KINDS: dict[str, Renderer] = {
    CORRECT: render_correct,
    "truncated": render_truncated,
    "repetition": render_repetition,
    "empty": render_empty,
    "refusal": render_refusal,
    "conflicting": render_conflicting,
    "answer_buried": render_answer_buried,
    "other_language": render_other_language,
}


def render(ds: DemoDataset, kind: str, ex: Example, model: str, rng: random.Random) -> str:
    """The output text of ``model`` for ``ex`` when it answers in the given way."""
    renderer = GENERIC_KINDS.get(kind)
    text = renderer(ds, ex, rng) if renderer else ds.special(kind, ex, rng)
    if kind in OPENER_KINDS:
        text = join_lines(rng.choice(MODEL_OPENERS[model]), text)
    return text

"""A deterministic demo benchmark: four small datasets answered by five fictional models.

Every model has a designed failure profile, so errormap's taxonomy and per-model failure
signatures have something real to find:

* ``atlas-7b``     -- arithmetic slips carried to the final answer, confident wrong choices;
* ``borealis-13b`` -- format problems: buried answers, option text instead of the letter,
  chatter, answers in Spanish or French;
* ``cirrus-70b``   -- strong; near misses from rounding/precision and omitted answer parts;
* ``drift-3b``     -- degenerate outputs: truncated, repetition loops, empty;
* ``ember-chat``   -- over-cautious refusals and several conflicting final answers.

A few examples carry a wrong reference answer ("noisy reference"): every model gives the
same, actually correct, answer and is scored 0.

All texts come from the templates in this module and seeded RNGs (never ``hash()`` of a
string), so the same seed always yields byte-identical CSV files.
"""

from __future__ import annotations

import hashlib
import operator
import random
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd

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
_OPENER_KINDS = frozenset(
    {CORRECT, "truncated", "conflicting", "wrong_choice", "option_text", "arithmetic_slip",
     "final_mismatch", "approximation", "number_in_words", "wrong_fact", "omission", "rounding"}
)

# --------------------------------------------------------------------------------------
# Generic phrasing shared by all datasets.
# --------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------
# Core data structures and helpers.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One benchmark item: prompt, reference written to the file, and the true answer."""

    example_id: str
    input_text: str
    reference: str
    truth: str
    payload: Any

    @property
    def noisy(self) -> bool:
        """True when the stored reference answer is wrong."""
        return self.reference != self.truth


def _rng(seed: int, *parts: str) -> random.Random:
    """An independent, reproducible RNG for one part of the demo (stable across processes)."""
    digest = hashlib.sha256(":".join([str(seed), *parts]).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _join(*parts: str) -> str:
    """Join non-empty parts with newlines."""
    return "\n".join(p for p in parts if p)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _fmt_dec(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros (``20.1168``, ``100``)."""
    return format(value.normalize(), "f")


def _round(value: Decimal, places: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=rounding)


_SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_to_words(n: int) -> str:
    """English words for 0 <= n < 1,000,000 (``42`` -> ``forty-two``)."""
    if n < 20:
        return _SMALL[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_SMALL[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_SMALL[hundreds]} hundred" + (f" and {number_to_words(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    joiner = " and " if 0 < rest < 100 else " "
    return f"{number_to_words(thousands)} thousand" + (f"{joiner}{number_to_words(rest)}" if rest else "")


# --------------------------------------------------------------------------------------
# Dataset interface.
# --------------------------------------------------------------------------------------


class DemoDataset(ABC):
    """Builds the examples of one dataset and renders answers of every kind for them."""

    name: str = ""
    special_kinds: tuple[str, ...] = ()
    refusal_reasons: tuple[str, ...] = ()

    @abstractmethod
    def build(self, rng: random.Random) -> list[Example]:
        """All examples of the dataset, in file order."""

    @abstractmethod
    def reasoning(self, ex: Example, rng: random.Random) -> list[str]:
        """Lines of correct working, without the final answer line."""

    @abstractmethod
    def final_line(self, answer: str) -> str:
        """The line a grader parses, e.g. ``Answer: C``."""

    @abstractmethod
    def mention(self, ex: Example) -> str:
        """How the true answer is named in running prose."""

    @abstractmethod
    def wrong_answer(self, ex: Example, rng: random.Random) -> str:
        """A plausible answer that differs from both the truth and the reference."""

    @abstractmethod
    def localized(self, ex: Example, lang: str, rng: random.Random) -> str:
        """A correct answer written in another language (``es`` or ``fr``)."""

    def special(self, kind: str, ex: Example, rng: random.Random) -> str:
        """Text for a dataset-specific failure kind."""
        raise KeyError(f"{self.name} has no failure kind {kind!r}")

    def supports(self, kind: str, ex: Example) -> bool:
        """Whether a failure kind can be rendered for this example."""
        return True

    def example_id(self, index: int) -> str:
        return f"{self.name}-{index + 1:04d}"


# --------------------------------------------------------------------------------------
# Generic answer kinds (work for every dataset).
# --------------------------------------------------------------------------------------


def render_correct(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    return _join(*ds.reasoning(ex, rng), ds.final_line(ex.truth))


def render_truncated(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    """Working cut off mid-sentence, before any final answer."""
    text = _join(*ds.reasoning(ex, rng))
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
    return _join(*head, separator.join([loop] * rng.randint(8, 20)))


def render_empty(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    return ""


def render_refusal(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    return rng.choice(REFUSAL_TEMPLATES).format(reason=rng.choice(ds.refusal_reasons))


def render_conflicting(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    """Correct working followed by two different final answers."""
    answers = [ex.truth, ds.wrong_answer(ex, rng)]
    rng.shuffle(answers)
    return _join(
        *ds.reasoning(ex, rng),
        ds.final_line(answers[0]),
        "\n" + rng.choice(CONFLICT_HEDGES),
        ds.final_line(answers[1]),
    )


def render_answer_buried(ds: DemoDataset, ex: Example, rng: random.Random) -> str:
    """Chatty prose with the right answer in it, but no final answer line."""
    bridge = rng.choice(BURIED_BRIDGES).format(mention=ds.mention(ex))
    return _join(
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
    if kind in _OPENER_KINDS:
        text = _join(rng.choice(MODEL_OPENERS[model]), text)
    return text


# --------------------------------------------------------------------------------------
# Dataset 1: multiple-choice science.
# --------------------------------------------------------------------------------------

LETTERS = "ABCD"

# (question, correct option, three distractors, one-sentence explanation)
MCQ_BANK: tuple[tuple[str, str, tuple[str, str, str], str], ...] = (
    ("Which gas do plants take in from the air to carry out photosynthesis?", "Carbon dioxide",
     ("Oxygen", "Nitrogen", "Hydrogen"),
     "Plants absorb carbon dioxide through their stomata and combine it with water to build sugars, releasing oxygen."),
    ("What is the SI unit of electrical resistance?", "Ohm", ("Volt", "Ampere", "Watt"),
     "Resistance is measured in ohms, while volts measure potential difference and amperes measure current."),
    ("In eukaryotic cells, which organelle is the main site of aerobic respiration?", "Mitochondrion",
     ("Ribosome", "Golgi apparatus", "Nucleus"),
     "Mitochondria run the Krebs cycle and the electron transport chain that produce most of the cell's ATP."),
    ("What is the approximate speed of light in a vacuum?", "About 300,000 km/s",
     ("About 30,000 km/s", "About 3,000 km/s", "About 343 m/s"),
     "Light travels at roughly 3 x 10^8 m/s; 343 m/s is the speed of sound in air."),
    ("Which planet takes the least time to orbit the Sun?", "Mercury", ("Venus", "Mars", "Earth"),
     "Mercury is the closest planet to the Sun and completes an orbit in about 88 days."),
    ("What holds the two strands of a DNA double helix together?", "Hydrogen bonds between base pairs",
     ("Ionic bonds between phosphates", "Peptide bonds", "Metallic bonds"),
     "Complementary bases pair up through hydrogen bonds, which are weak enough to be separated during replication."),
    ("Which layer of the Earth is made of liquid metal?", "The outer core",
     ("The inner core", "The mantle", "The crust"),
     "The outer core is molten iron and nickel; its motion generates Earth's magnetic field."),
    ("Which subatomic particle carries a negative electric charge?", "Electron",
     ("Proton", "Neutron", "Photon"),
     "Electrons are negatively charged, protons are positive and neutrons have no charge."),
    ("What is the pH of pure water at 25 °C?", "7", ("0", "10", "14"),
     "Pure water is neutral, and a neutral solution has a pH of 7 at 25 °C."),
    ("Which blood cells carry most of the oxygen in the human body?", "Red blood cells",
     ("White blood cells", "Platelets", "Plasma cells"),
     "Red blood cells are packed with haemoglobin, the protein that binds oxygen in the lungs."),
    ("Which of these elements is a noble gas?", "Argon", ("Chlorine", "Nitrogen", "Sodium"),
     "Argon sits in group 18 with a full outer electron shell, which makes it very unreactive."),
    ("Newton's second law links the net force on an object to which two quantities?",
     "Mass and acceleration", ("Mass and velocity", "Weight and distance", "Energy and time"),
     "The second law states that force equals mass times acceleration."),
    ("What is the main job of xylem tissue in plants?", "Carrying water and minerals from the roots",
     ("Carrying sugars to the roots", "Producing seeds", "Absorbing sunlight"),
     "Xylem moves water and dissolved minerals upward; phloem is the tissue that moves sugars."),
    ("What do we call a liquid turning into a gas at its surface below the boiling point?", "Evaporation",
     ("Condensation", "Sublimation", "Freezing"),
     "Evaporation happens at the surface at any temperature, unlike boiling, which happens throughout the liquid."),
    ("Which organ produces insulin in the human body?", "Pancreas", ("Liver", "Kidneys", "Stomach"),
     "Beta cells in the islets of the pancreas release insulin to lower blood sugar."),
    ("Which type of rock forms when magma or lava cools and solidifies?", "Igneous",
     ("Sedimentary", "Metamorphic", "Evaporite"),
     "Igneous rocks such as granite and basalt crystallise directly from molten rock."),
    ("What is the chemical formula of table salt?", "NaCl", ("KCl", "NaOH", "CaCO3"),
     "Table salt is sodium chloride, one sodium ion for each chloride ion."),
    ("Which force keeps the planets in orbit around the Sun?", "Gravity",
     ("Magnetism", "Friction", "The strong nuclear force"),
     "The Sun's gravitational pull supplies the centripetal force that bends each planet's path into an orbit."),
    ("Which vitamin does human skin produce when exposed to sunlight?", "Vitamin D",
     ("Vitamin C", "Vitamin A", "Vitamin K"),
     "Ultraviolet B light converts a cholesterol derivative in the skin into vitamin D."),
    ("At sea level, at what temperature does pure water boil?", "100 °C", ("90 °C", "120 °C", "80 °C"),
     "At standard atmospheric pressure pure water boils at 100 °C."),
    ("Which of these is a chemical change?", "Iron rusting",
     ("Ice melting", "Sugar dissolving in water", "A glass bottle breaking"),
     "Rusting forms a new substance, iron oxide, whereas the other changes are physical."),
    ("What kind of energy is stored in a stretched spring?", "Elastic potential energy",
     ("Kinetic energy", "Thermal energy", "Nuclear energy"),
     "Deforming a spring stores energy in its shape, which is elastic potential energy."),
    ("Which gas makes up the largest share of Earth's atmosphere?", "Nitrogen",
     ("Oxygen", "Argon", "Carbon dioxide"),
     "Nitrogen makes up about 78% of dry air, oxygen about 21%."),
    ("Which part of the human eye changes shape to focus light on the retina?", "The lens",
     ("The iris", "The pupil", "The optic nerve"),
     "Ciliary muscles change the curvature of the lens so that near and far objects come into focus."),
    ("What is the smallest particle of an element that still has the properties of that element?",
     "An atom", ("A molecule", "A cell", "A compound"),
     "An atom is the smallest unit that keeps the chemical identity of an element."),
    ("Who formulated the three laws of motion?", "Isaac Newton",
     ("Galileo Galilei", "Albert Einstein", "Johannes Kepler"),
     "Newton published the three laws of motion in the Principia in 1687."),
    ("What type of wave is sound travelling through air?", "Longitudinal",
     ("Transverse", "Electromagnetic", "Surface"),
     "Sound travels as compressions and rarefactions parallel to its direction of travel, which makes it longitudinal."),
    ("What does a herbivore eat?", "Only plants", ("Only meat", "Both plants and meat", "Only dead matter"),
     "Herbivores such as deer and rabbits feed on plant material only."),
    ("Which process produces two genetically identical daughter cells?", "Mitosis",
     ("Meiosis", "Osmosis", "Fertilisation"),
     "Mitosis copies the chromosomes once and splits them evenly, giving two identical cells."),
    ("Which metal is a liquid at room temperature?", "Mercury", ("Iron", "Aluminium", "Copper"),
     "Mercury melts at about -39 °C, so it is liquid under normal conditions."),
    ("Which gas released by burning fossil fuels is the main driver of human-caused global warming?",
     "Carbon dioxide", ("Helium", "Neon", "Hydrogen"),
     "Burning coal, oil and gas releases carbon dioxide, a long-lived greenhouse gas."),
    ("Which instrument is used to measure atmospheric pressure?", "Barometer",
     ("Thermometer", "Hygrometer", "Anemometer"),
     "A barometer measures air pressure; an anemometer measures wind speed."),
    ("How many chromosomes are found in a typical human body cell?", "46", ("23", "44", "48"),
     "Human body cells carry 23 pairs of chromosomes, which is 46 in total."),
    ("What is the SI unit of frequency?", "Hertz", ("Joule", "Newton", "Pascal"),
     "One hertz is one cycle per second."),
    ("Which of these materials is a good electrical insulator?", "Rubber",
     ("Copper", "Silver", "Graphite"),
     "Rubber has almost no free charge carriers, whereas metals and graphite conduct well."),
    ("Which body is mainly responsible for the ocean tides on Earth?", "The Moon",
     ("The Sun", "Mars", "Jupiter"),
     "The Moon's gravity pulls unevenly on the near and far sides of Earth, raising the main tidal bulges."),
    ("What happens to the volume of a gas when it is heated at constant pressure?", "It increases",
     ("It decreases", "It stays the same", "It drops to zero"),
     "By Charles's law, volume is proportional to absolute temperature at constant pressure."),
    ("Which organs filter the blood to produce urine?", "The kidneys",
     ("The lungs", "The heart", "The spleen"),
     "The kidneys filter waste and excess water from the blood and send it to the bladder as urine."),
    ("Which element has atomic number 6?", "Carbon", ("Oxygen", "Nitrogen", "Boron"),
     "Carbon has six protons in its nucleus."),
    ("Approximately what is the acceleration due to gravity near Earth's surface?", "9.8 m/s²",
     ("1.6 m/s²", "98 m/s²", "0.98 m/s²"),
     "Near the surface, objects in free fall speed up by about 9.8 m/s every second; 1.6 m/s² is the Moon's value."),
    ("Which of these is a renewable energy source?", "Wind", ("Coal", "Natural gas", "Oil"),
     "Wind is replenished naturally, while coal, gas and oil are finite fossil fuels."),
    ("Which type of mirror is used as a car's side mirror to give a wide field of view?", "Convex",
     ("Concave", "Plane", "Parabolic concave"),
     "A convex mirror spreads reflected rays out, so it shows a wider area at a smaller size."),
    ("Which structure is found in plant cells but not in animal cells?", "Cell wall",
     ("Cell membrane", "Nucleus", "Cytoplasm"),
     "Plant cells have a rigid cellulose cell wall outside the membrane; animal cells do not."),
    ("Which planet is best known for its large, bright ring system?", "Saturn",
     ("Mars", "Mercury", "Venus"),
     "Saturn's rings of ice and rock are the most extensive and visible in the Solar System."),
    ("Which of these minerals is the hardest?", "Diamond", ("Quartz", "Talc", "Gypsum"),
     "Diamond is at the top of the Mohs scale with a hardness of 10; talc is at the bottom."),
    ("What is the name for a boundary where two tectonic plates move apart?", "Divergent boundary",
     ("Convergent boundary", "Transform boundary", "Subduction zone"),
     "At divergent boundaries such as mid-ocean ridges, plates separate and new crust forms."),
)

MCQ_CORRECT = (
    ("{explanation}", "That matches option {letter}."),
    ("Looking at the options: {explanation}", "The correct choice is therefore {letter} ({text})."),
    ("{text} is the right option here.", "{explanation}"),
    ("Key fact: {explanation}", "So option {letter} is correct."),
    ("Let me rule out the distractors first.", "{explanation}", "Only {letter} fits."),
)
MCQ_CONFIDENT_WRONG = (
    ("{text} is clearly the right choice here.",
     "The other options describe related ideas, but they do not answer what is being asked, so it is {letter}."),
    ("This is a standard textbook fact: the answer is {text}.", "I am confident the correct option is {letter}."),
    ("Thinking about the definition carefully, {text} fits best.", "Option {letter} it is."),
    ("The key concept here points directly to {text}; none of the other options apply.",
     "So the correct choice is {letter}."),
)
MCQ_LOCALIZED = {
    "es": (
        ("Analizando las opciones, la respuesta correcta es la {letter}: {text}.", "Respuesta: {letter}"),
        ("Después de revisar cada alternativa, me quedo con la opción {letter} ({text}).", "Respuesta: {letter}"),
    ),
    "fr": (
        ("Après avoir examiné les options, la bonne réponse est la {letter} : {text}.", "Réponse : {letter}"),
        ("La proposition {letter} ({text}) est la seule qui convienne ici.", "Réponse : {letter}"),
    ),
}


@dataclass(frozen=True)
class McqItem:
    question: str
    options: tuple[str, ...]
    answer_index: int
    explanation: str


class McqScience(DemoDataset):
    """Four-option science questions; the answer is a letter."""

    name = "mcq_science"
    special_kinds = ("wrong_choice", "option_text")
    refusal_reasons = (
        "Some science topics involve hazardous substances or procedures, so please check with a qualified teacher.",
        "I don't want to give information that could be unsafe if applied outside a supervised setting.",
        "Exam questions like this should be answered by you, and I want to avoid encouraging academic dishonesty.",
    )

    def build(self, rng: random.Random) -> list[Example]:
        bank = list(MCQ_BANK)
        rng.shuffle(bank)
        noisy_index = rng.randrange(len(bank))
        examples = []
        for index, (question, answer, distractors, explanation) in enumerate(bank):
            options = [answer, *distractors]
            rng.shuffle(options)
            item = McqItem(question, tuple(options), options.index(answer), explanation)
            truth = LETTERS[item.answer_index]
            reference = truth
            if index == noisy_index:
                reference = rng.choice([x for x in LETTERS if x != truth])
            listing = "\n".join(f"{LETTERS[i]}) {o}" for i, o in enumerate(options))
            input_text = (
                f"{question}\n\nOptions:\n{listing}\n\nAnswer with the letter of the correct option."
            )
            examples.append(Example(self.example_id(index), input_text, reference, truth, item))
        return examples

    def _fields(self, ex: Example, letter: str) -> dict[str, str]:
        item: McqItem = ex.payload
        return {"letter": letter, "text": item.options[LETTERS.index(letter)], "explanation": item.explanation}

    def reasoning(self, ex: Example, rng: random.Random) -> list[str]:
        fields = self._fields(ex, ex.truth)
        return [line.format(**fields) for line in rng.choice(MCQ_CORRECT)]

    def final_line(self, answer: str) -> str:
        return f"Answer: {answer}"

    def mention(self, ex: Example) -> str:
        return "option {letter} ({text})".format(**self._fields(ex, ex.truth))

    def wrong_answer(self, ex: Example, rng: random.Random) -> str:
        return rng.choice([x for x in LETTERS if x not in (ex.truth, ex.reference)])

    def localized(self, ex: Example, lang: str, rng: random.Random) -> str:
        fields = self._fields(ex, ex.truth)
        return _join(*(line.format(**fields) for line in rng.choice(MCQ_LOCALIZED[lang])))

    def special(self, kind: str, ex: Example, rng: random.Random) -> str:
        if kind == "wrong_choice":
            fields = self._fields(ex, self.wrong_answer(ex, rng))
            lines = [line.format(**fields) for line in rng.choice(MCQ_CONFIDENT_WRONG)]
            return _join(*lines, self.final_line(fields["letter"]))
        if kind == "option_text":
            return _join(*self.reasoning(ex, rng), self.final_line(self._fields(ex, ex.truth)["text"]))
        return super().special(kind, ex, rng)


# --------------------------------------------------------------------------------------
# Dataset 2: arithmetic word problems.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """Refers to the result of an earlier step."""

    index: int


Operand = int | Ref


@dataclass(frozen=True)
class Step:
    label: str
    left: Operand
    op: str
    right: Operand


@dataclass(frozen=True)
class Approximation:
    """A division with a non-terminating quotient that a model may round too early."""

    numerator: int
    denominator: int
    multiplier: int
    per_label: str
    total_label: str


@dataclass(frozen=True)
class ArithProblem:
    text: str
    steps: tuple[Step, ...]
    approx: Approximation | None = None


_OPS: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}

Evaluated = list[tuple[Fraction, Fraction, Fraction]]


def evaluate(steps: Sequence[Step], overrides: dict[int, int] | None = None) -> Evaluated:
    """(left, right, result) of every step; ``overrides`` replaces results (a slip)."""
    overrides = overrides or {}
    values: Evaluated = []

    def value(operand: Operand) -> Fraction:
        return values[operand.index][2] if isinstance(operand, Ref) else Fraction(operand)

    for index, step in enumerate(steps):
        left, right = value(step.left), value(step.right)
        result = Fraction(overrides[index]) if index in overrides else _OPS[step.op](left, right)
        values.append((left, right, result))
    return values


def _whole_positive(values: Evaluated) -> bool:
    return all(v.denominator == 1 and v > 0 for triple in values for v in triple)


def _num(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.2f}"


NAMES = ("Maya", "Liam", "Priya", "Tomás", "Chen", "Amara", "Jonas", "Sofia", "Kwame", "Elena", "Noah", "Aisha")
SHOP_PAIRS = (
    ("notebooks", "pens"), ("apples", "oranges"), ("mugs", "plates"), ("T-shirts", "caps"),
    ("packs of seeds", "flower pots"), ("comic books", "posters"),
)
TICKETS = ("concert tickets", "museum passes", "bus passes", "cinema tickets")
PACK_ITEMS = ("markers", "batteries", "pencils", "candles")
PURCHASES = ("a bike helmet", "a pair of shoes", "a board game", "a new backpack")


def _tpl_shopping(rng: random.Random) -> ArithProblem:
    name, (a, b) = rng.choice(NAMES), rng.choice(SHOP_PAIRS)
    n1, p1, n2, p2 = rng.randint(3, 9), rng.randint(12, 29), rng.randint(2, 8), rng.randint(3, 9)
    text = (f"{name} buys {n1} {a} at ${p1} each and {n2} {b} at ${p2} each. "
            f"How many dollars does {name} spend in total?")
    steps = (Step(f"Cost of the {a}", p1, "*", n1), Step(f"Cost of the {b}", p2, "*", n2),
             Step("Total spent", Ref(0), "+", Ref(1)))
    return ArithProblem(text, steps)


def _tpl_change(rng: random.Random) -> ArithProblem:
    name, things = rng.choice(NAMES), rng.choice(TICKETS)
    n, p = rng.randint(3, 8), rng.randint(6, 24)
    bill = next(b for b in (50, 100, 200, 500) if b > n * p)
    text = (f"{name} buys {n} {things} for ${p} each and pays with a ${bill} note. "
            f"How many dollars of change does {name} get back?")
    steps = (Step(f"Cost of the {things}", p, "*", n), Step(f"Change from ${bill}", bill, "-", Ref(0)))
    return ArithProblem(text, steps)


def _tpl_train(rng: random.Random) -> ArithProblem:
    v1, h1, v2, h2 = rng.randrange(60, 125, 5), rng.randint(2, 5), rng.randrange(40, 95, 5), rng.randint(1, 4)
    text = (f"A train travels at {v1} km/h for {h1} hours and then at {v2} km/h for {h2} hours. "
            "How many kilometres does it travel in total?")
    steps = (Step("Distance in the first part", v1, "*", h1), Step("Distance in the second part", v2, "*", h2),
             Step("Total distance", Ref(0), "+", Ref(1)))
    return ArithProblem(text, steps)


def _tpl_fuel(rng: random.Random) -> ArithProblem:
    litres, distance = rng.randint(5, 12), rng.randrange(50, 450, 50)
    text = (f"A van uses {litres} litres of fuel per 100 km. How many litres does it need for a round trip "
            f"to a warehouse {distance} km away?")
    steps = (Step("Round-trip distance", distance, "*", 2), Step("Hundreds of kilometres", Ref(0), "/", 100),
             Step("Fuel needed", Ref(1), "*", litres))
    return ArithProblem(text, steps)


def _non_terminating(numerator: int, denominator: int) -> bool:
    den = Fraction(numerator, denominator).denominator
    for prime in (2, 5):
        while den % prime == 0:
            den //= prime
    return den != 1


def _scaling_numbers(rng: random.Random, low: int, high: int) -> tuple[int, int, int]:
    """(amount, batch size, wanted) with amount * wanted / batch whole but amount / batch non-terminating."""
    while True:
        batch, amount, wanted = rng.choice((3, 6, 7, 9, 12)), rng.randint(low, high), rng.randint(2, 20)
        if wanted != batch and (amount * wanted) % batch == 0 and _non_terminating(amount, batch):
            return amount, batch, wanted


def _tpl_recipe(rng: random.Random) -> ArithProblem:
    grams, batch, wanted = _scaling_numbers(rng, 100, 400)
    text = (f"A bread recipe for {batch} loaves uses {grams} grams of flour. "
            f"How many grams of flour are needed for {wanted} loaves?")
    steps = (Step("Flour times the number of loaves wanted", grams, "*", wanted),
             Step("Divided by the original batch size", Ref(0), "/", batch))
    approx = Approximation(grams, batch, wanted, "Flour per loaf", f"Flour for {wanted} loaves")
    return ArithProblem(text, steps, approx)


def _tpl_pack(rng: random.Random) -> ArithProblem:
    price, size, wanted = _scaling_numbers(rng, 5, 40)
    things = rng.choice(PACK_ITEMS)
    text = (f"A pack of {size} {things} costs ${price}. At the same price per item, "
            f"how many dollars do {wanted} {things} cost?")
    steps = (Step("Pack price times the number wanted", price, "*", wanted),
             Step("Divided by the pack size", Ref(0), "/", size))
    approx = Approximation(price, size, wanted, "Price per item", f"Cost of {wanted} {things}")
    return ArithProblem(text, steps, approx)


def _tpl_savings(rng: random.Random) -> ArithProblem:
    name, weekly, weeks = rng.choice(NAMES), rng.randint(15, 60), rng.randint(4, 12)
    spent = rng.randint(20, weekly * weeks - 10)
    text = (f"{name} saves ${weekly} every week for {weeks} weeks and then spends ${spent} on "
            f"{rng.choice(PURCHASES)}. How many dollars are left?")
    steps = (Step("Money saved", weekly, "*", weeks), Step("Left after the purchase", Ref(0), "-", spent))
    return ArithProblem(text, steps)


def _tpl_hall(rng: random.Random) -> ArithProblem:
    rows, seats = rng.randint(12, 30), rng.randint(14, 28)
    sold = rng.randint(50, rows * seats - 20)
    text = (f"A concert hall has {rows} rows with {seats} seats in each row. If {sold} seats are already sold, "
            "how many seats are still available?")
    steps = (Step("Total seats", seats, "*", rows), Step("Seats still available", Ref(0), "-", sold))
    return ArithProblem(text, steps)


def _tpl_bakery(rng: random.Random) -> ArithProblem:
    while True:
        batches, per_batch, box = rng.randint(3, 9), rng.choice((12, 18, 24, 36)), rng.choice((4, 6, 8, 12))
        if (batches * per_batch) % box == 0:
            break
    text = (f"A bakery bakes {batches} batches of {per_batch} muffins and packs them in boxes of {box}. "
            "How many boxes does it fill?")
    steps = (Step("Muffins baked", per_batch, "*", batches), Step("Boxes filled", Ref(0), "/", box))
    return ArithProblem(text, steps)


def _tpl_bill(rng: random.Random) -> ArithProblem:
    friends, share, tip = rng.randint(3, 8), rng.randint(18, 60), rng.randint(5, 20)
    bill = friends * share - tip
    text = (f"{friends} friends have dinner together. The bill is ${bill} and they add a ${tip} tip. "
            "If they split the total equally, how many dollars does each person pay?")
    steps = (Step("Bill plus tip", bill, "+", tip), Step("Share per person", Ref(0), "/", friends))
    return ArithProblem(text, steps)


def _tpl_fence(rng: random.Random) -> ArithProblem:
    length, width, cost = rng.randint(8, 40), rng.randint(5, 30), rng.randint(6, 25)
    text = (f"A rectangular garden measures {length} m by {width} m. Fencing costs ${cost} per metre. "
            "How many dollars does it cost to fence the whole perimeter?")
    steps = (Step("Length plus width", length, "+", width), Step("Perimeter", Ref(0), "*", 2),
             Step("Fencing cost", Ref(1), "*", cost))
    return ArithProblem(text, steps)


def _tpl_parcels(rng: random.Random) -> ArithProblem:
    rate, monday, tuesday = rng.randint(12, 45), rng.randint(3, 9), rng.randint(3, 9)
    text = (f"A warehouse worker packs {rate} parcels per hour. She works {monday} hours on Monday and "
            f"{tuesday} hours on Tuesday. How many parcels does she pack over the two days?")
    steps = (Step("Hours worked", monday, "+", tuesday), Step("Parcels packed", Ref(0), "*", rate))
    return ArithProblem(text, steps)


ARITH_TEMPLATES: tuple[Callable[[random.Random], ArithProblem], ...] = (
    _tpl_shopping, _tpl_change, _tpl_train, _tpl_fuel, _tpl_recipe, _tpl_pack,
    _tpl_savings, _tpl_hall, _tpl_bakery, _tpl_bill, _tpl_fence, _tpl_parcels,
)
ARITH_EXAMPLES_PER_TEMPLATE = 4
ARITH_INSTRUCTION = 'Solve the problem step by step and finish with "The answer is <number>."'
ARITH_INTROS = ("", "", "Let's break this down.", "We can solve this in a few steps.")
ARITH_CONNECTORS = ("First", "Then", "Next", "After that")
ARITH_LOCALIZED = {
    "es": ("Vamos a resolverlo paso a paso.", "Paso {n}: {expr}.", "La respuesta es {answer}."),
    "fr": ("Résolvons le problème étape par étape.", "Étape {n} : {expr}.", "La réponse est {answer}."),
}


def _expression(values: Evaluated, step: Step, index: int) -> str:
    left, right, result = values[index]
    return f"{_num(left)} {step.op} {_num(right)} = {_num(result)}"


def _work_lines(problem: ArithProblem, values: Evaluated, rng: random.Random) -> list[str]:
    """Step-by-step working in one of three styles."""
    style = rng.randrange(3)
    lines = [rng.choice(ARITH_INTROS)] if style != 2 else []
    last = len(problem.steps) - 1
    for index, step in enumerate(problem.steps):
        expr = _expression(values, step, index)
        if style == 0:
            lines.append(f"{step.label}: {expr}.")
        elif style == 1:
            connector = "Finally" if index == last else ARITH_CONNECTORS[min(index, 3)]
            lines.append(f"{connector}, {_lower_first(step.label)}: {expr}.")
        else:
            lines.append(f"Step {index + 1}: {expr} ({_lower_first(step.label)}).")
    return [line for line in lines if line]


def _slip_candidates(left: Fraction, op: str, right: Fraction, correct: Fraction) -> list[int]:
    """Plausible wrong results for one step (carry errors, off-by-one factor, ...)."""
    c = int(correct)
    if op == "*":
        options = [c + 10, c - 10, int(left * (right - 1)), int(left * (right + 1)), c + 100]
    elif op == "/":
        options = [c + 1, c - 1, c + 2]
    else:
        options = [c + 10, c - 10, c + 1, c - 1]
    return [v for v in options if v > 0 and v != c]


class ArithWord(DemoDataset):
    """Two- and three-step word problems with whole-number answers."""

    name = "arith_word"
    special_kinds = ("arithmetic_slip", "final_mismatch", "approximation", "number_in_words")
    refusal_reasons = (
        "I can't verify the context of this calculation, and I don't want to provide figures that might be relied on for real financial decisions.",
        "Calculations involving money or travel should be checked by a professional before you rely on them.",
        "I want to avoid giving answers to what looks like a graded assignment.",
    )

    def build(self, rng: random.Random) -> list[Example]:
        templates = list(ARITH_TEMPLATES) * ARITH_EXAMPLES_PER_TEMPLATE
        rng.shuffle(templates)
        problems = [template(rng) for template in templates]
        noisy_index = rng.randrange(len(problems))
        examples = []
        for index, problem in enumerate(problems):
            values = evaluate(problem.steps)
            truth = _num(values[-1][2])
            reference = truth
            if index == noisy_index:  # the key recorded an intermediate result
                reference = _num(values[-2][2]) if values[-2][2] != values[-1][2] else str(int(truth) + 10)
            input_text = f"{problem.text}\n\n{ARITH_INSTRUCTION}"
            examples.append(Example(self.example_id(index), input_text, reference, truth, problem))
        return examples

    def reasoning(self, ex: Example, rng: random.Random) -> list[str]:
        problem: ArithProblem = ex.payload
        return _work_lines(problem, evaluate(problem.steps), rng)

    def final_line(self, answer: str) -> str:
        return f"The answer is {answer}."

    def mention(self, ex: Example) -> str:
        return ex.truth

    def wrong_answer(self, ex: Example, rng: random.Random) -> str:
        options = [int(ex.truth) + d for d in (1, -1, 2, 10, -10)]
        return str(rng.choice([v for v in options if v > 0 and str(v) != ex.reference]))

    def localized(self, ex: Example, lang: str, rng: random.Random) -> str:
        problem: ArithProblem = ex.payload
        values = evaluate(problem.steps)
        intro, step_tpl, final_tpl = ARITH_LOCALIZED[lang]
        steps = [step_tpl.format(n=i + 1, expr=_expression(values, s, i)) for i, s in enumerate(problem.steps)]
        return _join(intro, *steps, final_tpl.format(answer=ex.truth))

    def supports(self, kind: str, ex: Example) -> bool:
        return kind != "approximation" or ex.payload.approx is not None

    def special(self, kind: str, ex: Example, rng: random.Random) -> str:
        problem: ArithProblem = ex.payload
        if kind == "arithmetic_slip":
            values = self._slipped(problem, int(ex.truth), rng)
            return _join(*_work_lines(problem, values, rng), self.final_line(_num(values[-1][2])))
        if kind == "final_mismatch":
            return _join(*self.reasoning(ex, rng), self.final_line(self._mismatch(ex, rng)))
        if kind == "approximation":
            return self._approximation(problem, rng)
        if kind == "number_in_words":
            return _join(*self.reasoning(ex, rng), self.final_line(number_to_words(int(ex.truth))))
        return super().special(kind, ex, rng)

    @staticmethod
    def _slipped(problem: ArithProblem, truth: int, rng: random.Random) -> Evaluated:
        """Working with one wrong step result, carried through to the end."""
        correct = evaluate(problem.steps)
        last = len(problem.steps) - 1
        order = [i for i, s in enumerate(problem.steps) if s.op != "/" and i != last]
        rng.shuffle(order)
        for index in [*order, last]:
            left, right, result = correct[index]
            candidates = _slip_candidates(left, problem.steps[index].op, right, result)
            rng.shuffle(candidates)
            for wrong in candidates:
                values = evaluate(problem.steps, {index: wrong})
                if _whole_positive(values) and values[-1][2] != truth:
                    return values
        raise RuntimeError("no arithmetic slip possible")  # pragma: no cover - last step always works

    @staticmethod
    def _mismatch(ex: Example, rng: random.Random) -> str:
        """A reported number that differs from the correctly computed one."""
        values = evaluate(ex.payload.steps)
        intermediates = [_num(v[2]) for v in values[:-1] if v[2].denominator == 1 and _num(v[2]) != ex.truth]
        transposed = ex.truth[:-2] + ex.truth[-1] + ex.truth[-2] if len(ex.truth) >= 2 else ex.truth
        options = [*intermediates, str(int(ex.truth) + 1)]
        if transposed != ex.truth and not transposed.startswith("0"):
            options.append(transposed)
        return rng.choice([o for o in options if o != ex.reference])

    @staticmethod
    def _approximation(problem: ArithProblem, rng: random.Random) -> str:
        """Rounds a non-terminating quotient early and reports the resulting decimal."""
        approx = problem.approx
        assert approx is not None
        unit = _round(Decimal(approx.numerator) / Decimal(approx.denominator), rng.choice((1, 2)))
        total = unit * approx.multiplier
        return _join(
            f"{approx.per_label}: {approx.numerator} / {approx.denominator} ≈ {unit}.",
            f"{approx.total_label}: {unit} * {approx.multiplier} = {total}.",
            f"The answer is {total}.",
        )


# --------------------------------------------------------------------------------------
# Dataset 3: short factual answers.
# --------------------------------------------------------------------------------------

# (question, reference, confident wrong answer, short supporting note)
QA_BANK: tuple[tuple[str, str, str, str], ...] = (
    ("What is the capital of France?", "Paris", "Lyon", "Paris has been the seat of the French government for centuries."),
    ("What is the capital of Japan?", "Tokyo", "Kyoto", "Tokyo became the capital in 1868, when the emperor moved there from Kyoto."),
    ("What is the capital of Canada?", "Ottawa", "Toronto", "Ottawa, in Ontario, hosts Canada's federal parliament."),
    ("What is the capital of Australia?", "Canberra", "Sydney",
     "Canberra was purpose-built as a compromise between Sydney and Melbourne."),
    ("What is the capital of Brazil?", "Brasília", "Rio de Janeiro",
     "Brasília replaced Rio de Janeiro as the capital in 1960."),
    ("What is the capital of Kenya?", "Nairobi", "Mombasa", "Nairobi is Kenya's capital and largest city."),
    ("What is the capital of Turkey?", "Ankara", "Istanbul", "Ankara has been the capital since the republic was founded in 1923."),
    ("What is the capital of Switzerland?", "Bern", "Zurich", "The Swiss federal institutions sit in Bern."),
    ("What is the chemical symbol for gold?", "Au", "Ag", "The symbol Au comes from the Latin word aurum."),
    ("What is the chemical symbol for sodium?", "Na", "So", "Na comes from natrium, the element's Latin name."),
    ("What is the chemical symbol for iron?", "Fe", "Ir", "Fe is short for ferrum, the Latin word for iron."),
    ("What is the chemical symbol for potassium?", "K", "P", "K comes from kalium; P is phosphorus."),
    ("What is the chemical symbol for tungsten?", "W", "Tu", "Tungsten's symbol W comes from its other name, wolfram."),
    ("Who was granted the first US patent for the telephone in 1876?", "Alexander Graham Bell", "Thomas Edison",
     "Bell received the patent in March 1876."),
    ("Who developed the general theory of relativity?", "Albert Einstein", "Max Planck",
     "Einstein presented general relativity in 1915."),
    ("Who formulated the three laws of planetary motion in the early 17th century?", "Johannes Kepler",
     "Nicolaus Copernicus", "Kepler derived the laws from Tycho Brahe's observations."),
    ("Who discovered penicillin in 1928?", "Alexander Fleming", "Louis Pasteur",
     "Fleming noticed mould killing bacteria on a culture plate in his London laboratory."),
    ("Who invented the World Wide Web?", "Tim Berners-Lee", "Vint Cerf",
     "Berners-Lee proposed the Web at CERN in 1989."),
    ("What is the SI unit of force?", "newton", "joule", "One newton accelerates one kilogram at one metre per second squared."),
    ("What is the SI unit of energy?", "joule", "watt", "One joule is the work done by a force of one newton over one metre."),
    ("What is the SI unit of power?", "watt", "joule", "One watt is one joule per second."),
    ("What is the SI unit of electric charge?", "coulomb", "ampere", "One coulomb is the charge carried by one ampere in one second."),
    ("What is the SI unit of pressure?", "pascal", "bar", "One pascal is one newton per square metre."),
    ("What is the SI base unit of luminous intensity?", "candela", "lumen", "The candela is one of the seven SI base units."),
    ("Which planet is the largest in the Solar System?", "Jupiter", "Saturn", "Jupiter is more than twice as massive as all other planets combined."),
    ("What is the largest ocean on Earth?", "Pacific Ocean", "Atlantic Ocean", "The Pacific covers about a third of Earth's surface."),
    ("What is the longest river in South America?", "Amazon", "Paraná", "The Amazon runs roughly 6,400 km from the Andes to the Atlantic."),
    ("In which year did humans first land on the Moon?", "1969", "1972", "Apollo 11 landed on 20 July 1969."),
    ("Who wrote the novel Pride and Prejudice?", "Jane Austen", "Charlotte Brontë", "Austen published it in 1813."),
    ("Who painted the Mona Lisa?", "Leonardo da Vinci", "Michelangelo", "Leonardo worked on the portrait in the early 1500s."),
    ("Which element has atomic number 1?", "hydrogen", "helium", "Hydrogen has a single proton in its nucleus."),
    ("What is the highest mountain above sea level?", "Mount Everest", "K2", "Everest rises about 8,849 m above sea level."),
    ("What is the currency of Japan?", "yen", "won", "The yen has been Japan's currency since 1871; the won is Korean."),
    ("Who composed the Moonlight Sonata?", "Ludwig van Beethoven", "Wolfgang Amadeus Mozart",
     "Beethoven wrote the Piano Sonata No. 14 in 1801."),
    ("Which married couple shared half of the 1903 Nobel Prize in Physics with Henri Becquerel?",
     "Marie Curie and Pierre Curie", "Marie Curie and Ernest Rutherford",
     "The Curies were honoured for their joint research on radiation."),
    ("Which two elements make up water?", "hydrogen and oxygen", "hydrogen and nitrogen",
     "Each water molecule has two hydrogen atoms bonded to one oxygen atom."),
    ("What are the two official languages of Canada?", "English and French", "English and Spanish",
     "The Official Languages Act gives both languages equal status federally."),
    ("Which two brothers made the first controlled powered aeroplane flight in 1903?",
     "Orville Wright and Wilbur Wright", "Joseph Montgolfier and Étienne Montgolfier",
     "The brothers flew at Kitty Hawk, North Carolina, in December 1903."),
    ("Which two scientists published the double-helix model of DNA in 1953?",
     "James Watson and Francis Crick", "James Watson and Linus Pauling",
     "Their model built on X-ray data from Rosalind Franklin."),
    ("Which two gases make up about 99% of Earth's dry atmosphere?", "nitrogen and oxygen", "nitrogen and argon",
     "Nitrogen is about 78% and oxygen about 21% of dry air."),
    ("Which two planets in the Solar System have no moons?", "Mercury and Venus", "Mercury and Mars",
     "Both inner planets lack natural satellites; Mars has two small moons."),
    ("Who co-wrote The Communist Manifesto?", "Karl Marx and Friedrich Engels", "Karl Marx and Vladimir Lenin",
     "The pamphlet was published in 1848."),
    ("Which two Japanese cities were struck by atomic bombs in 1945?", "Hiroshima and Nagasaki", "Hiroshima and Osaka",
     "The bombings took place on 6 and 9 August 1945."),
    ("Which two metals are alloyed to make bronze?", "copper and tin", "copper and zinc",
     "Copper with tin gives bronze; copper with zinc gives brass."),
    ("Which two colours appear on the national flag of Japan?", "red and white", "red and yellow",
     "The flag shows a red disc on a white field."),
    ("Which two bones make up the human forearm?", "radius and ulna", "radius and humerus",
     "The humerus is the upper-arm bone; the forearm has the radius and the ulna."),
)
QA_NOISY = {"What is the capital of Australia?": "Sydney"}
QA_INSTRUCTION = 'Answer briefly and finish with a line of the form "Answer: <answer>".'
QA_CORRECT = (
    ("{note}",),
    ("{note}", "So the answer is {answer}."),
    ("That is {answer}. {note}",),
    ("The answer here is {answer}.",),
)
QA_WRONG = (
    ("That is {answer}, as is well documented.",),
    ("The answer is {answer}; this is a widely known fact.",),
    ("Without doubt, {answer}.",),
    ("This one is easy: {answer}.",),
)
QA_OMISSION = (
    ("That was {answer}.",),
    ("The answer is {answer}.",),
    ("{answer} is the name to give here.",),
)
QA_LOCALIZED = {
    "es": (("La respuesta es {answer}.", "Respuesta: {answer}"), ("Se trata de {answer}.", "Respuesta: {answer}")),
    "fr": (("Il s'agit de {answer}.", "Réponse : {answer}"), ("La bonne réponse est {answer}.", "Réponse : {answer}")),
}
QA_CONJUNCTIONS = {"es": " y ", "fr": " et "}


@dataclass(frozen=True)
class QaItem:
    question: str
    answer: str
    distractor: str
    note: str

    @property
    def parts(self) -> list[str]:
        """The required elements of the answer."""
        return self.answer.split(" and ")


class ShortQa(DemoDataset):
    """Short factual questions; some references have two required elements."""

    name = "short_qa"
    special_kinds = ("wrong_fact", "omission")
    refusal_reasons = (
        "I want to avoid sharing information that could be inaccurate or taken out of context.",
        "Please consult an authoritative source such as an encyclopedia for questions like this.",
        "I'm not comfortable giving a definitive answer on this topic.",
    )

    def build(self, rng: random.Random) -> list[Example]:
        bank = list(QA_BANK)
        rng.shuffle(bank)
        examples = []
        for index, (question, answer, distractor, note) in enumerate(bank):
            item = QaItem(question, answer, distractor, note)
            reference = QA_NOISY.get(question, answer)
            input_text = f"{question}\n\n{QA_INSTRUCTION}"
            examples.append(Example(self.example_id(index), input_text, reference, answer, item))
        return examples

    @staticmethod
    def _lines(templates: Sequence[tuple[str, ...]], rng: random.Random, **fields: str) -> list[str]:
        return [line.format(**fields) for line in rng.choice(templates)]

    def reasoning(self, ex: Example, rng: random.Random) -> list[str]:
        item: QaItem = ex.payload
        return self._lines(QA_CORRECT, rng, note=item.note, answer=item.answer)

    def final_line(self, answer: str) -> str:
        return f"Answer: {answer}"

    def mention(self, ex: Example) -> str:
        return ex.truth

    def wrong_answer(self, ex: Example, rng: random.Random) -> str:
        return ex.payload.distractor

    def localized(self, ex: Example, lang: str, rng: random.Random) -> str:
        answer = ex.truth.replace(" and ", QA_CONJUNCTIONS[lang])
        return _join(*self._lines(QA_LOCALIZED[lang], rng, answer=answer))

    def supports(self, kind: str, ex: Example) -> bool:
        return kind != "omission" or len(ex.payload.parts) > 1

    def special(self, kind: str, ex: Example, rng: random.Random) -> str:
        item: QaItem = ex.payload
        if kind == "wrong_fact":
            answer, templates = item.distractor, QA_WRONG
        elif kind == "omission":
            answer, templates = rng.choice(item.parts), QA_OMISSION
        else:
            return super().special(kind, ex, rng)
        return _join(*self._lines(templates, rng, answer=answer), self.final_line(answer))


# --------------------------------------------------------------------------------------
# Dataset 4: unit conversion with rounding to two decimals.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    source: str
    source_unit: str
    target: str
    target_unit: str
    factor: str
    rough_factor: str
    low: int
    high: int


CONVERSIONS = (
    Conversion("miles", "mi", "kilometres", "km", "1.609344", "1.6", 2, 300),
    Conversion("kilometres", "km", "miles", "mi", "0.621371", "0.62", 2, 400),
    Conversion("pounds", "lb", "kilograms", "kg", "0.45359237", "0.45", 1, 250),
    Conversion("kilograms", "kg", "pounds", "lb", "2.20462", "2.2", 1, 150),
    Conversion("inches", "in", "centimetres", "cm", "2.54", "2.5", 1, 120),
    Conversion("feet", "ft", "metres", "m", "0.3048", "0.3", 3, 900),
    Conversion("US gallons", "gal", "litres", "L", "3.78541", "3.8", 1, 80),
    Conversion("ounces", "oz", "grams", "g", "28.3495", "30", 1, 64),
    Conversion("acres", "ac", "hectares", "ha", "0.404686", "0.4", 1, 500),
    Conversion("nautical miles", "nmi", "kilometres", "km", "1.852", "1.85", 1, 250),
    Conversion("square feet", "ft²", "square metres", "m²", "0.092903", "0.093", 50, 3000),
    Conversion("US cups", "cup", "millilitres", "mL", "236.588", "240", 1, 12),
)
UNIT_EXAMPLES = 40
UNIT_CORRECT = (
    ("Multiply by the conversion factor: {value} × {factor} = {raw} {to}.",
     "Rounded to 2 decimal places, that is {rounded} {to}."),
    ("{value} {frm} × {factor} {to}/{frm} = {raw} {to}.", "To two decimal places: {rounded} {to}."),
    ("Each {frm} is {factor} {to}, so {value} {frm} is {value} × {factor} = {raw} {to}.",
     "Rounding to 2 decimal places gives {rounded}."),
)
UNIT_LOCALIZED = {
    "es": ("Multiplicamos {value} {frm} por {factor}: {value} × {factor} = {raw} {to}.",
           "Redondeado a dos decimales: {rounded} {to}.", "Respuesta: {rounded}"),
    "fr": ("On multiplie {value} {frm} par {factor} : {value} × {factor} = {raw} {to}.",
           "Arrondi à deux décimales : {rounded} {to}.", "Réponse : {rounded}"),
}


@dataclass(frozen=True)
class UnitItem:
    value: Decimal
    conversion: Conversion

    @property
    def raw(self) -> Decimal:
        return self.value * Decimal(self.conversion.factor)

    @property
    def rounded(self) -> Decimal:
        return _round(self.raw, 2)


class UnitConvert(DemoDataset):
    """Unit conversions with a given factor; answers rounded to two decimals."""

    name = "unit_convert"
    special_kinds = ("arithmetic_slip", "rounding", "final_mismatch")
    refusal_reasons = (
        "Incorrect conversions can lead to safety issues, so please use a certified conversion tool.",
        "Measurements like this may be used in engineering or medical contexts where I can't take responsibility.",
        "I'd rather not give a precise figure that might be relied on without verification.",
    )

    def build(self, rng: random.Random) -> list[Example]:
        conversions = [CONVERSIONS[i % len(CONVERSIONS)] for i in range(UNIT_EXAMPLES)]
        rng.shuffle(conversions)
        noisy_index = rng.randrange(UNIT_EXAMPLES)
        examples = []
        for index, conv in enumerate(conversions):
            item = UnitItem(Decimal(rng.randint(conv.low * 10, conv.high * 10)) / 10, conv)
            truth = format(item.rounded, "f")
            reference = truth
            if index == noisy_index:  # the key was computed with a rough factor
                reference = format(_round(item.value * Decimal(conv.rough_factor), 2), "f")
            input_text = (
                f"Convert {item.value} {conv.source} to {conv.target}, using 1 {conv.source_unit} = "
                f"{conv.factor} {conv.target_unit}. Round the result to 2 decimal places and finish with "
                'a line of the form "Answer: <number>".'
            )
            examples.append(Example(self.example_id(index), input_text, reference, truth, item))
        return examples

    @staticmethod
    def _fields(item: UnitItem, raw: Decimal, rounded: Decimal) -> dict[str, str]:
        conv = item.conversion
        return {"value": str(item.value), "factor": conv.factor, "raw": _fmt_dec(raw),
                "rounded": format(rounded, "f"), "frm": conv.source_unit, "to": conv.target_unit}

    def _work(self, item: UnitItem, raw: Decimal, rounded: Decimal, rng: random.Random) -> list[str]:
        fields = self._fields(item, raw, rounded)
        return [line.format(**fields) for line in rng.choice(UNIT_CORRECT)]

    def reasoning(self, ex: Example, rng: random.Random) -> list[str]:
        item: UnitItem = ex.payload
        return self._work(item, item.raw, item.rounded, rng)

    def final_line(self, answer: str) -> str:
        return f"Answer: {answer}"

    def mention(self, ex: Example) -> str:
        return f"{ex.truth} {ex.payload.conversion.target_unit}"

    def wrong_answer(self, ex: Example, rng: random.Random) -> str:
        truth = Decimal(ex.truth)
        options = [truth + d for d in (Decimal("0.01"), Decimal("-0.01"), Decimal("0.1"), Decimal("1"))]
        return format(rng.choice([o for o in options if o > 0 and o != Decimal(ex.reference)]), "f")

    def localized(self, ex: Example, lang: str, rng: random.Random) -> str:
        item: UnitItem = ex.payload
        fields = self._fields(item, item.raw, item.rounded)
        if lang == "fr":  # French writes a decimal comma
            fields = {k: v.replace(".", ",") if k in ("value", "factor", "raw", "rounded") else v
                      for k, v in fields.items()}
        return _join(*(line.format(**fields) for line in UNIT_LOCALIZED[lang]))

    def supports(self, kind: str, ex: Example) -> bool:
        item: UnitItem = ex.payload
        if kind == "final_mismatch":
            return item.raw != item.rounded
        if kind == "rounding":
            return bool(self._rounding_variants(item, Decimal(ex.reference)))
        return True

    def special(self, kind: str, ex: Example, rng: random.Random) -> str:
        item: UnitItem = ex.payload
        if kind == "arithmetic_slip":
            raw = self._slipped_raw(item, Decimal(ex.reference), rng)
            rounded = _round(raw, 2)
            return _join(*self._work(item, raw, rounded, rng), self.final_line(format(rounded, "f")))
        if kind == "final_mismatch":  # ignores the rounding instruction
            return _join(*self._work(item, item.raw, item.rounded, rng)[:1], self.final_line(_fmt_dec(item.raw)))
        if kind == "rounding":
            lines, answer = rng.choice(self._rounding_variants(item, Decimal(ex.reference)))
            return _join(*lines, self.final_line(answer))
        return super().special(kind, ex, rng)

    @staticmethod
    def _slipped_raw(item: UnitItem, reference: Decimal, rng: random.Random) -> Decimal:
        """A miscalculated product: shifted decimal point or a wrong leading digit."""
        raw = item.raw
        options = [raw * 10, raw / 10, raw + 1, raw - 1, raw + Decimal("0.1")]
        options = [o for o in options if o > 0 and _round(o, 2) != reference]
        return rng.choice(options)

    @staticmethod
    def _rounding_variants(item: UnitItem, reference: Decimal) -> list[tuple[list[str], str]]:
        """Near misses: one decimal only, truncation instead of rounding, or a rough factor."""
        conv, raw, to = item.conversion, item.raw, item.conversion.target_unit
        one_dp = _round(raw, 1)
        truncated = _round(raw, 2, ROUND_DOWN)
        rough_raw = item.value * Decimal(conv.rough_factor)
        rough = _round(rough_raw, 2)
        product = f"{item.value} × {conv.factor} = {_fmt_dec(raw)} {to}."
        variants = [
            ([product, f"Rounded, that is {one_dp} {to}."], str(one_dp)),
            ([product, f"Keeping two decimals: {truncated} {to}."], str(truncated)),
            ([f"Using roughly {conv.rough_factor} {to} per {conv.source_unit}: {item.value} × {conv.rough_factor} "
              f"= {_fmt_dec(rough_raw)} {to}.", f"That is about {rough} {to}."], str(rough)),
        ]
        return [(lines, answer) for lines, answer in variants if Decimal(answer) != reference]


# --------------------------------------------------------------------------------------
# Assembly.
# --------------------------------------------------------------------------------------

DATASETS: tuple[DemoDataset, ...] = (McqScience(), ArithWord(), ShortQa(), UnitConvert())


def _check_plan(ds: DemoDataset, plan: Plan) -> None:
    for kind, _ in plan:
        if kind not in GENERIC_KINDS and kind not in ds.special_kinds:
            raise ValueError(f"failure kind {kind!r} is not defined for dataset {ds.name}")


def assign_kinds(ds: DemoDataset, examples: Sequence[Example], model: str, rng: random.Random) -> dict[str, str]:
    """Map example_id -> answer kind for one model; noisy examples are always answered correctly."""
    plan = FAILURE_PLAN[model][ds.name]
    _check_plan(ds, plan)
    pool = [ex for ex in examples if not ex.noisy]
    rng.shuffle(pool)
    kinds = {ex.example_id: CORRECT for ex in examples}
    taken: set[str] = set()
    for kind, count in plan:
        for _ in range(count):
            chosen = next((ex for ex in pool if ex.example_id not in taken and ds.supports(kind, ex)), None)
            if chosen is None:
                raise ValueError(f"not enough examples in {ds.name} for {count} x {kind!r} ({model})")
            taken.add(chosen.example_id)
            kinds[chosen.example_id] = kind
    return kinds


def build_rows(ds: DemoDataset, seed: int) -> pd.DataFrame:
    """All (example, model) rows of one dataset."""
    examples = ds.build(_rng(seed, ds.name, "examples"))
    rows = []
    for model in MODELS:
        kinds = assign_kinds(ds, examples, model, _rng(seed, ds.name, model, "plan"))
        text_rng = _rng(seed, ds.name, model, "text")
        for ex in examples:
            kind = kinds[ex.example_id]
            rows.append({
                "example_id": ex.example_id,
                "model": model,
                "input_text": ex.input_text,
                "output_text": render(ds, kind, ex, model, text_rng),
                "score": int(kind == CORRECT and not ex.noisy),
                "correct_answer": ex.reference,
            })
    order = {ex.example_id: i for i, ex in enumerate(examples)}
    rows.sort(key=lambda r: (order[r["example_id"]], MODELS.index(r["model"])))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def generate_demo(out_dir: Path | str, seed: int = 0) -> list[Path]:
    """Write a deterministic demo benchmark (one CSV per dataset) and return the file paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for ds in DATASETS:
        path = out / f"{ds.name}.csv"
        build_rows(ds, seed).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        paths.append(path)
    return paths


if __name__ == "__main__":  # pragma: no cover - convenience entry point
    target = sys.argv[1] if len(sys.argv) > 1 else "demo_data"
    for written in generate_demo(target, int(sys.argv[2]) if len(sys.argv) > 2 else 0):
        print(written)

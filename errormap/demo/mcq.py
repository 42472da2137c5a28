"""Dataset 1: multiple-choice science questions; the answer is a letter."""

from __future__ import annotations

import random
from dataclasses import dataclass

from errormap.demo.base import DemoDataset, Example, join_lines

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
        return join_lines(*(line.format(**fields) for line in rng.choice(MCQ_LOCALIZED[lang])))

    def special(self, kind: str, ex: Example, rng: random.Random) -> str:
        if kind == "wrong_choice":
            fields = self._fields(ex, self.wrong_answer(ex, rng))
            lines = [line.format(**fields) for line in rng.choice(MCQ_CONFIDENT_WRONG)]
            return join_lines(*lines, self.final_line(fields["letter"]))
        if kind == "option_text":
            return join_lines(*self.reasoning(ex, rng), self.final_line(self._fields(ex, ex.truth)["text"]))
        return super().special(kind, ex, rng)

"""Dataset 3: short factual questions; some references have two required elements."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from errormap.demo.base import DemoDataset, Example, join_lines

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
        return join_lines(*self._lines(QA_LOCALIZED[lang], rng, answer=answer))

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
        return join_lines(*self._lines(templates, rng, answer=answer), self.final_line(answer))

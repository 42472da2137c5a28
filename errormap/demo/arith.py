"""Dataset 2: arithmetic word problems of two or three steps with whole-number answers."""

from __future__ import annotations

import operator
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from errormap.demo.base import DemoDataset, Example, join_lines, lower_first, number_to_words, round_to


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
            lines.append(f"{connector}, {lower_first(step.label)}: {expr}.")
        else:
            lines.append(f"Step {index + 1}: {expr} ({lower_first(step.label)}).")
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
        return join_lines(intro, *steps, final_tpl.format(answer=ex.truth))

    def supports(self, kind: str, ex: Example) -> bool:
        return kind != "approximation" or ex.payload.approx is not None

    def special(self, kind: str, ex: Example, rng: random.Random) -> str:
        problem: ArithProblem = ex.payload
        if kind == "arithmetic_slip":
            values = self._slipped(problem, int(ex.truth), rng)
            return join_lines(*_work_lines(problem, values, rng), self.final_line(_num(values[-1][2])))
        if kind == "final_mismatch":
            return join_lines(*self.reasoning(ex, rng), self.final_line(self._mismatch(ex, rng)))
        if kind == "approximation":
            return self._approximation(problem, rng)
        if kind == "number_in_words":
            return join_lines(*self.reasoning(ex, rng), self.final_line(number_to_words(int(ex.truth))))
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
        unit = round_to(Decimal(approx.numerator) / Decimal(approx.denominator), rng.choice((1, 2)))
        total = unit * approx.multiplier
        return join_lines(
            f"{approx.per_label}: {approx.numerator} / {approx.denominator} ≈ {unit}.",
            f"{approx.total_label}: {unit} * {approx.multiplier} = {total}.",
            f"The answer is {total}.",
        )

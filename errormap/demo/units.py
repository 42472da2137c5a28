"""Dataset 4: unit conversions with a given factor, answers rounded to two decimals."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from errormap.demo.base import DemoDataset, Example, fmt_dec, join_lines, round_to


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
        return round_to(self.raw, 2)


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
                reference = format(round_to(item.value * Decimal(conv.rough_factor), 2), "f")
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
        return {"value": str(item.value), "factor": conv.factor, "raw": fmt_dec(raw),
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
        return join_lines(*(line.format(**fields) for line in UNIT_LOCALIZED[lang]))

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
            rounded = round_to(raw, 2)
            return join_lines(*self._work(item, raw, rounded, rng), self.final_line(format(rounded, "f")))
        if kind == "final_mismatch":  # ignores the rounding instruction
            return join_lines(*self._work(item, item.raw, item.rounded, rng)[:1], self.final_line(fmt_dec(item.raw)))
        if kind == "rounding":
            lines, answer = rng.choice(self._rounding_variants(item, Decimal(ex.reference)))
            return join_lines(*lines, self.final_line(answer))
        return super().special(kind, ex, rng)

    @staticmethod
    def _slipped_raw(item: UnitItem, reference: Decimal, rng: random.Random) -> Decimal:
        """A miscalculated product: shifted decimal point or a wrong leading digit."""
        raw = item.raw
        options = [raw * 10, raw / 10, raw + 1, raw - 1, raw + Decimal("0.1")]
        options = [o for o in options if o > 0 and round_to(o, 2) != reference]
        return rng.choice(options)

    @staticmethod
    def _rounding_variants(item: UnitItem, reference: Decimal) -> list[tuple[list[str], str]]:
        """Near misses: one decimal only, truncation instead of rounding, or a rough factor."""
        conv, raw, to = item.conversion, item.raw, item.conversion.target_unit
        one_dp = round_to(raw, 1)
        truncated = round_to(raw, 2, ROUND_DOWN)
        rough_raw = item.value * Decimal(conv.rough_factor)
        rough = round_to(rough_raw, 2)
        product = f"{item.value} × {conv.factor} = {fmt_dec(raw)} {to}."
        variants = [
            ([product, f"Rounded, that is {one_dp} {to}."], str(one_dp)),
            ([product, f"Keeping two decimals: {truncated} {to}."], str(truncated)),
            ([f"Using roughly {conv.rough_factor} {to} per {conv.source_unit}: {item.value} × {conv.rough_factor} "
              f"= {fmt_dec(rough_raw)} {to}.", f"That is about {rough} {to}."], str(rough)),
        ]
        return [(lines, answer) for lines, answer in variants if Decimal(answer) != reference]

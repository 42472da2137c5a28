"""What every demo dataset shares: the example, the dataset interface, seeded RNGs and text helpers."""

from __future__ import annotations

import hashlib
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


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


def rng_for(seed: int, *parts: str) -> random.Random:
    """An independent, reproducible RNG for one part of the demo (stable across processes)."""
    digest = hashlib.sha256(":".join([str(seed), *parts]).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def join_lines(*parts: str) -> str:
    """Join non-empty parts with newlines."""
    return "\n".join(p for p in parts if p)


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def fmt_dec(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros (``20.1168``, ``100``)."""
    return format(value.normalize(), "f")


def round_to(value: Decimal, places: int, rounding: str = ROUND_HALF_UP) -> Decimal:
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

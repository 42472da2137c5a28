"""Re-evaluating the arithmetic written in a text: every 'expression = value' and every link of a chain.

Handles +, -, *, /, x and × between numbers, ÷, ^ and ** (small powers), parentheses with implicit
multiplication ('2(3)'), LaTeX \\times, \\cdot and \\div, thousands separators, $ signs, calculator
notes ('<<48/2=24>>'), fractions on either side, and single capital letters the text itself assigns
a value earlier ('A = ... = -10', then 'A - B = ...'). Anything else (words, units, %) ends an
expression, so only arithmetic the text states explicitly is checked.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass

_SIDE_CHARS = r"[\d.,$()+\-*/×÷^ \t−·A-Z]|\\times|\\cdot|\\div|\\\*|(?:(?<=[\d)] )|(?<=[\d)]))x(?= ?[\d(])"
_SIDE = re.compile(rf"(?:{_SIDE_CHARS})+")
_EQUALS = re.compile(r"(?<![<>=!])=(?!=)")
_UNIT = re.compile(r"[\d)][ \t]+[A-Z](?![\w(])")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv, ast.Pow: operator.pow}


@dataclass(frozen=True)
class Slip:
    """A stated computation whose value is wrong: the verbatim text, where it starts, stated and correct values."""

    text: str
    start: int
    stated: float
    correct: float


def _normalise(side: str) -> str:
    text = side.replace("\\times", "*").replace("\\cdot", "*").replace("\\div", "/").replace("\\*", "*")
    text = text.replace("×", "*").replace("÷", "/").replace("·", "*").replace("−", "-").replace("^", "**").replace("$", "")
    text = re.sub(r"(?:(?<=[\d)] )|(?<=[\d)]))x(?= ?[\d(])", "*", text)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    text = re.sub(r"(?<=[\d)])\s*\(", "*(", text)
    return re.sub(r"\)\s*(?=[\d(])", ")*", text)


def _evaluate(expression: str, names: dict[str, float]) -> float | None:
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return None

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = value(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = value(node.left), value(node.right)
            if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
                raise ValueError("power too large")
            return float(_OPS[type(node.op)](left, right))
        raise ValueError("not arithmetic")

    try:
        result = value(tree)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None
    return result if abs(result) < 1e15 else None


def _is_operation(expression: str) -> bool:
    return re.search(r"\d\s*[-+*/]|\)\s*[-+*/]|[-+*/]\s*[\d(]", expression.lstrip(" -+")) is not None


def _decimals(number_text: str) -> int:
    match = re.search(r"\.(\d+)\s*$", number_text.strip().rstrip(")"))
    return len(match.group(1)) if match else 0


def _suffix(chunk: str) -> tuple[int, str]:
    """The expression that ends a chunk (the left-hand side of the '=' after it): (offset, text)."""
    tail = None
    for match in _SIDE.finditer(chunk):
        if match.end() == len(chunk):
            tail = match
    if tail is None:
        return len(chunk), ""
    side, offset = tail.group(0), tail.start()
    unit = None
    for unit in _UNIT.finditer(side):
        pass
    if unit is not None:  # '3 N * 2': a capital after a number is a unit, not a name
        side, offset = side[unit.end() :], offset + unit.end()
    if offset and not side[:1].isspace() and (chunk[offset - 1].isalnum() or chunk[offset - 1] in "_^"):
        return len(chunk), ""  # glued to a word ('z^2 = ...')
    while side and (side[0] in " \t," or (side[0] == "." and not side[1:2].isdigit())):
        side, offset = side[1:], offset + 1
    if side[:1] in (")", "*", "/", "^", "x"):
        return len(chunk), ""
    depth = 0
    for index in range(len(side) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(side[index], 0)
        if depth < 0:
            side, offset = side[index + 1 :], offset + index + 1
            break
    stripped = side.lstrip()
    return offset + len(side) - len(stripped), stripped.rstrip()


def _prefix(chunk: str) -> str:
    """The expression that starts a chunk (the right-hand side of the '=' before it)."""
    stripped = chunk.lstrip()
    head = _SIDE.match(stripped)
    if head is None:
        return ""
    side, depth = head.group(0), 0
    unit = _UNIT.search(side)
    if unit is not None:
        side = side[: unit.start() + 1]
    for index, char in enumerate(side):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            side = side[:index]
            break
    previous = None
    while previous != side:  # drop what trails the expression: separators, operators, an opening '(' of prose
        previous = side
        side = side.rstrip().rstrip(",.").rstrip(" *+-/^x(").rstrip()
    return side if side.count("(") == side.count(")") else ""


def _name(expression: str) -> str | None:
    return expression.strip() if re.fullmatch(r"\s*[A-Z]\s*", expression) else None


def arithmetic_slips(text: str, names: dict[str, float] | None = None, start: int = 0) -> list[Slip]:
    """Every stated computation in `text` whose value is wrong, in order (positions offset by `start`).

    A single capital letter the text sets ('A = ... = -10') keeps the last value it is given and
    may be used by later computations; `names` gives values known beforehand.
    """
    known = dict(names or {})
    slips: list[Slip] = []
    offset = start
    for line in text.split("\n"):
        slips += _check_line(line, known, offset)
        offset += len(line) + 1
    return slips


def _check_line(line: str, names: dict[str, float], offset: int) -> list[Slip]:
    equals = [m.start() for m in _EQUALS.finditer(line)]
    if not equals:
        return []
    bounds = [-1, *equals, len(line)]
    chunks = [line[bounds[i] + 1 : bounds[i + 1]] for i in range(len(bounds) - 1)]
    slips: list[Slip] = []
    assigning: str | None = None
    for index, at in enumerate(equals):
        left_offset, left = _suffix(chunks[index])
        right = _prefix(chunks[index + 1])
        left_start = bounds[index] + 1 + left_offset
        whole = _prefix(chunks[index + 1]) == chunks[index + 1].strip().rstrip(",.").strip()
        if _name(left):
            assigning = _name(left)
        if not left or not right:
            assigning = None
            continue
        left_expr, right_expr = _normalise(left), _normalise(right)
        right_value = _evaluate(right_expr, names) if not re.search(r"[A-Z]", right_expr) or _known(right_expr, names) else None
        if assigning and right_value is not None and (index + 1 == len(equals) or not whole):
            names[assigning] = right_value  # the last value the text gives the name
            assigning = None
        if _name(left) or not (_is_operation(left_expr) or _is_operation(right_expr)):
            if not whole:
                assigning = None
            continue
        left_value = _evaluate(left_expr, names) if _known(left_expr, names) else None
        if left_value is not None and right_value is not None:
            plain = right if not _is_operation(right_expr) else left if not _is_operation(left_expr) else ""
            exact = left_value if plain is right else right_value
            # a stated decimal may be rounded or cut at its last digit; an exact whole result must be met exactly
            allowance = 10.0 ** -_decimals(plain) if plain and abs(exact - round(exact)) > 1e-9 else 0.0
            relative = max(_carried_error(left), _carried_error(right), 1e-6)  # rounded operands carry their error
            if abs(left_value - right_value) > max(allowance, relative * max(abs(left_value), abs(right_value)), 1e-9):
                end = at + 1 + (len(chunks[index + 1]) - len(chunks[index + 1].lstrip())) + len(right)
                slips.append(Slip(line[left_start:end], offset + left_start, right_value, left_value))
        if not whole:
            assigning = None
    return slips


def _carried_error(expression: str) -> float:
    """The relative error the rounded decimals of an expression can carry into its value (twice the sum, to be safe)."""
    error = 0.0
    for match in re.finditer(r"(\d+)\.(\d+)", expression):
        value = float(match.group(0))
        if value:
            error += 0.5 * 10 ** -len(match.group(2)) / value
    return 2 * error


def _known(expression: str, names: dict[str, float]) -> bool:
    return all(name in names for name in re.findall(r"[A-Z]", expression))

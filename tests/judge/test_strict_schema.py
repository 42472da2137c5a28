"""Our strict structured-output schema is the SDK's, byte for byte (store keys and prompts depend on it)."""

from __future__ import annotations

import copy
import json
from enum import Enum
from typing import Any, Literal, Optional

import pytest
from openai.lib._pydantic import _ensure_strict_json_schema, to_strict_json_schema
from pydantic import BaseModel, Field

from errormap.judge import schemas
from errormap.judge.strict_schema import _make_strict, strict_json_schema
from errormap.judge.tasks import SCHEMA_NAMES


class Colour(str, Enum):
    RED = "red"
    BLUE = "blue"


class Leaf(BaseModel):
    label: str = Field(description="A label.")
    weight: float | None = None


class Tree(BaseModel):
    """A recursive model: children refer back to the same definition."""

    name: str
    children: list[Tree] = Field(default_factory=list)


class Everything(BaseModel):
    """Every shape the strict rules touch: refs with siblings, nullable defaults, unions, maps, literals."""

    colour: Colour = Field(description="An enum behind a $ref with a description next to it.")
    leaf: Leaf = Field(description="A nested model with a description.")
    maybe_leaf: Optional[Leaf] = None
    leaves: list[Leaf] = Field(default_factory=list, description="A list of nested models.")
    either: int | str = 3
    counts: dict[str, int] = Field(default_factory=dict)
    kind: Literal["a", "b"] = "a"
    note: str | None = Field(default=None, description="Nullable with a None default.")
    tree: Tree | None = None


def _same(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert json.dumps(ours) == json.dumps(theirs)  # key order included: the schema is part of prompts and keys


@pytest.mark.parametrize("model", list(SCHEMA_NAMES), ids=list(SCHEMA_NAMES.values()))
def test_every_schema_the_judge_sends_is_the_sdks(model: type[BaseModel]) -> None:
    _same(strict_json_schema(model), to_strict_json_schema(model))


@pytest.mark.parametrize(
    "model",
    [m for m in vars(schemas).values() if isinstance(m, type) and issubclass(m, BaseModel) and m is not BaseModel]
    + [Leaf, Tree, Everything],
    ids=lambda m: m.__name__,
)
def test_other_models_match_the_sdk(model: type[BaseModel]) -> None:
    _same(strict_json_schema(model), to_strict_json_schema(model))


RAW_SCHEMAS = {
    "allOf with one entry is merged": {
        "type": "object",
        "properties": {"a": {"allOf": [{"$ref": "#/$defs/A"}], "description": "d"}},
        "$defs": {"A": {"type": "object", "properties": {"x": {"type": "string", "default": None}}}},
    },
    "allOf with several entries": {
        "allOf": [{"type": "object", "properties": {"x": {"type": "integer"}}}, {"type": "object"}],
    },
    "legacy definitions": {
        "type": "object",
        "properties": {"b": {"$ref": "#/definitions/B", "title": "B field"}},
        "definitions": {"B": {"type": "object", "properties": {"y": {"type": "array", "items": {"type": "object"}}}}},
    },
    "an explicit additionalProperties is kept": {
        "type": "object", "additionalProperties": {"type": "string"}, "required": ["z"],
        "properties": {"z": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}},
    },
}


@pytest.mark.parametrize("raw", RAW_SCHEMAS.values(), ids=list(RAW_SCHEMAS))
def test_raw_schemas_match_the_sdk(raw: dict[str, Any]) -> None:
    ours, theirs = copy.deepcopy(raw), copy.deepcopy(raw)
    _same(_make_strict(ours, ours), _ensure_strict_json_schema(theirs, path=(), root=theirs))


def test_bad_references_are_refused() -> None:
    with pytest.raises(ValueError, match="only local"):
        schema: dict[str, Any] = {"$ref": "http://elsewhere/x", "description": "d"}
        _make_strict(schema, schema)
    with pytest.raises(ValueError, match="does not resolve"):
        schema = {"$ref": "#/$defs/Missing", "description": "d"}
        _make_strict(schema, schema)

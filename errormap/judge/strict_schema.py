"""A pydantic model's JSON schema in the form OpenAI's strict structured output accepts.

Strict mode wants every object closed (`additionalProperties: false`) with every property
required, no keywords next to a `$ref`, and no single-entry `allOf`. The result is the same,
key order included, as the SDK's `openai.lib._pydantic.to_strict_json_schema` (which
`chat.completions.parse` uses); `tests/judge/test_strict_schema.py` proves it on every schema the
judge sends, so store keys and prompts do not change. Defined here so the judge does not import
the SDK (about 0.5 s) to build a schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

Schema = dict[str, Any]
_DEFINITION_KEYS = ("$defs", "definitions")


def strict_json_schema(model: type[BaseModel]) -> Schema:
    """The model's JSON schema made strict (a fresh dict: pydantic generates a new one per call)."""
    schema = model.model_json_schema()
    return _make_strict(schema, schema)


def _make_strict(node: object, root: Schema) -> Schema:
    """Make one schema node strict, in place (sub-schemas first, as the definitions they may inline)."""
    if not isinstance(node, dict):
        raise TypeError(f"expected a JSON schema object, got {node!r}")
    for key in _DEFINITION_KEYS:
        definitions = node.get(key)
        if isinstance(definitions, dict):
            for definition in definitions.values():
                _make_strict(definition, root)
    if node.get("type") == "object":
        node.setdefault("additionalProperties", False)
    _strict_children(node, root)
    if "default" in node and node["default"] is None:
        del node["default"]  # a nullable field's None default says nothing strict mode can use
    if node.get("$ref") and len(node) > 1:
        return _inline_ref(node, root)
    return node


def _strict_children(node: Schema, root: Schema) -> None:
    """Properties (all required), array items, and the entries of anyOf/allOf; a lone allOf entry merged in."""
    properties = node.get("properties")
    if isinstance(properties, dict):
        node["required"] = list(properties)
        node["properties"] = {name: _make_strict(sub, root) for name, sub in properties.items()}
    items = node.get("items")
    if isinstance(items, dict):
        node["items"] = _make_strict(items, root)
    if isinstance(node.get("anyOf"), list):
        node["anyOf"] = [_make_strict(variant, root) for variant in node["anyOf"]]
    all_of = node.get("allOf")
    if isinstance(all_of, list):
        if len(all_of) == 1:
            node.update(_make_strict(all_of[0], root))
            del node["allOf"]
        else:
            node["allOf"] = [_make_strict(entry, root) for entry in all_of]


def _inline_ref(node: Schema, root: Schema) -> Schema:
    """Replace a `$ref` that has sibling keywords by the definition it names; the siblings win."""
    ref = node["$ref"]
    if not isinstance(ref, str):
        raise TypeError(f"a $ref must be a string, got {ref!r}")
    target = _resolve(ref, root)
    for key, value in target.items():
        node.setdefault(key, value)
    del node["$ref"]
    return _make_strict(node, root)  # the definition's own keywords are now the node's: strict again


def _resolve(ref: str, root: Schema) -> Schema:
    """The schema a local `#/...` reference points to."""
    if not ref.startswith("#/"):
        raise ValueError(f"unsupported $ref {ref!r}: only local '#/...' references are")
    target: object = root
    for part in ref[2:].split("/"):
        if not isinstance(target, dict) or part not in target:
            raise ValueError(f"$ref {ref!r} does not resolve")
        target = target[part]
    if not isinstance(target, dict):
        raise ValueError(f"$ref {ref!r} does not name a schema object")
    return target

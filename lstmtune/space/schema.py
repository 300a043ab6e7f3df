"""The space file's JSON Schema, generated from the rules that validate it (no Keras).

Each hyperparameter's Spec (type, and its rule's `schema` fragment) and each settings validator
(lstmtune.core.validate) carry the JSON Schema of what they accept, so editors
check a space file against exactly what `lstmtune check` enforces (the rules that span keys, like
lo <= hi, stay with `check`).
"""

from __future__ import annotations

from typing import Any

from lstmtune.core.validate import Validator
from lstmtune.space import settings
from lstmtune.space.load import Grammar
from lstmtune.space.rules import RULE
from lstmtune.space.specs import Spec

JSON_TYPES = {int: "integer", float: "number", bool: "boolean", str: "string"}


def _value(spec: Spec) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": JSON_TYPES[spec.type], **spec.valid.schema}
    if spec.default is None:  # e.g. text's sequence_length: unset means "from the data"
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def _hyperparameter(spec: Spec) -> dict[str, Any]:
    value = _value(spec)
    forms: list[dict[str, Any]] = [
        value,
        {
            "type": "object",
            "properties": {"choice": {"type": "array", "items": value, "minItems": 1, "uniqueItems": True}},
            "required": ["choice"],
            "additionalProperties": False,
        },
    ]
    if spec.type in (int, float):
        kind = "int" if spec.type is int else "float"
        forms.append(
            {
                "type": "object",
                "properties": {
                    kind: {"type": "array", "items": value, "minItems": 2, "maxItems": 2},
                    "step": {"type": JSON_TYPES[spec.type], "exclusiveMinimum": 0},
                    "log": {"type": "boolean"},
                },
                "required": [kind],
                "additionalProperties": False,
            }
        )
    return {
        "description": f"{spec.help} ({spec.rule or 'any value'}; default {spec.default!r})".replace(" (; ", " ("),
        "anyOf": forms,
    }


def _section(rules: dict[str, Validator]) -> dict[str, Any]:
    return {
        "type": ["object", "null"],
        "additionalProperties": False,
        "properties": {name: check.schema for name, check in rules.items()},
    }


def space_schema(grammar: Grammar) -> dict[str, Any]:
    """The JSON Schema of a space file read with `grammar`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"lstmtune search space (--task {grammar.task})",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "hyperparameters": {
                "type": ["object", "null"],
                "additionalProperties": False,
                "properties": {name: _hyperparameter(spec) for name, spec in grammar.specs.items()},
            },
            "search": _section(settings.SEARCH_RULES),
            "data": _section(grammar.data_rules),
            "gate": {"type": ["array", "null"], "items": {"type": "string", "pattern": RULE.pattern}},
        },
    }

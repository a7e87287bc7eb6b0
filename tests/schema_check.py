"""Validate JSON against the JSON Schemas in docs/: with the ``jsonschema`` package when it
is installed, else with this small checker of the keywords those schemas use (type,
required, properties, additionalProperties, items, enum, const, pattern, minLength,
maxLength, minimum, maximum, anyOf, $ref to #/$defs)."""

from __future__ import annotations

import re
from typing import Any

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def validate(value: Any, schema: dict[str, Any]) -> None:
    """Raise AssertionError naming the first place where ``value`` breaks ``schema``."""
    try:
        import jsonschema  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        _check(value, schema, schema, "$")
        return
    jsonschema.validate(value, schema)  # pragma: no cover - when installed


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if name in ("object", "array", "string", "null"):
        return isinstance(value, _TYPES[name])
    if name == "boolean":
        return isinstance(value, bool)
    raise AssertionError(f"unknown type {name}")


def _check(value: Any, schema: dict[str, Any], root: dict[str, Any], where: str) -> None:
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), ref
        _check(value, root["$defs"][ref[len("#/$defs/") :]], root, where)
    if "anyOf" in schema:
        for option in schema["anyOf"]:
            try:
                _check(value, option, root, where)
                break
            except AssertionError:
                continue
        else:
            raise AssertionError(f"{where}: {value!r} fits none of anyOf")
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert any(_is_type(value, name) for name in names), f"{where}: not {names}: {value!r}"
    if "const" in schema:
        assert value == schema["const"], f"{where}: {value!r} != {schema['const']!r}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, str):
        if "pattern" in schema:
            assert re.search(schema["pattern"], value), f"{where}: {value!r} !~ {schema['pattern']}"
        assert len(value) >= schema.get("minLength", 0), f"{where}: too short"
        assert len(value) <= schema.get("maxLength", len(value)), f"{where}: too long"
    if isinstance(value, int | float) and not isinstance(value, bool):
        assert value >= schema.get("minimum", value), f"{where}: below minimum"
        assert value <= schema.get("maximum", value), f"{where}: above maximum"
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            assert name in value, f"{where}: {name!r} missing"
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            extra = set(value) - set(properties)
            assert not extra, f"{where}: unexpected {sorted(extra)}"
        for name, sub in properties.items():
            if name in value:
                _check(value[name], sub, root, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            _check(item, schema["items"], root, f"{where}[{n}]")

"""Checking one HSDS object against the schema: `schema_problems` lists every way it breaks
HSDS 3.0, as "path.to.field: message", using the embedded schema as one JSON Schema.
"""

from collections.abc import Iterable
from functools import cache

from jsonschema import Draft202012Validator

from relais.directory.hsds.schema import (
    SCHEMA_ENUMS,
    SCHEMA_OBJECTS,
    schema_children,
    schema_fields,
    schema_required,
)

SINGLE_OBJECTS = {"organization", "program", "taxonomy_term", "taxonomy_detail", "location",
                  "service"}


@cache
def json_schema() -> dict:
    """HSDS 3.0 as one JSON Schema (2020-12) with every object under $defs."""
    formats = {"uuid", "email", "uri", "date-time"}
    definitions = {}
    for kind in SCHEMA_OBJECTS:
        properties = {}
        for name, field_kind in schema_fields(kind):
            prop = {"type": "number"} if field_kind == "number" else {"type": "string"}
            if field_kind in formats:
                prop["format"] = field_kind
            if field_kind == "enum":
                prop["enum"] = SCHEMA_ENUMS[(kind, name)]
            properties[name] = prop
        for name, child in schema_children(kind).items():
            ref = {"$ref": f"#/$defs/{child}"}
            properties[name] = ref if name in SINGLE_OBJECTS else {"type": "array", "items": ref}
        definitions[kind] = {"type": "object", "required": schema_required(kind),
                             "properties": properties}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": definitions}


@cache
def _validator(kind: str):
    schema = {**json_schema(), "$ref": f"#/$defs/{kind}"}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_problems(kind: str, obj, path: str) -> list[str]:
    """Every way `obj` breaks the HSDS schema of `kind`, as "path.to.field: message"."""
    errors = sorted(_validator(kind).iter_errors(obj), key=lambda e: [str(p) for p in e.path])
    return [f"{_join(path, e.absolute_path)}: {_short(e.message)}" for e in errors]


def _join(path: str, parts: Iterable) -> str:
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[:limit - 1] + "…"

"""FHIR R4's element definitions of what the FHIR API answers, read from the R4 (4.0.1)
models of fhir.resources 6.1 and written to src/relais/interop/fhir/data/r4.json, which
the OpenAPI document (interop/fhir/openapi.py) turns into its schemas: Relais carries
no FHIR library at run time, and the file is checked against the models by the suite
(test_fhir_openapi.py), so it cannot drift from R4.

    .venv/bin/python -m tests.relais.interop.fhir.r4_definitions   # rewrite the file

For each type (the served resource types, Bundle, OperationOutcome, CapabilityStatement
and every datatype and backbone element they reach): each element's type (a primitive's
FHIR name — "date", "code" — or a complex type's), whether it repeats, whether R4
requires it, and the codes of a required binding (where the models list them whole).
Extension and Resource are written by openapi.py itself (an extension's value[x] would
otherwise pull in every datatype).
"""

import json
from pathlib import Path

from fhir.resources import fhirtypes, get_fhir_model_class

TARGET = (Path(__file__).resolve().parents[4] / "src" / "relais" / "interop" / "fhir"
          / "data" / "r4.json")
ENVELOPES = ("Bundle", "OperationOutcome", "CapabilityStatement")
SPECIAL = {"Extension", "Resource"}  # written by openapi.py
LIST_SHAPE = 2  # pydantic 1's SHAPE_LIST


def type_name(field) -> str:
    kind = field.type_
    if kind is bool:
        return "boolean"
    name = getattr(kind, "__resource_type__", None)
    if name:
        return "Resource" if name in ("Resource", "FHIRAbstractModel") else name
    if isinstance(kind, type) and issubclass(kind, fhirtypes.Primitive | str | int):
        text = kind.__name__
        return text[0].lower() + text[1:]
    raise ValueError(f"unknown type {kind!r} of {field.alias}")


def elements(model) -> dict:
    found = {}
    for field in model.element_properties():
        extra = field.field_info.extra
        element = {"type": type_name(field)}
        if field.shape == LIST_SHAPE:
            element["list"] = True
        if extra.get("element_required"):
            element["required"] = True
        codes = extra.get("enum_values") or []
        # "+": the list is cut short; "mime": any BCP-13 type (CapabilityStatement.format):
        # not a closed set either way.
        if codes and "+" not in codes and "mime" not in codes:
            element["enum"] = list(codes)
        found[field.alias] = element
    return found


def definitions(roots) -> dict:
    wanted, done = list(roots), {}
    while wanted:
        name = wanted.pop()
        if name in done or name in SPECIAL:
            continue
        done[name] = elements(get_fhir_model_class(name))
        wanted += [e["type"] for e in done[name].values() if e["type"][0].isupper()]
    return {"roots": sorted(roots), "types": dict(sorted(done.items()))}


def served_roots() -> list[str]:
    from relais.interop.fhir import registry, resources

    resources.register_all()
    return sorted({*registry.TYPES, *ENVELOPES})


def write() -> None:
    TARGET.parent.mkdir(exist_ok=True)
    text = json.dumps(definitions(served_roots()), indent=None, separators=(",", ":"),
                      sort_keys=False)
    TARGET.write_text(text + "\n")


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relais.config.settings")
    django.setup()
    write()
    print(f"{TARGET}: {TARGET.stat().st_size} bytes")

"""The CSV datapackage: one file per HSDS table (organizations.csv, services.csv,
phones.csv, …) with the column names of the specification's tabular examples, and a
datapackage.json (Frictionless) describing them. `export_csv` writes it; `read_csv` and
`from_tables` turn tables back into the HSDS document.
"""

import copy
import csv
import json
from collections import defaultdict
from pathlib import Path

from relais.directory.hsds.errors import HsdsImportError
from relais.directory.hsds.export import export_hsds
from relais.directory.hsds.schema import (
    HSDS_VERSION,
    SCHEMA_ENUMS,
    schema_children,
    schema_fields,
    schema_required,
    schema_table,
)

# Relationships written to / read from separate tables: (parent, key, child, foreign key).
RELATIONS = [
    ("organization", "organization_identifiers", "organization_identifier", "organization_id"),
    ("organization", "phones", "phone", "organization_id"),
    ("organization", "contacts", "contact", "organization_id"),
    ("organization", "locations", "location", "organization_id"),
    ("location", "addresses", "address", "location_id"),
    ("service", "phones", "phone", "service_id"),
    ("service", "contacts", "contact", "service_id"),
    ("service", "languages", "language", "service_id"),
    ("service", "service_areas", "service_area", "service_id"),
    ("service", "schedules", "schedule", "service_id"),
    ("contact", "phones", "phone", "contact_id"),
]


PARENT_KEYS = {"organization_id", "service_id", "location_id", "contact_id",
               "service_at_location_id", "phone_id"}


CSV_TABLES = ["organization", "organization_identifier", "location", "address", "service",
              "phone", "contact", "language", "service_area", "schedule", "attribute",
              "taxonomy_term"]


# --- Reading tables --------------------------------------------------------------------------
def _coerce(kind: str, row: dict) -> dict:
    """A table row with CSV text (or tabular JSON) turned into schema-typed values."""
    kinds, required = dict(schema_fields(kind)), set(schema_required(kind))
    result = {}
    for name, value in row.items():
        if name not in kinds or value is None or (value == "" and name not in required):
            continue
        if kinds[name] == "number" and isinstance(value, str):
            try:
                number = float(value)
                value = int(number) if number.is_integer() else number
            except ValueError:
                pass  # the schema check will name it
        elif kinds[name] != "number" and not isinstance(value, str):
            value = str(value)
        result[name] = value
    return result


def from_tables(tables: dict) -> dict:
    """Our document from HSDS tables: {"services.csv": [row, …], …}."""
    rows = {kind: [_coerce(kind, r) for r in tables.get(schema_table(kind)) or []
                   if isinstance(r, dict)] for kind in CSV_TABLES}
    terms = {t.get("id"): t for t in rows["taxonomy_term"]}
    attributes = defaultdict(list)
    for attribute in rows["attribute"]:
        if attribute.get("taxonomy_term_id") in terms:
            attribute["taxonomy_term"] = dict(terms[attribute["taxonomy_term_id"]])
        attributes[attribute.get("link_id")].append(attribute)
    children = defaultdict(list)  # (child kind, fk, parent id) → rows
    for _parent, _key, child, fk in RELATIONS:
        for row in rows[child]:
            if row.get(fk):
                children[(child, fk, row[fk])].append(row)

    def build(kind: str, row: dict, top: bool = False) -> dict:
        obj = {k: v for k, v in row.items() if top or k not in PARENT_KEYS}
        for parent, key, child, fk in RELATIONS:
            if parent == kind:
                nested = [build(child, r) for r in children[(child, fk, row.get("id"))]]
                if nested:
                    obj[key] = nested
        if row.get("id") in attributes:
            obj["attributes"] = [copy.deepcopy(a) for a in attributes[row["id"]]]
        return obj

    return {"version": HSDS_VERSION,
            "organizations": [build("organization", r, top=True) for r in rows["organization"]],
            "services": [build("service", r, top=True) for r in rows["service"]]}


def read_csv(directory) -> dict:
    """Our document from a CSV datapackage directory (organizations.csv, services.csv, …)."""
    directory = Path(directory)
    tables = {}
    for kind in CSV_TABLES:
        path = directory / schema_table(kind)
        if path.exists():
            with path.open(encoding="utf-8-sig", newline="") as handle:
                tables[path.name] = list(csv.DictReader(handle))
    if not ({"organizations.csv", "services.csv"} & tables.keys()):
        raise HsdsImportError([f"{directory}: no organizations.csv or services.csv"])
    return from_tables(tables)


# --- Writing tables --------------------------------------------------------------------------
def export_csv(directory, services=None) -> list[Path]:
    """Write the export as HSDS tables plus datapackage.json; returns the files written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    document = export_hsds(services)
    tables: dict[str, dict] = {kind: {} for kind in CSV_TABLES}

    def emit(kind: str, obj: dict, links: dict) -> None:
        columns = [name for name, _ in schema_fields(kind)]
        row = {c: obj[c] for c in columns if c in obj and not isinstance(obj[c], list | dict)}
        row.update({k: v for k, v in links.items() if k in columns})
        stored = tables[kind].setdefault(row["id"], {})
        stored.update({k: v for k, v in row.items() if stored.get(k) in (None, "")})
        for key, child in schema_children(kind).items():
            items = obj.get(key)
            items = [items] if isinstance(items, dict) else (items or [])
            for item in items:
                if child in tables:
                    emit(child, item, {f"{kind}_id": obj["id"], "link_id": obj["id"]})

    for organization in document["organizations"]:
        emit("organization", organization, {})
    for service in document["services"]:
        emit("service", service, {})
    written = []
    for kind in CSV_TABLES:
        path = directory / schema_table(kind)
        columns = [name for name, _ in schema_fields(kind)]
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(tables[kind].values())
        written.append(path)
    package = directory / "datapackage.json"
    package.write_text(json.dumps(datapackage(), indent=2, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    return [*written, package]


FRICTIONLESS_TYPES = {"number": ("number", None), "date": ("date", None),
                      "time": ("time", None), "date-time": ("datetime", None),
                      "uuid": ("string", "uuid"), "email": ("string", "email"),
                      "uri": ("string", "uri")}


def datapackage() -> dict:
    """The Frictionless tabular data package describing export_csv's files."""
    resources = []
    for kind in CSV_TABLES:
        fields, required = [], set(schema_required(kind))
        for name, field_kind in schema_fields(kind):
            field_type, field_format = FRICTIONLESS_TYPES.get(field_kind, ("string", None))
            spec = {"name": name, "type": field_type}
            if field_format:
                spec["format"] = field_format
            if name in required:
                spec["constraints"] = {"required": True}
            if field_kind == "enum":
                spec.setdefault("constraints", {})["enum"] = SCHEMA_ENUMS[(kind, name)]
            fields.append(spec)
        foreign_keys = [{"fields": fk, "reference": {"resource": parent, "fields": "id"}}
                        for parent, _key, child, fk in RELATIONS
                        if child == kind and parent in CSV_TABLES]
        if kind == "attribute":
            foreign_keys.append({"fields": "taxonomy_term_id",
                                 "reference": {"resource": "taxonomy_term", "fields": "id"}})
        if kind == "service":
            foreign_keys.append({"fields": "organization_id",
                                 "reference": {"resource": "organization", "fields": "id"}})
        schema = {"fields": fields, "primaryKey": ["id"]}
        if foreign_keys:
            schema["foreignKeys"] = foreign_keys
        resources.append({"name": kind, "path": schema_table(kind),
                          "profile": "tabular-data-resource", "format": "csv",
                          "mediatype": "text/csv", "encoding": "utf-8", "schema": schema})
    return {"profile": "tabular-data-package", "name": "relais-directory",
            "title": "Relais directory (Open Referral HSDS 3.0)", "version": HSDS_VERSION,
            "resources": resources}

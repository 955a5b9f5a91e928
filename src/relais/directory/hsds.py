"""Open Referral HSDS 3.0 in and out: the directory as JSON or as a CSV datapackage.

The document (what `export_hsds` returns, `import_hsds` takes and `load_hsds_file` gives):

    {"version": "3.0",
     "organizations": [<HSDS organization>, ...],   # those offering the services below
     "services": [<HSDS service, with organization_id>, ...]}

Each object validates against the HSDS 3.0 JSON schema (every id a UUID). How Relais fields
map (DOMAIN.md §7):

- organization: id (the stored `Organisation.hsds_id`, else uuid5 of "relais:organisation:
  kbo:<KBO>" or, without a KBO, "…:pk:<pk>"), name, description, email, website,
  phones[0].number, organization_identifiers [{identifier_scheme "BE-BCE_KBO",
  identifier_type "KBO", identifier}], one location with external_identifier "<NIS code>"
  (external_identifier_type "NIS") and a Belgian address (street, postcode); the
  organisation type and "active" flag are attributes (taxonomies
  "relais-organisation-type" and "relais").
- service: id (Service.hsds_id), organization_id, name / description / application_process
  in the best language (fr, then nl, then en; alternate_name lists the other names for
  plain HSDS readers), every translation also as an attribute of taxonomy "relais-i18n"
  (term code = the HSDS field, term language = the language), status, email,
  eligibility_description, minimum_age, maximum_age, fees_description, assured_date
  (verified on), languages [{code, name}], phones [{number}], contacts [{name, email,
  phones}], service_areas [{name, extent_type "text", extent "NIS 21015" | "CARE-ZONE
  north-east" | "NIS 04000" for the whole region}], schedules [{description}], the
  category as an attribute of taxonomy "relais-category", and capacity, urgent start,
  typical wait, capacity confirmed on and RIZIV number as attributes of taxonomy "relais"
  (HSDS 3.0 has no service_capacity: it came in 3.1).
- Child objects get ids derived from their parent's (uuid5), so an export is stable.

Import validates the whole document (schema, references, duplicates, Relais rules) and
raises HsdsImportError listing every problem before anything is written; then it writes
everything in one transaction. Organisations match on HSDS id, then KBO; services on id.
A service is replaced as a whole by what the file says (its standard HSDS fields);
Relais-only attributes and an organisation's fields are only changed when present.

The CSV datapackage has one file per HSDS table (organizations.csv, services.csv,
phones.csv, …) with the column names of the specification's tabular examples, and a
datapackage.json describing them; `read_csv` turns it back into the document above.
"""

import copy
import csv
import json
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from django.conf.locale import LANG_INFO
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.dateparse import parse_date, parse_datetime

from relais.accounts.models import Organisation, OrganisationType
from relais.accounts.validators import compact_kbo, validate_kbo
from relais.audit import log as audit
from relais.core.models import CareZone, Municipality, Postcode
from relais.core.text import fold
from relais.directory.models import (
    Capacity,
    Category,
    OpeningHours,
    Service,
    ServiceStatus,
    UrgentStart,
)
from relais.directory.search import refresh_search_text

HSDS_VERSION = "3.0"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "relais:hsds")
KBO_SCHEME, KBO_TYPE = "BE-BCE_KBO", "KBO"
BRUSSELS_REGION_NIS = "04000"
BRUSSELS_REGION_NAME = "Région de Bruxelles-Capitale / Brussels Hoofdstedelijk Gewest"
LANGUAGE_ORDER = ("fr", "nl", "en")  # the service's "own best language" for plain HSDS
TRANSLATED = {"name": "name", "description": "description", "how_to_refer": "application_process"}
I18N, RELAIS, CATEGORY_TAXONOMY, ORG_TYPE_TAXONOMY = (
    "relais-i18n", "relais", "relais-category", "relais-organisation-type")
SERVICE_EXTRAS = ("capacity", "urgent_start", "typical_wait_days", "capacity_confirmed_on",
                  "riziv_number")
THREE_LETTER_LANGUAGES = {"eng": "en", "fra": "fr", "fre": "fr", "nld": "nl", "dut": "nl",
                          "deu": "de", "ger": "de", "ara": "ar", "tur": "tr", "spa": "es"}
ProgressCallback = Callable[[str, int, int], None]


# --- The HSDS 3.0 schema -------------------------------------------------------------------
# Each object: CSV file, required fields, scalar fields ("name:kind", in the order of the
# specification's CSV columns) and nested lists/objects ("name:object"). Kinds: uuid, email,
# uri, date-time (JSON formats), number, enum, date/time (datapackage types), else string.
# tests/relais/directory/test_hsds.py checks this against the specification's schema files;
# organization.services and service_at_location.service come from its compiled schemas.
SCHEMA_OBJECTS = {
    "accessibility": ("accessibility.csv", "id",
        "id:uuid location_id:uuid description details url:uri",
        "attributes:attribute metadata:metadata"),
    "address": ("addresses.csv", "id address_1 city state_province postal_code country "
        "address_type", "id:uuid location_id:uuid attention address_1 address_2 city region "
        "state_province postal_code country address_type:enum",
        "attributes:attribute metadata:metadata"),
    "attribute": ("attributes.csv", "id",
        "id:uuid link_id:uuid taxonomy_term_id:uuid link_type link_entity value",
        "metadata:metadata taxonomy_term:taxonomy_term"),
    "contact": ("contacts.csv", "id",
        "id:uuid organization_id:uuid service_id:uuid service_at_location_id:uuid "
        "location_id:uuid name title department email:email",
        "phones:phone attributes:attribute metadata:metadata"),
    "cost_option": ("cost_options.csv", "id",
        "id:uuid service_id:uuid valid_from:date valid_to:date option currency amount:number "
        "amount_description", "attributes:attribute metadata:metadata"),
    "funding": ("funding.csv", "id",
        "id:uuid organization_id:uuid service_id:uuid source",
        "attributes:attribute metadata:metadata"),
    "language": ("languages.csv", "id",
        "id:uuid service_id:uuid location_id:uuid phone_id:uuid name code note",
        "attributes:attribute metadata:metadata"),
    "location": ("locations.csv", "id location_type",
        "id:uuid location_type:enum url:uri organization_id:uuid name alternate_name "
        "description transportation latitude:number longitude:number external_identifier "
        "external_identifier_type",
        "languages:language addresses:address contacts:contact accessibility:accessibility "
        "phones:phone schedules:schedule attributes:attribute metadata:metadata"),
    "meta_table_description": ("meta_table_descriptions.csv", "id",
        "id:uuid name language character_set", "attributes:attribute metadata:metadata"),
    "metadata": ("metadata.csv", "id last_action_date last_action_type field_name "
        "previous_value replacement_value updated_by",
        "id:uuid resource_id:uuid resource_type last_action_date:date last_action_type "
        "field_name previous_value replacement_value updated_by", ""),
    "organization": ("organizations.csv", "id name description",
        "id:uuid name alternate_name description email:email website:uri tax_status tax_id "
        "year_incorporated:number legal_status logo uri:uri parent_organization_id:uuid",
        "funding:funding contacts:contact phones:phone locations:location programs:program "
        "organization_identifiers:organization_identifier attributes:attribute "
        "metadata:metadata services:service"),
    "organization_identifier": ("organization_identifiers.csv", "id identifier_type identifier",
        "id:uuid organization_id:uuid identifier_scheme identifier_type identifier",
        "attributes:attribute metadata:metadata"),
    "phone": ("phones.csv", "id number",
        "id:uuid location_id:uuid service_id:uuid organization_id:uuid contact_id:uuid "
        "service_at_location_id:uuid number extension:number type description",
        "languages:language attributes:attribute metadata:metadata"),
    "program": ("programs.csv", "id name description",
        "id:uuid organization_id:uuid name alternate_name description",
        "attributes:attribute metadata:metadata"),
    "required_document": ("required_documents.csv", "id",
        "id:uuid service_id:uuid document uri:uri", "attributes:attribute metadata:metadata"),
    "schedule": ("schedules.csv", "id",
        "id:uuid service_id:uuid location_id:uuid service_at_location_id:uuid valid_from:date "
        "valid_to:date dtstart:date timezone:number until:date count:number wkst:enum "
        "freq:enum interval:number byday byweekno bymonthday byyearday description "
        "opens_at:time closes_at:time schedule_link:uri attending_type notes",
        "attributes:attribute metadata:metadata"),
    "service": ("services.csv", "id name status",
        "id:uuid organization_id:uuid program_id:uuid name alternate_name description url:uri "
        "email:email status:enum interpretation_services application_process fees_description "
        "wait_time fees accreditations eligibility_description minimum_age:number "
        "maximum_age:number assured_date:date assurer_email:email licenses alert "
        "last_modified:date-time",
        "phones:phone schedules:schedule service_areas:service_area "
        "service_at_locations:service_at_location languages:language funding:funding "
        "cost_options:cost_option required_documents:required_document contacts:contact "
        "attributes:attribute metadata:metadata organization:organization program:program"),
    "service_area": ("service_areas.csv", "id",
        "id:uuid service_id:uuid name description extent extent_type uri",
        "attributes:attribute metadata:metadata"),
    "service_at_location": ("service_at_location.csv", "id",
        "id:uuid service_id:uuid location_id:uuid description",
        "contacts:contact phones:phone schedules:schedule attributes:attribute "
        "metadata:metadata location:location service:service"),
    "taxonomy": ("taxonomies.csv", "id name description",
        "id:uuid name description uri:uri version", "metadata:metadata"),
    "taxonomy_term": ("taxonomy_terms.csv", "id name description",
        "id:uuid code name description parent_id:uuid taxonomy language taxonomy_id:uuid "
        "term_uri:uri", "metadata:metadata taxonomy_detail:taxonomy"),
}
SCHEMA_ENUMS = {
    ("address", "address_type"): ["physical", "postal", "virtual"],
    ("location", "location_type"): ["physical", "postal", "virtual"],
    ("schedule", "wkst"): ["MO", "TU", "WE", "TH", "FR", "SA", "SU"],
    ("schedule", "freq"): ["WEEKLY", "MONTHLY"],
    ("service", "status"): ["active", "inactive", "defunct", "temporarily closed"],
}


def _pairs(text: str) -> list[tuple[str, str]]:
    return [tuple((item + ":").split(":")[:2]) for item in text.split()]


def schema_fields(kind: str) -> list[tuple[str, str]]:
    """[(field, kind)] of an object's scalar fields, in CSV column order."""
    return _pairs(SCHEMA_OBJECTS[kind][2])


def schema_children(kind: str) -> dict[str, str]:
    """{key: object kind} of an object's nested lists and objects."""
    return dict(_pairs(SCHEMA_OBJECTS[kind][3]))


def schema_required(kind: str) -> list[str]:
    return SCHEMA_OBJECTS[kind][1].split()


def schema_table(kind: str) -> str:
    return SCHEMA_OBJECTS[kind][0]


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
    try:
        from jsonschema import Draft202012Validator
    except ImportError as error:  # pragma: no cover - an installation problem
        raise RuntimeError("HSDS import needs the jsonschema package "
                           "(pip install 'jsonschema>=4.20,<5')") from error

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


# --- Errors and report ---------------------------------------------------------------------

class HsdsImportError(Exception):
    """The document cannot be imported; nothing was written. `problems` says why, each
    prefixed with where ("services[3].languages[0].code: …")."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class ImportReport:
    organizations: Counter = field(default_factory=Counter)  # created / updated / unchanged
    services: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)  # what was mapped by default or skipped

    def counts(self) -> dict:
        return {kind: {k: getattr(self, kind)[k] for k in ("created", "updated", "unchanged")}
                for kind in ("organizations", "services")}

    def summary(self) -> str:
        lines = [f"{kind}: " + ", ".join(f"{n} {what}" for what, n in counts.items())
                 for kind, counts in self.counts().items()]
        return "\n".join(lines + [f"note: {note}" for note in self.notes])


# --- Export --------------------------------------------------------------------------------

def child_id(parent_id, *parts) -> str:
    """A stable id for an object that only exists inside its parent (phone, area, …)."""
    return str(uuid.uuid5(uuid.UUID(str(parent_id)), ":".join(str(p) for p in parts)))


def organisation_hsds_id(organisation) -> str:
    if organisation.hsds_id:
        return str(organisation.hsds_id)
    key = f"kbo:{organisation.kbo_number}" if organisation.kbo_number else (
        f"pk:{organisation.pk}")
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"relais:organisation:{key}"))


def term_id(taxonomy: str, code: str, language: str = "") -> str:
    return str(uuid.uuid5(NAMESPACE, f"{taxonomy}:{code}:{language}"))


def _obj(kind: str, **fields) -> dict:
    """Drop empty values (None, "", []), but keep the schema's required fields."""
    required = set(schema_required(kind))
    return {k: ("" if v is None else v) for k, v in fields.items()
            if k in required or v not in (None, "", [], {})}


def _english(label) -> str:
    with translation.override("en"):
        return str(label)


TERM_DESCRIPTIONS = {
    I18N: "Relais: this field of the service in another language.",
    RELAIS: "Relais: a directory field that HSDS 3.0 has no place for.",
    CATEGORY_TAXONOMY: "Relais directory category.",
    ORG_TYPE_TAXONOMY: "Relais organisation type.",
}


def _term_name(taxonomy: str, code: str, language: str) -> str:
    if taxonomy == CATEGORY_TAXONOMY and code in Category.values:
        return _english(Category(code).label)
    if taxonomy == ORG_TYPE_TAXONOMY and code in OrganisationType.values:
        return _english(OrganisationType(code).label)
    return f"{code} ({language})" if language else code


def _attribute(link_id: str, entity: str, taxonomy: str, code: str, value="",
               language: str = "") -> dict:
    term = _obj("taxonomy_term", id=term_id(taxonomy, code, language), code=code,
                name=_term_name(taxonomy, code, language),
                description=TERM_DESCRIPTIONS[taxonomy], taxonomy=taxonomy, language=language)
    return _obj("attribute", id=child_id(link_id, "attribute", taxonomy, code, language),
                link_id=link_id, link_entity=entity, taxonomy_term_id=term["id"],
                value=value, taxonomy_term=term)


def export_hsds(services=None) -> dict:
    """The directory (or these services) and the organisations offering them, as HSDS."""
    if services is None:
        services = Service.objects.all()
    elif not isinstance(services, QuerySet):
        services = Service.objects.filter(pk__in=[s.pk for s in services])
    services = sorted(
        services.select_related("organisation__municipality")
        .prefetch_related("municipalities", "care_zones", "opening_hours"),
        key=lambda s: (s.organisation.name, s.organisation.pk, str(s.hsds_id)))
    organisations = {s.organisation.pk: s.organisation for s in services}
    return {
        "version": HSDS_VERSION,
        "organizations": [export_organisation(o) for o in sorted(
            organisations.values(), key=lambda o: (o.name, o.pk))],
        "services": [export_service(s) for s in services],
    }


def export_organisation(organisation) -> dict:
    oid = organisation_hsds_id(organisation)
    identifiers = [_obj("organization_identifier", id=child_id(oid, "identifier", "kbo"),
                        identifier_scheme=KBO_SCHEME, identifier_type=KBO_TYPE,
                        identifier=organisation.kbo_number)] if organisation.kbo_number else []
    phones = [_obj("phone", id=child_id(oid, "phone"), number=organisation.phone)] if (
        organisation.phone) else []
    attributes = [
        _attribute(oid, "organization", ORG_TYPE_TAXONOMY, organisation.type),
        _attribute(oid, "organization", RELAIS, "active",
                   "true" if organisation.is_active else "false"),
    ]
    return _obj("organization", id=oid, name=organisation.name,
                description=organisation.description, email=organisation.email,
                website=organisation.website, phones=phones,
                locations=_locations(organisation, oid),
                organization_identifiers=identifiers, attributes=attributes)


def _locations(organisation, oid: str) -> list[dict]:
    municipality = organisation.municipality
    if not (municipality or organisation.street or organisation.postcode):
        return []
    location_id = child_id(oid, "location")
    addresses = []
    if organisation.street or organisation.postcode:
        addresses.append(_obj(
            "address", id=child_id(location_id, "address"), address_1=organisation.street,
            city=municipality.bilingual_name if municipality else "",
            state_province=BRUSSELS_REGION_NAME if municipality else "",
            postal_code=organisation.postcode, country="BE", address_type="physical"))
    return [_obj("location", id=location_id, location_type="physical", name=organisation.name,
                 external_identifier=municipality.nis_code if municipality else "",
                 external_identifier_type="NIS" if municipality else "",
                 addresses=addresses)]


def _best(service, model_field: str) -> tuple[str, str]:
    for language in LANGUAGE_ORDER:
        value = getattr(service, f"{model_field}_{language}")
        if value:
            return language, value
    return "", ""


def export_service(service) -> dict:
    sid = str(service.hsds_id)
    name = _best(service, "name")[1]
    alternate = [getattr(service, f"name_{lang}") for lang in LANGUAGE_ORDER]
    alternate = list(dict.fromkeys(n for n in alternate if n and n != name))
    phone = [_obj("phone", id=child_id(sid, "phone"), number=service.contact_phone)] if (
        service.contact_phone) else []
    contacts = [_obj("contact", id=child_id(sid, "contact"), name=service.contact_name,
                     email=service.contact_email, phones=phone)] if service.contact_name else []
    schedules = _weekly_schedules(service, sid)
    schedules += [_obj("schedule", id=child_id(sid, "schedule"),
                       description=service.schedule)] if service.schedule else []
    return _obj(
        "service", id=sid, organization_id=organisation_hsds_id(service.organisation),
        name=name, alternate_name=" / ".join(alternate),
        description=_best(service, "description")[1], email=service.contact_email,
        status=service.status, application_process=_best(service, "how_to_refer")[1],
        fees_description=service.fees, eligibility_description=service.eligibility,
        minimum_age=service.minimum_age, maximum_age=service.maximum_age,
        assured_date=service.verified_on.isoformat() if service.verified_on else None,
        phones=phone, schedules=schedules, service_areas=_service_areas(service, sid),
        languages=[_obj("language", id=child_id(sid, "language", code), code=code,
                        name=LANG_INFO.get(code, {}).get("name"))
                   for code in service.languages.split()],
        contacts=contacts, attributes=_service_attributes(service, sid))


ICAL_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _weekly_schedules(service, sid: str) -> list[dict]:
    """Structured opening hours as iCal-style weekly schedules, one per opening period."""
    by_hours: dict[tuple, list[int]] = {}
    for row in sorted(service.opening_hours.all(), key=lambda r: (r.opens_at, r.weekday)):
        by_hours.setdefault((row.opens_at, row.closes_at), []).append(row.weekday)
    return [_obj("schedule", id=child_id(sid, "hours", f"{opens:%H%M}-{closes:%H%M}"),
                 freq="WEEKLY", byday=",".join(ICAL_DAYS[d] for d in sorted(days)),
                 opens_at=f"{opens:%H:%M}", closes_at=f"{closes:%H:%M}")
            for (opens, closes), days in sorted(by_hours.items())]


def _weekly_hours(schedules: list) -> list[tuple]:
    """[(weekday, opens, closes)] from weekly schedules that say day and hours, else []."""
    from datetime import time

    rows = []
    for schedule in schedules:
        days, opens, closes = (schedule.get(k) for k in ("byday", "opens_at", "closes_at"))
        if not (days and opens and closes) or schedule.get("description"):
            continue
        try:
            start, end = (time.fromisoformat(str(t)[:5]) for t in (opens, closes))
            weekdays = [ICAL_DAYS.index(d.strip()[-2:]) for d in str(days).split(",")]
        except ValueError:
            continue
        if end <= start:  # kept as text below rather than refused: HSDS allows it
            continue
        rows += [(day, start, end) for day in weekdays]
    return sorted(rows)


def _service_areas(service, sid: str) -> list[dict]:
    def area(extent, name):
        return _obj("service_area", id=child_id(sid, "area", extent), name=name,
                    extent=extent, extent_type="text")

    areas = [area(f"NIS {BRUSSELS_REGION_NIS}", BRUSSELS_REGION_NAME)] if (
        service.serves_all_brussels) else []
    areas += [area(f"NIS {m.nis_code}", m.bilingual_name)
              for m in sorted(service.municipalities.all(), key=lambda m: m.nis_code)]
    areas += [area(f"CARE-ZONE {z.code}", f"{z.name_fr} / {z.name_nl}")
              for z in sorted(service.care_zones.all(), key=lambda z: z.code)]
    return areas


def _service_attributes(service, sid: str) -> list[dict]:
    attributes = [_attribute(sid, "service", CATEGORY_TAXONOMY, service.category)]
    for model_field, hsds_field in TRANSLATED.items():
        for language in LANGUAGE_ORDER:
            value = getattr(service, f"{model_field}_{language}")
            if value:
                attributes.append(_attribute(sid, "service", I18N, hsds_field, value, language))
    for name in SERVICE_EXTRAS:
        value = getattr(service, name)
        value = value.isoformat() if isinstance(value, date) else value
        attributes.append(_attribute(sid, "service", RELAIS, name,
                                     "" if value is None else str(value)))
    return attributes


# --- Reading files: JSON shapes and tables -------------------------------------------------

TAXONOMY_KEYS = {"version", "code", "taxonomy", "term_uri", "taxonomy_detail", "parent_id"}


def normalise(data) -> dict:
    """{"organizations", "services"} from any HSDS shape: our document, one organization,
    service or service_at_location, a list or an API page ({"contents": [...]}) of them, or
    tables ({"services.csv": [rows], …}, like the specification's tabular.json). Nested
    organizations and services are lifted out and linked by id."""
    data = copy.deepcopy(data)
    problems = []
    if isinstance(data, dict) and any(str(k).endswith(".csv") for k in data):
        return from_tables(data)
    if isinstance(data, dict) and "id" not in data and (
            "organizations" in data or "services" in data):
        organizations, services = data.get("organizations", []), data.get("services", [])
        for key, value in (("organizations", organizations), ("services", services)):
            if not isinstance(value, list):
                problems.append(f"{key}: expected a list, got {type(value).__name__}")
        if problems:
            raise HsdsImportError(problems)
    else:
        where, items = "document", data
        if isinstance(data, dict) and isinstance(data.get("contents"), list):
            where, items = "contents", data["contents"]
        elif isinstance(data, dict):
            where, items = "", [data]
        elif not isinstance(data, list):
            raise HsdsImportError([f"document: expected a JSON object or array, got "
                                   f"{type(data).__name__}"])
        organizations, services = [], []
        for index, item in enumerate(items):
            path = f"{where}[{index}]" if where else "document"
            kind = _kind_of(item)
            if kind == "organization":
                organizations.append(item)
            elif kind == "service":
                services.append(item)
            elif kind == "service_at_location" and isinstance(item.get("service"), dict):
                services.append(item["service"])
            else:
                problems.append(f"{path}: not an HSDS organization, service or "
                                f"service_at_location with its service")
        if problems:
            raise HsdsImportError(problems)
    return _lift_nested(organizations, services)


def _kind_of(item) -> str:
    if not isinstance(item, dict):
        return ""
    if "status" in item:
        return "service"
    if "service" in item or "location" in item or "service_id" in item:
        return "service_at_location"
    if "name" in item and not TAXONOMY_KEYS & item.keys():
        return "organization"
    return ""


def _lift_nested(organizations: list, services: list) -> dict:
    organizations, services = list(organizations), list(services)
    for organization in list(organizations):
        nested = organization.pop("services", None) if isinstance(organization, dict) else None
        for service in nested if isinstance(nested, list) else []:
            if isinstance(service, dict):
                service.setdefault("organization_id", organization.get("id"))
                services.append(service)
    known = {o.get("id") for o in organizations if isinstance(o, dict)}
    for service in services:
        nested = service.pop("organization", None) if isinstance(service, dict) else None
        if isinstance(nested, dict):
            service.setdefault("organization_id", nested.get("id"))
            nested.pop("services", None)
            if nested.get("id") not in known:
                known.add(nested.get("id"))
                organizations.append(nested)
    return {"version": HSDS_VERSION, "organizations": organizations, "services": services}


def load_hsds_file(path) -> dict:
    """Read a JSON file (any shape `normalise` knows) or a CSV datapackage directory."""
    path = Path(path)
    if path.is_dir():
        return read_csv(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise HsdsImportError([f"{path.name}: not UTF-8 text"]) from None
    except json.JSONDecodeError as error:
        raise HsdsImportError([f"{path.name}: not valid JSON ({error.msg} at line "
                               f"{error.lineno}, column {error.colno})"]) from None
    except OSError as error:
        raise HsdsImportError([f"{path}: cannot be read ({error.strerror})"]) from None
    return normalise(data)


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


def import_csv(directory, *, actor, **options) -> ImportReport:
    return import_hsds(read_csv(directory), actor=actor, **options)


# --- CSV export ----------------------------------------------------------------------------

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


# --- Import --------------------------------------------------------------------------------

ORGANISATION_FIELDS = ["name", "type", "kbo_number", "street", "postcode", "municipality_id",
                       "phone", "email", "website", "description", "is_active", "hsds_id"]
SERVICE_MODEL_FIELDS = [
    "organisation_id", "category", "name_nl", "name_fr", "name_en", "description_nl",
    "description_fr", "description_en", "how_to_refer_nl", "how_to_refer_fr",
    "how_to_refer_en", "languages", "serves_all_brussels", "minimum_age", "maximum_age",
    "eligibility", "fees", "schedule", "contact_name", "contact_phone", "contact_email",
    "riziv_number", "urgent_start", "capacity", "typical_wait_days", "capacity_confirmed_on",
    "status", "verified_on",
]
ORGANISATION_PATHS = {"name": "name", "description": "description", "email": "email",
                      "website": "website", "phone": "phones[0].number",
                      "kbo_number": "organization_identifiers", "street": "locations",
                      "postcode": "locations", "municipality": "locations", "type": "attributes",
                      "hsds_id": "id"}
SERVICE_PATHS = {
    **{f"{m}_{lang}": h for m, h in TRANSLATED.items() for lang in LANGUAGE_ORDER},
    "contact_phone": "phones[0].number", "contact_email": "email",
    "contact_name": "contacts[0].name", "eligibility": "eligibility_description",
    "fees": "fees_description", "schedule": "schedules", "minimum_age": "minimum_age",
    "maximum_age": "maximum_age", "languages": "languages", "status": "status",
    "category": "attributes", "capacity": "attributes", "urgent_start": "attributes",
    "riziv_number": "attributes", "typical_wait_days": "attributes",
}
ORGANISATION_KEPT = {"id", "name", "description", "email", "website", "phones", "locations",
                     "organization_identifiers", "attributes"}
SERVICE_KEPT = {"id", "organization_id", "name", "alternate_name", "description", "email",
                "status", "application_process", "fees_description", "eligibility_description",
                "minimum_age", "maximum_age", "assured_date", "phones", "schedules",
                "service_areas", "languages", "contacts", "attributes"}


@dataclass
class _Plan:
    path: str
    instance: object
    created: bool
    before: dict
    label: str = ""
    organisation_plan: "_Plan | None" = None  # services: an organisation from the file
    areas: dict = field(default_factory=dict)  # services: {"municipalities": [...], ...}
    hours: list = field(default_factory=list)  # services: [(weekday, opens, closes)]
    changed: bool = False


class _Context:
    def __init__(self, language: str):
        self.language = language
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.ignored: dict[str, Counter] = {"organizations": Counter(), "services": Counter()}
        self.municipalities = {m.nis_code: m for m in Municipality.objects.all()}
        self.zones = {z.code: z for z in CareZone.objects.all()}
        self.org_by_file_id: dict[str, _Plan] = {}
        self._db_orgs = None

    def db_organisation(self, hsds_id: str):
        """An organisation already in Relais under this HSDS id (stored or derived)."""
        if self._db_orgs is None:
            self._db_orgs = {organisation_hsds_id(o): o for o in Organisation.objects.all()}
        return self._db_orgs.get(hsds_id)

    def ignore(self, kind: str, obj: dict, kept: set) -> None:
        for key, value in obj.items():
            if key not in kept and value not in (None, "", [], {}):
                self.ignored[kind][key] += 1


def _snapshot(instance, names: list[str]) -> dict:
    return {name: getattr(instance, name) for name in names}


def import_hsds(data, *, actor, language: str = "fr",
                progress: ProgressCallback | None = None) -> ImportReport:
    """Check the whole document, then import it in one transaction (or change nothing).

    `data` is any shape `normalise` accepts. Text without Relais translations is taken to
    be in `language`. `progress(stage, done, total)` is called per record.
    """
    document = normalise(data)
    organizations, services = document["organizations"], document["services"]
    with translation.override("en"), transaction.atomic():
        context = _Context(language)
        broken = _document_problems(context, organizations, services)
        total = len(organizations) + len(services)
        org_plans, service_plans = [], []
        for index, obj in enumerate(organizations):
            if ("organizations", index) in broken:
                context.org_by_file_id.setdefault(str(obj.get("id")), None)
            else:
                org_plans.append(_plan_organisation(context, index, obj))
            _tick(progress, "checking", index + 1, total)
        _check_same_organisation(context, org_plans)
        for index, obj in enumerate(services):
            if ("services", index) not in broken:
                service_plans.append(_plan_service(context, index, obj))
            _tick(progress, "checking", len(organizations) + index + 1, total)
        if context.problems:
            raise HsdsImportError(context.problems)
        report = ImportReport(notes=context.notes + _ignored_notes(context))
        _apply(org_plans, service_plans, report, progress, total)
        audit.record("directory.import", actor=actor,
                     detail={**report.counts(), "notes": len(report.notes)})
    return report


def _tick(progress, stage, done, total) -> None:
    if progress is not None:
        progress(stage, done, total)


def _document_problems(context, organizations: list, services: list) -> set:
    """Record schema and duplicate-id problems; the (key, index) of records not to plan."""
    broken = set()
    if not organizations and not services:
        context.problems.append("document: no organizations or services")
    for key, kind, items in (("organizations", "organization", organizations),
                             ("services", "service", services)):
        first_seen = {}
        for index, obj in enumerate(items):
            path = f"{key}[{index}]"
            problems = schema_problems(kind, obj, path)
            identifier = obj.get("id") if isinstance(obj, dict) else None
            if isinstance(identifier, str):
                if identifier in first_seen:
                    problems.append(f"{path}.id: {identifier} is also the id of "
                                    f"{key}[{first_seen[identifier]}]")
                first_seen.setdefault(identifier, index)
            if problems:
                broken.add((key, index))
                context.problems += problems
    return broken


def _ignored_notes(context) -> list[str]:
    return [f"{kind}: HSDS fields Relais does not keep were skipped: "
            + ", ".join(f"{name} ({count})" for name, count in sorted(counter.items()))
            for kind, counter in context.ignored.items() if counter]


def _clean(context, plan: _Plan, paths: dict, exclude=()) -> None:
    try:
        plan.instance.full_clean(exclude=list(exclude))
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            where = plan.path if name == NON_FIELD_ERRORS else (
                f"{plan.path}.{paths.get(name, name)}")
            context.problems += [f"{where}: {message}" for message in messages]


# Organisations

def _attributes(obj: dict) -> list[tuple[int, str, str, str, str]]:
    """[(index, taxonomy, code, language, value)] of an object's attributes."""
    known = _known_terms()
    result = []
    for index, attribute in enumerate(obj.get("attributes") or []):
        term = attribute.get("taxonomy_term") or {}
        taxonomy = term.get("taxonomy") or (term.get("taxonomy_detail") or {}).get("name", "")
        code, language = term.get("code", ""), term.get("language", "")
        if not (taxonomy and code) and attribute.get("taxonomy_term_id") in known:
            taxonomy, code, language = known[attribute["taxonomy_term_id"]]
        result.append((index, taxonomy, code, language, attribute.get("value", "")))
    return result


@cache
def _known_terms() -> dict[str, tuple[str, str, str]]:
    terms = [(CATEGORY_TAXONOMY, c, "") for c in Category.values]
    terms += [(ORG_TYPE_TAXONOMY, t, "") for t in OrganisationType.values]
    terms += [(RELAIS, code, "") for code in (*SERVICE_EXTRAS, "active")]
    terms += [(I18N, f, lang) for f in TRANSLATED.values() for lang in LANGUAGE_ORDER]
    return {term_id(*term): term for term in terms}


def _plan_organisation(context, index: int, obj: dict) -> _Plan:
    path, file_id = f"organizations[{index}]", obj["id"]
    kbo, kbo_path = _kbo_of(context, obj, path)
    organisation = Organisation.objects.filter(hsds_id=file_id).first() or (
        context.db_organisation(file_id))
    if organisation is None and kbo:
        organisation = Organisation.objects.filter(kbo_number=kbo).first()
        if organisation is not None and organisation.hsds_id:
            context.notes.append(f"{path}: matched on KBO {kbo} to “{organisation.name}”, "
                                 f"which keeps its HSDS id {organisation.hsds_id}")
    elif organisation is not None and kbo and kbo != organisation.kbo_number:
        other = Organisation.objects.filter(kbo_number=kbo).exclude(pk=organisation.pk).first()
        if other is not None:
            context.problems.append(f"{kbo_path}: KBO {kbo} belongs to “{other.name}”, not to "
                                    f"“{organisation.name}” (HSDS id {file_id})")
    created = organisation is None
    organisation = organisation or Organisation(hsds_id=file_id)
    plan = _Plan(path, organisation, created, _snapshot(organisation, ORGANISATION_FIELDS),
                 label=obj.get("name", ""))
    context.org_by_file_id[file_id] = plan
    context.ignore("organizations", obj, ORGANISATION_KEPT)
    organisation.name = obj.get("name", "")
    organisation.hsds_id = organisation.hsds_id or file_id
    for name in ("description", "email", "website"):
        if name in obj:
            setattr(organisation, name, obj[name] or "")
    if "phones" in obj:
        organisation.phone = _phone_number((obj["phones"] or [{}])[0])
    if kbo:
        organisation.kbo_number = kbo
    if "locations" in obj:
        _set_address(context, organisation, obj["locations"], path)
    _set_organisation_attributes(context, plan, obj)
    _clean(context, plan, ORGANISATION_PATHS)
    return plan


def _kbo_of(context, obj: dict, path: str) -> tuple[str, str]:
    for index, identifier in enumerate(obj.get("organization_identifiers") or []):
        scheme = str(identifier.get("identifier_scheme", "")).upper()
        kind = str(identifier.get("identifier_type", "")).upper()
        if scheme == KBO_SCHEME or kind in {"KBO", "BCE", "KBO/BCE", "BCE/KBO"}:
            where = f"{path}.organization_identifiers[{index}].identifier"
            value = str(identifier.get("identifier", ""))
            try:
                validate_kbo(value)
            except ValidationError as error:
                context.problems += [f"{where}: {m}" for m in error.messages]
                return "", where
            return compact_kbo(value), where
    return "", ""


def _set_address(context, organisation, locations: list, path: str) -> None:
    for index, location in enumerate(locations or []):
        where = f"{path}.locations[{index}]"
        municipality = None
        if str(location.get("external_identifier_type", "")).upper() == "NIS":
            nis = str(location.get("external_identifier", "")).strip()
            municipality = context.municipalities.get(nis)
            if municipality is None:
                context.problems.append(f"{where}.external_identifier: no Brussels "
                                        f"municipality has NIS code {nis!r}")
                return
        for number, address in enumerate(location.get("addresses") or []):
            if str(address.get("country", "")).upper() not in {"BE", "BEL"}:
                continue
            postcode = str(address.get("postal_code", "")).strip()
            if postcode and not re.fullmatch(r"\d{4}", postcode):
                context.problems.append(f"{where}.addresses[{number}].postal_code: a Belgian "
                                        f"postcode has 4 digits, not {postcode!r}")
                return
            organisation.street = address.get("address_1", "")
            organisation.postcode = postcode
            organisation.municipality = municipality or _municipality_of(
                postcode, address.get("city", ""))
            return
        if municipality is not None:
            organisation.municipality = municipality
            return
    if locations:
        context.notes.append(f"{path}: no Belgian address among its locations; its address "
                             f"in Relais was left as it was")


def _municipality_of(postcode: str, city: str):
    candidates = {p.municipality for p in Postcode.objects.filter(code=postcode)
                  .select_related("municipality")} if postcode else set()
    if len(candidates) == 1:
        return candidates.pop()
    names = {fold(part) for part in str(city).split("/") if part.strip()}
    for municipality in candidates or Municipality.objects.all():
        if {fold(municipality.name_fr), fold(municipality.name_nl)} & names:
            return municipality
    return None


def _set_organisation_attributes(context, plan: _Plan, obj: dict) -> None:
    organisation, found_type = plan.instance, False
    for index, taxonomy, code, _language, value in _attributes(obj):
        where = f"{plan.path}.attributes[{index}]"
        if taxonomy == ORG_TYPE_TAXONOMY:
            found_type = True
            if code in OrganisationType.values:
                organisation.type = code
            else:
                context.problems.append(f"{where}.taxonomy_term.code: {code!r} is not a Relais "
                                        f"organisation type")
        elif taxonomy == RELAIS and code == "active":
            if value not in {"true", "false"}:
                context.problems.append(f"{where}.value: “active” is true or false, "
                                        f"not {value!r}")
            organisation.is_active = value != "false"
    if not found_type and plan.created:
        organisation.type = OrganisationType.OTHER
        context.notes.append(f"{plan.path} “{plan.label}”: no Relais organisation type; "
                             f"filed as “{OrganisationType.OTHER.value}”")


def _check_same_organisation(context, plans: list[_Plan]) -> None:
    seen = {}
    for plan in plans:
        organisation = plan.instance
        key = ("pk", organisation.pk) if organisation.pk else (
            ("kbo", organisation.kbo_number) if organisation.kbo_number else None)
        if key is None:
            continue
        if key in seen:
            context.problems.append(f"{plan.path}: the same organisation as {seen[key]} "
                                    f"(“{organisation.name}”)")
        seen.setdefault(key, plan.path)


def _phone_number(phone) -> str:
    number = phone.get("number", "") if isinstance(phone, dict) else ""
    return str(number).strip().strip('"').strip()


# Services

def _plan_service(context, index: int, obj: dict) -> _Plan:
    path = f"services[{index}]"
    service = Service.objects.filter(hsds_id=obj["id"]).select_related("organisation").first()
    created = service is None
    service = service or Service(hsds_id=obj["id"])
    plan = _Plan(path, service, created, _snapshot(service, SERVICE_MODEL_FIELDS),
                 label=obj.get("name", ""))
    if not created:
        plan.before["areas"] = _area_keys(service.municipalities.all(),
                                          service.care_zones.all(),
                                          service.serves_all_brussels)
        plan.before["hours"] = sorted(service.opening_hours.values_list(
            "weekday", "opens_at", "closes_at"))
    context.ignore("services", obj, SERVICE_KEPT)
    _set_service_organisation(context, plan, obj)
    attributes = _service_attribute_values(context, plan, obj)
    _set_texts(context, plan, obj, attributes["i18n"])
    _set_relais_fields(context, plan, obj, attributes)
    _set_contact(plan, obj)
    service.status = obj.get("status", ServiceStatus.ACTIVE)
    service.eligibility = obj.get("eligibility_description", "")
    service.fees = obj.get("fees_description", "")
    schedules = obj.get("schedules") or []
    plan.hours = _weekly_hours(schedules)
    service.schedule = _schedule_text([s for s in schedules if not _weekly_hours([s])])
    # (a weekly schedule with day and hours became rows above; anything else stays text)
    for name in ("minimum_age", "maximum_age"):
        setattr(service, name, _age(context, obj.get(name), f"{path}.{name}"))
    service.languages = _languages(context, obj.get("languages") or [], path)
    if "assured_date" in obj:
        verified_on = _date(context, obj["assured_date"], f"{path}.assured_date")
        if verified_on != service.verified_on:  # someone else vouched for it, on that day
            service.verified_on, service.verified_by = verified_on, None
    plan.areas = _areas(context, obj.get("service_areas") or [], path)
    service.serves_all_brussels = plan.areas.pop("serves_all_brussels")
    _clean(context, plan, SERVICE_PATHS, exclude=["organisation"])
    return plan


def _set_service_organisation(context, plan: _Plan, obj: dict) -> None:
    org_id = obj.get("organization_id")
    if not org_id:
        if plan.created:
            context.problems.append(f"{plan.path}.organization_id: missing (every service "
                                    f"needs the organization that offers it)")
        return
    if org_id in context.org_by_file_id:  # from the file (None: it has problems itself)
        plan.organisation_plan = context.org_by_file_id[org_id]
        return
    organisation = Organisation.objects.filter(hsds_id=org_id).first() or (
        context.db_organisation(org_id))
    if organisation is None:
        context.problems.append(f"{plan.path}.organization_id: no organization {org_id} in "
                                f"the file or in Relais")
        return
    plan.instance.organisation = organisation


def _service_attribute_values(context, plan: _Plan, obj: dict) -> dict:
    values = {"i18n": {}, "relais": {}, "category": None}
    for index, taxonomy, code, language, value in _attributes(obj):
        where = f"{plan.path}.attributes[{index}]"
        if taxonomy == I18N:
            if code not in TRANSLATED.values() or language not in LANGUAGE_ORDER:
                context.problems.append(f"{where}.taxonomy_term: {code!r} in {language!r} is "
                                        f"not a translatable field in fr, nl or en")
            values["i18n"][(code, language)] = value
        elif taxonomy == RELAIS and code in SERVICE_EXTRAS:
            values["relais"][code] = (value, where)
        elif taxonomy == CATEGORY_TAXONOMY:
            if code in Category.values:
                values["category"] = code
            else:
                context.problems.append(f"{where}.taxonomy_term.code: {code!r} is not a Relais "
                                        f"category")
                values["category"] = ""  # reported: no default note as well
        elif values["category"] is None and (code in Category.values or value in Category.values):
            values["category"] = code if code in Category.values else value
    return values


def _set_texts(context, plan: _Plan, obj: dict, i18n: dict) -> None:
    service = plan.instance
    for model_field, hsds_field in TRANSLATED.items():
        main = obj.get(hsds_field, "") or ""
        if i18n:
            known = {lang: i18n.get((hsds_field, lang), "") for lang in LANGUAGE_ORDER}
            for lang, value in known.items():
                setattr(service, f"{model_field}_{lang}", value)
            if main and main not in known.values():  # edited outside Relais
                primary = next((lang for lang in LANGUAGE_ORDER if known[lang]),
                               context.language)
                setattr(service, f"{model_field}_{primary}", main)
        else:
            setattr(service, f"{model_field}_{context.language}", main)


def _set_relais_fields(context, plan: _Plan, obj: dict, attributes: dict) -> None:
    service, relais = plan.instance, attributes["relais"]
    if attributes["category"]:
        service.category = attributes["category"]
    elif plan.created:
        service.category = Category.SOCIAL_SERVICE
    if plan.created and attributes["category"] is None:
        context.notes.append(f"{plan.path} “{plan.label}”: no Relais category; filed under "
                             f"“{Category.SOCIAL_SERVICE.value}”")
    choices = {"capacity": Capacity, "urgent_start": UrgentStart}
    for name, (value, where) in relais.items():
        if name in choices:
            if value in choices[name].values:
                setattr(service, name, value)
            else:
                context.problems.append(f"{where}.value: {value!r} is not one of "
                                        f"{', '.join(repr(v) for v in choices[name].values)}")
        elif name == "typical_wait_days":
            setattr(service, name, _age(context, value or None, f"{where}.value"))
        elif name == "capacity_confirmed_on":
            setattr(service, name, _date(context, value, f"{where}.value") if value else None)
        else:
            setattr(service, name, value)


def _set_contact(plan: _Plan, obj: dict) -> None:
    service = plan.instance
    contact = next(iter(obj.get("contacts") or []), {})
    phones = obj.get("phones") or contact.get("phones") or []
    service.contact_name = contact.get("name", "")
    service.contact_email = obj.get("email") or contact.get("email", "")
    service.contact_phone = _phone_number(phones[0]) if phones else ""


def _schedule_text(schedules: list) -> str:
    lines = []
    for schedule in schedules:
        text = " ".join(filter(None, [schedule.get("description"), schedule.get("notes")]))
        if not text and (schedule.get("opens_at") or schedule.get("byday")):
            hours = "–".join(filter(None, [schedule.get("opens_at"), schedule.get("closes_at")]))
            text = " ".join(filter(None, [schedule.get("byday"), hours]))
        if text:
            lines.append(text)
    return "\n".join(lines)


def _age(context, value, where: str):
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if number < 0 or not number.is_integer():
        context.problems.append(f"{where}: expected a whole number of 0 or more, got {value!r}")
        return None
    return int(number)


def _date(context, value, where: str):
    text, parsed = str(value), None
    try:
        parsed = parse_date(text) if len(text) == 10 else None
        if parsed is None and (moment := parse_datetime(text)):
            parsed = moment.date()
    except ValueError:
        parsed = None
    if parsed is None:
        context.problems.append(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
    return parsed


LANGUAGE_NAMES = {fold(info.get("name", "")): code for code, info in LANG_INFO.items()
                  if "name" in info and len(code) in (2, 3)}


def _languages(context, languages: list, path: str) -> str:
    codes = []
    for index, item in enumerate(languages):
        where = f"{path}.languages[{index}]"
        code = str(item.get("code", "")).strip().lower()
        code = THREE_LETTER_LANGUAGES.get(code, code)
        if not code:
            code = LANGUAGE_NAMES.get(fold(item.get("name", "")), "")
            if not code:
                context.problems.append(f"{where}.code: missing, and the name "
                                        f"{item.get('name', '')!r} is not a known language")
                continue
        if not re.fullmatch(r"[a-z]{2,3}", code):
            context.problems.append(f"{where}.code: {item.get('code')!r} is not an ISO 639 "
                                    f"language code (such as nl, fr, en, ar)")
            continue
        codes.append(code)
    unique = sorted(set(codes))
    return f" {' '.join(unique)} " if unique else ""


def _areas(context, areas: list, path: str) -> dict:
    result = {"municipalities": [], "care_zones": [], "serves_all_brussels": False}
    names = {}
    for municipality in context.municipalities.values():
        names[fold(municipality.name_fr)] = names[fold(municipality.name_nl)] = municipality
        names[fold(municipality.bilingual_name)] = municipality
    for index, area in enumerate(areas):
        where = f"{path}.service_areas[{index}]"
        extent = str(area.get("extent", "")).strip()
        is_text = str(area.get("extent_type", "text")).lower() == "text"
        nis = re.fullmatch(r"NIS\s*(\d{5})", extent, re.IGNORECASE) if is_text else None
        zone = re.fullmatch(r"CARE-ZONE\s+(\S+)", extent, re.IGNORECASE) if is_text else None
        if nis and nis.group(1) == BRUSSELS_REGION_NIS:
            result["serves_all_brussels"] = True
        elif nis:
            if nis.group(1) not in context.municipalities:
                context.problems.append(f"{where}.extent: no Brussels municipality has NIS code "
                                        f"{nis.group(1)}")
                continue
            result["municipalities"].append(context.municipalities[nis.group(1)])
        elif zone:
            if zone.group(1) not in context.zones:
                context.problems.append(f"{where}.extent: no care zone has the code "
                                        f"{zone.group(1)!r} (known: "
                                        f"{', '.join(sorted(context.zones))})")
                continue
            result["care_zones"].append(context.zones[zone.group(1)])
        elif fold(area.get("name", "")) in names:
            result["municipalities"].append(names[fold(area["name"])])
        else:
            context.notes.append(f"{where}: not a Brussels municipality or care zone; skipped")
    return result


def _area_keys(municipalities, zones, serves_all: bool) -> tuple:
    return (frozenset(m.pk for m in municipalities), frozenset(z.pk for z in zones),
            serves_all)


# Writing

def _apply(org_plans, service_plans, report: ImportReport, progress, total: int) -> None:
    done = 0
    renamed = []
    for plan in org_plans:
        organisation = plan.instance
        after = _snapshot(organisation, ORGANISATION_FIELDS)
        plan.changed = plan.created or after != plan.before
        if plan.changed:
            if not plan.created:
                organisation.version += 1
                if after["name"] != plan.before["name"]:
                    renamed.append(organisation)
            organisation.save()
        _count(report.organizations, plan)
        done += 1
        _tick(progress, "importing", done, total)
    refreshed = set()
    for plan in service_plans:
        service = plan.instance
        if plan.organisation_plan is not None:
            service.organisation = plan.organisation_plan.instance
        after = _snapshot(service, SERVICE_MODEL_FIELDS)
        after["areas"] = _area_keys(plan.areas["municipalities"], plan.areas["care_zones"],
                                    service.serves_all_brussels)
        after["hours"] = plan.hours
        plan.changed = plan.created or after != plan.before
        if plan.changed:
            if not plan.created:
                service.version += 1
            service.save()
            service.municipalities.set(plan.areas["municipalities"])
            service.care_zones.set(plan.areas["care_zones"])
            service.opening_hours.all().delete()
            OpeningHours.objects.bulk_create(
                OpeningHours(service=service, weekday=day, opens_at=opens, closes_at=closes)
                for day, opens, closes in plan.hours)
        refresh_search_text(service)
        refreshed.add(service.pk)
        _count(report.services, plan)
        done += 1
        _tick(progress, "importing", done, total)
    for organisation in renamed:  # the organisation's name is in its services' search text
        for service in organisation.services.exclude(pk__in=refreshed):
            refresh_search_text(service)


def _count(counter: Counter, plan: _Plan) -> None:
    counter["created" if plan.created else "updated" if plan.changed else "unchanged"] += 1

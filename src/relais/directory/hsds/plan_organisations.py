"""Import, organisations: each organization of the file checked and turned into an unsaved
Organisation (matched on HSDS id, then KBO), with its problems and notes in the context.
"""

import re

from django.core.exceptions import ValidationError

from relais.accounts.models import Organisation, OrganisationType
from relais.accounts.validators import compact_kbo, validate_kbo
from relais.core.models import Municipality, Postcode
from relais.core.text import fold
from relais.directory.hsds.mapping import KBO_SCHEME, ORG_TYPE_TAXONOMY, RELAIS
from relais.directory.hsds.plan import Plan, clean, phone_number, read_attributes, snapshot

ORGANISATION_FIELDS = ["name", "type", "kbo_number", "street", "postcode", "municipality_id",
                       "phone", "email", "website", "description", "is_active", "hsds_id"]


ORGANISATION_PATHS = {"name": "name", "description": "description", "email": "email",
                      "website": "website", "phone": "phones[0].number",
                      "kbo_number": "organization_identifiers", "street": "locations",
                      "postcode": "locations", "municipality": "locations", "type": "attributes",
                      "hsds_id": "id"}


ORGANISATION_KEPT = {"id", "name", "description", "email", "website", "phones", "locations",
                     "organization_identifiers", "attributes"}


def plan_organisation(context, index: int, obj: dict) -> Plan:
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
    plan = Plan(path, organisation, created, snapshot(organisation, ORGANISATION_FIELDS),
                 label=obj.get("name", ""))
    context.org_by_file_id[file_id] = plan
    context.ignore("organizations", obj, ORGANISATION_KEPT)
    organisation.name = obj.get("name", "")
    organisation.hsds_id = organisation.hsds_id or file_id
    for name in ("description", "email", "website"):
        if name in obj:
            setattr(organisation, name, obj[name] or "")
    if "phones" in obj:
        organisation.phone = phone_number((obj["phones"] or [{}])[0])
    if kbo:
        organisation.kbo_number = kbo
    if "locations" in obj:
        _set_address(context, organisation, obj["locations"], path)
    _set_organisation_attributes(context, plan, obj)
    clean(context, plan, ORGANISATION_PATHS)
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


def _set_organisation_attributes(context, plan: Plan, obj: dict) -> None:
    organisation, found_type = plan.instance, False
    for index, taxonomy, code, _language, value in read_attributes(obj):
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


def check_same_organisation(context, plans: list[Plan]) -> None:
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

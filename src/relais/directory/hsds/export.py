"""Export: the directory (or some services) as the HSDS document
{"version", "organizations", "services"}, and single objects for the HSDS API.
"""

from datetime import date

from django.conf.locale import LANG_INFO
from django.db.models import QuerySet

from relais.directory.hsds.ids import child_id, organisation_hsds_id
from relais.directory.hsds.mapping import (
    BRUSSELS_REGION_NAME,
    BRUSSELS_REGION_NIS,
    CATEGORY_TAXONOMY,
    I18N,
    ICAL_DAYS,
    KBO_SCHEME,
    KBO_TYPE,
    LANGUAGE_ORDER,
    ORG_TYPE_TAXONOMY,
    RELAIS,
    SERVICE_EXTRAS,
    TRANSLATED,
)
from relais.directory.hsds.schema import HSDS_VERSION, schema_required
from relais.directory.hsds.taxonomy import Term, term_record
from relais.directory.models import Service


def _obj(kind: str, **fields) -> dict:
    """Drop empty values (None, "", []), but keep the schema's required fields."""
    required = set(schema_required(kind))
    return {k: ("" if v is None else v) for k, v in fields.items()
            if k in required or v not in (None, "", [], {})}


def _attribute(link_id: str, entity: str, taxonomy: str, code: str, value="",
               language: str = "") -> dict:
    term = term_record(Term(taxonomy, code, language))
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


def organisation_fields(organisation) -> dict:
    """The organisation's own fields, without nested objects (an HSDS list's record)."""
    return _obj("organization", id=organisation_hsds_id(organisation), name=organisation.name,
                description=organisation.description, email=organisation.email,
                website=organisation.website)


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
    location = organisation_location(organisation)
    return organisation_fields(organisation) | _nested(
        phones=phones, locations=[location] if location else [],
        organization_identifiers=identifiers, attributes=attributes)


def _nested(**lists) -> dict:
    return {name: value for name, value in lists.items() if value}


def organisation_location(organisation) -> dict | None:
    """The organisation's one place (its address and municipality), if it has one."""
    municipality = organisation.municipality
    if not (municipality or organisation.street or organisation.postcode):
        return None
    oid = organisation_hsds_id(organisation)
    location_id = child_id(oid, "location")
    addresses = []
    if organisation.street or organisation.postcode:
        addresses.append(_obj(
            "address", id=child_id(location_id, "address"), address_1=organisation.street,
            city=municipality.bilingual_name if municipality else "",
            state_province=BRUSSELS_REGION_NAME if municipality else "",
            postal_code=organisation.postcode, country="BE", address_type="physical"))
    return _obj("location", id=location_id, location_type="physical", name=organisation.name,
                external_identifier=municipality.nis_code if municipality else "",
                external_identifier_type="NIS" if municipality else "",
                addresses=addresses)


def _best(service, model_field: str) -> tuple[str, str]:
    for language in LANGUAGE_ORDER:
        value = getattr(service, f"{model_field}_{language}")
        if value:
            return language, value
    return "", ""


def service_fields(service) -> dict:
    """The service's own fields, without nested objects (an HSDS list's record)."""
    name = _best(service, "name")[1]
    alternate = [getattr(service, f"name_{lang}") for lang in LANGUAGE_ORDER]
    alternate = list(dict.fromkeys(n for n in alternate if n and n != name))
    return _obj(
        "service", id=str(service.hsds_id),
        organization_id=organisation_hsds_id(service.organisation), name=name,
        alternate_name=" / ".join(alternate), description=_best(service, "description")[1],
        email=service.contact_email, status=service.status,
        application_process=_best(service, "how_to_refer")[1],
        fees_description=service.fees, eligibility_description=service.eligibility,
        minimum_age=service.minimum_age, maximum_age=service.maximum_age,
        assured_date=service.verified_on.isoformat() if service.verified_on else None)


def export_service(service) -> dict:
    sid = str(service.hsds_id)
    phone = [_obj("phone", id=child_id(sid, "phone"), number=service.contact_phone)] if (
        service.contact_phone) else []
    contacts = [_obj("contact", id=child_id(sid, "contact"), name=service.contact_name,
                     email=service.contact_email, phones=phone)] if service.contact_name else []
    schedules = _weekly_schedules(service, sid)
    schedules += [_obj("schedule", id=child_id(sid, "schedule"),
                       description=service.schedule)] if service.schedule else []
    return service_fields(service) | _nested(
        phones=phone, schedules=schedules, service_areas=_service_areas(service, sid),
        languages=[_obj("language", id=child_id(sid, "language", code), code=code,
                        name=LANG_INFO.get(code, {}).get("name"))
                   for code in service.languages.split()],
        contacts=contacts, attributes=_service_attributes(service, sid))


def _weekly_schedules(service, sid: str) -> list[dict]:
    """Structured opening hours as iCal-style weekly schedules, one per opening period."""
    by_hours: dict[tuple, list[int]] = {}
    for row in sorted(service.opening_hours.all(), key=lambda r: (r.opens_at, r.weekday)):
        by_hours.setdefault((row.opens_at, row.closes_at), []).append(row.weekday)
    return [_obj("schedule", id=child_id(sid, "hours", f"{opens:%H%M}-{closes:%H%M}"),
                 freq="WEEKLY", byday=",".join(ICAL_DAYS[d] for d in sorted(days)),
                 opens_at=f"{opens:%H:%M}", closes_at=f"{closes:%H:%M}")
            for (opens, closes), days in sorted(by_hours.items())]


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

"""Import, services: each service of the file checked and turned into an unsaved Service
(matched on id) with its areas and opening hours, its problems and notes in the context.
A service is replaced as a whole by its standard HSDS fields; Relais-only attributes are
changed only when present.
"""

import re
from datetime import time

from django.conf.locale import LANG_INFO
from django.utils.dateparse import parse_date, parse_datetime

from relais.accounts.models import Organisation
from relais.core.text import fold
from relais.directory.hsds.mapping import (
    BRUSSELS_REGION_NIS,
    CATEGORY_TAXONOMY,
    I18N,
    ICAL_DAYS,
    LANGUAGE_ORDER,
    RELAIS,
    SERVICE_EXTRAS,
    TRANSLATED,
)
from relais.directory.hsds.plan import Plan, clean, phone_number, read_attributes, snapshot
from relais.directory.models import Capacity, Category, Service, ServiceStatus, UrgentStart

SERVICE_MODEL_FIELDS = [
    "organisation_id", "category", "name_nl", "name_fr", "name_en", "description_nl",
    "description_fr", "description_en", "how_to_refer_nl", "how_to_refer_fr",
    "how_to_refer_en", "languages", "serves_all_brussels", "minimum_age", "maximum_age",
    "eligibility", "fees", "schedule", "contact_name", "contact_phone", "contact_email",
    "riziv_number", "urgent_start", "capacity", "typical_wait_days", "capacity_confirmed_on",
    "status", "verified_on",
]


SERVICE_PATHS = {
    **{f"{m}_{lang}": h for m, h in TRANSLATED.items() for lang in LANGUAGE_ORDER},
    "contact_phone": "phones[0].number", "contact_email": "email",
    "contact_name": "contacts[0].name", "eligibility": "eligibility_description",
    "fees": "fees_description", "schedule": "schedules", "minimum_age": "minimum_age",
    "maximum_age": "maximum_age", "languages": "languages", "status": "status",
    "category": "attributes", "capacity": "attributes", "urgent_start": "attributes",
    "riziv_number": "attributes", "typical_wait_days": "attributes",
    "capacity_confirmed_on": "attributes", "verified_on": "assured_date",
}


SERVICE_KEPT = {"id", "organization_id", "name", "alternate_name", "description", "email",
                "status", "application_process", "fees_description", "eligibility_description",
                "minimum_age", "maximum_age", "assured_date", "phones", "schedules",
                "service_areas", "languages", "contacts", "attributes"}


THREE_LETTER_LANGUAGES = {"eng": "en", "fra": "fr", "fre": "fr", "nld": "nl", "dut": "nl",
                          "deu": "de", "ger": "de", "ara": "ar", "tur": "tr", "spa": "es"}


def plan_service(context, index: int, obj: dict) -> Plan:
    path = f"services[{index}]"
    service = Service.objects.filter(hsds_id=obj["id"]).select_related("organisation").first()
    created = service is None
    service = service or Service(hsds_id=obj["id"])
    plan = Plan(path, service, created, snapshot(service, SERVICE_MODEL_FIELDS),
                 label=obj.get("name", ""))
    if not created:
        plan.before["areas"] = area_keys(service.municipalities.all(),
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
    clean(context, plan, SERVICE_PATHS, exclude=["organisation"])
    return plan


def _weekly_hours(schedules: list) -> list[tuple]:
    """[(weekday, opens, closes)] from weekly schedules that say day and hours, else []."""
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


def _set_service_organisation(context, plan: Plan, obj: dict) -> None:
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


def _service_attribute_values(context, plan: Plan, obj: dict) -> dict:
    values = {"i18n": {}, "relais": {}, "category": None}
    for index, taxonomy, code, language, value in read_attributes(obj):
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


def _set_texts(context, plan: Plan, obj: dict, i18n: dict) -> None:
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


def _set_relais_fields(context, plan: Plan, obj: dict, attributes: dict) -> None:
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


def _set_contact(plan: Plan, obj: dict) -> None:
    service = plan.instance
    contact = next(iter(obj.get("contacts") or []), {})
    phones = obj.get("phones") or contact.get("phones") or []
    service.contact_name = contact.get("name", "")
    service.contact_email = obj.get("email") or contact.get("email", "")
    service.contact_phone = phone_number(phones[0]) if phones else ""


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


def area_keys(municipalities, zones, serves_all: bool) -> tuple:
    return (frozenset(m.pk for m in municipalities), frozenset(z.pk for z in zones),
            serves_all)

"""Keeping the directory true: edits audited, "still accurate" in one click."""

from django.db import transaction
from django.utils import timezone

from relais.audit import log as audit
from relais.core.models import apply_changes
from relais.directory.models import Agreement, OpeningHours, Service
from relais.directory.search import refresh_search_text

SERVICE_FIELDS = [
    "category", "name_nl", "name_fr", "name_en", "description_nl", "description_fr",
    "description_en", "how_to_refer_nl", "how_to_refer_fr", "how_to_refer_en", "languages",
    "serves_all_brussels", "minimum_age", "maximum_age", "eligibility", "fees", "schedule",
    "contact_name", "contact_phone", "contact_email", "riziv_number", "urgent_start",
    "capacity", "typical_wait_days", "status",
]
AREA_FIELDS = ["municipalities", "care_zones"]


def normalise_languages(codes) -> str:
    """" nl fr " whatever came in (a list or a string), for the portable LIKE filter."""
    if isinstance(codes, str):
        codes = codes.replace(",", " ").split()
    unique = sorted({c.strip().lower() for c in codes if c.strip()})
    return f" {' '.join(unique)} " if unique else ""


@transaction.atomic
def create_service(organisation, data: dict, *, actor) -> Service:
    fields = {k: v for k, v in data.items() if k in SERVICE_FIELDS}
    fields["languages"] = normalise_languages(fields.get("languages", ""))
    service = Service(organisation=organisation, **fields)
    _confirm(service, actor)
    if "capacity" in fields:
        # Whoever states the capacity of a new listing confirms it, as on every change.
        service.capacity_confirmed_on = service.verified_on
    service.full_clean()
    service.save()
    _set_areas(service, data)
    _set_hours(service, data)
    refresh_search_text(service)
    audit.record("service.create", actor=actor, target=service, organisation=organisation)
    return service


@transaction.atomic
def update_service(service, data: dict, *, actor, expected_version: int) -> list[str]:
    if "languages" in data:
        data = data | {"languages": normalise_languages(data["languages"])}
    changed, _ = apply_changes(service, SERVICE_FIELDS, data)
    if "capacity" in changed or "typical_wait_days" in changed:
        service.capacity_confirmed_on = timezone.localdate()
        changed.append("capacity_confirmed_on")
    service.full_clean()
    _confirm(service, actor)
    service.save_if_version(expected_version, [*changed, "verified_on", "verified_by"])
    areas_changed = _set_areas(service, data) + _set_hours(service, data)
    refresh_search_text(service)
    audit.record("service.change", actor=actor, target=service,
                 organisation=service.organisation,
                 detail={"fields": changed + areas_changed})
    return changed


def _set_areas(service, data) -> list[str]:
    changed = []
    for name in AREA_FIELDS:
        if name in data:
            before = set(getattr(service, name).values_list("pk", flat=True))
            getattr(service, name).set(data[name])
            if before != {obj.pk for obj in data[name]}:
                changed.append(name)
    return changed


def _set_hours(service, data) -> list[str]:
    """Replace the opening hours with `data["hours"]`: [(weekday, opens, closes), ...]."""
    if "hours" not in data:
        return []
    wanted = sorted(data["hours"])
    current = sorted(service.opening_hours.values_list("weekday", "opens_at", "closes_at"))
    if wanted == current:
        return []
    service.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(OpeningHours(service=service, weekday=day, opens_at=opens,
                                                  closes_at=closes)
                                     for day, opens, closes in wanted)
    return ["opening_hours"]


def _confirm(service, actor) -> None:
    # Whoever saves a listing vouches for it today (its "verified on" date).
    service.verified_on = timezone.localdate()
    service.verified_by = actor


@transaction.atomic
def confirm_still_accurate(service, *, actor) -> None:
    """The one-click "still accurate": the listing and its capacity are confirmed today."""
    today = timezone.localdate()
    # updated_at too: the listing's HSDS record changed (assured date, capacity confirmed),
    # and the HSDS API's modified_after must return it to whoever keeps a copy.
    Service.objects.filter(pk=service.pk).update(verified_on=today, verified_by=actor,
                                                 capacity_confirmed_on=today,
                                                 updated_at=timezone.now())
    service.verified_on = service.capacity_confirmed_on = today
    service.verified_by = actor
    audit.record("service.confirm", actor=actor, target=service,
                 organisation=service.organisation)


@transaction.atomic
def create_agreement(data: dict, *, actor) -> Agreement:
    """Record a cooperation agreement between a hospital and an ambulatory partner (R8)."""
    agreement = Agreement(**data)
    agreement.full_clean()
    agreement.save()
    audit.record("agreement.create", actor=actor, target=agreement,
                 detail={"hospital": agreement.hospital_id, "partner": agreement.partner_id,
                         "kind": agreement.kind})
    return agreement


@transaction.atomic
def end_agreement(agreement, *, actor) -> None:
    agreement.ends_on = max(timezone.localdate(), agreement.starts_on)
    agreement.save(update_fields=["ends_on", "updated_at"])
    audit.record("agreement.end", actor=actor, target=agreement)

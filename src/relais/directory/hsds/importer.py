"""Import: check the whole document (schema, duplicate ids, references, Relais rules) and
raise HsdsImportError listing every problem before anything is written; then write
everything in one transaction with one audit event. Organisations match on HSDS id, then
KBO; services on id.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import translation

from relais.audit import log as audit
from relais.directory.hsds.document import normalise
from relais.directory.hsds.errors import HsdsImportError
from relais.directory.hsds.plan import Context, Plan, snapshot
from relais.directory.hsds.plan_organisations import (
    ORGANISATION_FIELDS,
    check_same_organisation,
    plan_organisation,
)
from relais.directory.hsds.plan_services import SERVICE_MODEL_FIELDS, area_keys, plan_service
from relais.directory.hsds.tables import read_csv
from relais.directory.hsds.validate import schema_problems
from relais.directory.models import OpeningHours
from relais.directory.search import refresh_search_text

ProgressCallback = Callable[[str, int, int], None]


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


def import_hsds(data, *, actor, language: str = "fr",
                progress: ProgressCallback | None = None) -> ImportReport:
    """Check the whole document, then import it in one transaction (or change nothing).

    `data` is any shape `normalise` accepts. Text without Relais translations is taken to
    be in `language`. `progress(stage, done, total)` is called per record.
    """
    document = normalise(data)
    organizations, services = document["organizations"], document["services"]
    with translation.override("en"), transaction.atomic():
        context = Context(language)
        broken = _document_problems(context, organizations, services)
        total = len(organizations) + len(services)
        org_plans, service_plans = [], []
        for index, obj in enumerate(organizations):
            if ("organizations", index) in broken:
                context.org_by_file_id.setdefault(str(obj.get("id")), None)
            else:
                org_plans.append(plan_organisation(context, index, obj))
            _tick(progress, "checking", index + 1, total)
        check_same_organisation(context, org_plans)
        for index, obj in enumerate(services):
            if ("services", index) not in broken:
                service_plans.append(plan_service(context, index, obj))
            _tick(progress, "checking", len(organizations) + index + 1, total)
        if context.problems:
            raise HsdsImportError(context.problems)
        report = ImportReport(notes=context.notes + _ignored_notes(context))
        _apply(org_plans, service_plans, report, progress, total)
        audit.record("directory.import", actor=actor,
                     detail={**report.counts(), "notes": len(report.notes)})
    return report


def import_csv(directory, *, actor, **options) -> ImportReport:
    return import_hsds(read_csv(directory), actor=actor, **options)


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


# --- Writing -------------------------------------------------------------------------------
def _apply(org_plans, service_plans, report: ImportReport, progress, total: int) -> None:
    done = 0
    renamed = []
    for plan in org_plans:
        organisation = plan.instance
        after = snapshot(organisation, ORGANISATION_FIELDS)
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
        after = snapshot(service, SERVICE_MODEL_FIELDS)
        after["areas"] = area_keys(plan.areas["municipalities"], plan.areas["care_zones"],
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


def _count(counter: Counter, plan: Plan) -> None:
    counter["created" if plan.created else "updated" if plan.changed else "unchanged"] += 1

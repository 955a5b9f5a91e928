"""The ADT feed for the people who run it: each feed's health (a hospital's staff for its
feeds, the platform administrator for all) and the merges the feed applied, which the
hospital's liaison staff may undo. Thin views: the figures are relais.interop.adt.health,
the undo relais.interop.adt.merge.

Anyone else gets 404, the same whether there is something to see or not, and the attempt
is audited (`access.denied`), as the rest of Relais does.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from relais.access import policy
from relais.audit import log as audit
from relais.audit.models import Outcome
from relais.interop.adt import health
from relais.interop.adt import merge as merges
from relais.network.models import Person
from relais.stays import rules as stay_rules
from relais.stays.models import PatientLink

PAGE_SIZE = 25


def _deny(request, target_type: str) -> None:
    audit.record(audit.Actions.ACCESS_DENIED, actor=request.user, outcome=Outcome.DENIED,
                 target_type=target_type, detail={"action": "list"})
    raise Http404


# --- each feed's health ----------------------------------------------------------------


@login_required
def adt_health(request):
    hospitals = stay_rules.hospital_ids(request.user)
    if not (hospitals or policy.is_platform_admin(request.user)):
        _deny(request, "stays.adtsource")
    report = health.report_for(request.user)
    return render(request, "interop/adt_health.html", {
        "report": report, "thresholds": health.Thresholds.from_settings(),
        "several_hospitals": len({f.source.hospital_id for f in report.feeds}) > 1,
        "liaison": bool(hospitals)})


# --- merges the feed applied, and their undoing -----------------------------------------


@dataclass
class MergeRow:
    """A closed patient-id link, with its person's name when the gate shows the person."""

    link: PatientLink
    person: Person | None


def _merge_rows(user, links) -> list[MergeRow]:
    """Names only of persons `user` may see; the list read audited with them."""
    persons = Person.objects.visible_to(user).in_bulk({link.person_id for link in links})
    policy.record_list_read(user, "patient_link.list", persons)
    return [MergeRow(link, persons.get(link.person_id)) for link in links]


@login_required
def adt_merges(request):
    hospitals = stay_rules.hospital_ids(request.user)
    if not hospitals:
        _deny(request, "stays.patientlink")
    page = Paginator(merges.applied_merges(request.user), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "interop/adt_merges.html", {
        "page": page, "rows": _merge_rows(request.user, list(page)),
        "several_hospitals": len(hospitals) > 1})


@login_required
def adt_merge_undo(request, pk):
    """A confirmation page (GET), then the undo (POST): the retired id's link as it was."""
    link = merges.merged_link_for(request.user, pk)
    if request.method == "POST":
        try:
            merges.undo_merge(link, actor=request.user)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _(
                "The merge is undone: the hospital's patient ids %(retired)s and "
                "%(surviving)s are linked as they were before it.") % {
                "retired": link.patient_id, "surviving": link.merged_into})
        return redirect("interop:adt_merges")
    # The gate audited this read, with the person; the name only if it shows the person.
    person = Person.objects.visible_to(request.user).filter(pk=link.person_id).first()
    return render(request, "interop/adt_merge_undo.html", {"row": MergeRow(link, person)})

"""ADT messages waiting for a person: a hospital's liaison staff say who the patient is,
by linking an existing record (found by exact national number) or by opening one from the
message; they confirm or decline merges; and they see what the feed could not apply (a
message that failed, holding its patient's later ones; one Relais' rules refused after
acknowledging it; one refused while the database was unreachable and not sent again),
and retry or set it aside. Thin views: the feed's rules are in relais.interop.adt.

Who: professionals with an active membership of the message's hospital; anyone else gets
the same 404 whether the message exists or not, and the attempt is audited.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from relais.access import policy
from relais.access.policy import Action
from relais.audit import log as audit
from relais.core.text import is_digits
from relais.interop import adt
from relais.interop.adt import inbox
from relais.network import rules as network_rules
from relais.network.models import Person
from relais.network.validators import compact_niss, format_niss
from relais.stays import rules as stay_rules
from relais.stays.models import AdtMessage, AdtStatus

PAGE_SIZE = 25
# Messages Relais' rules refused after acknowledging them stay on the page this long.
REFUSED_SHOWN_FOR = timedelta(days=30)
EVENT_LABELS = {"A01": gettext_lazy("Admission"), "A02": gettext_lazy("Transfer"),
                "A03": gettext_lazy("Discharge"), "A08": gettext_lazy("Update"),
                "A11": gettext_lazy("Admission cancelled"),
                "A13": gettext_lazy("Discharge cancelled"),
                "A04": gettext_lazy("Registration"), "A05": gettext_lazy("Pre-admission"),
                "A12": gettext_lazy("Transfer cancelled"),
                "A38": gettext_lazy("Pre-admission cancelled"),
                "A28": gettext_lazy("Person added"), "A31": gettext_lazy("Person update"),
                "A34": gettext_lazy("Merge"), "A40": gettext_lazy("Merge"),
                "A47": gettext_lazy("Patient id changed")}


# --- who may handle which messages: relais.access.stays --------------------------------


def liaison_hospital_ids(user) -> set[int]:
    return stay_rules.hospital_ids(user)


def pending_messages(user):
    return policy.visible(user, AdtMessage.objects.all())


def pending_message_for(user, pk, action: str = "view") -> AdtMessage:
    """One waiting message, or Http404 (missing and forbidden alike), audited when denied."""
    return policy.object_for(user, AdtMessage, pk, Action.CHANGE if action == "resolve"
                             else Action.VIEW,
                             queryset=AdtMessage.objects.select_related("hospital"))


# --- pages -----------------------------------------------------------------------------


@dataclass
class Waiting:
    """A message with what it says about the patient, for the liaison nurse to recognise."""

    message: AdtMessage
    event: adt.AdtEvent | None

    @classmethod
    def of(cls, message: AdtMessage) -> "Waiting":
        try:
            return cls(message, adt.read_stored(message.raw))
        except adt.Refused:
            return cls(message, None)

    @property
    def event_label(self) -> str:
        return EVENT_LABELS.get(self.message.event, self.message.event)

    @property
    def niss_display(self) -> str:
        return format_niss(self.message.niss) if self.message.niss else ""


@login_required
def adt_pending(request):
    hospitals = liaison_hospital_ids(request.user)
    if not hospitals:
        raise Http404
    found = AdtMessage.objects.filter(status=AdtStatus.PENDING_MATCH, hospital_id__in=hospitals
                                      ).select_related("hospital").order_by("received_at", "pk")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [Waiting.of(message) for message in page]
    merges = AdtMessage.objects.filter(status=AdtStatus.PENDING_MERGE,
                                       hospital_id__in=hospitals).select_related("hospital")
    return render(request, "interop/adt_pending.html", {
        "page": page, "rows": rows, "several_hospitals": len(hospitals) > 1,
        "merges": [Waiting.of(message) for message in merges.order_by("received_at", "pk")],
        **not_applied(hospitals)})


def not_applied(hospitals: set[int]) -> dict:
    """What the feed could not apply, in one query: failed (with how many of the
    patient's messages wait behind each), refused after acknowledgement (the last 30
    days), and refused while the database was unreachable and not sent again."""
    rank = Case(When(status=AdtStatus.FAILED, then=Value(0)),
                When(status=AdtStatus.UNSTORED, then=Value(1)), default=Value(2),
                output_field=IntegerField())
    found = list(AdtMessage.objects.filter(
        Q(status__in=[AdtStatus.FAILED, AdtStatus.UNSTORED])
        | Q(status=AdtStatus.REJECTED, handled_at__gte=timezone.now() - REFUSED_SHOWN_FOR,
            lane__gt=""), hospital_id__in=hospitals).select_related("hospital")
        .order_by(rank, "-received_at", "-pk")[:3 * PAGE_SIZE])
    failed = [m for m in found if m.status == AdtStatus.FAILED]
    behind = inbox.waiting_behind(failed) if failed else {}
    return {"failed": [(Waiting.of(m), behind[m.pk]) for m in failed],
            "gaps": [m for m in found if m.status == AdtStatus.UNSTORED],
            "refused": [Waiting.of(m) for m in found if m.status == AdtStatus.REJECTED]}


@login_required
@require_POST
def adt_retry(request, pk):
    """Apply again a message that failed, or that Relais' rules refused after the ACK."""
    message = pending_message_for(request.user, pk, "resolve")
    try:
        done = adt.retry(message, actor=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("interop:adt_pending")
    if done.status == AdtStatus.FAILED:
        messages.error(request, _("The message failed again: %(problem)s")
                       % {"problem": done.problem})
    elif done.status == AdtStatus.REJECTED:
        messages.warning(request, _("Relais refused the message again: %(problem)s")
                         % {"problem": done.problem})
    else:
        messages.success(request, _("The message is applied; the patient's messages waiting "
                                    "behind it follow."))
    return redirect("interop:adt_pending")


@login_required
@require_POST
def adt_set_aside(request, pk):
    """A failed message will not be applied: the patient's later messages go on."""
    message = pending_message_for(request.user, pk, "resolve")
    try:
        adt.set_aside(message, actor=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("The message is set aside; the patient's later messages "
                                    "are applied."))
    return redirect("interop:adt_pending")


@login_required
@require_POST
def adt_merge(request, pk):
    """A person confirms or declines a merge between two records Relais holds apart."""
    message = pending_message_for(request.user, pk, "resolve")
    decide = adt.confirm_merge if request.POST.get("decision") == "confirm" else (
        adt.decline_merge)
    try:
        decide(message, actor=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("interop:adt_pending")
    messages.success(request, _("The merge is confirmed: the hospital's retired patient id "
                                "now points to the surviving record.")
                     if decide is adt.confirm_merge else
                     _("The merge is declined: the two records stay apart."))
    return redirect("interop:adt_pending")


@login_required
def adt_message(request, pk):
    message = pending_message_for(request.user, pk)
    niss = compact_niss(request.GET.get("niss", message.niss)).strip()
    return render(request, "interop/adt_message.html", {
        "waiting": Waiting.of(message), "niss": niss,
        "candidates": _persons_with_niss(request.user, niss), "searched": bool(niss)})


def _persons_with_niss(user, niss: str) -> list:
    """An exact national number among the persons the user may see; audited as a search."""
    if not niss:
        return []
    audit.record("person.search", actor=user, detail={"searched": True, "for": "adt_match"})
    if not (len(niss) == 11 and is_digits(niss)):
        return []
    return list(Person.objects.visible_to(user).filter(niss=niss)[:5])


@login_required
@require_POST
def adt_link(request, pk):
    message = pending_message_for(request.user, pk, "resolve")
    person = network_rules.person_for(request.user, request.POST.get("person"))
    return _resolve(request, message, lambda: adt.resolve_pending(message, person,
                                                                   request.user))


@login_required
@require_POST
def adt_create_person(request, pk):
    message = pending_message_for(request.user, pk, "resolve")
    return _resolve(request, message, lambda: adt.create_person_from(message, request.user))


def _resolve(request, message, resolve):
    """Resolve, then show the stay (or say why the message still could not be applied)."""
    try:
        resolve()
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("interop:adt_message", message.pk)
    message.refresh_from_db()
    if message.status == AdtStatus.REJECTED:
        messages.warning(request, _("The patient is linked, but this message could not be "
                                    "applied: %(problem)s") % {"problem": message.problem})
        return redirect("interop:adt_pending")
    messages.success(request, _("The patient is linked and their waiting messages applied."))
    if message.stay_id:
        return redirect("stays:stay_detail", message.stay_id)
    return redirect("interop:adt_pending")

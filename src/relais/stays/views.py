"""The stay's pages. Permissions are asked of relais.access; the rules live in services."""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from relais.access import decisions, persons, policy
from relais.access.policy import Action, member_organisation_ids
from relais.accounts.models import Organisation, Ward
from relais.core import kept, reversing
from relais.core.fields import NOTE
from relais.core.i18n import localized_value
from relais.core.models import VersionConflict
from relais.core.text import is_digits
from relais.directory import rules as directory_rules
from relais.directory.matching import match_services
from relais.directory.models import Service
from relais.network import rules as network_rules
from relais.network.views import _members_for, _network_context
from relais.stays import going_home as going_home_sheet
from relais.stays import readmissions, referrals, screening, services, transfer
from relais.stays import rules as stay_rules
from relais.stays.forms import (
    AdmissionBriefForm,
    DeclineForm,
    DischargeForm,
    ExpectedDateForm,
    GoingHomeForm,
    ItemStatusForm,
    NeedForm,
    PlanItemForm,
    ReferralForm,
    StayForm,
)
from relais.stays.models import (
    AdmissionBrief,
    AdtMessage,
    Domain,
    ItemStatus,
    PlanItem,
    Referral,
    ReferralStatus,
    Screening,
    Stay,
)


def _hospital_ids(user) -> tuple[int, ...]:
    """The hospitals whose work list and admissions the user handles (access rule): known
    from the request's memberships."""
    return tuple(sorted(stay_rules.hospital_ids(user)))


# A ward is added or renamed a few times a year: the work list's filter may show it a
# minute late rather than ask for the wards at each of a thousand opens a day.
WARDS_KEPT_SECONDS = 60


def _wards_of(hospital_ids) -> list:
    """The hospitals' wards (pk, name), by hospital then ward name, kept a minute."""
    key = ("stays.wards", tuple(hospital_ids))
    wards = decisions.known_lately(key)
    if wards is None:
        wards = list(Ward.objects.filter(organisation_id__in=hospital_ids).order_by(
            "organisation__name", "name").values_list("pk", "name", named=True))
        decisions.keep_a_while(key, wards, WARDS_KEPT_SECONDS)
    return wards


def _staff_stay(request, pk) -> Stay:
    """A stay the user works on (its hospital's staff); 404 for anyone else."""
    stay = stay_rules.stay_for(request.user, pk)
    if not stay_rules.works_at_hospital(request.user, stay):
        raise Http404
    return stay


# --- the ward's work list (issue 5 point 10) ---------------------------------------------

# A hospital has hundreds of open stays (1,115 for the largest at a million persons):
# the table shows them by pages, and each card its first few with a link to all of them.
WORKLIST_PAGE = 50
# What the table and the cards show of a stay, and its readmission badge and home record
# (the stay it readmits after: when, where, whether cancelled).
WORKLIST_SHOWN = ("person_id", "hospital_id", "ward_id", "admitted_at", "expected_discharge_on",
                  "cancelled_at", "previous_stay_id", "readmission_planned",
                  "person__first_name", "person__last_name", "ward__name",
                  "previous_stay__hospital_id", "previous_stay__discharged_at",
                  "previous_stay__cancelled_at", "previous_stay__hospital__name")
# What the card of referrals awaiting an answer shows (and the audit event names).
AWAITING_SHOWN = ("respond_by", "person_id", "service_id", "person__first_name",
                  "person__last_name", "service__name_nl", "service__name_fr",
                  "service__name_en")
CARD_AT_MOST = 10
KEY_FIELDS = ("pk", "person_id", "expected_discharge_on", "open_blocking", "screened",
              "waiting")


@login_required
def worklist(request):
    hospital_ids = _hospital_ids(request.user)
    if not hospital_ids:
        raise Http404
    ward = request.GET.get("ward", "")
    ward = ward if is_digits(ward) and len(ward) <= 18 else ""  # else: every ward
    wards = {"ward": int(ward)} if ward else {}
    # The hospitals' own stays, each asked about its person: given the set of every
    # person the user may read, PostgreSQL walked every person to join them (265 ms at
    # 800,000 persons, growing with the region: docs/bench.md).
    # Narrow rows first (what the cards sort on), the full ones only for what is shown:
    # a hospital has a thousand open stays, of which the page shows fifty.
    with persons.asking_per_row():
        keys, full = _listed(request.user, hospital_ids, wards)
        awaiting = kept.among(
            ("stays.worklist_awaiting", policy.signature(request.user)),
            lambda s, ids: Referral.objects.visible_to(request.user).filter(
                stay__in=ids, status=ReferralStatus.SENT).select_related(
                "person", "service").only(*AWAITING_SHOWN).order_by("respond_by"),
            [k.pk for k in keys if k.waiting])  # none waiting (most stays): no query
    soon = timezone.localdate() + timedelta(days=3)
    groups = {
        "leaving": [k for k in keys if k.expected_discharge_on
                    and k.expected_discharge_on <= soon],
        "not_ready": [k for k in keys if k.open_blocking],
        "not_screened": [k for k in keys if not k.screened],
    }
    show = request.GET.get("show", "")
    show = show if show in groups else ""
    page = Paginator(groups.get(show, keys), WORKLIST_PAGE).get_page(request.GET.get("page"))
    if full is None:  # the page's rows and the cards' first ones, whole
        shown = [k.pk for k in page] + [k.pk for g in groups.values()
                                        for k in g[:CARD_AT_MOST]]
        full = kept.by_pks(("stays.worklist_rows",), _worklist_rows, list(dict.fromkeys(shown)))
    # (a stay deleted between the two reads is left out)
    cards = {name: Card([full[k.pk] for k in group[:CARD_AT_MOST] if k.pk in full],
                        len(group)) for name, group in groups.items()}
    rows = [full[k.pk] for k in page if k.pk in full]
    _record_worklist_read(request.user, rows, cards, awaiting)
    _count_words(full.values(), cards.values())
    # Asked with the records at home's first question, and the header's (core/kept.py).
    pending_question = kept.later_count(
        ("stays.pending_messages", policy.signature(request.user), hospital_ids),
        lambda s: policy.visible(request.user, AdtMessage.objects.filter(
            hospital__in=hospital_ids)))
    home = readmissions.home_records(request.user, rows)
    pending = pending_question.get()
    context = {
        "rows": rows, "page": page, "show": show, "shown_at_most": CARD_AT_MOST,
        "shown_at_most_slice": f":{CARD_AT_MOST}",
        "query": urlencode({k: v for k, v in (("ward", ward), ("show", show)) if v}),
        "wards": _wards_of(hospital_ids), "ward": ward,
        "leaving_soon": cards["leaving"], "not_ready": cards["not_ready"],
        "not_screened": cards["not_screened"], "awaiting": awaiting,
        "now": timezone.now(),
        "pending_messages": pending,
        "pending_messages_label": ngettext(
            "%(counter)s message waiting", "%(counter)s messages waiting", pending) % {
            "counter": pending},
        "awaiting_all_label": _all_of(len(awaiting)),
        "home": home,
    }
    return render(request, "stays/worklist.jinja", context, using="jinja2")


# A ward's list, or a small hospital's, fits in one page: its stays are then read whole in
# one statement, not as narrow keys and then the rows shown (a statement fewer on most
# opens: a nurse opens her ward's list). Whether it fits is what the last open found,
# kept a minute per hospitals and ward: a hospital's thousand open stays are read whole
# at most once a minute, and by one open, the one after the list grew.
FITS_KEPT_SECONDS = 60


def _listed(user, hospital_ids, wards: dict) -> tuple[list, dict | None]:
    """The stays the list and its cards are drawn from, in the list's order; and, when
    they were read whole, {pk: stay} (else None: the shown ones are read next)."""
    fits_key = ("stays.worklist_fits", hospital_ids, wards.get("ward"))
    whole = decisions.known_lately(fits_key, False)
    keys = policy.visible_rows(
        user, ("stays.worklist_keys", hospital_ids, bool(wards), whole),
        lambda s: _whole(_worklist_stays(hospital_ids, s)) if whole else _worklist_stays(
            hospital_ids, s).values_list(*KEY_FIELDS, named=True), **wards)
    decisions.keep_a_while(fits_key, len(keys) <= WORKLIST_PAGE, FITS_KEPT_SECONDS)
    return keys, {stay.pk: stay for stay in keys} if whole else None


def _count_words(stays, cards) -> None:
    """The plurals the page shows, in words (Jinja2 templates say them from Python)."""
    for stay in stays:
        stay.blocking_label = ngettext("%(counter)s item blocks", "%(counter)s items block",
                                       stay.open_blocking) % {"counter": stay.open_blocking}
    for card in cards:
        card.all_label = _all_of(card.count)


def _all_of(count: int) -> str:
    return ngettext("All %(counter)s", "All %(counter)s", count) % {"counter": count}


@dataclass
class Card:
    rows: list  # the first CARD_AT_MOST
    count: int  # all of them
    all_label: str = ""  # "All 12", when there are more than the card shows


def _record_worklist_read(user, rows: list, cards: dict, awaiting: list) -> None:
    """The audit event names the persons the page shows: the table's page and the first
    of each card, not every open stay of the hospital."""
    shown = [s.person_id for s in rows]
    shown += [s.person_id for card in cards.values() for s in card.rows]
    shown += [r.person_id for r in awaiting[:CARD_AT_MOST]]
    policy.record_list_read(user, "stay.list", list(dict.fromkeys(shown)))


def _worklist_stays(hospital_ids, slots):
    """The hospitals' open stays (on one ward when `slots` has one), in the list's order."""
    stays = Stay.objects.open().filter(hospital__in=hospital_ids)
    if hasattr(slots, "ward"):
        stays = stays.filter(ward_id=slots.ward)
    # Those leaving soonest first, the undated last (on SQLite as on PostgreSQL); the pk
    # keeps equal rows in one order from one page to the next.
    return _with_what_the_list_shows(stays).order_by(
        F("expected_discharge_on").asc(nulls_last=True), "admitted_at", "pk")


def _worklist_rows(pks):
    """The stays the page shows (the gate showed them: `keys`), whole."""
    return _with_what_the_list_shows(_whole(Stay.objects.filter(pk__in=pks)))


def _whole(stays):
    """What the table and the cards show of each stay."""
    return stays.select_related("person", "ward", "previous_stay__hospital").only(
        *WORKLIST_SHOWN)


def _with_what_the_list_shows(stays):
    """Blocking items left, screened or not, referrals waiting: each a subquery per stay,
    not a join with GROUP BY (which grouped by every column of the five tables the rows
    come with, and sorted them: most of the work list's time in the database)."""
    return stays.annotate(
        open_blocking=_count_per_stay(PlanItem.objects.filter(blocking=True).exclude(
            status__in=["done", "not_applicable"])),
        screened=Exists(Screening.objects.filter(stay=OuterRef("pk"))),
        waiting=_count_per_stay(Referral.objects.filter(status=ReferralStatus.SENT)),
    )


def _count_per_stay(rows):
    return Coalesce(Subquery(rows.filter(stay=OuterRef("pk")).order_by().values(
        "stay").annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)


# --- opening a stay by hand ----------------------------------------------------------------


@login_required
def stay_new(request, person_pk):
    person = network_rules.person_for(request.user, person_pk)
    hospital_ids = _hospital_ids(request.user)
    if not hospital_ids:
        raise Http404
    form = StayForm(request.POST or None, hospitals=Organisation.objects.filter(
        pk__in=hospital_ids), initial={"admitted_at": timezone.localtime()})
    if request.method == "POST" and form.is_valid():
        try:
            stay = services.open_stay(person, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The stay is open; the network was told."))
            return redirect("stays:stay_detail", stay.pk)
    return render(request, "stays/stay_form.html", {"form": form, "person": person})


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# --- the stay: home network, plan, screening, referrals -----------------------------------


@login_required
def stay_detail(request, pk):
    stay = stay_rules.stay_for(request.user, pk)
    staff = stay_rules.works_at_hospital(request.user, stay)
    context = {"stay": stay, "staff": staff}
    if request.user.is_professional:
        person = stay.person
        members = _members_for(request.user, person)
        context.update(_network_context(request.user, person, members))
        context["legal_members"] = [
            (member, [r.get_role_display() for r in member.roles.all()
                      if r.role in context["legal_roles"]]) for member in context["members"]]
        context["legal_members"] = [(m, roles) for m, roles in context["legal_members"] if roles]
        context["brief"] = AdmissionBrief.objects.filter(person=person).select_related(
            "updated_by").first()
    context.update(_plan_context(stay))
    with persons.asking_per_row():  # one person's referrals: not every person's set
        context["referrals"] = list(policy.visible(request.user, stay.referrals.all())
                                    .select_related("service", "organisation"))
    context["screenings"] = [
        screening.summarise(s, show_restricted=stay_rules.sees_restricted_findings(
            request.user, stay)) for s in screening.latest_screenings(stay)]
    context["expected_form"] = ExpectedDateForm(initial={
        "expected_discharge_on": stay.expected_discharge_on, "version": stay.version})
    return render(request, "stays/stay_detail.html", context)


def _plan_context(stay) -> dict:
    items = list(stay.plan_items.select_related("owner"))
    by_domain = [(label, [i for i in items if i.domain == value])
                 for value, label in Domain.choices]
    blocking = [i for i in items if i.blocking and not i.is_finished]
    return {"plan": [(label, rows) for label, rows in by_domain if rows],
            "blocking": blocking, "items_done": sum(i.is_finished for i in items),
            "items_total": len(items), "item_statuses": ItemStatus.choices,
            "staff_members": list(services.hospital_staff(stay)),
            "new_item_form": PlanItemForm()}


@login_required
@require_POST
def expected_date(request, pk):
    stay = _staff_stay(request, pk)
    form = ExpectedDateForm(request.POST)
    if form.is_valid():
        try:
            services.update_stay(stay, actor=request.user,
                                 expected_version=form.cleaned_data["version"],
                                 expected_discharge_on=form.cleaned_data[
                                     "expected_discharge_on"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except VersionConflict:
            return render(request, "conflict.html", {"back": reverse("stays:stay_detail",
                                                                     args=[pk])}, status=409)
    else:
        messages.error(request, " ".join(message for errors in form.errors.values()
                                         for message in errors))
    return redirect("stays:stay_detail", pk)


@login_required
@require_POST
def item_status(request, pk):
    item = PlanItem.objects.filter(pk=pk).select_related("stay").first()
    if item is None:
        raise Http404
    stay = _staff_stay(request, item.stay_id)
    if not stay.is_open:
        raise Http404
    form = ItemStatusForm(request.POST)
    if form.is_valid():
        owner_pk = form.cleaned_data["owner"]
        owner = services.hospital_staff(stay).filter(pk=owner_pk).first() if owner_pk else None
        if owner_pk and owner is None:
            messages.error(request, _("Choose someone who works at this hospital."))
            return redirect(reverse("stays:stay_detail", args=[stay.pk]) + "#plan")
        try:
            services.set_item_status(item, status=form.cleaned_data["status"],
                                     actor=request.user, owner=owner,
                                     expected_version=form.cleaned_data["version"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except VersionConflict:
            return render(request, "conflict.html", {"back": reverse("stays:stay_detail",
                                                                     args=[stay.pk])},
                          status=409)
    return redirect(reverse("stays:stay_detail", args=[stay.pk]) + "#plan")


@login_required
def discharge(request, pk):
    stay = _staff_stay(request, pk)
    if not stay.is_open:
        raise Http404
    form = DischargeForm(request.POST or None, initial={
        "discharged_at": timezone.localtime(), "destination": "home"})
    if request.method == "POST" and form.is_valid():
        try:
            services.discharge(stay, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The stay is closed; the network was told."))
            return redirect("stays:stay_detail", stay.pk)
    return render(request, "stays/discharge_form.html", {
        "form": form, "stay": stay, "blocking": list(services.open_blocking_items(stay))})


@login_required
@require_POST
def cancel_discharge(request, pk):
    """The discharge was entered in error: the stay is open again (as an A13 does), and
    the follow-up at home it started is cancelled."""
    stay = _staff_stay(request, pk)
    if stay.discharged_at is None or stay.cancelled_at:
        raise Http404
    try:
        services.cancel_discharge(stay, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The discharge is cancelled: the stay is open again, "
                                    "and the follow-up at home it started is cancelled."))
    return redirect("stays:stay_detail", stay.pk)


# --- referrals (issue 5 point 6) -----------------------------------------------------------


@login_required
def referral_new(request, pk):
    """Step 1: choose the kind of help → services that fit, with reasons; step 2: the needs
    analysis for the chosen service."""
    stay = _staff_stay(request, pk)
    person = stay.person
    service_pk = request.GET.get("service", "")
    if service_pk:
        return _referral_form(request, stay, directory_rules.service_for(request.user, service_pk))
    need = NeedForm(request.GET or None)
    matches = []
    if need.is_valid():
        matches = match_services(
            Service.objects.visible_to(request.user), category=need.cleaned_data["category"],
            municipality=person.municipality, language=person.language,
            urgency=need.cleaned_data["urgency"] if need.cleaned_data["urgency"] != "routine"
            else "")[:20]
        referred = {r.service_id: r for r in policy.visible(
            request.user, Referral.objects.open().filter(person=person))}
        for match in matches:
            match.open_referral = referred.get(match.service.pk)
    return render(request, "stays/referral_match.html",
                  {"stay": stay, "person": person, "need": need, "matches": matches})


def _referral_form(request, stay, service):
    initial = {"urgency": request.GET.get("urgency", "routine"),
               "start_on": stay.expected_discharge_on}
    # A restart after a refusal (followup's watch) brings the last needs analysis along.
    initial.update({name: request.GET[name][:NOTE] for name in referrals.NEEDS_FIELDS
                    if name != "start_on" and request.GET.get(name)})
    form = ReferralForm(request.POST or None, initial=initial)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = referrals.send(
                person=stay.person, service=service, stay=stay, actor=request.user,
                sender_organisation=stay.hospital, urgency=data["urgency"],
                person_agrees=data["person_agrees"],
                needs={name: data[name] for name in referrals.NEEDS_FIELDS})
        except referrals.DuplicateReferral as error:
            duplicate = error
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The referral was sent to %(organisation)s.")
                             % {"organisation": service.organisation.name})
            return redirect("stays:referral_detail", referral.pk)
    existing = duplicate.existing if duplicate else referrals.open_referral_to(stay.person,
                                                                                service)
    return render(request, "stays/referral_form.html", {
        "form": form, "stay": stay, "service": service, "refused": duplicate is not None,
        "existing": existing,
        # The link only for whoever may open it (a referral another hospital sent).
        "existing_visible": existing is not None and policy.visible(
            request.user, Referral.objects.filter(pk=existing.pk)).exists()})


@login_required
def referral_detail(request, pk):
    referral = stay_rules.referral_for(request.user, pk)
    answering = stay_rules.may_answer_referral(request.user, referral)
    context = {
        "referral": referral,
        "events": referral.events.select_related("by"),
        "may_answer": answering,
        "may_cancel": stay_rules.may_cancel_referral(request.user, referral),
        "next": referrals.allowed_next(referral),
        "decline_form": DeclineForm(initial={"version": referral.version}),
    }
    return render(request, "stays/referral_detail.html", context)


@login_required
@require_POST
def referral_move(request, pk, to):
    referral = stay_rules.referral_for(request.user, pk)
    allowed = (stay_rules.may_cancel_referral(request.user, referral)
               if to == ReferralStatus.CANCELLED
               else stay_rules.may_answer_referral(request.user, referral))
    if not allowed or to not in ReferralStatus.values:
        raise Http404
    reason = note = ""
    if to == ReferralStatus.DECLINED:
        form = DeclineForm(request.POST)
        if not form.is_valid():
            messages.error(request, _decline_problem(form))
            return redirect("stays:referral_detail", pk)
        reason, note = form.cleaned_data["reason"], form.cleaned_data["note"]
    try:
        referrals.transition(referral, to, actor=request.user, reason=reason, note=note,
                             expected_version=int(request.POST.get("version") or 0))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except VersionConflict:
        return render(request, "conflict.html",
                      {"back": reverse("stays:referral_detail", args=[pk])}, status=409)
    return redirect("stays:referral_detail", pk)


def _decline_problem(form) -> str:
    if "reason" in form.errors:
        return _("Say why you decline: it helps the sender find another service.")
    return " ".join(message for errors in form.errors.values() for message in errors)


@login_required
def referral_inbox(request):
    """The receiving organisation's inbox: to answer (overdue first), then in progress
    (the latest changed first), then what it sent; each list the first `INBOX_SHOWN`, all
    of one with ?all=<its name>."""
    organisations = member_organisation_ids(request.user)
    if not organisations or not request.user.is_professional:
        raise Http404
    whole = request.GET.get("all", "")
    with kept.generic_plans():  # planned at every run otherwise (docs/architecture.md)
        lists = {name: _inbox_list(request.user, name, organisations, whole == name)
                 for name in INBOX_LISTS}
    context = {name: rows[:INBOX_SHOWN] if whole != name else rows
               for name, rows in lists.items()}
    context["more"] = {name: len(rows) > INBOX_SHOWN and whole != name
                       for name, rows in lists.items()}
    policy.record_list_read(request.user, "referral.list", [
        referral.person_id for name in INBOX_LISTS for referral in context[name]])
    return render(request, "stays/referral_inbox.jinja", context, using="jinja2")


# A coordination centre has hundreds of referrals in progress: listed whole, the inbox
# took 44 ms to render 190 rows that nobody reads (bench/person_page_scale.py).
INBOX_SHOWN = 50
INBOX_LISTS = {
    "to_answer": ("organisation_id", [ReferralStatus.SENT], ("respond_by", "pk"),
                  "sender_organisation"),
    "in_progress": ("organisation_id", [ReferralStatus.ACCEPTED, ReferralStatus.STARTED],
                    ("-updated_at", "-pk"), "sender_organisation"),
    "sent": ("sender_organisation_id", None, ("-updated_at", "-pk"), "organisation"),
}
_INBOX_VALUES = ("pk", "person_id", "person__first_name", "person__last_name", "status",
                 "respond_by", "service__name_nl", "service__name_fr", "service__name_en")


@dataclass(frozen=True)
class InboxRow:
    """What a line of the inbox shows of a referral."""

    pk: int
    person_id: int
    person_name: str
    service_name: str
    organisation_name: str  # the other side: who sent it, or to whom it went
    status_label: str
    respond_by: object
    is_overdue: bool
    url: str


def _inbox_list(user, name: str, organisations, whole: bool) -> list[InboxRow]:
    """One of the inbox's lists: its first INBOX_SHOWN + 1 rows (or all), each asked about
    its person (PostgreSQL, given the set of every person the user may read, planned a
    hospital's list to run for 112 s at 300,000 persons: docs/bench.md), its statement
    kept across requests (the organisations are the user's, in their signature). Rows
    come as values: a model instance for each referral, person, service and organisation
    cost more than the statement (bench/person_page_scale.py)."""
    side, statuses, order, other_side = INBOX_LISTS[name]

    def build(s):
        rows = Referral.objects.filter(**{f"{side}__in": organisations}).order_by(*order)
        rows = rows.filter(status__in=statuses) if statuses else rows
        return rows.values(*_INBOX_VALUES, f"{other_side}__name")

    with persons.asking_per_row():
        rows = policy.visible_rows(user, ("stays.inbox", name, whole), build,
                                   limit=None if whole else INBOX_SHOWN + 1)
    now, url, labels = timezone.now(), reversing.writer("stays:referral_detail"), {
        status: ReferralStatus(status).label for status in {row["status"] for row in rows}}
    return [InboxRow(
        row["pk"], row["person_id"],
        f"{row['person__first_name']} {row['person__last_name']}".strip(),
        localized_value(row, "service__name"), row[f"{other_side}__name"], labels[row["status"]],
        row["respond_by"],
        row["status"] == ReferralStatus.SENT and row["respond_by"] < now,
        url(row["pk"])) for row in rows]


# --- what the person takes home, and what the next carers read ----------------------------


@login_required
def going_home(request, pk):
    """The going-home sheet (R1): plain words, large type, in the person's language.
    Hospital staff write its texts here; excluded members never appear on it."""
    stay = stay_rules.stay_for(request.user, pk)
    staff = stay_rules.works_at_hospital(request.user, stay)
    form = GoingHomeForm(request.POST or None, instance=stay,
                         initial={"version": stay.version}) if staff else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                services.write_going_home(stay, form.cleaned_data, actor=request.user)
            except VersionConflict:
                return render(request, "conflict.html", {"back": request.path}, status=409)
            return redirect("stays:going_home", pk)
    return _going_home_page(request, stay, form)


def _going_home_page(request, stay, form):
    """The reader's page (their language) around the sheet (the person's language)."""
    context = going_home_sheet.sheet_context(stay, _members_for(request.user, stay.person))
    language = going_home_sheet.sheet_language(stay.person)
    return render(request, "stays/going_home.html", {
        "stay": stay, "person": stay.person, "form": form,
        "sheet": going_home_sheet.render_sheet(request, context, language),
        "sheet_note": going_home_sheet.IN_PERSONS_LANGUAGE.get(stay.person.language)})


@login_required
def transfer_note(request, pk):
    stay = stay_rules.stay_for(request.user, pk)
    sections = stay_rules.transfer_note_sections(request.user, stay)
    if not sections:
        raise Http404
    if request.method == "POST":
        if not stay_rules.works_at_hospital(request.user, stay):
            raise Http404
        note = transfer.save_version(stay, actor=request.user)
        messages.success(request, _("Version %(number)s of the transfer note is saved.")
                         % {"number": note.number})
        return redirect("stays:transfer_note", pk)
    versions = list(stay.transfer_notes.all())
    number = request.GET.get("version", "")
    shown = next((v for v in versions if str(v.number) == number), None)
    content = shown.sections if shown else transfer.build(stay)
    return render(request, "stays/transfer_note.html", {
        "stay": stay, "sections": [(name, content.get(name)) for name in sections],
        "versions": versions, "shown": shown,
        "staff": stay_rules.works_at_hospital(request.user, stay)})


@login_required
def admission_brief(request, person_pk):
    """"Before admission": what the home network leaves for the hospital (R5, R18)."""
    person = network_rules.person_for(request.user, person_pk)
    if not policy.policy_for(type(person)).allows(request.user, person, Action.CHANGE):
        raise Http404
    brief = AdmissionBrief.objects.filter(person=person).first()
    form = AdmissionBriefForm(request.POST or None, instance=brief)
    if request.method == "POST" and form.is_valid():
        transfer.save_brief(person, form.cleaned_data["text"], actor=request.user)
        messages.success(request, _("Saved: a hospital will see it at the next admission."))
        return redirect("network:person_detail", person.pk)
    return render(request, "stays/admission_brief.html", {"form": form, "person": person})

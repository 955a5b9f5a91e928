"""Persons and their networks. Thin views: load through relais.access, call a service."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from relais.access import policy
from relais.access.models import Consent
from relais.access.policy import Action
from relais.audit import log as audit
from relais.core import kept
from relais.core.models import VersionConflict
from relais.core.text import is_digits
from relais.core.uploads import download_name, open_stored
from relais.network import legal, portal, roleguide, search, services, who_looked
from relais.network import rules as network_rules
from relais.network.ecomap import MapMember, cached_ecomap, text_list
from relais.network.forms import (
    AssessmentForm,
    BreakGlassForm,
    ConsentForm,
    InviteForm,
    MandateForm,
    MemberForm,
    PersonForm,
    PortalSignupForm,
    ProtectionOrderForm,
)
from relais.network.models import (
    COORDINATION_ROLES,
    HEALTH_ROLES,
    LEGAL_ROLES,
    SOCIAL_ROLES,
    CapacityAssessment,
    Mandate,
    MemberKind,
    MemberRole,
    NetworkMember,
    Person,
    ProtectionOrder,
    Relation,
    Role,
)
from relais.network.sections import (
    PERSON_NOTICES,
    PERSON_SECTIONS,
    ask_person_questions,
    built,
    person_has,
)
from relais.network.validators import compact_niss

PAGE_SIZE = 25
LEGAL_MARKS = {Role.TRUSTED_PERSON: "trusted_person", Role.REPRESENTATIVE: "representative",
               Role.LEGAL_REPRESENTATIVE: "legal_representative",
               Role.ADMINISTRATOR: "legal_representative"}


# --- finding persons -------------------------------------------------------------------


@login_required
def person_list(request):
    query = request.GET.get("q", "").strip()
    page = search.search_persons(request.user, query, request.GET.get("page"),
                                 per_page=PAGE_SIZE)
    # A list of persons is a read of their data (DESIGN.md rule 5): the event names those
    # shown, as the other lists' do, and is written with the request's other reads.
    audit.record_read("person.search", actor=request.user,
                      detail={"searched": bool(query), "page": page.number},
                      persons=[person.pk for person in page.object_list])
    context = {"page": page, "query": query, "count_label": _found_label(page),
               "pages_query": urlencode({"q": query}) if query else "",
               "hidden_match": _hidden_niss_match(request, query, page)}
    template = ("network/partials/person_rows.jinja" if request.htmx
                else "network/person_list.jinja")
    return render(request, template, context, using="jinja2")


def _found_label(page) -> str:
    count = page.paginator.count
    if page.more:
        return _("More than %(count)s persons: add to the name, or search by birth date or "
                 "national number.") % {"count": count}
    return ngettext("%(counter)s person", "%(counter)s persons", count) % {"counter": count}


def _hidden_niss_match(request, query, page):
    """An exact NISS that exists but is not shared: offer break-the-glass (rule 4)."""
    digits = compact_niss(query)
    if page.paginator.count or len(digits) != 11 or not is_digits(digits):
        return None
    return network_rules.hidden_person_with_niss(request.user, digits)


@login_required
def person_create(request):
    organisation = getattr(request, "acting_organisation", None)
    if organisation is None or not request.user.is_professional:
        raise Http404
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.similar = list(services.similar_persons(
            request.user, first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            birth_date=form.cleaned_data["birth_date"]))
        if not form.needs_duplicate_confirmation():
            person = services.create_person(_person_data(form), actor=request.user,
                                            organisation=organisation)
            messages.success(request, _("The record was opened. Now add the people around "
                                        "%(name)s.") % {"name": person.first_name})
            return redirect("network:person_detail", pk=person.pk)
    return render(request, "network/person_form.html", {"form": form})


def _person_data(form) -> dict:
    return {k: v for k, v in form.cleaned_data.items() if k not in {"version", "confirm_new"}}


# --- one person ------------------------------------------------------------------------


@login_required
def person_detail(request, pk):
    person = network_rules.person_for(request.user, pk)
    ask_person_questions(request.user, person)
    members = _members_for(request.user, person)
    context = _network_context(request.user, person, members)
    context["extra_sections"] = built(PERSON_SECTIONS, request.user, person)
    context["notices"] = built(PERSON_NOTICES, request.user, person)
    if not request.user.is_professional:
        return render(request, "network/portal.html", _portal_context(request.user, context))
    return render(request, "network/person_detail.jinja", context, using="jinja2")


def _portal_context(user, context) -> dict:
    """What the person or a relative sees: whom to call for what, and their own rights."""
    mine = next((m for m in context["members"] if m.user_id == user.pk), None)
    my_roles = sorted(mine.role_codes()) if mine else []
    context["my_member"] = mine
    context["my_guide"] = [(Role(r).label, *roleguide.explain(r)) for r in my_roles]
    return context


def _members_for(user, person) -> list[NetworkMember]:
    members = policy.visible_rows(
        user, ("network.members",), lambda s: NetworkMember.objects.active().filter(
            person_id=s.person).select_related("user", "organisation").prefetch_related(
            Prefetch("roles", queryset=MemberRole.objects.order_by("role"))),
        person=person.pk)
    for member in members:
        member.person = person  # what person.members would have set
    return members


def _network_context(user, person, members) -> dict:
    shown = [m for m in members if not m.never_inform]
    mandates = _mandates(person)
    orders = _protection_orders(person)
    assessments = _assessments(person)
    for row in (*mandates, *orders, *assessments):
        row.person = person
    is_minor = person.is_minor_on(timezone.localdate())
    basis, representatives = legal.who_represents(shown, mandates, orders, minor=is_minor)
    map_members = _map_members(shown)
    return {
        "mandates": mandates,
        "missing_mandates": legal.missing_mandates(shown, mandates),
        "protection_orders": orders,
        "missing_orders": legal.missing_protection_orders(shown, orders),
        "assessment": legal.current_assessment(assessments),
        "powers_apply": legal.representative_powers_apply(assessments),
        "is_minor": is_minor,
        "person": person,
        "members": shown,
        "excluded": [m for m in members if m.never_inform],
        "conflicts": services.exclusion_conflicts(members),
        "contact_point": next((m for m in shown if m.is_contact_point), None),
        "map_svg": mark_safe(cached_ecomap(person.full_name, map_members)),  # noqa: S308 - escaped by render_ecomap
        "map_text": text_list(map_members),
        "representation": basis, "representatives": representatives,
        "legal_order": legal.legal_order(shown, orders),
        "consents": kept.rows(("network.consents",), lambda s: Consent.objects.in_force()
                              .filter(person_id=s.person), person=person.pk),
        "may_change": policy.policy_for(Person).allows(user, person, Action.CHANGE),
        "sees_safeguarding": network_rules.is_in_safeguarding_circle(user, person),
        "may_see_access_log": network_rules.may_see_access_log(user, person),
        "legal_roles": LEGAL_ROLES,
    }


def _mandates(person) -> list[Mandate]:
    return _naming_rows(person, "network.mandates", Mandate)


def _protection_orders(person) -> list[ProtectionOrder]:
    return _naming_rows(person, "network.protection_orders", ProtectionOrder)


def _naming_rows(person, name: str, model) -> list:
    """The person's mandates or court orders (`name`: their kind in `person_has`), each
    with the member it names; no query when the person has none."""
    if not person_has(person.pk, name):
        return []
    named = model.NAMES
    return kept.rows((name,), lambda s: model.objects.filter(person_id=s.person).select_related(
        f"{named}__user", f"{named}__organisation"), person=person.pk)


def _assessments(person) -> list[CapacityAssessment]:
    if not person_has(person.pk, "network.assessments"):
        return []
    return kept.rows(("network.assessments",), lambda s: CapacityAssessment.objects.filter(
        person_id=s.person), person=person.pk)


def _sector(member: NetworkMember, roles: set) -> str:
    for sector, group in (("coordination", COORDINATION_ROLES), ("health", HEALTH_ROLES),
                          ("social", SOCIAL_ROLES)):
        if roles & group:
            return sector
    return "informal" if member.kind == MemberKind.INFORMAL else "social"


def _map_members(members) -> list[MapMember]:
    result = []
    for member in members:
        if member.relation == Relation.SELF:
            continue  # the person is the centre of the map, not one of its nodes
        roles = member.role_codes()
        # Texts, not lazy translations: joining lazy ones costs a lookup per attribute.
        labels = [str(r.get_role_display()) for r in member.role_rows()]
        if member.relation and member.kind == MemberKind.INFORMAL:
            labels.insert(0, str(member.get_relation_display()))
        result.append(MapMember(
            name=member.display_name, role_labels=tuple(labels), sector=_sector(member, roles),
            is_contact_point=member.is_contact_point, phone=member.phone_to_call,
            legal_marks=tuple(sorted({LEGAL_MARKS[r] for r in roles if r in LEGAL_MARKS}))))
    return result


@login_required
def person_edit(request, pk):
    person = network_rules.person_for(request.user, pk, Action.CHANGE)
    safeguarding = network_rules.is_in_safeguarding_circle(request.user, person)
    form = PersonForm(request.POST or None, instance=person, may_see_safeguarding=safeguarding)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_person(person, _person_data(form), actor=request.user,
                                   expected_version=form.cleaned_data["version"] or 0)
        except VersionConflict:
            retry = reverse("network:person_edit", args=[person.pk])
            return render(request, "conflict.html", {"retry_url": retry}, status=409)
        messages.success(request, _("Saved."))
        return redirect("network:person_detail", pk=person.pk)
    return render(request, "network/person_form.html", {"form": form, "person": person})


@login_required
def network_map(request, pk):
    """The map alone, on its own page: for printing on A4."""
    person = network_rules.person_for(request.user, pk)
    members = _map_members([m for m in _members_for(request.user, person)
                            if not m.never_inform])
    context = {"person": person, "map_svg": mark_safe(  # noqa: S308 - escaped by render_ecomap
        cached_ecomap(person.full_name, members)), "map_text": text_list(members)}
    return render(request, "network/map.html", context)


# --- members ---------------------------------------------------------------------------


@login_required
def member_add(request, pk):
    person = network_rules.person_for(request.user, pk, Action.CHANGE)
    form = MemberForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        services.add_member(person, kind=form.cleaned_data["kind"],
                            roles=form.cleaned_data["roles"], actor=request.user,
                            user=form.cleaned_data.get("user"),
                            organisation=form.cleaned_data.get("organisation")
                            if form.cleaned_data["kind"] == MemberKind.ORGANISATION else None,
                            **form.member_data())
        messages.success(request, _("Added to the network."))
        return redirect("network:person_detail", pk=person.pk)
    return render(request, "network/member_form.html",
                  {"form": form, "person": person, "guide": _guide()})


@login_required
def member_edit(request, pk):
    member = network_rules.member_for(request.user, pk, Action.CHANGE)
    form = MemberForm(request.POST or None, person=member.person, editing=member,
                      initial=MemberForm.initial_for(member))
    if request.method == "POST" and form.is_valid():
        services.update_member(member, roles=form.cleaned_data["roles"], actor=request.user,
                               **form.member_data())
        messages.success(request, _("Saved."))
        return redirect("network:person_detail", pk=member.person_id)
    return render(request, "network/member_form.html",
                  {"form": form, "person": member.person, "member": member,
                   "guide": _guide()})


def _guide():
    return [(Role(role).label, *roleguide.explain(role)) for role in Role.values]


def _member_action(request, pk, service, success_message):
    member = network_rules.member_for(request.user, pk, Action.CHANGE)
    try:
        service(member, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success_message)
    return redirect("network:person_detail", pk=member.person_id)


@login_required
@require_POST
def member_end(request, pk):
    return _member_action(request, pk, services.end_member, _("Removed from the network. "
                                                              "The history is kept."))


@login_required
@require_POST
def member_contact_point(request, pk):
    return _member_action(request, pk, services.set_contact_point,
                          _("The contact point was changed."))


@login_required
@require_POST
def member_exclude(request, pk):
    return _member_action(request, pk, services.exclude_member,
                          _("This member will be told nothing and sees nothing."))


@login_required
@require_POST
def member_include(request, pk):
    return _member_action(request, pk, services.lift_exclusion, _("The exclusion was lifted."))


# --- consent, break the glass, who looked ----------------------------------------------


@login_required
def consent(request, pk):
    person = network_rules.person_for(request.user, pk, Action.CHANGE)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_consent(person, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The consent was recorded."))
            return redirect("network:person_detail", pk=person.pk)
    consents = Consent.objects.filter(person=person).select_related("recorded_by", "revoked_by")
    return render(request, "network/consent.html",
                  {"form": form, "person": person, "consents": consents})


@login_required
@require_POST
def consent_revoke(request, pk, consent_pk):
    person = network_rules.person_for(request.user, pk, Action.CHANGE)
    given = Consent.objects.in_force().filter(person=person, pk=consent_pk).first()
    if given is None:
        raise Http404
    services.revoke_consent(given, actor=request.user)
    messages.success(request, _("The consent was revoked. It takes effect immediately."))
    return redirect("network:consent", pk=person.pk)


@login_required
def break_glass(request, pk):
    person = network_rules.person_for_break_glass(request.user, pk)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.break_glass(person, reason=form.cleaned_data["reason"], actor=request.user,
                             organisation=getattr(request, "acting_organisation", None))
        return redirect("network:person_detail", pk=person.pk)
    return render(request, "network/break_glass.html", {"form": form, "person_pk": pk})


@login_required
def access_log(request, pk):
    """Who looked at this record (patient-rights law: the person may know)."""
    person = network_rules.person_for(request.user, pk)
    if not network_rules.may_see_access_log(request.user, person):
        raise Http404
    period = "recent" if request.GET.get("period") == "recent" else "all"
    grouped = who_looked.grouped_events(person.pk, since=who_looked.since_for(period))
    page = Paginator(grouped, 50).get_page(request.GET.get("page"))
    lines = who_looked.describe(page.object_list, person=person, reader=request.user)
    return render(request, "network/access_log.html", {
        "person": person, "page": page, "lines": lines, "period": period,
        "query": "period=recent" if period == "recent" else "",
        "recent_days": who_looked.RECENT_DAYS})


def role_guide(request):
    return render(request, "network/role_guide.html", {"guide": _guide()})


# --- representation: mandates and capacity ---------------------------------------------


@login_required
def mandate_add(request, pk):
    person = network_rules.person_for(request.user, pk, Action.CHANGE)
    form = MandateForm(request.POST or None, request.FILES or None, person=person)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "document"}
        services.record_mandate(person, document=form.cleaned_data.get("document"),
                                actor=request.user, **data)
        messages.success(request, _("The mandate was recorded."))
        return redirect("network:person_detail", pk=person.pk)
    return render(request, "network/mandate_form.html", {"form": form, "person": person})


@login_required
def mandate_document(request, pk, mandate_pk):
    """The signed mandate, only through the gate: never from a public URL."""
    person = network_rules.person_for(request.user, pk)
    mandate = person.mandates.filter(pk=mandate_pk).exclude(document="").first()
    if mandate is None or not network_rules.may_read_mandate(request.user, mandate):
        raise Http404
    document = open_stored(mandate.document)
    audit.record("mandate.document_read", actor=request.user, target=mandate,
                 person_id=person.pk)
    response = FileResponse(document, content_type=mandate.document_type,
                            as_attachment=True,
                            filename=download_name(f"mandate-{mandate.pk}", mandate.document_type))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def mandate_revoke(request, pk, mandate_pk):
    return _end(request, pk, Mandate, mandate_pk, services.revoke_mandate,
                _("The mandate was revoked."))


def _end(request, pk, model, row_pk, end, done: str):
    """End a mandate or a court order of the person that is not ended yet (`end`, a
    service), for a professional who may change the record; else Http404."""
    person = network_rules.person_for(request.user, pk, Action.CHANGE)
    not_ended = model.objects.filter(person=person, **{f"{model.ENDED}__isnull": True})
    row = not_ended.filter(pk=row_pk).first()
    if row is None:
        raise Http404
    row.person = person  # what person.mandates (or .protection_orders) would have set
    end(row, actor=request.user)
    messages.success(request, done)
    return redirect("network:person_detail", pk=person.pk)


@login_required
def protection_order_add(request, pk):
    person = network_rules.person_for(request.user, pk, Action.CHANGE)
    form = ProtectionOrderForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        services.record_protection_order(person, actor=request.user, **form.cleaned_data)
        messages.success(request, _("The court's order was recorded."))
        return redirect("network:person_detail", pk=person.pk)
    return render(request, "network/protection_order_form.html",
                  {"form": form, "person": person})


@login_required
@require_POST
def protection_order_lift(request, pk, order_pk):
    return _end(request, pk, ProtectionOrder, order_pk, services.lift_protection_order,
                _("The court's order was recorded as ended."))


@login_required
def assessment_add(request, pk):
    person = network_rules.person_for(request.user, pk, Action.CHANGE)
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.record_assessment(person, actor=request.user, **form.cleaned_data)
        messages.success(request, _("The assessment was recorded."))
        return redirect("network:person_detail", pk=person.pk)
    return render(request, "network/assessment_form.html", {"form": form, "person": person})


# --- the portal ------------------------------------------------------------------------


@login_required
def member_invite(request, pk):
    member = network_rules.member_for(request.user, pk, Action.CHANGE)
    form = InviteForm(request.POST or None, initial={"email": member.email})
    if request.method == "POST" and form.is_valid():
        try:
            portal.invite(member, email=form.cleaned_data["email"], actor=request.user,
                          base_url=request.build_absolute_uri("/").rstrip("/"))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The invitation was sent. It works once, for 7 days."))
            return redirect("network:person_detail", pk=member.person_id)
    return render(request, "network/invite_form.html", {"form": form, "member": member})


@never_cache  # the page names the person; whoever opens the link may not be signed in
def portal_join(request, token):
    """Accept an invitation: log in or create a portal account, then see the network."""
    invitation = portal.usable_invitation(token)
    if invitation is None:
        return render(request, "network/portal_invalid.html", status=410)
    if request.user.is_authenticated:
        return _join_signed_in(request, token, invitation)
    form = PortalSignupForm(request.POST or None, initial={"email": invitation.email})
    if request.method == "POST" and form.is_valid():
        user = portal.create_portal_user(
            email=form.cleaned_data["email"], first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"], password=form.cleaned_data["password1"],
            language=request.LANGUAGE_CODE[:2])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return _accept(request, token)
    return render(request, "network/portal_join.html", {"form": form, "invitation": invitation})


def _join_signed_in(request, token, invitation):
    if request.method == "POST":
        return _accept(request, token)
    return render(request, "network/portal_join.html", {"invitation": invitation})


def _accept(request, token):
    try:
        invitation = portal.accept(token, request.user)
    except ValidationError:
        return render(request, "network/portal_invalid.html", status=410)
    return redirect("network:person_detail", pk=invitation.member.person_id)

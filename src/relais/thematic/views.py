"""Pages of the thematic consultations. Sessions and actions are loaded through the gate
(rules.session_for / action_for, ThematicSession.objects.visible_to); every page and
export writes an audit event; the services hold the rules."""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, Q, Sum, When
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relais.access.policy import Action
from relais.accounts.models import Organisation, OrganisationType
from relais.audit import log as audit
from relais.core.models import CareZone, VersionConflict
from relais.core.uploads import download_name, open_stored
from relais.thematic import indicators, report, rules, services
from relais.thematic.forms import (
    ActionForm,
    FindingForm,
    NewSessionForm,
    ParticipationForm,
    PresentationForm,
    ProgressForm,
    SessionForm,
)
from relais.thematic.menu import reads_consultations
from relais.thematic.models import OPEN_STATUSES, ReportLanguage, Section, ThematicSession


def _require_reader(request) -> None:
    """The consultations are for support teams and managers: others get the same 404."""
    if not (request.user.is_superuser or reads_consultations(request)):
        raise Http404


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _conflict(request, back: str):
    return render(request, "conflict.html", {"back": back}, status=409)


# --- sessions ---------------------------------------------------------------------------


@login_required
def session_list(request):
    _require_reader(request)
    team, managed = rules.user_zone_ids(request.user)
    sessions = (ThematicSession.objects.visible_to(request.user).select_related("care_zone")
                .annotate(participants=Sum("sectors__participants"),
                          open_actions=Count("actions", distinct=True,
                                             filter=Q(actions__status__in=OPEN_STATUSES)),
                          elsewhere=Case(When(care_zone__in=team | managed, then=0),
                                         default=1))
                .order_by("elsewhere", "-held_on", "-pk"))  # the reader's own zone first
    sessions = list(sessions[:200])
    audit.record("thematic.session_list_read", actor=request.user,
                 detail={"count": len(sessions)})
    return render(request, "thematic/session_list.html", {
        "sessions": sessions, "may_create": bool(rules.team_zone_ids(request.user))})


@login_required
def session_new(request):
    zones = CareZone.objects.filter(pk__in=rules.team_zone_ids(request.user))
    if not zones:
        raise Http404
    form = NewSessionForm(request.POST or None, zones=zones,
                          initial={"care_zone": zones[0] if len(zones) == 1 else None})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items()
                if k not in ("care_zone", "version", "previous")}
        try:
            session = services.create_session(care_zone=form.cleaned_data["care_zone"],
                                               data=data, actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The session was created."))
            return redirect("thematic:session_detail", session.pk)
    return render(request, "thematic/session_form.html", {"form": form, "session": None})


@login_required
def session_detail(request, pk):
    _require_reader(request)
    session = rules.session_for(request.user, pk)  # audited by the gate
    return render(request, "thematic/session_detail.html", {
        **report.context(session), "may_run": rules.may_run(request.user, session)})


@login_required
def session_edit(request, pk):
    session = rules.session_for(request.user, pk, Action.CHANGE)
    form = SessionForm(request.POST or None, instance=copy.copy(session),
                       initial={"version": session.version})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.update_session(session, data, actor=request.user,
                                    expected_version=form.cleaned_data["version"] or 0)
        except VersionConflict:
            return _conflict(request, request.path)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The session was saved."))
            return redirect("thematic:session_detail", pk)
    return render(request, "thematic/session_form.html", {"form": form, "session": session})


@login_required
def session_participation(request, pk):
    session = rules.session_for(request.user, pk, Action.CHANGE)
    form = ParticipationForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_sector_counts(session, form.counts(), actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Who took part was saved."))
            return redirect("thematic:session_detail", pk)
    return render(request, "thematic/participation_form.html",
                  {"form": form, "session": session})


@login_required
@require_POST
def session_invite(request, pk):
    session = rules.session_for(request.user, pk, Action.CHANGE)
    try:
        told = services.send_invitations(session, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The save-the-date was sent to %(count)d people of the "
                                    "zone's organisations.") % {"count": told})
    return redirect("thematic:session_detail", pk)


# --- findings ---------------------------------------------------------------------------


@login_required
def finding_new(request, pk):
    session = rules.session_for(request.user, pk, Action.CHANGE)
    section = request.GET.get("section")
    form = FindingForm(request.POST or None,
                       initial={"section": section if section in Section.values else None})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_finding(session, form.cleaned_data, actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The finding was added."))
            return redirect("thematic:session_detail", pk)
    return render(request, "thematic/finding_form.html",
                  {"form": form, "session": session, "finding": None})


def _finding(session, finding_pk):
    finding = session.findings.filter(pk=finding_pk).first()
    if finding is None:
        raise Http404
    finding.session = session
    return finding


@login_required
def finding_edit(request, pk, finding_pk):
    session = rules.session_for(request.user, pk, Action.CHANGE)
    finding = _finding(session, finding_pk)
    form = FindingForm.for_finding(finding, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_finding(finding, form.cleaned_data, actor=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The finding was saved."))
            return redirect("thematic:session_detail", pk)
    return render(request, "thematic/finding_form.html",
                  {"form": form, "session": session, "finding": finding})


@login_required
@require_POST
def finding_delete(request, pk, finding_pk):
    session = rules.session_for(request.user, pk, Action.CHANGE)
    services.delete_finding(_finding(session, finding_pk), actor=request.user)
    messages.success(request, _("The finding was removed."))
    return redirect("thematic:session_detail", pk)


# --- joint actions ----------------------------------------------------------------------


def _organisations(session):
    zone = rules.zone_organisations(session.care_zone_id).values("pk")
    return Organisation.objects.filter(
        Q(pk__in=zone) | Q(type=OrganisationType.CARE_ZONE_TEAM, is_active=True)
    ).order_by("name")


def _save_action(request, form, session, action=None):
    data = {k: v for k, v in form.cleaned_data.items() if k not in ("version", "partners")}
    partners = list(form.cleaned_data["partners"])
    try:
        if action is None:
            action = services.add_action(session, data, partners=partners, actor=request.user)
        else:
            services.update_action(action, data, partners=partners, actor=request.user,
                                   expected_version=form.cleaned_data["version"] or 0)
    except ValidationError as error:
        _add_errors(form, error)
        return None
    messages.success(request, _("The joint action was saved."))
    return redirect("thematic:action_detail", action.pk)


@login_required
def action_new(request, pk):
    session = rules.session_for(request.user, pk, Action.CHANGE)
    form = ActionForm(request.POST or None, organisations=_organisations(session))
    if request.method == "POST" and form.is_valid():
        form.instance.session = session
        done = _save_action(request, form, session)
        if done:
            return done
    return render(request, "thematic/action_form.html",
                  {"form": form, "session": session, "action": None})


@login_required
def action_detail(request, pk):
    _require_reader(request)
    action = rules.action_for(request.user, pk)  # audited by the gate
    may_report = rules.may_on_action(request.user, action, Action.CHANGE)
    return render(request, "thematic/action_detail.html", {
        "action": action, "session": action.session, "language": get_language(),
        "text": report.action_text(action),
        "indicator_name": indicators.catalogue().get(action.indicator, action.indicator),
        "partners": action.partners.order_by("name"),
        "notes": action.notes.select_related("author", "organisation"),
        "may_run": rules.may_run(request.user, action.session),
        "progress_form": ProgressForm(action=action) if may_report else None})


@login_required
def action_edit(request, pk):
    action = rules.action_for(request.user, pk)
    if not rules.may_run(request.user, action.session):
        raise Http404
    form = ActionForm(request.POST or None, instance=copy.copy(action),
                      organisations=_organisations(action.session),
                      initial={"version": action.version,
                               "partners": list(action.partners.all())})
    if request.method == "POST" and form.is_valid():
        try:
            done = _save_action(request, form, action.session, action)
        except VersionConflict:
            return _conflict(request, request.path)
        if done:
            return done
    return render(request, "thematic/action_form.html",
                  {"form": form, "session": action.session, "action": action})


@login_required
@require_POST
def action_progress(request, pk):
    action = rules.action_for(request.user, pk, Action.CHANGE)
    form = ProgressForm(request.POST, action=action)
    if form.is_valid():
        try:
            services.write_progress(
                action, text=form.cleaned_data["text"], status=form.cleaned_data["status"],
                actor=request.user, organisation=getattr(request, "acting_organisation", None),
                expected_version=form.cleaned_data["version"])
        except VersionConflict:
            return _conflict(request, reverse("thematic:action_detail", args=[pk]))
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [])) or
                           _("Nothing was saved."))
        else:
            messages.success(request, _("The progress was written."))
            return redirect("thematic:action_detail", pk)
    else:
        messages.error(request, _("Write what was done or what blocks. Nothing was saved."))
    return redirect("thematic:action_detail", pk)


# --- presentations ----------------------------------------------------------------------


@login_required
def presentation_new(request, pk):
    session = rules.session_for(request.user, pk, Action.CHANGE)
    form = PresentationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_presentation(session, title=form.cleaned_data["title"],
                                      upload=form.cleaned_data["document"],
                                      url=form.cleaned_data["url"], actor=request.user)
        except ValidationError as error:
            form.add_error("document" if error.code != "file_or_url" else None,
                           error.messages)
        else:
            messages.success(request, _("The presentation was added."))
            return redirect("thematic:session_detail", pk)
    return render(request, "thematic/presentation_form.html",
                  {"form": form, "session": session})


@login_required
def presentation_file(request, pk, presentation_pk):
    _require_reader(request)
    session = rules.session_for(request.user, pk)
    presentation = session.presentations.exclude(document="").filter(
        pk=presentation_pk).first()
    if presentation is None:
        raise Http404
    document = open_stored(presentation.document)
    audit.record("thematic.presentation_read", actor=request.user, target=session,
                 detail={"presentation": presentation.pk})
    response = FileResponse(
        document, content_type=presentation.document_type,
        as_attachment=True, filename=download_name(
            presentation.document_name or f"presentation-{presentation.pk}",
            presentation.document_type))
    response["Cache-Control"] = "private, no-store"
    return response


# --- preparation pack, report, CSV -------------------------------------------------------


@login_required
def session_pack(request, pk):
    session = rules.session_for(request.user, pk, Action.CHANGE)
    if request.method == "POST":
        services.generate_pack(session, actor=request.user)
        messages.success(request, _("The preparation pack was generated."))
        return redirect("thematic:session_pack", pk)
    pack = session.packs.select_related("generated_by").first()
    audit.record("thematic.pack_read", actor=request.user, target=session,
                 detail={"pack": pack.pk if pack else None})
    return render(request, "thematic/pack.html",
                  {"session": session, "pack": pack, **report.pack_context(pack)})


@login_required
def session_report(request, pk, language):
    _require_reader(request)
    if language not in ReportLanguage.values:
        raise Http404
    session = rules.session_for(request.user, pk)
    audit.record("thematic.report_read", actor=request.user, target=session,
                 detail={"language": language})
    return render(request, "thematic/report_page.html", {
        "session": session, "report": report.render_report(request, session, language),
        "report_language": language})


@login_required
def session_actions_csv(request, pk):
    _require_reader(request)
    session = rules.session_for(request.user, pk)
    fmt = request.GET.get("format", "csv")
    fmt = fmt if fmt in report.CSV_FORMATS else "csv"
    response = report.actions_csv(session, fmt)
    audit.record("thematic.actions_exported", actor=request.user, target=session,
                 detail={"format": fmt})
    return response

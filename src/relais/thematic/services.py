"""The rules of the thematic consultations (R20, R22): each change is one function that
takes the acting user, runs in one transaction, writes its audit event, and refuses bad
input with a translated ValidationError before anything is saved.

The views load sessions and actions through the gate (rules.session_for / action_for)
with the action they intend; the services check it again where a caller other than a
view (the demo, a script) could skip the view.
"""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from relais.accounts.models import Function, Membership, OrganisationType
from relais.audit import log as audit
from relais.core.models import VersionConflict, apply_changes
from relais.core.transactions import service_transaction
from relais.core.uploads import validate_document
from relais.followup.models import CaseReview
from relais.followup.reviews import Theme
from relais.notifications.services import notify
from relais.thematic import indicators, rules
from relais.thematic.models import (
    REQUIREMENTS,
    TRANSITIONS,
    ActionStatus,
    Finding,
    JointAction,
    PreparationPack,
    Presentation,
    ProgressNote,
    ReportLanguage,
    Section,
    SectorCount,
    ThematicSession,
    text_in,
)
from relais.thematic.notices import SAVE_THE_DATE

SESSION_FIELDS = ["language", "theme_nl", "theme_fr", "review_themes", "held_on", "hours",
                  "place", "agenda_nl", "agenda_fr", "expectations_nl", "expectations_fr",
                  "previous", "next_on", "next_hours", "next_place"]
ACTION_FIELDS = ["title_nl", "title_fr", "owner", "due_on", "indicator"]
MAX_COUNT = 5_000  # participants or organisations of one sector at one session


def _require_runner(actor, session_or_zone) -> None:
    zone_id = getattr(session_or_zone, "care_zone_id", None) or getattr(
        session_or_zone, "pk", session_or_zone)
    if zone_id not in rules.team_zone_ids(actor):
        raise PermissionDenied


def _require_original(obj, field: str, language: str) -> None:
    """The report's own language is the original: that text is required."""
    if not (getattr(obj, f"{field}_{language}", "") or "").strip():
        raise ValidationError({f"{field}_{language}": _(
            "Write this text in the report's language; the translation may follow.")},
            code="original_missing")


def _check_review_themes(themes) -> list[str]:
    themes = list(dict.fromkeys(themes or []))
    if any(theme not in Theme.values for theme in themes):
        raise ValidationError({"review_themes": _("Choose themes from the list.")},
                              code="themes")
    return themes


def _check_previous(session) -> None:
    previous = session.previous
    if previous is None:
        return
    if previous.care_zone_id != session.care_zone_id or previous.held_on >= session.held_on:
        raise ValidationError({"previous": _(
            "The previous session is an earlier session of the same care zone.")},
            code="previous")


def _last_before(zone, held_on, exclude=None):
    sessions = ThematicSession.objects.filter(care_zone=zone, held_on__lt=held_on)
    if exclude is not None:
        sessions = sessions.exclude(pk=exclude.pk)
    return sessions.order_by("-held_on", "-pk").first()


@service_transaction
def create_session(*, care_zone, data: dict, actor) -> ThematicSession:
    """A new session of `care_zone`'s consultations; it opens with the actions of the
    zone's previous session (the latest before it, unless `data` names one)."""
    _require_runner(actor, care_zone)
    session = ThematicSession(care_zone=care_zone, created_by=actor)
    for name in SESSION_FIELDS:
        if name in data:
            setattr(session, name, data[name])
    session.review_themes = _check_review_themes(session.review_themes)
    if "previous" not in data and session.held_on:
        session.previous = _last_before(care_zone, session.held_on)
    session.full_clean()
    _require_original(session, "theme", session.language)
    _check_previous(session)
    session.save()
    audit.record("thematic.session_created", actor=actor, target=session,
                 detail={"care_zone": care_zone.code, "held_on": session.held_on.isoformat()})
    return session


@service_transaction
def update_session(session, data: dict, *, actor, expected_version: int) -> ThematicSession:
    _require_runner(actor, session)
    if "review_themes" in data:
        data = {**data, "review_themes": _check_review_themes(data["review_themes"])}
    changed, after = apply_changes(session, [f for f in SESSION_FIELDS if f in data], data)
    session.full_clean()
    _require_original(session, "theme", session.language)
    _check_previous(session)
    if changed:
        session.save_if_version(expected_version, changed)
        audit.record("thematic.session_updated", actor=actor, target=session,
                     detail={"changed": changed})
    return session


@service_transaction
def set_sector_counts(session, counts: dict[str, tuple[int, int]], *, actor) -> None:
    """Replace who took part: sector → (organisations present, participants)."""
    _require_runner(actor, session)
    for sector, numbers in counts.items():
        if sector not in OrganisationType.values:
            raise ValidationError(_("Choose sectors from the list."), code="sector")
        if any(not isinstance(n, int) or not 0 <= n <= MAX_COUNT for n in numbers):
            raise ValidationError(_("Counts are whole numbers from 0 to %(max)d."),
                                  code="count", params={"max": MAX_COUNT})
    session.sectors.all().delete()
    SectorCount.objects.bulk_create(
        SectorCount(session=session, sector=sector, organisations=orgs, participants=people)
        for sector, (orgs, people) in sorted(counts.items()) if orgs or people)
    audit.record("thematic.participation_set", actor=actor, target=session,
                 detail={"participants": sum(p for _, p in counts.values())})


# --- findings ---------------------------------------------------------------------------

REQUIREMENT = re.compile(r"R(\d{1,2})")


def check_requirements(codes) -> list[str]:
    codes = [code.strip().upper() for code in codes or [] if code.strip()]
    unknown = [code for code in codes if code not in REQUIREMENTS]
    if unknown:
        raise ValidationError({"requirements": _(
            "Unknown requirement: %(codes)s. Requirements go from R1 to R22.")
            % {"codes": ", ".join(unknown)}}, code="requirement")
    return sorted(set(codes), key=lambda code: int(code[1:]))


def _fill_finding(finding, data: dict) -> Finding:
    if data.get("section") not in Section.values:
        raise ValidationError({"section": _("Choose one of the report's sections.")},
                              code="section")
    finding.section = data["section"]
    finding.text_nl, finding.text_fr = data.get("text_nl", ""), data.get("text_fr", "")
    finding.indicators = indicators.check_codes(data.get("indicators"), field="indicators")
    finding.requirements = check_requirements(data.get("requirements"))
    finding.full_clean()
    _require_original(finding, "text", finding.session.language)
    return finding


@service_transaction
def add_finding(session, data: dict, *, actor) -> Finding:
    _require_runner(actor, session)
    finding = _fill_finding(Finding(session=session), data)
    finding.position = (session.findings.filter(section=finding.section)
                        .aggregate(last=Max("position"))["last"] or 0) + 1
    finding.save()
    audit.record("thematic.finding_added", actor=actor, target=session,
                 detail={"finding": finding.pk, "section": finding.section})
    return finding


@service_transaction
def update_finding(finding, data: dict, *, actor) -> Finding:
    _require_runner(actor, finding.session)
    _fill_finding(finding, data).save()
    audit.record("thematic.finding_updated", actor=actor, target=finding.session,
                 detail={"finding": finding.pk, "section": finding.section})
    return finding


@service_transaction
def delete_finding(finding, *, actor) -> None:
    _require_runner(actor, finding.session)
    audit.record("thematic.finding_deleted", actor=actor, target=finding.session,
                 detail={"finding": finding.pk, "section": finding.section})
    finding.delete()


# --- joint actions ----------------------------------------------------------------------


def _check_organisations(session, owner, partners) -> None:
    """Owner and partners are organisations of the zone (or a support team)."""
    allowed = rules.zone_organisations(session.care_zone_id).values("pk")
    chosen = {o.pk for o in [owner, *partners] if o is not None}
    teams = {o.pk for o in [owner, *partners]
             if o is not None and o.type == OrganisationType.CARE_ZONE_TEAM}
    found = set(allowed.filter(pk__in=chosen).values_list("pk", flat=True))
    if chosen - found - teams:
        raise ValidationError({"partners": _(
            "Choose the owner and partners among the organisations of the care zone.")},
            code="organisation")


def _fill_action(action, data: dict, partners) -> JointAction:
    for name in ACTION_FIELDS:
        if name in data:
            setattr(action, name, data[name])
    action.indicator = indicators.check_code(action.indicator, field="indicator")
    action.full_clean()
    _require_original(action, "title", action.session.language)
    _check_organisations(action.session, action.owner, partners)
    return action


@service_transaction
def add_action(session, data: dict, *, partners=(), actor) -> JointAction:
    _require_runner(actor, session)
    action = _fill_action(JointAction(session=session), data, partners)
    action.position = (session.actions.aggregate(last=Max("position"))["last"] or 0) + 1
    action.save()
    action.partners.set(partners)
    audit.record("thematic.action_added", actor=actor, target=action,
                 detail={"session": session.pk, "owner": action.owner_id})
    return action


@service_transaction
def update_action(action, data: dict, *, partners, actor, expected_version: int):
    _require_runner(actor, action.session)
    before = {"owner": action.owner_id, "due_on": str(action.due_on)}
    _fill_action(action, data, partners)
    action.save_if_version(expected_version, ACTION_FIELDS)
    action.partners.set(partners)
    audit.record("thematic.action_updated", actor=actor, target=action,
                 detail={"before": before, "owner": action.owner_id,
                         "due_on": str(action.due_on)})
    return action


def allowed_statuses(action) -> list[str]:
    return [s for s in ActionStatus.values if s in TRANSITIONS[ActionStatus(action.status)]]


@service_transaction
def write_progress(action, *, text: str, status: str = "", actor, organisation=None,
                   expected_version: int) -> ProgressNote:
    """A progress note, and the new status if one is given (only an allowed change)."""
    if not rules.may_on_action(actor, action, "change"):
        raise PermissionDenied
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write what was done or what blocks.")},
                              code="required")
    if status and status != action.status:
        if status not in TRANSITIONS[ActionStatus(action.status)]:
            raise ValidationError({"status": _(
                "An action that is “%(now)s” cannot become “%(new)s”.") % {
                "now": ActionStatus(action.status).label,
                "new": ActionStatus(status).label if status in ActionStatus.values
                else status}}, code="transition")
        before = action.status
        action.status = status
        action.save_if_version(expected_version, ["status"])
    else:
        before, status = action.status, ""
        if action.version != expected_version:
            raise VersionConflict
    note = ProgressNote(action=action, author=actor, organisation=organisation, text=text,
                        status=status)
    note.full_clean()
    note.save()
    audit.record("thematic.action_progress", actor=actor, target=action,
                 detail={"before": before, "status": status or before})
    return note


# --- presentations ----------------------------------------------------------------------


@service_transaction
def add_presentation(session, *, title: str, upload=None, url: str = "",
                     actor) -> Presentation:
    """A presentation as a file (checked by its content: PDF, JPEG or PNG) or an address."""
    _require_runner(actor, session)
    if bool(upload) == bool(url):
        raise ValidationError(_("Attach a file or give its public address, not both."),
                              code="file_or_url")
    presentation = Presentation(session=session, title=title, url=url, added_by=actor)
    if upload:
        presentation.document_type = validate_document(upload)
        presentation.document_name = (upload.name or "")[:200]
        presentation.document = upload
    presentation.full_clean()
    presentation.save()
    audit.record("thematic.presentation_added", actor=actor, target=session,
                 detail={"presentation": presentation.pk, "file": bool(upload)})
    return presentation


# --- save the date ----------------------------------------------------------------------


def _when(session, language: str) -> str:
    with translation.override(language):
        day = formats.date_format(session.next_on, "DATE_FORMAT")
    return f"{day}, {session.next_hours}" if session.next_hours else day


def _zone_recipients(session) -> list[tuple]:
    """(user, ids of the zone's organisations they manage or coordinate), one entry per
    person however many of the zone's organisations they work for; in one query."""
    organisations = rules.zone_organisations(session.care_zone_id).exclude(
        type=OrganisationType.CARE_ZONE_TEAM).values("pk")
    memberships = (Membership.objects.active()
                   .filter(Q(is_manager=True) | Q(function=Function.COORDINATOR),
                           organisation__in=organisations, user__is_active=True)
                   .select_related("user").order_by("user_id"))
    by_user: dict[int, tuple] = {}
    for membership in memberships:
        user, ids = by_user.setdefault(membership.user_id, (membership.user, set()))
        ids.add(membership.organisation_id)
    return list(by_user.values())


@service_transaction
def send_invitations(session, *, actor) -> int:
    """Tell the managers and coordinators of every organisation of the zone the next
    session's date and place, once per date; returns how many people were told."""
    _require_runner(actor, session)
    if session.next_on is None or not session.next_place:
        raise ValidationError(_("Give the next session's date and place first."),
                              code="no_date")
    if session.next_on < timezone.localdate():
        raise ValidationError(_("The next session's date has passed."), code="past")
    # Claimed before anyone is told: a second click, even at the same moment, finds the
    # date taken and tells nobody (the row's lock serialises the two updates).
    claimed = (ThematicSession.objects.filter(pk=session.pk)
               .exclude(invited_for=session.next_on).update(invited_for=session.next_on))
    if not claimed:
        raise ValidationError(_("The organisations were already invited for this date."),
                              code="already")
    told, invited = 0, set()
    for user, organisation_ids in _zone_recipients(session):
        language = user.language if user.language in ReportLanguage.values else "fr"
        if notify(user, kind=SAVE_THE_DATE, params={
                "theme": text_in(session, "theme", language, session.language).text,
                "zone": getattr(session.care_zone, f"name_{language}"),
                "date": _when(session, language), "place": session.next_place,
                "session_pk": session.pk}):
            told += 1
            invited |= organisation_ids
    session.invited_for = session.next_on
    session.invited_organisations.add(*invited)
    audit.record("thematic.invitations_sent", actor=actor, target=session,
                 detail={"next_on": session.next_on.isoformat(), "organisations":
                         sorted(invited), "people": told})
    return told


# --- preparation pack -------------------------------------------------------------------

REVIEW_FIELDS = ("situation", "tried", "blocked", "lessons", "proposals")


def _reviews_for(session, actor) -> list[dict]:
    reviews = CaseReview.objects.visible_to(actor).filter(
        care_zone=session.care_zone).select_related("organisation")
    themes = Q()
    for theme in session.review_themes:
        # A JSON list of codes; a text match works on SQLite too (as the review list).
        themes |= Q(themes__icontains=f'"{theme}"')
    if not session.review_themes:
        return []
    return [{"month": review.month.isoformat(), "kind": review.kind,
             "themes": review.themes, "team": review.organisation.name,
             **{name: getattr(review, name) for name in REVIEW_FIELDS}}
            for review in reviews.filter(themes).order_by("-month", "-pk")[:200]]


@service_transaction
def generate_pack(session, *, actor) -> PreparationPack:
    """Freeze the zone's figures for the theme and the case reviews tagged with its
    themes, as they are now: the pack does not change when they do."""
    _require_runner(actor, session)
    figures, computed_at = indicators.snapshot(actor, session)
    pack = PreparationPack.objects.create(
        session=session, generated_by=actor, reviews=_reviews_for(session, actor),
        figures=figures, figures_computed_at=computed_at)
    audit.record("thematic.pack_generated", actor=actor, target=session,
                 detail={"pack": pack.pk, "reviews": len(pack.reviews),
                         "figures": len(pack.figures)})
    return pack

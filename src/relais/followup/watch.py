"""Refusals and the watch (R2, R11): help offered and refused is recorded, and by default a
watch keeps the situation in view; signals (an admission, a booklet alert, a new refusal,
a missed follow-up contact) wake it before its date, and one click restarts support.

Every change is one transaction with its audit record; bad input is a translated
ValidationError and nothing is saved.
"""

from datetime import date, timedelta
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.access import persons, policy
from relais.access.policy import member_organisation_ids
from relais.accounts.models import Organisation
from relais.audit import log as audit
from relais.core.fields import check_text_limits
from relais.core.transactions import service_transaction
from relais.followup import rules
from relais.followup.contacts import owner_candidates as contact_owner_candidates
from relais.followup.models import (
    RHYTHM_DAYS,
    Capacity,
    CheckIn,
    CheckInStatus,
    Refusal,
    RefusalReason,
    Rhythm,
    SignalKind,
    Watch,
    WatchSignal,
)
from relais.network.models import NetworkMember
from relais.network.services import users_behind
from relais.notifications.services import notify
from relais.stays import referrals
from relais.stays.models import Referral, Stay
from relais.stays.referrals import NEEDS_FIELDS


def next_check(rhythm: str, after: date) -> date:
    return after + timedelta(days=RHYTHM_DAYS[rhythm])


def open_watches(person):
    return Watch.objects.filter(person=person, ended_at__isnull=True)


def _organisation_of(user):
    ids = member_organisation_ids(user)
    return Organisation.objects.filter(pk__in=ids).order_by("name").first() if ids else None


def _check_owner(owner, person) -> None:
    if owner is None:
        raise ValidationError({"owner": _("A watch needs an owner.")})
    if not rules.may_own(owner, person):
        raise ValidationError({"owner": _(
            "The owner must be a professional who sees this person's record (never an "
            "excluded party).")})


def _check_rhythm(rhythm: str) -> None:
    if rhythm not in Rhythm.values:
        raise ValidationError({"rhythm": _("Choose how often to check in.")})


# --- refusals ---------------------------------------------------------------------------


def _check_refusal(refusal: Refusal, *, start_watch: bool) -> None:
    errors = {}
    if not refusal.offered.strip():
        errors["offered"] = _("Say what was offered.")
    if not refusal.reasons and not refusal.reason_text.strip():
        errors["reasons"] = _("Give at least one reason, or the reasons in words.")
    if set(refusal.reasons) - set(RefusalReason.values):
        errors["reasons"] = _("Choose reasons from the list.")
    if refusal.capacity not in Capacity.values:
        errors["capacity"] = _("Say whether the person is able to decide.")
    if not start_watch and not refusal.no_watch_reason.strip():
        errors["no_watch_reason"] = _("Say why nobody keeps an eye on the situation.")
    if errors:
        raise ValidationError(errors)
    check_text_limits(refusal)


@service_transaction
def record_refusal(person, *, offered: str, reasons, capacity: str, actor, organisation=None,
                   reason_text: str = "", own_words: str = "", service=None, referral=None,
                   start_watch: bool = True, no_watch_reason: str = "", owner=None,
                   rhythm: str = Rhythm.FORTNIGHTLY) -> Refusal:
    """Record help refused; by default a watch starts (owner: the actor unless named).
    Opting out of the watch needs a reason. Watches already open are woken."""
    refusal = Refusal(
        person=person, offered=offered.strip()[:300], service=service, referral=referral,
        offered_by=actor, organisation=organisation, reasons=list(reasons),
        reason_text=reason_text.strip(), own_words=own_words.strip(), capacity=capacity,
        no_watch_reason="" if start_watch else no_watch_reason.strip(),
        refused_on=timezone.localdate())
    _check_refusal(refusal, start_watch=start_watch)
    if start_watch:
        _check_owner(owner or actor, person)
        _check_rhythm(rhythm)
    refusal.save()
    audit.record("followup.refusal", actor=actor, target=refusal, person_id=person.pk,
                 organisation=organisation,
                 detail={"reasons": refusal.reasons, "watch": start_watch})
    wake(person, SignalKind.NEW_REFUSAL, {"refusal": refusal.pk})
    if start_watch:
        begin_watch(person, owner=owner or actor, actor=actor, rhythm=rhythm, refusal=refusal,
                    organisation=organisation if (owner or actor) == actor else None)
    return refusal


# --- the watch --------------------------------------------------------------------------


@service_transaction
def begin_watch(person, *, owner, actor, rhythm: str = Rhythm.FORTNIGHTLY, refusal=None,
                organisation=None) -> Watch:
    """Keep an eye on `person`: `owner` (who must see the person, never an excluded
    party) checks in at `rhythm`."""
    _check_owner(owner, person)
    _check_rhythm(rhythm)
    today = timezone.localdate()
    watch = Watch.objects.create(
        person=person, refusal=refusal, owner=owner,
        owner_organisation=organisation or _organisation_of(owner), rhythm=rhythm,
        started_on=today, next_check_on=next_check(rhythm, today))
    audit.record("followup.watch.start", actor=actor, target=watch, person_id=person.pk,
                 detail={"owner": owner.pk, "rhythm": rhythm})
    return watch


@service_transaction
def check_in(watch, *, status: str, actor, note: str = "", at=None) -> CheckIn:
    """How it goes; the next check-in moves by the rhythm from this one."""
    at = at or timezone.now()
    errors = {}
    if status not in CheckInStatus.values:
        errors["status"] = _("Say how it goes.")
    if at > timezone.now():
        errors["at"] = _("A check-in cannot be in the future.")
    elif timezone.localdate(at) < watch.started_on:
        errors["at"] = _("A check-in cannot be before the watch started.")
    if watch.ended_at:
        errors["status"] = _("This watch has ended.")
    if errors:
        raise ValidationError(errors)
    entry = CheckIn(watch=watch, status=status, note=note.strip(), at=at, by=actor)
    check_text_limits(entry)
    entry.save()
    watch.next_check_on = next_check(watch.rhythm, timezone.localdate(at))
    watch.woken_at = None
    watch.save(update_fields=["next_check_on", "woken_at", "updated_at"])
    audit.record("followup.watch.check_in", actor=actor, target=watch,
                 person_id=watch.person_id, detail={"status": status})
    return entry


@service_transaction
def end_watch(watch, *, reason: str, actor) -> Watch:
    if watch.ended_at:
        raise ValidationError(_("This watch has ended."))
    if not reason.strip():
        raise ValidationError({"end_reason": _("Say why the watch ends.")})
    watch.ended_at = timezone.now()
    watch.end_reason = reason.strip()
    check_text_limits(watch)
    watch.save(update_fields=["ended_at", "end_reason", "updated_at"])
    audit.record("followup.watch.end", actor=actor, target=watch, person_id=watch.person_id)
    return watch


@service_transaction
def wake(person, kind: str, detail: dict | None = None) -> list[Watch]:
    """Something happened: each open watch on `person` is due today, keeps the signal,
    and its owner is told (once per signal). Called by the listeners below and by the
    follow-up contacts (a missed contact)."""
    now = timezone.now()
    woken = list(open_watches(person).select_for_update().select_related("owner", "person"))
    for watch in woken:
        watch.next_check_on = min(watch.next_check_on, timezone.localdate(now))
        watch.woken_at = now
        watch.save(update_fields=["next_check_on", "woken_at", "updated_at"])
        WatchSignal.objects.create(watch=watch, kind=kind, at=now, detail=detail or {})
        audit.record("followup.watch.wake", actor=None, target=watch, person_id=person.pk,
                     detail={"kind": kind})
        notify(watch.owner, kind="watch.woken", person=watch.person, target=watch)
    return woken


# --- listeners (connected in apps.ready) --------------------------------------------------


def on_stay_admitted(sender, *, stay, **kwargs) -> None:
    readmission = stay.readmission_after
    wake(stay.person, SignalKind.READMISSION,
         {"stay": stay.pk, "readmission": readmission is not None,
          "days_after_discharge": stay.days_after_discharge})


def on_entry_written(sender, *, entry, **kwargs) -> None:
    if entry.needs_acknowledgement:  # an alert
        wake(entry.person, SignalKind.BOOKLET_ALERT, {"entry": entry.pk})


# --- one click restarts support ---------------------------------------------------------


def last_referral(user, person):
    with persons.asking_per_row():  # one person's referrals: not every person's set
        return policy.visible(user, Referral.objects.filter(person=person)).select_related(
            "stay", "service").order_by("-created_at").first()


def in_network(user, person) -> bool:
    """`user` is behind one of the person's active, not excluded network members (in
    person, or through their organisation)."""
    members = NetworkMember.objects.active().filter(person=person, never_inform=False)
    return users_behind(members).filter(pk=user.pk).exists()


def may_restart(user, watch) -> bool:
    """Who may send a new referral from a watch, without a hospital stay: its owner or a
    professional of the person's network, who may own it (sees the person, never an
    excluded party) and acts for an organisation (a referral is sent from one)."""
    if watch.ended_at is not None or not rules.may_own(user, watch.person):
        return False
    if not member_organisation_ids(user):
        return False
    return user.pk == watch.owner_id or in_network(user, watch.person)


def offered_service_id(user, watch, referral=None) -> int | None:
    """The service that was refused (the watch's refusal), else the last referral's."""
    refusal = watch.refusal
    if refusal is not None and refusal.service_id:
        return refusal.service_id
    referral = referral or last_referral(user, watch.person)
    return referral.service_id if referral else None


def restart_needs(user, watch) -> dict:
    """The last needs analysis the user may see, to pre-fill the new referral (the date
    is a new one)."""
    referral = last_referral(user, watch.person)
    if referral is None:
        return {}
    return {name: getattr(referral, name) for name in NEEDS_FIELDS if name != "start_on"}


def restart_url(user, watch) -> str | None:
    """Where "Restart support" leads `user`: the watch's own referral page for its owner
    and the person's network; for hospital staff outside the network, the referral form
    of the person's last stay they work on. None when neither applies."""
    if may_restart(user, watch):
        return reverse("followup:watch_restart", args=[watch.pk])
    referral = last_referral(user, watch.person)
    stay = referral.stay if referral and referral.stay_id else policy.visible(
        user, Stay.objects.filter(person=watch.person)).filter(
        Q(cancelled_at__isnull=True)).order_by("-admitted_at").first()
    if stay is None or stay.hospital_id not in member_organisation_ids(user):
        return None
    service_id = offered_service_id(user, watch, referral)
    query = {"service": service_id} if service_id else {}
    if referral is not None:
        query.update({name: getattr(referral, name) for name in NEEDS_FIELDS
                      if name != "start_on"})
    url = reverse("stays:referral_new", args=[stay.pk])
    return f"{url}?{urlencode(query)}" if query else url


@service_transaction
def restart_support(watch, *, actor, service, needs: dict, urgency: str,
                    person_agrees: bool, organisation) -> Referral:
    """One click restarts support (R2, R11): a new referral to `service`, sent by the
    watch's owner or a network professional for `organisation` once the person agrees,
    with the needs analysis they checked. The referrals' rules apply (complete needs,
    one open referral per service); the watch keeps running until someone ends it."""
    if not may_restart(actor, watch):
        raise ValidationError(_("You may not restart support for this person."))
    if organisation is None or organisation.pk not in member_organisation_ids(actor):
        raise ValidationError(_("Choose an organisation you work for to send the referral."))
    # Sent from a hospital where the person stays now, it belongs to that stay.
    stay = Stay.objects.open().filter(person=watch.person, hospital=organisation).first()
    referral = referrals.send(person=watch.person, service=service, needs=needs,
                              urgency=urgency, actor=actor, sender_organisation=organisation,
                              person_agrees=person_agrees, stay=stay)
    audit.record("followup.watch.restart", actor=actor, target=watch,
                 person_id=watch.person_id, organisation=organisation,
                 detail={"referral": referral.pk, "service": service.pk})
    return referral


def owner_candidates(person, actor) -> list:
    """Who may own a watch on `person`: the actor first (if they may), then the
    professionals who may own the person's follow-up contacts."""
    others = [user for user in contact_owner_candidates(person) if user.pk != actor.pk]
    return [actor, *others] if rules.may_own(actor, person) else others

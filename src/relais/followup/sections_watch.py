"""The refusals-and-watch section of the person page (registered when the app is ready)."""

from relais.access import persons, policy
from relais.followup.models import Refusal, RefusalReason, Watch
from relais.network.sections import person_has, register_person_rows, register_person_section
from relais.stays.models import DeclineReason, Referral, ReferralStatus

REASON_LABELS = dict(RefusalReason.choices)


def person_watch_section(user, person) -> dict | None:
    if not user.is_professional:
        return None
    watches = _watches(user, person)
    refusals = _refusals(user, person)
    # The page loaded the person through the gate for this user: a professional who
    # sees them may work on them (rules.may_work_on), without asking again.
    may_work = True
    return {"template": "followup/partials/person_watch.jinja", "person": person,
            "watches": watches, "refusals": refusals, "may_work": may_work,
            "declined": declined_by_person(user, person) if may_work else []}


def _watches(user, person) -> list[Watch]:
    if not person_has(person.pk, "followup.watches"):
        return []
    return policy.visible_rows(user, ("followup.section_watches",), lambda s: _open_watches(
        s.person).select_related("owner"), person=person.pk)


def _refusals(user, person) -> list[Refusal]:
    if not person_has(person.pk, "followup.refusals"):
        return []
    refusals = policy.visible_rows(user, ("followup.section_refusals",),
                                   lambda s: Refusal.objects.filter(person_id=s.person),
                                   limit=5, person=person.pk)
    for refusal in refusals:
        refusal.reasons_display = [REASON_LABELS.get(r, r) for r in refusal.reasons]
    return refusals


def _open_watches(person_ref):
    return Watch.objects.filter(person_id=person_ref, ended_at__isnull=True)


def _refused_referrals(person_ref):
    return Referral.objects.filter(person_id=person_ref, status=ReferralStatus.DECLINED,
                                   decline_reason=DeclineReason.PERSON_REFUSED)


def declined_by_person(user, person) -> list:
    """Referrals the person refused whose refusal is not recorded yet: the section
    offers the refusal form, filled in from the referral."""
    def declined(s):
        recorded = Refusal.objects.filter(person_id=s.person, referral__isnull=False).values(
            "referral_id")
        return _refused_referrals(s.person).exclude(pk__in=recorded).select_related("service")

    if not person_has(person.pk, "followup.refused_referrals"):
        return []
    with persons.asking_per_row():  # one person's referrals: not every person's set
        return policy.visible_rows(user, ("followup.section_declined",), declined, limit=5,
                                   person=person.pk)


def register() -> None:
    register_person_section(person_watch_section)
    register_person_rows("followup.watches", _open_watches)
    register_person_rows("followup.refusals", lambda person: Refusal.objects.filter(
        person_id=person))
    register_person_rows("followup.refused_referrals", _refused_referrals)

"""The follow-up section of the person page (registered when the app is ready)."""

from django.db.models import Prefetch
from django.utils import timezone

from relais.access import policy
from relais.followup import rules
from relais.followup.models import Contact, FollowUp
from relais.network.sections import person_has, register_person_rows, register_person_section


def person_followup_section(user, person) -> dict | None:
    """The follow-up's contacts; the family sees when and how it went, not the
    professionals' notes."""
    if not person_has(person.pk, "followup.followups"):
        return None
    followups = policy.visible_rows(
        user, ("followup.section",), lambda s: FollowUp.objects.filter(person_id=s.person)
        .select_related("stay__hospital", "protocol")
        # The contacts with their owners in one statement kept across requests (as
        # "contacts__owner", Django built three queries at each page).
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.select_related(
            "owner", "owner_organisation"))),
        limit=3, person=person.pk)
    if not followups:
        return None
    return {"template": "followup/partials/person_followup.jinja", "person": person,
            "followups": followups, "may_record": rules.may_work_on(user, person),
            "professional": user.is_professional,
            "today": timezone.localdate()}


def register() -> None:
    register_person_section(person_followup_section)
    register_person_rows("followup.followups", lambda person: FollowUp.objects.filter(
        person_id=person))

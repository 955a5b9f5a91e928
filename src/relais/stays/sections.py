"""The stays section of the person page (registered when the app is ready)."""

from relais.access import persons, policy
from relais.access.policy import Action
from relais.core import kept
from relais.network.sections import register_person_section
from relais.stays.models import AdmissionBrief, Stay
from relais.stays.rules import hospital_ids


def person_stays_section(user, person) -> dict:
    with persons.asking_per_row():  # one person's stays: not every person's set
        stays = policy.visible_rows(user, ("stays.section",), lambda s: Stay.objects.filter(
            person_id=s.person).select_related("hospital", "previous_stay__hospital"),
            limit=10, person=person.pk)
    professional = user.is_professional
    return {
        "template": "stays/partials/person_stays.html", "person": person, "stays": stays,
        "may_admit": professional and bool(hospital_ids(user)),
        "may_brief": professional and policy.policy_for(type(person)).allows(
            user, person, Action.CHANGE),
        "has_brief": kept.exists(("stays.has_brief",), lambda s: AdmissionBrief.objects
                                 .filter(person_id=s.person), person=person.pk),
    }


def register() -> None:
    register_person_section(person_stays_section)

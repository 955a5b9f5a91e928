"""The stays section of the person page (registered when the app is ready)."""

from relais.access import policy
from relais.access.policy import Action
from relais.network.sections import register_person_section
from relais.stays.models import AdmissionBrief
from relais.stays.rules import hospital_ids


def person_stays_section(user, person) -> dict:
    stays = list(policy.visible(user, person.stays.select_related(
        "hospital", "previous_stay__hospital"))[:10])
    professional = user.is_professional
    return {
        "template": "stays/partials/person_stays.html", "person": person, "stays": stays,
        "may_admit": professional and bool(hospital_ids(user)),
        "may_brief": professional and policy.policy_for(type(person)).allows(
            user, person, Action.CHANGE),
        "has_brief": AdmissionBrief.objects.filter(person=person).exists(),
    }


def register() -> None:
    register_person_section(person_stays_section)

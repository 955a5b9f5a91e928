"""The stays section of the person page (registered when the app is ready)."""

from relais.access import persons, policy
from relais.access.policy import Action
from relais.network.sections import person_has, register_person_rows, register_person_section
from relais.stays import readmissions
from relais.stays.models import AdmissionBrief, Stay
from relais.stays.rules import hospital_ids


def person_stays_section(user, person) -> dict:
    professional = user.is_professional
    stays = _stays(user, person)
    return {
        "template": "stays/partials/person_stays.jinja", "person": person,
        "stays": stays, "home": readmissions.home_records(user, stays),
        "may_admit": professional and bool(hospital_ids(user)),
        "may_brief": professional and policy.policy_for(type(person)).allows(
            user, person, Action.CHANGE),
        "has_brief": person_has(person.pk, "stays.briefs"),
    }


def _stays(user, person) -> list[Stay]:
    if not person_has(person.pk, "stays.stays"):
        return []
    with persons.asking_per_row():  # one person's stays: not every person's set
        return policy.visible_rows(user, ("stays.section",), lambda s: Stay.objects.filter(
            person_id=s.person).select_related("hospital", "previous_stay__hospital"),
            limit=10, person=person.pk)


def register() -> None:
    register_person_section(person_stays_section)
    register_person_rows("stays.stays", lambda person: Stay.objects.filter(person_id=person))
    register_person_rows("stays.briefs", lambda person: AdmissionBrief.objects.filter(
        person_id=person))

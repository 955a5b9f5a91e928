"""The stays section of the person page (registered in apps.py)."""

from relais.access import policy
from relais.access.policy import Action, member_organisation_ids


def person_stays_section(user, person) -> dict:
    from relais.accounts.models import OrganisationType
    from relais.stays.models import AdmissionBrief

    stays = list(policy.visible(user, person.stays.select_related("hospital"))[:10])
    professional = user.is_professional
    works_at_hospital = professional and bool(_hospital_ids(user, OrganisationType.HOSPITAL))
    return {
        "template": "stays/partials/person_stays.html", "person": person, "stays": stays,
        "may_admit": works_at_hospital,
        "may_brief": professional and policy.policy_for(type(person)).allows(
            user, person, Action.CHANGE),
        "has_brief": AdmissionBrief.objects.filter(person=person).exists(),
    }


def _hospital_ids(user, hospital_type) -> list[int]:
    from relais.accounts.models import Organisation

    return list(Organisation.objects.filter(pk__in=member_organisation_ids(user),
                                            type=hospital_type).values_list("pk", flat=True))

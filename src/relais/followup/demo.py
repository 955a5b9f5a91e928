"""Demo case review (idempotent): the coordination centre's reflection on a refusal of
home help, written as the demo coordinator. Not wired into `relais demo` here: the demo
command calls `load_demo_reviews()` after the follow-up demo (Roger Delvaux's refusal),
whose person only gives the care zone and the names the text must not hold."""

from django.db import transaction

from relais.accounts import demo as zone
from relais.accounts.models import Membership, User
from relais.followup import reviews
from relais.followup.models import CaseReview, ReviewKind
from relais.network.models import Person

SITUATION = ("A man in his seventies, living alone since his wife died, went home after a "
             "fall. He refused home help and meals on wheels: strangers at home, and the "
             "cost. He has no children nearby and did not want the neighbours told.")
TEXTS = {
    "situation": SITUATION,
    "tried": "The case manager offered a trial week free of charge; the GP explained why "
             "help at home lowers the risk of another fall. He still refused.",
    "blocked": "Nobody in his network he trusted enough to be the contact point; the "
               "hospital's discharge letter reached the GP only a week later.",
    "lessons": "Ask early whom he trusts; agree with him on a light watch rather than "
               "all or nothing.",
    "proposals": "A volunteer visiting service in the zone for people who refuse "
                 "professional help; discharge letters sent on the day of discharge.",
}


@transaction.atomic
def load_demo_reviews() -> int:
    """1 if the review was written now, 0 if it was already there."""
    coordinator = User.objects.get(email=f"coordinator@{zone.DEMO_DOMAIN}")
    team = Membership.objects.active().filter(user=coordinator).select_related(
        "organisation").order_by("organisation__name").first().organisation
    if CaseReview.objects.filter(organisation=team, situation=SITUATION).exists():
        return 0
    person = Person.objects.filter(first_name="Roger", last_name="Delvaux").first()
    reviews.write_review(person=person, kind=ReviewKind.REFUSAL,
                         themes=["refusal_of_help", "isolation", "information_not_passed"],
                         actor=coordinator, organisation=team, **TEXTS)
    return 1

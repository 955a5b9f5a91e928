"""Demo hospital stays at the Val-Fleuri hospital (idempotent, like the other demo loaders).

Three of the demo persons are in hospital: Fernand Dewit (lives alone, isolated; a
home-help referral waits for an answer past its deadline), Yvonne Renard (home nursing
accepted; leaves tomorrow) and Annemie Claessens (just admitted, nothing arranged yet).
The hospital's ADT feed is known as sending facility VALFLEURI, wards by their codes.
"""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from relais.access.models import Consent, ConsentScope
from relais.accounts import demo as zone
from relais.accounts.models import Organisation, User
from relais.directory.models import Category, Service
from relais.network import services as network_services
from relais.network.models import Person
from relais.stays import referrals, services
from relais.stays.models import AdtSource, Referral, Stay

FACILITY = "VALFLEURI"
STAYS = [
    # first name, last name, days in hospital, leaves in days, referral (category, status)
    ("Fernand", "Dewit", 6, 1, (Category.HOME_HELP, "sent_overdue")),
    ("Yvonne", "Renard", 9, 1, (Category.HOME_NURSING, "accepted")),
    ("Annemie", "Claessens", 1, 5, None),
]
NEEDS = {
    Category.HOME_HELP: {
        "help_needed": "Help with shopping, cleaning and meals; he cannot carry loads for "
                       "six weeks.", "frequency": "three half-days a week",
        "reason": "Hip fracture; lives alone on the second floor without a lift.",
        "person_wishes": "Wants to go home, not to a nursing home; prefers mornings."},
    Category.HOME_NURSING: {
        "help_needed": "Wound care and help with washing.", "frequency": "every morning",
        "reason": "Leg ulcer after surgery; her grandson works during the day.",
        "person_wishes": "A French-speaking nurse; visits before 10:00."},
}


@transaction.atomic
def load_demo_stays() -> int:
    hospital = Organisation.objects.get(kbo_number=zone.kbo(_base("valfleuri")))
    AdtSource.objects.get_or_create(sending_facility=FACILITY, defaults={"hospital": hospital})
    _code_wards(hospital)
    liaison = User.objects.get(email=f"liaison@{zone.DEMO_DOMAIN}")
    coordinator = User.objects.get(email=f"coordinator@{zone.DEMO_DOMAIN}")
    created = 0
    for first, last, days_in, leaves_in, referral in STAYS:
        person = Person.objects.filter(first_name=first, last_name=last).first()
        if person is None or Stay.objects.filter(person=person).exists():
            continue
        _hospital_consent(person, coordinator)
        stay = services.open_stay(
            person, hospital=hospital, ward=hospital.wards.filter(has_liaison=True).first(),
            actor=liaison, admitted_at=timezone.now() - timedelta(days=days_in),
            expected_discharge_on=timezone.localdate() + timedelta(days=leaves_in))
        if referral:
            _refer(stay, *referral, liaison)
        created += 1
    return created


def _base(key: str) -> int:
    return next(o.kbo_base for o in zone.ORGANISATIONS if o.key == key)


def _code_wards(hospital) -> None:
    for ward in hospital.wards.filter(code=""):
        ward.code = "".join(ch for ch in ward.name.upper() if ch.isalnum())[:8]
        ward.save(update_fields=["code"])


def _hospital_consent(person, actor) -> None:
    if not Consent.objects.in_force().filter(person=person,
                                             scope=ConsentScope.HOSPITALS).exists():
        network_services.record_consent(person, scope=ConsentScope.HOSPITALS,
                                        given_by=person.full_name,
                                        given_on=timezone.localdate(), actor=actor)


def _refer(stay, category, status, liaison) -> None:
    service = Service.objects.filter(category=category, status="active").exclude(
        capacity="full").order_by("pk").first()
    if service is None:
        return
    referral = referrals.send(
        person=stay.person, service=service, stay=stay, actor=liaison,
        sender_organisation=stay.hospital, urgency="72h", person_agrees=True,
        needs={**NEEDS[category], "start_on": stay.expected_discharge_on or date.today()})
    if status == "sent_overdue":
        Referral.objects.filter(pk=referral.pk).update(
            respond_by=timezone.now() - timedelta(hours=5))
    elif status == "accepted":
        answerer = User.objects.filter(memberships__organisation=service.organisation,
                                       is_active=True).first() or liaison
        referrals.transition(referral, "accepted", actor=answerer,
                             expected_version=referral.version)

"""Demo after discharge (idempotent): what a coordinator, a GP and a daughter see the week
after a discharge.

* Simone Lemaire went home six days ago from Val-Fleuri: the day-2 phone call is done
  (her daughter Catherine, the demo caregiver login, sees it), the day-7 visit comes next.
* Roger Delvaux, isolated, refused home help: the case manager keeps a watch.
* Jean-Pierre Kabongo was readmitted as an emergency twelve days after going home; the
  follow-up had found him breathless at the day-2 call and better at the day-7 visit.

Loaded after the stays demo (`relais demo` calls it last); dates are relative to today.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from relais.access.models import Consent, ConsentScope
from relais.accounts import demo as zone
from relais.accounts.models import Organisation, User
from relais.directory.models import Category, Service
from relais.followup import contacts, watch
from relais.followup.models import Capacity, ContactStatus, FollowUp, Refusal, Rhythm
from relais.network import services as network_services
from relais.network.models import Person
from relais.stays import services as stays
from relais.stays.models import AdmissionType, Destination, Stay


@transaction.atomic
def load_demo_followup() -> int:
    """How many of the three situations were created now."""
    users = {key: User.objects.get(email=f"{key}@{zone.DEMO_DOMAIN}")
             for key in ("liaison", "case-manager", "coordinator", "gp")}
    hospital = Organisation.objects.get(kbo_number=zone.kbo(_base("valfleuri")))
    done = 0
    done += _discharged_last_week(hospital, users)
    done += _refusal_under_watch(users)
    done += _readmitted(hospital, users)
    return done


def _base(key: str) -> int:
    return next(o.kbo_base for o in zone.ORGANISATIONS if o.key == key)


def _person(first: str, last: str) -> Person | None:
    return Person.objects.filter(first_name=first, last_name=last).first()


def _hospital_consent(person, actor) -> None:
    if not Consent.objects.in_force().filter(person=person,
                                             scope=ConsentScope.HOSPITALS).exists():
        network_services.record_consent(person, scope=ConsentScope.HOSPITALS,
                                        given_by=person.full_name,
                                        given_on=timezone.localdate(), actor=actor)


def _stay(person, hospital, users, *, admitted_days_ago: int, discharged_days_ago=None,
          admission_type: str = "") -> Stay:
    now = timezone.now()
    _hospital_consent(person, users["coordinator"])
    stay = stays.open_stay(
        person, hospital=hospital, ward=hospital.wards.filter(has_liaison=True).first(),
        actor=users["liaison"], admitted_at=now - timedelta(days=admitted_days_ago),
        admission_type=admission_type)
    if discharged_days_ago is not None:
        stays.discharge(stay, actor=users["liaison"], destination=Destination.HOME,
                        discharged_at=now - timedelta(days=discharged_days_ago),
                        reason="Rentre à sa demande; le médecin et sa fille sont prévenus.")
    return stay


def _discharged_last_week(hospital, users) -> int:
    simone = _person("Simone", "Lemaire")
    if simone is None or FollowUp.objects.filter(person=simone).exists():
        return 0
    stay = _stay(simone, hospital, users, admitted_days_ago=12, discharged_days_ago=6)
    first = stay.followup.contacts.order_by("due_on").first() if hasattr(
        stay, "followup") else None
    if first is not None:
        contacts.record_contact(
            first, actor=first.owner or users["gp"], outcome=ContactStatus.REACHED,
            note="Rentrée sans souci. Sa fille passe trois fois par semaine; pansement à "
                 "surveiller.", happened_at=timezone.now() - timedelta(days=4),
            expected_version=first.version)
    return 1


def _refusal_under_watch(users) -> int:
    roger = _person("Roger", "Delvaux")
    if roger is None or Refusal.objects.filter(person=roger).exists():
        return 0
    case_manager = users["case-manager"]
    service = Service.objects.filter(category=Category.HOME_HELP).first()
    watch.record_refusal(
        roger, offered="Aide familiale trois demi-journées par semaine",
        reasons=["privacy", "manages"], capacity=Capacity.YES, actor=case_manager,
        organisation=_organisation_of(case_manager), service=service,
        own_words="Je me débrouille très bien, je ne veux pas d'étrangers chez moi.",
        owner=case_manager, rhythm=Rhythm.FORTNIGHTLY)
    return 1


def _readmitted(hospital, users) -> int:
    jean_pierre = _person("Jean-Pierre", "Kabongo")
    if jean_pierre is None or Stay.objects.filter(person=jean_pierre).exists():
        return 0
    first = _stay(jean_pierre, hospital, users, admitted_days_ago=27, discharged_days_ago=20)
    _home_before_readmission(first, users)
    _stay(jean_pierre, hospital, users, admitted_days_ago=8,
          admission_type=AdmissionType.EMERGENCY)
    return 1


def _home_before_readmission(stay, users) -> None:
    """What the follow-up found at home before he came back: what the hospital reads
    beside the readmission."""
    followup = getattr(stay, "followup", None)
    if followup is None:
        return
    found = (
        (ContactStatus.PROBLEM, 18, "Souffle court en montant l'escalier; prend ses "
         "diurétiques un jour sur deux. Rappel du schéma fait avec son épouse."),
        (ContactStatus.REACHED, 13, "Mieux. Pèse chaque matin, le carnet est tenu. "
         "Rendez-vous chez le cardiologue dans trois semaines."),
    )
    planned = followup.contacts.filter(status=ContactStatus.PLANNED).order_by("due_on")
    for contact, (outcome, days_ago, note) in zip(planned, found, strict=False):
        contacts.record_contact(
            contact, actor=contact.owner or users["gp"], outcome=outcome, note=note,
            happened_at=timezone.now() - timedelta(days=days_ago),
            expected_version=contact.version)


def _organisation_of(user):
    membership = user.memberships.select_related("organisation").first()
    return membership.organisation if membership else None

"""The demo's portal logins: the person's side can be tried (issue 12). Loading the demo
persons takes seconds, so each test checks several things about one load."""

import pytest
from django.urls import reverse

from relais.access.policy import visible
from relais.accounts import demo
from relais.accounts.models import User, UserKind
from relais.audit.models import AuditEvent
from relais.network.demo import load_demo_persons, load_demo_portal, portal_logins
from relais.network.models import NetworkMember, Person, Relation

pytestmark = pytest.mark.django_db

PERSON, CAREGIVER = "person@demo.relais.example", "caregiver@demo.relais.example"


@pytest.fixture
def loaded():
    demo.load_demo()
    load_demo_persons()
    return load_demo_portal()


def test_the_person_himself_and_the_daughter_of_the_woman_living_alone(loaded):
    assert (loaded, load_demo_portal()) == (2, 0)
    assert [email for email, _ in portal_logins()] == [PERSON, CAREGIVER]

    himself = NetworkMember.objects.get(user__email=PERSON)
    assert (himself.person.first_name, himself.person.last_name) == ("Fernand", "Dewit")
    assert himself.relation == Relation.SELF and himself.is_contact_point
    daughter = NetworkMember.objects.get(user__email=CAREGIVER)
    assert (daughter.person.first_name, daughter.person.last_name) == ("Simone", "Lemaire")
    assert (daughter.name, daughter.relation) == ("Catherine Lemaire", Relation.CHILD)
    assert daughter.is_contact_point

    for email, last_name in ((PERSON, "Dewit"), (CAREGIVER, "Lemaire")):
        user = User.objects.get(email=email)
        assert user.kind == UserKind.PORTAL and user.check_password(demo.DEMO_PASSWORD)
        assert [p.last_name for p in visible(user, Person.objects.all())] == [last_name]

    # They joined as on the screens, and the audit log tells it.
    coordinator = User.objects.get(email="coordinator@demo.relais.example")
    invited = AuditEvent.objects.filter(action="portal.invite")
    assert [event.actor for event in invited] == [coordinator, coordinator]
    accepted = AuditEvent.objects.filter(action="portal.accept").order_by("pk")
    assert [event.actor.email for event in accepted] == [PERSON, CAREGIVER]


def test_the_portal_logins_work_in_every_language(client, loaded, settings):
    for language in ("nl", "fr", "en"):
        for email, name in ((PERSON, "Fernand Dewit"), (CAREGIVER, "Simone Lemaire")):
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            response = client.post(reverse("accounts:login"),
                                   {"username": email, "password": demo.DEMO_PASSWORD})
            assert response.status_code == 302, email
            home = client.get(reverse("accounts:home")).content.decode()
            assert name in home and f'lang="{language}"' in home, (email, language)
            client.post(reverse("accounts:logout"))

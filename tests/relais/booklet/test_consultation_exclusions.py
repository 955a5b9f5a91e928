"""An exclusion closes the consultation links sent before it: the member's open links
expire at once (audited), and a link answered by someone excluded now refuses, with the
page an expired link shows (nobody is told of an exclusion)."""

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from relais.audit.models import AuditEvent
from relais.booklet import consultations
from relais.booklet.models import Invitation
from relais.network import services as network_services
from relais.network.models import MemberKind, Role
from tests.helpers import without_tokens
from tests.relais.network import conftest as network_fixtures

pytestmark = pytest.mark.django_db

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro
member_of = network_fixtures.member_of

QUESTION = "Can someone visit on the day of discharge?"
CHOICES = ["Yes, in the morning", "Yes, in the afternoon", "No"]
EXPIRED = "The deadline to answer has passed"


def member_by_email(person, coordinator, name, email):
    """A professional without a Relais account: reached by email only."""
    return network_services.add_member(
        person, kind=MemberKind.INFORMAL, name=name, email=email, language="en",
        roles=[Role.PHYSIOTHERAPIST], actor=coordinator)


@pytest.fixture
def physio(madeleine, coordinator):
    return member_by_email(madeleine, coordinator, "Anne Dubois", "anne@physio.example")


@pytest.fixture
def dietitian(madeleine, coordinator):
    return member_by_email(madeleine, coordinator, "Bea Maes", "bea@diet.example")


@pytest.fixture
def asked(madeleine, coordinator, world, member_of, physio, dietitian, gp,
          django_capture_on_commit_callbacks):
    members = [member_of(user=gp), member_of(organisation=world.home_nursing), physio,
               dietitian]
    with django_capture_on_commit_callbacks(execute=True):
        return consultations.ask(
            madeleine, question=QUESTION, choices=CHOICES, members=members,
            deadline=timezone.now() + timedelta(hours=48), actor=coordinator,
            organisation=world.coordination_centre)


def emailed_link(address) -> str:
    (message,) = [message for message in mail.outbox if message.to == [address]]
    return urlparse(next(word for word in message.body.split() if "/c/" in word)).path


def link_of(invitation) -> str:
    """Members with an account reach the question from its page; the test gives their
    invitation a token it knows, to follow the single-use link."""
    token = secrets.token_urlsafe(32)
    Invitation.objects.filter(pk=invitation.pk).update(
        token_hash=hashlib.sha256(token.encode()).hexdigest())
    return reverse("booklet:consultation_reply", args=[token])


def exclude(client, coordinator, member):
    client.force_login(coordinator)
    response = client.post(reverse("network:member_exclude", args=[member.pk]))
    assert response.status_code == 302
    client.logout()


def answer(client, link):
    return client.post(link, {"choice": CHOICES[0], "answered_as": "Anne Dubois"})


def answered() -> int:
    return Invitation.objects.filter(answered_at__isnull=False).count()


def test_excluding_a_member_revokes_their_open_link(client, asked, physio, coordinator,
                                                    madeleine):
    link = emailed_link(physio.email)
    assert QUESTION in client.get(link).content.decode()  # the door was open

    exclude(client, coordinator, physio)

    page = client.get(link)
    assert page.status_code == 410 and EXPIRED in page.content.decode()
    assert QUESTION not in page.content.decode() and "Madeleine" not in page.content.decode()
    assert answer(client, link).status_code == 410 and answered() == 0
    revoked = asked.invitations.get(member=physio)
    assert revoked.expires_at <= timezone.now() and revoked.used_at is None
    event = AuditEvent.objects.get(action="consultation.revoke")
    assert (event.actor, event.person_id, event.target_id, event.detail) == (
        coordinator, madeleine.pk, str(asked.pk), {"invitation": revoked.pk,
                                                   "reason": "excluded"})
    others = asked.invitations.exclude(member=physio)
    assert {invitation.expires_at for invitation in others} == {asked.deadline}


def test_a_revoked_link_shows_the_page_of_an_expired_one(client, asked, physio, dietitian,
                                                         coordinator):
    revoked, expired = emailed_link(physio.email), emailed_link(dietitian.email)
    exclude(client, coordinator, physio)
    asked.invitations.filter(member=dietitian).update(
        expires_at=timezone.now() - timedelta(minutes=1))

    revoked_page, expired_page = client.get(revoked), client.get(expired)
    assert revoked_page.status_code == expired_page.status_code == 410
    assert (without_tokens(revoked_page).replace(revoked, "<link>")
            == without_tokens(expired_page).replace(expired, "<link>"))


def test_a_link_refuses_a_member_excluded_without_revocation(client, asked, physio):
    link = emailed_link(physio.email)
    # Excluded by a data fix or an import, not by the service: no revocation ran.
    type(physio).objects.filter(pk=physio.pk).update(never_inform=True)

    page = answer(client, link)
    assert page.status_code == 410 and EXPIRED in page.content.decode()
    assert answered() == 0


def test_a_user_excluded_now_cannot_answer_for_their_organisation(
        client, asked, world, home_nurse, madeleine, coordinator):
    """The home-nursing service was asked; then one of its nurses is excluded in person.
    The service's link stays open for its other staff, not for her."""
    invitation = asked.invitations.get(member__organisation=world.home_nursing)
    link = link_of(invitation)
    client.force_login(home_nurse)
    assert client.get(link).status_code == 200
    herself = network_services.add_member(madeleine, kind=MemberKind.PROFESSIONAL,
                                          user=home_nurse, roles=[Role.HOME_NURSE],
                                          actor=coordinator)
    network_services.exclude_member(herself, actor=coordinator)

    page = client.get(link)
    assert page.status_code == 410 and EXPIRED in page.content.decode()
    assert client.post(link, {"choice": CHOICES[0]}).status_code == 410
    assert answered() == 0
    invitation.refresh_from_db()
    assert invitation.expires_at == asked.deadline  # the service itself was not excluded

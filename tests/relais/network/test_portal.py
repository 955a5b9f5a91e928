"""The portal: a single-use, expiring invitation; the person's circle sees whom to call."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from relais.access.models import Consent
from relais.accounts.models import User, UserKind
from relais.network import services
from relais.network.models import MemberKind, PortalInvitation, Relation, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def son(madeleine, coordinator):
    return services.add_member(madeleine, kind=MemberKind.INFORMAL, name="Luc Lambert",
                               relation=Relation.CHILD, email="luc@example.org",
                               roles=[Role.FAMILY], actor=coordinator)


def invite(client, coordinator, member, captured):
    client.force_login(coordinator)
    with captured(execute=True):
        response = client.post(reverse("network:member_invite", args=[member.pk]),
                               {"email": "Luc@Example.org"})
    assert response.status_code == 302
    client.logout()
    return re.search(r"https?://[^/]+(/portal/join/\S+/)", mail.outbox[-1].body)[1]


def sign_up(client, link):
    return client.post(link, {"first_name": "Luc", "last_name": "Lambert",
                              "email": "luc@example.org", "password1": "a long passphrase 1",
                              "password2": "a long passphrase 1"})


def test_the_invitation_email_holds_no_health_detail(client, coordinator, son,
                                                     django_capture_on_commit_callbacks):
    invite(client, coordinator, son, django_capture_on_commit_callbacks)
    # The link's random token may spell anything, so look only at the words around it.
    body = re.sub(r"https?://\S+", "", mail.outbox[0].body + mail.outbox[0].subject)
    assert mail.outbox[0].to == ["luc@example.org"]
    for secret in ("Madeleine", "Lambert", "nurse", "GP"):
        assert secret not in body


def test_accepting_creates_a_portal_account_and_shows_whom_to_call(
    client, coordinator, son, madeleine, django_capture_on_commit_callbacks
):
    link = invite(client, coordinator, son, django_capture_on_commit_callbacks)
    response = sign_up(client, link)
    assert response.url == reverse("network:person_detail", args=[madeleine.pk])
    luc = User.objects.get(email="luc@example.org")
    assert luc.kind == UserKind.PORTAL
    son.refresh_from_db()
    assert son.user == luc
    page = client.get(response.url)
    assert page.templates[0].name == "network/portal.html"
    body = page.content.decode()
    assert "Whom to call for what" in body and "Sophie Lambert" in body
    assert "excluded@test" not in body and "Never inform" not in body


def test_the_link_works_only_once(client, coordinator, son, django_capture_on_commit_callbacks):
    link = invite(client, coordinator, son, django_capture_on_commit_callbacks)
    sign_up(client, link)
    client.logout()
    again = client.get(link)
    assert again.status_code == 410 and "no longer works" in again.content.decode()


def test_an_expired_invitation_does_not_work(client, coordinator, son,
                                             django_capture_on_commit_callbacks):
    link = invite(client, coordinator, son, django_capture_on_commit_callbacks)
    PortalInvitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert sign_up(client, link).status_code == 410
    son.refresh_from_db()
    assert son.user is None and not User.objects.filter(email="luc@example.org").exists()


def test_an_excluded_member_cannot_be_invited(client, coordinator, son):
    services.exclude_member(son, actor=coordinator)
    client.force_login(coordinator)
    response = client.post(reverse("network:member_invite", args=[son.pk]),
                           {"email": "luc@example.org"})
    assert response.status_code == 200 and not PortalInvitation.objects.exists()
    assert len(mail.outbox) == 0


def test_a_signed_in_user_links_the_invitation_to_their_account(
    client, coordinator, son, caregiver, django_capture_on_commit_callbacks
):
    link = invite(client, coordinator, son, django_capture_on_commit_callbacks)
    client.force_login(caregiver)
    assert "Accept the invitation" in client.get(link).content.decode()
    client.post(link)
    son.refresh_from_db()
    assert son.user == caregiver


def test_the_portal_follows_consent(client, coordinator, caregiver, madeleine):
    client.force_login(caregiver)
    url = reverse("network:person_detail", args=[madeleine.pk])
    assert client.get(url).status_code == 200
    services.revoke_consent(Consent.objects.in_force().get(person=madeleine), actor=coordinator)
    assert client.get(url).status_code == 404


def test_the_contact_point_sees_who_looked_from_the_portal(client, coordinator, caregiver,
                                                          madeleine, member_of):
    url = reverse("network:access_log", args=[madeleine.pk])
    client.force_login(caregiver)
    assert client.get(url).status_code == 404
    services.set_contact_point(member_of(name="Sophie Lambert"), actor=coordinator)
    page = client.get(url)
    assert page.status_code == 200
    created = f"{coordinator.get_full_name()} (Coordinator, Coordination Test) created the record"
    assert created in [line.sentence for line in page.context["lines"]]

"""The thematic notices lead somewhere: the save-the-date links the session's page, the
overdue reminder the action's, in the inbox and in the email (news about nobody: the
email says the sentence and the link); the page asks the gate again."""

from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from relais.network.models import Person
from relais.notifications import emails
from relais.notifications.models import EmailDelivery, Notification
from relais.thematic import reminders, services
from relais.thematic.notices import ACTION_OVERDUE, SAVE_THE_DATE

BASE_URL = "https://relais.example.be"


def client_of(user, language="en") -> Client:
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.RELAIS_BASE_URL = BASE_URL


def test_the_invitation_links_the_session_in_the_inbox_and_the_email(
        analyst, coordinator, session):
    coordinator.language = "fr"
    coordinator.save(update_fields=["language"])
    services.send_invitations(session, actor=analyst)

    notice = Notification.objects.get(kind=SAVE_THE_DATE, recipient=coordinator)
    page = reverse("thematic:session_detail", args=[session.pk])
    assert notice.link == page
    inbox = client_of(coordinator, "fr").get(reverse("notifications:inbox")).content.decode()
    assert f'href="{page}"' in inbox
    assert client_of(coordinator, "fr").get(page).status_code == 200

    message = emails.compose(EmailDelivery.objects.get(notification=notice))
    assert message.to == [coordinator.email]
    assert "Sortie et aidants" in message.body and "2 mars 2027" in message.body
    assert f"{BASE_URL}{page}" in message.body
    assert "une personne que vous suivez" not in message.body


def test_the_overdue_reminder_links_the_action_in_the_inbox_and_the_email(
        action, coordinator):
    moment = timezone.make_aware(datetime(2026, 9, 2, 9))
    assert reminders.remind_overdue_actions(moment) == 1

    notice = Notification.objects.get(kind=ACTION_OVERDUE)
    page = reverse("thematic:action_detail", args=[action.pk])
    assert notice.link == page
    client = client_of(coordinator)
    assert f'href="{page}"' in client.get(reverse("notifications:inbox")).content.decode()
    assert client.get(page).status_code == 200

    body = emails.compose(EmailDelivery.objects.get(notification=notice)).body
    assert "Infofiche voor mantelzorgers" in body and "Coordination Test" in body
    assert f"Open it in Relais: {BASE_URL}{page}" in body
    assert "about a person you follow" not in body


def test_the_link_asks_the_gate_again(analyst, coordinator, session, outsider):
    """A notice forwarded or read by someone who may not see the session: the page is
    the same 404 as for nothing."""
    services.send_invitations(session, actor=analyst)
    link = Notification.objects.get(kind=SAVE_THE_DATE, recipient=coordinator).link
    assert client_of(outsider).get(link).status_code == 404


def test_news_about_a_person_still_emails_only_log_in(world, home_nurse):
    """Other kinds keep their email free of the sentence and the person's page."""
    person = Person.objects.create(first_name="Odile", last_name="Verbeeck",
                                   owner_organisation=world.hospital, created_by=home_nurse)
    notice = Notification(recipient=home_nurse, kind="network.added", person=person)
    notice.save()
    delivery = EmailDelivery.objects.create(recipient=home_nurse, kind="network.added",
                                            notification=notice)
    body = emails.compose(delivery).body
    assert "There is something new in Relais about a person you follow." in body
    assert person.last_name not in body and "/persons/" not in body

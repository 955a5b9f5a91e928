"""A notification reaches, and stays in front of, only someone who may still see its person
and its target (issue 11): checked through the gate when it is written, when the inbox,
the unread count and the digest are read, and by the worker before it sends the email.

Madeleine Lambert's network (tests/relais/network/conftest.py): her GP (who works for the
GP practice), the home-nursing service, her daughter, the coordination centre that keeps
her record. She consented to share with her network.
"""

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from relais.access.models import Consent, ConsentScope
from relais.booklet.models import Audience, Entry, EntryKind
from relais.interop import adt
from relais.network import services as network_services
from relais.network.models import MemberKind, Role
from relais.notifications import emails, services
from relais.notifications.kinds import EmailMode
from relais.notifications.models import DeliveryStatus, EmailDelivery, Notification
from relais.stays import services as stays_services
from tests.relais.interop.test_adt import adt_message, connect_hospital
from tests.relais.network import conftest as network_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

pytestmark = pytest.mark.django_db


def exclude_organisation(person, organisation, *, actor):
    """The person asks that this organisation is never informed, as a member row of its
    own (with a role that would otherwise be alerted)."""
    member = network_services.add_member(person, kind=MemberKind.ORGANISATION,
                                         organisation=organisation, roles=[Role.GP],
                                         actor=actor)
    network_services.exclude_member(member, actor=actor)


def inbox(client, user):
    client.force_login(user)
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 200
    return response


def forget_earlier_news():
    EmailDelivery.objects.all().delete()
    Notification.objects.all().delete()


def admitted_by_hand(madeleine, world, liaison_nurse):
    return stays_services.open_stay(madeleine, hospital=world.hospital, actor=liaison_nurse)


# --- when it is written ----------------------------------------------------------------


def test_the_staff_of_an_excluded_organisation_get_no_admission_alert(
        madeleine, world, coordinator, gp, liaison_nurse):
    """The GP is in the network in person (with the GP role) but works for the GP
    practice, which Madeleine excluded: an exclusion of an organisation holds for
    whoever acts for it."""
    exclude_organisation(madeleine, world.gp_practice, actor=coordinator)
    forget_earlier_news()

    stay = admitted_by_hand(madeleine, world, liaison_nurse)

    told = Notification.objects.filter(kind="stay.admitted", target_id=stay.pk)
    assert set(told.values_list("recipient", flat=True)) == {coordinator.pk}
    assert not Notification.objects.filter(recipient=gp).exists()
    assert not EmailDelivery.objects.filter(recipient=gp).exists()
    assert EmailDelivery.objects.filter(recipient=coordinator, kind="stay.admitted").exists()


def test_nor_when_the_hospital_feed_admits_the_person(madeleine, world, coordinator, gp):
    exclude_organisation(madeleine, world.gp_practice, actor=coordinator)
    connect_hospital(world)
    forget_earlier_news()

    adt.deliver(adt_message("A01", niss=madeleine.niss))

    assert Notification.objects.filter(kind="stay.admitted", recipient=coordinator).exists()
    assert not Notification.objects.filter(recipient=gp).exists()
    assert not EmailDelivery.objects.filter(recipient=gp).exists()


def test_an_excluded_member_is_not_told_by_any_feature(madeleine, excluded_pro, gp):
    forget_earlier_news()
    assert services.notify(excluded_pro, kind="network.added", person=madeleine) is None
    assert services.notify(gp, kind="network.added", person=madeleine) is not None
    assert list(Notification.objects.values_list("recipient", flat=True)) == [gp.pk]
    assert list(EmailDelivery.objects.values_list("recipient", flat=True)) == [gp.pk]


def test_nobody_is_told_about_a_target_they_may_not_see(madeleine, coordinator, gp, world):
    """The GP sees Madeleine but not an entry for the safeguarding circle."""
    forget_earlier_news()
    entry = Entry.objects.create(person=madeleine, kind=EntryKind.NOTE,
                                 audience=Audience.SAFEGUARDING, body="Concern",
                                 author=coordinator,
                                 author_organisation=world.coordination_centre)
    assert services.notify(gp, kind="booklet.entry", person=madeleine, target=entry) is None
    assert not Notification.objects.exists() and not EmailDelivery.objects.exists()


# --- when it is read -------------------------------------------------------------------


@pytest.fixture
def alert_for_gp(madeleine, world, liaison_nurse, gp):
    forget_earlier_news()
    stay = admitted_by_hand(madeleine, world, liaison_nurse)
    return Notification.objects.get(recipient=gp, kind="stay.admitted", target_id=stay.pk)


def test_an_exclusion_after_the_fact_hides_the_earlier_alert(
        client, madeleine, world, coordinator, gp, alert_for_gp):
    before = inbox(client, gp)
    assert list(before.context["page"].object_list) == [alert_for_gp]
    assert before.context["unread_notifications"] == 1
    assert "Madeleine Lambert was admitted to Hôpital Test." in before.content.decode()

    exclude_organisation(madeleine, world.gp_practice, actor=coordinator)

    after = inbox(client, gp)
    assert list(after.context["page"].object_list) == []
    assert after.context["unread_notifications"] == 0
    assert "Madeleine" not in after.content.decode()
    assert Notification.objects.filter(pk=alert_for_gp.pk).exists()  # kept for the audit


def test_a_withdrawn_consent_hides_it(client, madeleine, coordinator, gp, alert_for_gp):
    consent = Consent.objects.in_force().get(person=madeleine, scope=ConsentScope.NETWORK)
    network_services.revoke_consent(consent, actor=coordinator)

    page = inbox(client, gp)
    assert list(page.context["page"].object_list) == []
    assert page.context["unread_notifications"] == 0
    assert list(Notification.objects.visible_to(gp)) == []


def test_marking_all_read_leaves_hidden_rows_as_they_were(client, madeleine, coordinator, gp,
                                                         alert_for_gp):
    consent = Consent.objects.in_force().get(person=madeleine, scope=ConsentScope.NETWORK)
    network_services.revoke_consent(consent, actor=coordinator)
    client.force_login(gp)
    client.post(reverse("notifications:mark_all_read"))
    alert_for_gp.refresh_from_db()
    assert alert_for_gp.read_at is None


def test_the_worker_cancels_an_email_whose_notification_is_now_hidden(
        madeleine, world, coordinator, gp, alert_for_gp):
    delivery = EmailDelivery.objects.get(recipient=gp)
    assert delivery.notification == alert_for_gp
    exclude_organisation(madeleine, world.gp_practice, actor=coordinator)

    assert emails.deliver(delivery.pk).status == DeliveryStatus.CANCELLED

    assert mail.outbox == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == (DeliveryStatus.CANCELLED, None)
    assert delivery.last_error == ("Its notification is no longer shown to the recipient "
                                   "(exclusion or consent).")


def test_the_worker_sends_it_while_it_is_shown(gp, alert_for_gp):
    delivery = EmailDelivery.objects.get(recipient=gp)
    assert emails.deliver(delivery.pk).status == DeliveryStatus.SENT
    assert [message.to for message in mail.outbox] == [[gp.email]]


def test_the_digest_counts_only_what_is_still_shown(madeleine, coordinator, gp, world):
    """Two stays: Madeleine's (hidden once consent is withdrawn) and another person's."""
    services.set_email_modes(gp, {"stays": EmailMode.DIGEST}, actor=gp)
    other = network_services.create_person(
        {"first_name": "Jean", "last_name": "Peeters", "birth_date": date(1939, 1, 5),
         "sex": "M"}, actor=coordinator, organisation=world.coordination_centre)
    network_services.record_consent(other, scope=ConsentScope.NETWORK, given_by="Jean",
                                    given_on=date(2026, 11, 1), actor=coordinator)
    network_services.add_member(other, kind=MemberKind.PROFESSIONAL, user=gp, roles=[Role.GP],
                                actor=coordinator)
    forget_earlier_news()
    for person in (madeleine, other):
        stays_services.open_stay(person, hospital=world.hospital)
    consent = Consent.objects.in_force().get(person=madeleine, scope=ConsentScope.NETWORK)
    network_services.revoke_consent(consent, actor=coordinator)

    assert services.queue_digests() == 1

    digest = EmailDelivery.objects.get(recipient=gp)
    assert (digest.kind, digest.items) == ("digest", 1)


# --- in the reader's language ----------------------------------------------------------


def test_each_reader_reads_the_same_rows_in_their_own_language(
        client, madeleine, world, coordinator, gp, liaison_nurse):
    gp.language = "fr"
    gp.save()
    coordinator.language = "en"
    coordinator.save()
    forget_earlier_news()
    stay = admitted_by_hand(madeleine, world, liaison_nurse)
    network_services.add_member(madeleine, kind=MemberKind.PROFESSIONAL, user=coordinator,
                                roles=[Role.OTHER], actor=gp)

    french = inbox(client, gp).content.decode()
    english = inbox(client, coordinator).content.decode()

    assert "Admission de Madeleine Lambert à Hôpital Test." in french
    assert f'href="/stays/{stay.pk}/"' in french
    assert "was admitted" not in french
    assert "Madeleine Lambert was admitted to Hôpital Test." in english
    assert "You were added to the care network of Madeleine Lambert." in english
    assert "Admission de" not in english

"""notify(): the inbox always, the email as the recipient chose; never the excluded."""

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from relais.notifications import services
from relais.notifications.kinds import EmailMode, group_for
from relais.notifications.models import (
    DIGEST_KIND,
    DeliveryStatus,
    EmailDelivery,
    Notification,
    NotificationPreference,
)
from tests.factories import UserFactory
from tests.relais.network import conftest as network_fixtures
from tests.relais.notifications.conftest import SECRET_MESSAGE

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro


def tell(user, kind="stay.admitted", person=None):
    services.notify(user, kind=kind, message=SECRET_MESSAGE, link="/stays/1/", person=person)


def choose(user, **modes):
    services.set_email_modes(user, modes, actor=user)


@pytest.mark.parametrize(("kind", "group"), [
    ("stay.admitted", "stays"), ("stay.discharged", "stays"),
    ("referral.received", "referrals"), ("referral.accepted", "referrals"),
    ("network.added", "network"), ("network.contact_point", "network"),
    ("network.break_glass", "network"), ("booklet.entry", "booklet"),
    ("booklet.alert", "alerts"), ("emergency.outdated", "booklet"),
    ("consultation.invited", "consultations"), ("consultation.decided", "consultations"),
    ("consultation.reminder", "consultations"),
])
def test_every_kind_belongs_to_a_group(kind, group):
    assert group_for(kind).key == group


def test_an_unknown_kind_is_emailed_immediately(follower):
    choose(follower, **{key: EmailMode.OFF for key in
                        ("booklet", "referrals", "stays", "consultations", "network")})
    tell(follower, kind="something.new")
    assert EmailDelivery.objects.get().kind == "something.new"


def test_by_default_an_email_is_queued_and_handed_to_the_worker_on_commit(
        follower, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tell(follower)
    notification = Notification.objects.get()
    assert (notification.recipient, notification.in_digest) == (follower, False)
    delivery = EmailDelivery.objects.get()
    assert (delivery.recipient, delivery.kind, delivery.status, delivery.attempts) == (
        follower, "stay.admitted", DeliveryStatus.QUEUED, 0)
    assert len(callbacks) == 1
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.task_result.args) == ("relais.notifications.tasks.send_email",
                                                       [delivery.pk])


def test_nothing_reaches_the_worker_if_the_change_is_rolled_back(
        follower, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tell(follower)
    assert len(callbacks) == 1  # runs only on commit
    assert not DBTaskResult.objects.exists()


def test_digest_keeps_the_notification_for_the_daily_email(follower):
    choose(follower, stays=EmailMode.DIGEST)
    tell(follower)
    assert Notification.objects.get().in_digest is True
    assert not EmailDelivery.objects.exists()


def test_off_means_inbox_only(follower):
    choose(follower, stays=EmailMode.OFF)
    tell(follower)
    assert Notification.objects.get().in_digest is False
    assert not EmailDelivery.objects.exists()


def test_a_choice_applies_to_its_group_only(follower):
    choose(follower, stays=EmailMode.OFF)
    tell(follower, kind="referral.received")
    assert EmailDelivery.objects.get().kind == "referral.received"


def test_alerts_are_always_emailed_immediately(follower):
    choose(follower, booklet=EmailMode.OFF, alerts=EmailMode.OFF)
    # Even a row written behind the form's back (the admin) cannot mute alerts.
    NotificationPreference.objects.create(user=follower, group="alerts", mode=EmailMode.OFF)
    tell(follower, kind="booklet.alert")
    tell(follower, kind="booklet.entry")
    assert list(EmailDelivery.objects.values_list("kind", flat=True)) == ["booklet.alert"]
    assert Notification.objects.count() == 2


def test_alerts_cannot_be_switched_off_by_the_service_either(follower):
    assert services.set_email_modes(follower, {"alerts": EmailMode.OFF}, actor=follower) == []
    assert not NotificationPreference.objects.exists()


def test_excluded_members_are_never_told_nor_emailed(madeleine, excluded_pro, gp):
    # (The excluded member was told they were added, before the exclusion.)
    Notification.objects.all().delete()
    EmailDelivery.objects.all().delete()
    tell(excluded_pro, kind="booklet.alert", person=madeleine)
    tell(gp, kind="booklet.alert", person=madeleine)
    assert not Notification.objects.filter(recipient=excluded_pro).exists()
    assert not EmailDelivery.objects.filter(recipient=excluded_pro).exists()
    assert EmailDelivery.objects.filter(recipient=gp, kind="booklet.alert").exists()


def test_inactive_users_and_users_without_email_get_no_email(db):
    inactive = UserFactory(is_active=False)
    without_email = UserFactory(email="")
    tell(inactive)
    tell(without_email)
    assert not EmailDelivery.objects.exists()
    assert list(Notification.objects.values_list("recipient", flat=True)) == [without_email.pk]


def test_choices_are_saved_and_audited(follower):
    from relais.audit.models import AuditEvent

    assert services.set_email_modes(follower, {"stays": EmailMode.DIGEST,
                                                "network": EmailMode.IMMEDIATE},
                                    actor=follower) == ["stays"]
    assert services.chosen_modes(follower) == {"stays": EmailMode.DIGEST}
    event = AuditEvent.objects.get(action="notification.preferences")
    assert (event.actor, event.detail) == (follower, {"stays": "digest"})


# --- the daily digest ------------------------------------------------------------------


def test_one_digest_per_user_counts_what_is_still_unread(follower, gp):
    choose(follower, stays=EmailMode.DIGEST, referrals=EmailMode.DIGEST)
    for kind in ("stay.admitted", "stay.discharged", "referral.received"):
        tell(follower, kind=kind)
    Notification.objects.filter(kind="stay.discharged").update(read_at=timezone.now())
    tell(gp)  # immediate: not part of any digest
    call_command("send_digests")
    digest = EmailDelivery.objects.get(kind=DIGEST_KIND)
    assert (digest.recipient, digest.items, digest.status) == (follower, 2, DeliveryStatus.QUEUED)
    assert not Notification.objects.filter(in_digest=True).exists()


def test_a_second_run_sends_nothing_more(follower):
    choose(follower, stays=EmailMode.DIGEST)
    tell(follower)
    assert services.queue_digests() == 1
    assert services.queue_digests() == 0
    assert EmailDelivery.objects.filter(kind=DIGEST_KIND).count() == 1


def test_no_digest_when_everything_was_read_in_the_app(follower):
    choose(follower, stays=EmailMode.DIGEST)
    tell(follower)
    Notification.objects.update(read_at=timezone.now())
    assert services.queue_digests() == 0
    assert not Notification.objects.filter(in_digest=True).exists()


def test_no_digest_for_a_group_switched_off_since(follower):
    choose(follower, stays=EmailMode.DIGEST)
    tell(follower)
    choose(follower, stays=EmailMode.OFF)
    assert services.queue_digests() == 0


def test_no_digest_for_a_user_deactivated_since(follower):
    choose(follower, stays=EmailMode.DIGEST)
    tell(follower)
    follower.is_active = False
    follower.save()
    assert services.queue_digests() == 0
    assert not EmailDelivery.objects.exists()

"""notify(): the inbox always, the email as the recipient chose; a kind is registered by
the feature that sends it; nothing for whoever may not see the person or the target."""

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from relais.audit.models import AuditEvent
from relais.notifications import kinds, services
from relais.notifications.kinds import EmailMode, group_for
from relais.notifications.models import (
    DIGEST_KIND,
    DeliveryStatus,
    EmailDelivery,
    Notification,
    NotificationPreference,
)
from tests.factories import UserFactory
from tests.relais.notifications.conftest import join


def choose(user, **modes):
    services.set_email_modes(user, modes, actor=user)


KINDS_SENT = [
    ("stay.admitted", "stays"), ("stay.discharged", "stays"),
    ("referral.received", "referrals"), ("referral.accepted", "referrals"),
    ("referral.declined", "referrals"), ("referral.started", "referrals"),
    ("referral.completed", "referrals"), ("referral.cancelled", "referrals"),
    ("network.added", "network"), ("network.contact_point", "network"),
    ("network.break_glass", "network"), ("booklet.entry", "booklet"),
    ("booklet.alert", "alerts"), ("emergency.outdated", "booklet"),
    ("consultation.invited", "consultations"), ("consultation.answered", "consultations"),
    ("consultation.decided", "consultations"), ("consultation.reminder", "consultations"),
    # After discharge (issue 13): their own group.
    ("followup.not_reached", "followup"), ("followup.contact_overdue", "followup"),
    ("followup.contact_escalated", "followup"),
    ("followup.contact_escalated_unnamed", "followup"),
    ("followup.watch_due", "followup"), ("watch.woken", "followup"),
    # Thematic consultations.
    ("thematic.save_the_date", "consultations"), ("thematic.action_overdue", "consultations"),
    ("followup.readmitted", "followup"),
]


@pytest.mark.parametrize(("kind", "group"), KINDS_SENT)
def test_every_kind_sent_is_registered_by_its_feature_in_a_group(kind, group):
    assert group_for(kind).key == group


def test_no_kind_is_registered_that_nobody_sends():
    assert set(kinds.KINDS) == {kind for kind, _ in KINDS_SENT}


def test_an_unregistered_kind_is_refused(follower, zebulon):
    with pytest.raises(LookupError, match="something.new"):
        services.notify(follower, kind="something.new", person=zebulon)
    assert not Notification.objects.exists() and not EmailDelivery.objects.exists()


def test_a_target_the_kind_does_not_declare_is_refused(follower, zebulon, stay, alert):
    with pytest.raises(ValueError, match="booklet.entry"):
        services.notify(follower, kind="stay.admitted", person=zebulon, target=alert)
    with pytest.raises(ValueError, match="stays.stay"):
        services.notify(follower, kind="stay.admitted", person=zebulon)
    assert not Notification.objects.exists()


def test_the_row_holds_the_event_not_the_sentence(follower, zebulon, stay, tell):
    [notification] = tell(follower)
    notification.refresh_from_db()
    assert (notification.kind, notification.person, notification.target_type,
            notification.target_id, notification.params) == (
        "stay.admitted", zebulon, "stays.stay", stay.pk, {"hospital": "Hôpital Test"})
    with translation.override("en"):
        assert notification.sentence == "Zébulon Quatremains was admitted to Hôpital Test."
    with translation.override("nl"):
        assert notification.sentence == "Zébulon Quatremains is opgenomen in Hôpital Test."
    assert notification.link == f"/stays/{stay.pk}/"


def test_a_row_of_a_kind_no_longer_registered_still_reads(follower, zebulon):
    old = Notification.objects.create(recipient=follower, kind="gone.kind", person=zebulon,
                                      params={"hospital": "Hôpital Test"})
    with translation.override("en"):
        assert (old.sentence, old.link) == ("Something new about a person you follow.", "")
    with translation.override("fr"):
        assert old.sentence == "Du nouveau concernant une personne que vous suivez."


def test_by_default_an_email_is_queued_and_handed_to_the_worker_on_commit(
        follower, tell, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tell(follower)
    notification = Notification.objects.get()
    assert (notification.recipient, notification.in_digest) == (follower, False)
    delivery = EmailDelivery.objects.get()
    assert (delivery.recipient, delivery.kind, delivery.status, delivery.attempts,
            delivery.notification) == (follower, "stay.admitted", DeliveryStatus.QUEUED, 0,
                                       notification)
    assert len(callbacks) == 1
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.task_result.args) == ("relais.notifications.tasks.send_email",
                                                       [delivery.pk])


def test_nothing_reaches_the_worker_if_the_change_is_rolled_back(
        follower, tell, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tell(follower)
    assert len(callbacks) == 1  # runs only on commit
    assert not DBTaskResult.objects.exists()


def test_digest_keeps_the_notification_for_the_daily_email(follower, tell):
    choose(follower, stays=EmailMode.DIGEST)
    tell(follower)
    assert Notification.objects.get().in_digest is True
    assert not EmailDelivery.objects.exists()


def test_follow_up_notices_follow_their_own_group_not_the_stays(follower, zebulon):
    choose(follower, followup=EmailMode.DIGEST, stays=EmailMode.OFF)
    services.notify(follower, kind="followup.contact_escalated_unnamed", person=zebulon,
                    params={"owner": "Dr Test", "organisation": "Dr Test"})
    assert Notification.objects.get().in_digest is True
    assert not EmailDelivery.objects.exists()


def test_off_means_inbox_only(follower, tell):
    choose(follower, stays=EmailMode.OFF)
    tell(follower)
    assert Notification.objects.get().in_digest is False
    assert not EmailDelivery.objects.exists()


def test_a_choice_applies_to_its_group_only(follower, tell):
    choose(follower, stays=EmailMode.OFF)
    tell(follower, kind="network.added")
    assert EmailDelivery.objects.get().kind == "network.added"


def test_alerts_are_always_emailed_immediately(follower, tell):
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


def test_inactive_users_and_users_without_email_get_no_email(zebulon, tell):
    inactive = UserFactory(is_active=False)
    without_email = UserFactory(email="")
    for user in (inactive, without_email):
        join(zebulon, user)
        tell(user)
    assert not EmailDelivery.objects.exists()
    assert list(Notification.objects.values_list("recipient", flat=True)) == [without_email.pk]


def test_choices_are_saved_and_audited(follower):
    assert services.set_email_modes(follower, {"stays": EmailMode.DIGEST,
                                                "network": EmailMode.IMMEDIATE},
                                    actor=follower) == ["stays"]
    assert services.chosen_modes(follower) == {"stays": EmailMode.DIGEST}
    event = AuditEvent.objects.get(action="notification.preferences")
    assert (event.actor, event.detail) == (follower, {"stays": "digest"})


# --- the daily digest ------------------------------------------------------------------


def test_one_digest_per_user_counts_what_is_still_unread(follower, gp, zebulon, tell):
    choose(follower, stays=EmailMode.DIGEST, network=EmailMode.DIGEST)
    for kind in ("stay.admitted", "stay.discharged", "network.added"):
        tell(follower, kind=kind)
    Notification.objects.filter(kind="stay.discharged").update(read_at=timezone.now())
    join(zebulon, gp)
    tell(gp)  # immediate: not part of any digest
    call_command("send_digests")
    digest = EmailDelivery.objects.get(kind=DIGEST_KIND)
    assert (digest.recipient, digest.items, digest.status) == (follower, 2, DeliveryStatus.QUEUED)
    assert not Notification.objects.filter(in_digest=True).exists()


def test_a_second_run_sends_nothing_more(follower, tell):
    choose(follower, stays=EmailMode.DIGEST)
    tell(follower)
    assert services.queue_digests() == 1
    assert services.queue_digests() == 0
    assert EmailDelivery.objects.filter(kind=DIGEST_KIND).count() == 1


def test_no_digest_when_everything_was_read_in_the_app(follower, tell):
    choose(follower, stays=EmailMode.DIGEST)
    tell(follower)
    Notification.objects.update(read_at=timezone.now())
    assert services.queue_digests() == 0
    assert not Notification.objects.filter(in_digest=True).exists()


def test_no_digest_for_a_group_switched_off_since(follower, tell):
    choose(follower, stays=EmailMode.DIGEST)
    tell(follower)
    choose(follower, stays=EmailMode.OFF)
    assert services.queue_digests() == 0


def test_no_digest_for_a_user_deactivated_since(follower, tell):
    choose(follower, stays=EmailMode.DIGEST)
    tell(follower)
    follower.is_active = False
    follower.save()
    assert services.queue_digests() == 0
    assert not EmailDelivery.objects.exists()

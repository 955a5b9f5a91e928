"""What an email says: only that there is something new, and a link. Never a name, a
place or a diagnosis, in any template, in any language."""

from pathlib import Path

import pytest
from django.core import mail
from django.test.signals import template_rendered

from relais.notifications import emails, services
from relais.notifications.kinds import EmailMode
from relais.notifications.models import DIGEST_KIND, DeliveryStatus, EmailDelivery
from tests.relais.notifications.conftest import SECRETS

EMAIL_TEMPLATE_DIR = (Path(services.__file__).parent / "templates" / "notifications" / "email")


@pytest.fixture
def rendered_templates():
    names = []

    def remember(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(remember)
    yield names
    template_rendered.disconnect(remember)


def every_email_about_zebulon(follower, tell):
    """An immediate email and a digest, both about notifications naming Zébulon."""
    tell(follower, kind="stay.admitted")
    services.set_email_modes(follower, {"booklet": EmailMode.DIGEST}, actor=follower)
    tell(follower, kind="booklet.entry", n=2)
    services.queue_digests()
    return list(EmailDelivery.objects.order_by("pk"))


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_no_email_template_carries_a_name_or_health_data(follower, tell, language,
                                                          rendered_templates):
    follower.language = language
    follower.save()
    deliveries = every_email_about_zebulon(follower, tell)
    assert [d.kind for d in deliveries] == ["stay.admitted", DIGEST_KIND]
    for delivery in deliveries:
        message = emails.compose(delivery)
        for secret in SECRETS:
            assert secret not in message.subject
            assert secret not in message.body
        assert "/inbox/" in message.body
        assert message.to == [follower.email]
    # Every email template was rendered (a new one must be added to this test's path).
    templates = {f"notifications/email/{path.name}" for path in EMAIL_TEMPLATE_DIR.iterdir()}
    assert set(rendered_templates) == templates == set(emails.TEMPLATES)


def test_the_email_is_in_the_recipient_language(follower, tell):
    follower.language = "fr"
    follower.save()
    tell(follower)
    message = emails.compose(EmailDelivery.objects.get())
    assert message.subject == "Relais : du nouveau pour vous"
    assert message.body.startswith("Il y a du nouveau dans Relais")
    assert "http://127.0.0.1:8000/inbox/" in message.body


def test_the_digest_counts_the_new_items(follower, tell):
    services.set_email_modes(follower, {"stays": EmailMode.DIGEST}, actor=follower)
    tell(follower, n=3)
    services.queue_digests()
    message = emails.compose(EmailDelivery.objects.get())
    assert message.subject == "Relais: 3 new items for you"
    assert message.body.startswith("There are 3 new items in Relais about the persons you "
                                   "follow. Log in to read them: http://127.0.0.1:8000/inbox/")


def test_subject_is_one_line(follower, tell):
    tell(follower)
    assert "\n" not in emails.compose(EmailDelivery.objects.get()).subject


def test_delivering_twice_sends_once(follower, tell):
    tell(follower)
    delivery = EmailDelivery.objects.get()
    assert emails.deliver(delivery.pk).status == DeliveryStatus.SENT
    assert emails.deliver(delivery.pk).status == "nothing to do"
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.SENT, 1, None)


def test_a_user_deactivated_before_the_send_gets_nothing(follower, tell):
    tell(follower)
    follower.is_active = False
    follower.save()
    delivery = EmailDelivery.objects.get()
    assert emails.deliver(delivery.pk).status == DeliveryStatus.CANCELLED
    assert mail.outbox == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.CANCELLED
    assert delivery.last_error == "The recipient is inactive or has no email address."

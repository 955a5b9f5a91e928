from django.core.management.base import BaseCommand
from django.db.models import Max
from django.test.utils import override_settings
from django.utils import translation

from relais.accounts import demo
from relais.booklet.demo import load_demo_booklet
from relais.directory.demo import load_demo_directory
from relais.followup.demo import load_demo_reviews
from relais.followup.demo_followup import load_demo_followup
from relais.network.demo import load_demo_persons, load_demo_portal, portal_logins
from relais.notifications.models import DeliveryStatus, EmailDelivery
from relais.observatory.demo import load_demo_figures
from relais.stays.demo import load_demo_stays
from relais.thematic.demo import load_demo_sessions

# The demo's own events (admissions, booklet entries, invitations) would email fictional
# addresses. Their emails are dropped, not queued: the worker of `make run` would spend
# its first seconds on them, and the outbox would start full of mail nobody asked for.
DROP_EMAILS = {
    "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    "TASKS": {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}},
}


class Command(BaseCommand):
    help = ("Load the fictional demo care zone South-East and its persons (idempotent) and "
            "print its logins.")

    def handle(self, *args, **options):
        last_before = EmailDelivery.objects.aggregate(last=Max("pk"))["last"] or 0
        with override_settings(**DROP_EMAILS):
            self._load()
        EmailDelivery.objects.filter(pk__gt=last_before, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.CANCELLED, next_attempt_at=None,
            last_error="Demo data: not sent.")
        self.stdout.write(f"\nDemo logins — password for all: {demo.DEMO_PASSWORD}\n")
        with translation.override("en"):
            for email, function, organisation in demo.logins():
                self.stdout.write(f"  {email:<42} {function:<26} {organisation}")
        self.stdout.write("\nThe person's side (the portal), same password:\n")
        for email, what in portal_logins():
            self.stdout.write(f"  {email:<42} {what}")
        self.stdout.write("")

    def _load(self):
        created = demo.load_demo()
        summary = ", ".join(f"{count} {name}" for name, count in created.items())
        self.stdout.write(f"Demo care zone South-East ready (new: {summary}).")
        self.stdout.write(f"Demo persons: {load_demo_persons()} new.")
        self.stdout.write(f"Demo directory: {load_demo_directory()} new services.")
        self.stdout.write(f"Demo hospital stays: {load_demo_stays()} new.")
        self.stdout.write(f"Demo booklet entries: {load_demo_booklet()} new.")
        self.stdout.write(f"Demo portal logins: {load_demo_portal()} new.")
        self.stdout.write(f"Demo after discharge: {load_demo_followup()} new situations.")
        self.stdout.write(f"Demo case reviews: {load_demo_reviews()} new.")
        self.stdout.write(f"Demo thematic sessions: {load_demo_sessions()} new.")
        # Last: the observatory counts what the demo loaded above.
        self.stdout.write(f"Demo observatory: {load_demo_figures()} figures computed.")

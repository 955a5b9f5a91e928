from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils import translation

from relais.accounts import demo
from relais.booklet.demo import load_demo_booklet
from relais.directory.demo import load_demo_directory
from relais.network.demo import load_demo_persons
from relais.stays.demo import load_demo_stays


class Command(BaseCommand):
    help = ("Load the fictional demo care zone South-East and its persons (idempotent) and "
            "print its logins.")

    def handle(self, *args, **options):
        created = demo.load_demo()
        summary = ", ".join(f"{count} {name}" for name, count in created.items())
        self.stdout.write(f"Demo care zone South-East ready (new: {summary}).")
        self.stdout.write(f"Demo persons: {load_demo_persons()} new.")
        self.stdout.write(f"Demo directory: {load_demo_directory()} new services.")
        # The admission alerts' emails would go to fictional addresses: drop them.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self.stdout.write(f"Demo hospital stays: {load_demo_stays()} new.")
            self.stdout.write(f"Demo booklet entries: {load_demo_booklet()} new.")
        self.stdout.write(f"\nDemo logins — password for all: {demo.DEMO_PASSWORD}\n")
        with translation.override("en"):
            for email, function, organisation in demo.logins():
                self.stdout.write(f"  {email:<42} {function:<26} {organisation}")
        self.stdout.write("")

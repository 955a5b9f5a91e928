"""`relais manage send_digests`: queue today's digest emails; run it once a day.

It only writes the deliveries and hands them to the queue: `relais worker` sends them,
with the same retries as every other email.
"""

from django.core.management.base import BaseCommand

from relais.notifications.services import queue_digests


class Command(BaseCommand):
    help = "Queue one digest email per user with unread notifications waiting for it."

    def handle(self, *args, **options):
        queued = queue_digests()
        self.stdout.write(f"{queued} digest email(s) queued.")

"""`relais manage remind_consultations`: remind, once, who has not answered a consultation
whose deadline is near. Safe to run as often as cron or the worker likes."""

from django.core.management.base import BaseCommand

from relais.booklet.consultations import remind_overdue


class Command(BaseCommand):
    help = "Remind, once, the invitees who have not answered a consultation due soon."

    def handle(self, *args, **options):
        count = remind_overdue()
        self.stdout.write(f"{count} reminder(s) sent")

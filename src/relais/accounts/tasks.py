"""Background tasks of accounts, run by `relais worker` (django-tasks, database queue)."""

from django.contrib.auth.forms import PasswordResetForm
from django.utils import translation
from django_tasks import task

RESET_SUBJECT = "accounts/email/password_reset_subject.txt"
RESET_BODY = "accounts/email/password_reset.txt"


@task()
def send_password_reset(email: str, *, domain: str, use_https: bool, language: str) -> bool:
    """Email a reset link if `email` belongs to an active account, else do nothing; True
    if sent. The request only queues this, so that it answers as fast for an address
    without an account as for one with: its timing tells nothing."""
    form = PasswordResetForm({"email": email})
    user = next(iter(form.get_users(email)), None) if form.is_valid() else None
    if user is None:
        return False
    with translation.override(user.language or language):
        form.save(domain_override=domain, use_https=use_https,
                  subject_template_name=RESET_SUBJECT, email_template_name=RESET_BODY)
    return True

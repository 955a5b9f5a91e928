"""Audit hooks for Django's authentication signals (login, logout, failures).

These only record what happened; they decide nothing.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from relais.audit import log as audit
from relais.audit.log import Actions
from relais.audit.models import Outcome


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs):
    # The middleware ran while the visitor was still anonymous: name the organisation here.
    first = user.memberships.active().select_related("organisation").first()
    audit.record(Actions.LOGIN, actor=user, target=user,
                 organisation=first.organisation if first else None)


@receiver(user_logged_out)
def record_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(Actions.LOGOUT, actor=user, target=user)


@receiver(user_login_failed)
def record_login_failure(sender, credentials, request=None, **kwargs):
    # The address typed is kept for security review; it is never shown to the person typing.
    typed = str(credentials.get("username") or credentials.get("email") or "")[:254]
    audit.record(Actions.LOGIN_FAILED, outcome=Outcome.FAILED, detail={"email": typed.lower()})

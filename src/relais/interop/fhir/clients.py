"""Registering and revoking the systems that call the FHIR API (docs/fhir.md)."""

from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application

from relais.accounts.models import User, UserKind
from relais.audit import log as audit
from relais.interop.fhir import resources, scopes
from relais.interop.models import SystemClient

ACCOUNT_DOMAIN = "clients.relais.invalid"  # a reserved name: no mail ever reaches it


class InvalidScopes(ValueError):
    pass


@transaction.atomic
def register_client(*, name: str, organisation, allowed: str = "system/*.rs",
                    actor=None) -> tuple[SystemClient, str]:
    """A new confidential client (client-credentials grant) acting for `organisation`,
    and its secret, shown once: only its hash is kept."""
    allowed = " ".join(check_scopes(allowed))
    secret = generate_client_secret()
    application = Application.objects.create(
        name=name, client_type=Application.CLIENT_CONFIDENTIAL, client_secret=secret,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS)
    account = _account(application, name)
    application.user = account
    application.save(update_fields=["user"])
    client = SystemClient.objects.create(application=application, organisation=organisation,
                                         account=account, scopes=allowed, created_by=actor)
    audit.record("fhir_client.create", actor=actor, organisation=organisation, target=client,
                 detail={"client_id": application.client_id, "name": name, "scopes": allowed})
    return client, secret


def _account(application, name: str) -> User:
    """The account the client reads through: a professional account (it acts as its
    organisation's staff) that can never sign in (no usable password), whose address
    names the client in the audit log."""
    return User.objects.create_user(
        email=f"fhir.{application.client_id}@{ACCOUNT_DOMAIN}", password=None,
        first_name=name[:150], kind=UserKind.PROFESSIONAL)


def check_scopes(allowed: str) -> list[str]:
    resources.register_all()
    given = allowed.split()
    wrong = [scope for scope in given if not scopes.covered(scope, [scope])]
    if wrong or not given:
        raise InvalidScopes(" ".join(wrong) or allowed)
    return given


@transaction.atomic
def revoke_client(client: SystemClient, *, actor=None) -> None:
    """The client's tokens stop working at once; its account is deactivated (kept, as
    the audit log points at it)."""
    client.is_active = False
    client.save(update_fields=["is_active"])
    User.objects.filter(pk=client.account_id).update(is_active=False)
    AccessToken.objects.filter(application=client.application_id).delete()
    audit.record("fhir_client.revoke", actor=actor, organisation=client.organisation,
                 target=client, detail={"client_id": client.application.client_id})

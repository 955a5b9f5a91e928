"""Who is calling: a system with an OAuth2 access token (client credentials), or a
signed-in user's browser session. Either way the gate decides what they read.

A system client acts for its one organisation through its own account, exactly as that
organisation's staff: the memberships the gate reads for the account are the client's
organisation and nothing else (`policy.remember_memberships`), and the audit log names
the account (its address names the client) and the organisation. Its token's scopes
narrow what it may ask (`scopes.grants`); a session has no scopes, the gate alone
decides, as on the pages.
"""

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.oauth2_validators import OAuth2Validator

from relais.access import policy
from relais.core import kept, requestcontext
from relais.interop.fhir import scopes
from relais.interop.fhir.outcome import FhirError
from relais.interop.models import SystemClient


@dataclass(frozen=True)
class Caller:
    user: object
    client: SystemClient | None = None
    scopes: tuple[str, ...] | None = None  # None: a session, not narrowed by scopes


def caller_for(request, resource: str, interaction: str) -> Caller:
    """The caller of this request, allowed to ask for `interaction` on `resource`, or a
    FhirError (401 without valid credentials, 403 when the token's scopes fall short).
    An entry of a Bundle is asked by the Bundle's caller (`fhir_caller`, bundles.py):
    its token was checked once, its scopes are checked for each entry."""
    caller = getattr(request, "fhir_caller", None) or authenticated(request)
    if caller.scopes is not None and not scopes.grants(caller.scopes, resource, interaction):
        raise FhirError(403, "forbidden", _("The access token's scopes do not allow this "
                                            "request."),
                        headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})
    return caller


def authenticated(request) -> Caller:
    """Who calls: a system by its access token, else a signed-in session; 401 else."""
    if _has_bearer(request):
        return _system(request)
    if policy.is_signed_in(request.user):
        return Caller(request.user)
    raise FhirError(401, "login", _("Authentication is required: an OAuth2 access token, "
                                    "or a signed-in session."),
                    headers={"WWW-Authenticate": 'Bearer realm="relais-fhir"'})


def _has_bearer(request) -> bool:
    return request.headers.get("Authorization", "")[:7].lower() == "bearer "


class TokenValidator(OAuth2Validator):
    """django-oauth-toolkit's validator (OAUTH2_PROVIDER's OAUTH2_VALIDATOR_CLASS), every
    check its own; only the token, found by its checksum as the toolkit finds it, comes
    with its application's system client, that client's account and organisation in the
    same query, which `_client_of` reads instead of asking again. The query is compiled
    once per process (core.kept): its five tables' columns cost more to compile than the
    database takes to answer."""

    def _load_access_token(self, token):
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        return kept.first(("fhir.access_token",), lambda s: AccessToken.objects.select_related(
            "application", "user", "application__relais_client__account",
            "application__relais_client__organisation")
            .filter(token_checksum=s.checksum).order_by("pk"), checksum=checksum)


def _system(request) -> Caller:
    valid, oauth = get_oauthlib_core().verify_request(request, scopes=[])
    client = _client_of(oauth.client) if valid else None
    if client is None:
        raise FhirError(401, "login", _("The access token is not valid (unknown, expired or "
                                        "revoked)."),
                        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    act_for(request, client)
    return Caller(client.account, client, tuple(oauth.access_token.scope.split()))


def _client_of(application) -> SystemClient | None:
    """The application's system client while it, its account and its organisation are
    active; loaded with the token (`TokenValidator`)."""
    try:
        client = application.relais_client
    except ObjectDoesNotExist:
        return None
    active = client.is_active and client.account.is_active and client.organisation.is_active
    return client if active else None


def act_for(request, client: SystemClient) -> None:
    """The client's account acts for the client's organisation in this request, and only
    for it: the gate reads these memberships, the audit events this organisation."""
    policy.remember_memberships(client.account, [(client.organisation_id, False)])
    request.user = client.account
    requestcontext.set_organisation(client.organisation)

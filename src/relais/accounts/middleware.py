from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.functional import LazyObject, empty

from relais.access import policy
from relais.accounts import twofactor
from relais.accounts.models import Membership
from relais.core import kept, requestcontext

# Paths a half-logged-in user may still reach: the 2FA pages, logout, language, assets.
OPEN_PREFIXES = ("/static/", "/i18n/", "/accounts/logout/", "/accounts/two-factor/")


class TwoFactorMiddleware:
    """After the password, a user with a device must give a code; where 2FA is required
    (production, professionals), a user without one must set it up first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not self._is_open(request):
            if twofactor.has_two_factor(user):
                return redirect(f"{reverse('accounts:verify')}?next={request.get_full_path()}")
            if twofactor.is_required_for(user):
                return redirect("accounts:two_factor_setup")
        return self.get_response(request)

    @staticmethod
    def _is_open(request) -> bool:
        return request.path.startswith(OPEN_PREFIXES)


class SignedInContextMiddleware:
    """A signed-in user's own language wins over the cookie; audit events learn which
    organisation they act for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = user = unwrapped(request.user)
        if user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
            request.memberships = active_memberships(request.user)
            request.acting_organisation = acting_organisation(request)
            requestcontext.set_organisation(request.acting_organisation)
        return self.get_response(request)


def unwrapped(user):
    """The user itself, out of the lazy wrappers Django's and django-otp's middleware put
    it in: each attribute read through them costs a few method calls, and a page reads
    the user's attributes about 1,500 times (the gate, the templates)."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


def active_memberships(user) -> list:
    """The user's current memberships, loaded once per request for every view to reuse."""
    return kept.rows(("accounts.memberships",), lambda s: Membership.objects.active().filter(
        user_id=s.user).select_related("organisation__municipality__care_zone"),
        user=user.pk)


def acting_organisation(request):
    """The organisation chosen in this session, else the user's first active one."""
    memberships = request.memberships
    # Prime the access policy's cache so it does not ask the database again.
    policy.remember_memberships(request.user,
                                [(m.organisation_id, m.is_manager) for m in memberships],
                                types={m.organisation_id: m.organisation.type
                                       for m in memberships})
    chosen = request.session.get("acting_organisation_id")
    by_org = {m.organisation_id: m.organisation for m in memberships}
    if chosen in by_org:
        return by_org[chosen]
    return next(iter(by_org.values()), None)

"""`relais check --deploy` also checks Relais's own rules for production (issue 18)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def two_factor_required_in_production(app_configs, **kwargs):
    """Every professional account reads health data: in production it signs in with a
    second factor (RELAIS_REQUIRE_2FA, on by default there)."""
    if settings.PRODUCTION and not settings.RELAIS_REQUIRE_2FA:
        return [Warning("RELAIS_REQUIRE_2FA is off in production: professionals could sign "
                        "in with a password alone.", hint="Unset RELAIS_REQUIRE_2FA.",
                        id="relais.W001")]
    return []


@register(Tags.security, deploy=True)
def sessions_end_in_production(app_configs, **kwargs):
    """A session ends after 30 minutes idle and 12 hours at most, by default; an
    installation that stretches either past a working day is told."""
    if settings.PRODUCTION and (settings.SESSION_COOKIE_AGE > 8 * 3600
                                or settings.RELAIS_SESSION_MAX_HOURS > 24):
        return [Warning("Sessions outlive a working day (RELAIS_SESSION_MINUTES over 480 or "
                        "RELAIS_SESSION_MAX_HOURS over 24).", id="relais.W002")]
    return []

from django.conf import settings


def relais(request):
    return {
        "RELAIS_ENV": settings.RELAIS_ENV,
        "RELAIS_DEMO": getattr(settings, "RELAIS_DEMO", not settings.PRODUCTION),
    }

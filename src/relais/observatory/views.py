"""The observatory's pages: a zone's dashboard (charts beside their tables) and the list of
zones the account may see. Views stay thin: `rules` decides who sees which zone,
`dashboard` what is shown, `figures` every number (published, never person data)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from relais.audit.log import record
from relais.core.models import Municipality
from relais.observatory import dashboard, figures, rules
from relais.observatory.models import REGION


@login_required
@require_GET
def index(request):
    """The zones the account may see (the menu's link: always a page, never a redirect)."""
    return render(request, "observatory/index.html", {"zones": rules.zones_for(request.user)})


@login_required
@require_GET
def dashboard_page(request, zone):
    if zone == figures.BRUSSELS:  # the whole region: any account that sees a zone
        figures.check_zone(request.user, REGION)
        care_zone, code, names = None, REGION, {}
    else:
        care_zone = rules.zone_for(request.user, zone)  # Http404: not the account's zone
        code, names = care_zone.code, zone_municipalities(care_zone)
    filters, errors = dashboard.read_filters(request.GET, set(names))
    for error in errors:
        messages.error(request, error)
    page = dashboard.Dashboard(request.user, code, filters, names)
    record("observatory.dashboard_viewed", actor=request.user, target_type="core.carezone",
           target_id=zone,
           detail={"period": filters.period, "municipality": filters.municipality})
    options = figures.options()
    period = page.export_period()
    export_url = (reverse("observatory:export", args=[zone]) + "?"
                  + urlencode({"period": period})) if period else ""
    return render(request, "observatory/dashboard.html", {
        "zone": care_zone, "filters": filters, "sections": page.sections(), "names": names,
        "periods": dashboard.PERIOD_LABELS, "computed_at": figures.computed_at(),
        "options": options, "below": f"<{options.threshold}", "export_url": export_url,
    })


def zone_municipalities(care_zone) -> dict[str, str]:
    """The zone's municipalities by NIS code, named in the reader's language; a
    municipality split between zones (Brussels-City) belongs to each zone it has a
    postcode in."""
    found = Municipality.objects.filter(care_zone=care_zone) | Municipality.objects.filter(
        care_zone__isnull=True, postcodes__care_zone=care_zone)
    return {m.nis_code: m.name for m in found.distinct().order_by("nis_code")}

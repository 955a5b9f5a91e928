"""The cooperation map's page and its CSV (R8, R21): who works with whom in a zone, beside
the agreements on paper. Same rule as the dashboard (`observatory.rules`: Http404 for a
zone the account may not see), audited like it; every count is published
(`cooperation_map`), never a person."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from relais.audit.log import record
from relais.core.text import is_digits
from relais.observatory import cooperation_map, exports, figures, rules
from relais.observatory.models import REGION


def _zone(user, zone: str):
    """(care zone or None for Brussels, its code); Http404 as on the dashboard."""
    if zone == figures.BRUSSELS:
        figures.check_zone(user, REGION)
        return None, REGION
    care_zone = rules.zone_for(user, zone)
    return care_zone, care_zone.code


def _year(query) -> tuple[int | None, str]:
    text = query.get("year", "")
    if not text:
        return None, ""
    if not (is_digits(text) and 2000 <= int(text) <= 2100):
        return None, _("Choose a year from the list.")
    return int(text), ""


def _format(query) -> str:
    return "excel" if query.get("format") == "excel" else "csv"


@login_required
@require_GET
def cooperation_page(request, zone):
    care_zone, code = _zone(request.user, zone)
    year, error = _year(request.GET)
    found = cooperation_map.cooperation(code, year)
    if year is not None and (found.year is None or found.year.year != year):
        error = _("There are no cooperation figures for that year.")
    if error:
        messages.error(request, error)
    record("observatory.cooperation_viewed", actor=request.user,
           target_type="core.carezone", target_id=zone,
           detail={"year": found.year.year if found.year else None})
    run_options = figures.options()
    return render(request, "observatory/cooperation.html", {
        "zone": care_zone, "zone_slug": zone, "map": found,
        "columns": cooperation_map.column_headers(), "computed_at": figures.computed_at(),
        "options": run_options, "below": f"<{run_options.threshold}",
    })


@login_required
@require_GET
def cooperation_export(request, zone):
    care_zone, code = _zone(request.user, zone)
    year, error = _year(request.GET)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    found = cooperation_map.cooperation(code, year)
    if year is not None and (found.year is None or found.year.year != year):
        return HttpResponse(_("There are no cooperation figures for that year."), status=400,
                            content_type="text/plain; charset=utf-8")
    record("observatory.exported", actor=request.user, target_type="core.carezone",
           target_id=zone, detail={"what": "cooperation",
                                   "format": _format(request.GET),
                                   "year": found.year.year if found.year else None})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"relais-cooperation-{zone}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # As the figures' export: "excel" is what a Belgian spreadsheet opens (';', a BOM).
    excel = _format(request.GET) == "excel"
    if excel:
        response.write(exports.BOM)
    writer = csv.writer(response, delimiter=";" if excel else ",",
                        lineterminator="\r\n" if excel else "\n")
    writer.writerow(cooperation_map.CSV_FIELDS)
    writer.writerows(cooperation_map.csv_rows(found, care_zone.code if care_zone
                                              else figures.BRUSSELS))
    return response

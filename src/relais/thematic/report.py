"""A session as the reports in `shared/seeds/` have it: the intro, who took part by
sector, the presentations, then the three sections, the joint actions and the next
date; on screen in the reader's language, printed in Dutch or French, the actions as
CSV. A text that has no translation is shown in the report's language and marked."""

import csv
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import get_language

from relais.accounts.models import Organisation, OrganisationType
from relais.followup.models import ReviewKind
from relais.followup.reviews import Theme
from relais.thematic import indicators
from relais.thematic.models import (
    JointAction,
    Section,
    Text,
    text_in,
)

REPORT_TEMPLATE = "thematic/partials/report.html"


@dataclass
class SectionView:
    key: str
    label: str
    findings: list = field(default_factory=list)


def _actions(queryset):
    return list(queryset.select_related("owner").prefetch_related(
        Prefetch("partners", queryset=Organisation.objects.order_by("name"))))


def _texts(rows, name: str, language: str, original: str) -> list:
    """Each row's text in `language` (row.text) and its indicators' names."""
    names = indicators.catalogue()
    for row in rows:
        row.text = text_in(row, name, language, original)
        codes = getattr(row, "indicators", None) or ([row.indicator] if getattr(
            row, "indicator", "") else [])
        row.indicator_names = [names.get(code, code) for code in codes]
    return rows


def context(session, language: str | None = None) -> dict:
    """What the session's page and its report show, texts in `language` (default: the
    active one) where translated."""
    language = (language or get_language() or session.language)[:2]
    original = session.language
    sectors = [(OrganisationType(row.sector).label, row) for row in session.sectors.all()]
    sections = {key: SectionView(key, label) for key, label in Section.choices}
    for finding in _texts(list(session.findings.all()), "text", language, original):
        sections[finding.section].findings.append(finding)
    previous = session.previous
    return {
        "session": session, "language": language,
        "theme": text_in(session, "theme", language, original),
        "agenda": text_in(session, "agenda", language, original),
        "expectations": text_in(session, "expectations", language, original),
        "sectors": sectors,
        "participants": sum(row.participants for _, row in sectors),
        "organisations_present": sum(row.organisations for _, row in sectors),
        "presentations": list(session.presentations.all()),
        "sections": list(sections.values()),
        "actions": _texts(_actions(session.actions.all()), "title", language, original),
        "previous": previous,
        "previous_actions": _texts(_actions(JointAction.objects.filter(session=previous)),
                                   "title", language, previous.language)
        if previous else [],
        "today": timezone.localdate(),
    }


def action_text(action) -> Text:
    return text_in(action, "title", get_language(), action.session.language)


def render_report(request, session, language: str) -> str:
    """The report alone, in `language`; nothing else of the page changes language."""
    with translation.override(language):
        return render_to_string(REPORT_TEMPLATE, context(session, language), request=request)


# --- the actions as CSV -----------------------------------------------------------------

CSV_COLUMNS = ["session_date", "care_zone", "theme", "number", "action_nl", "action_fr",
               "owner", "partners", "due_on", "status", "overdue", "indicator",
               "last_progress_on", "last_progress"]


CSV_FORMATS = ("csv", "excel")


def actions_csv(session, fmt: str = "csv") -> HttpResponse:
    """One row per joint action; column names are stable codes (for scripts), values
    the stored texts. `csv` is for scripts (comma, RFC 4180 quoting, no byte-order
    mark); `excel` opens with a double click in a Belgian spreadsheet, whose NL/FR
    locales split on `;` (with a UTF-8 byte-order mark, so it reads the accents, and
    CRLF line ends). There are no decimals to localise: dates are ISO, numbers whole."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="actions-{session.care_zone.code}-{session.held_on}.csv"')
    if fmt == "excel":
        response.write("\ufeff")
        writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    else:
        writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for action in _actions(session.actions.prefetch_related("notes")):
        notes = list(action.notes.all())
        last = notes[-1] if notes else None
        writer.writerow([_cell(value) for value in [
            session.held_on.isoformat(), session.care_zone.code,
            session.theme_nl or session.theme_fr, action.position,
            action.title_nl, action.title_fr, action.owner.name if action.owner else "",
            " | ".join(p.name for p in action.partners.all()),
            action.due_on.isoformat() if action.due_on else "", action.status,
            "yes" if action.is_overdue else "no", action.indicator,
            last.written_at.date().isoformat() if last else "", last.text if last else ""]])
    return response


def _cell(value):
    """A text a spreadsheet would run as a formula is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# --- the preparation pack ---------------------------------------------------------------


def pack_context(pack) -> dict:
    """The frozen reviews with their labels in the reader's language."""
    if pack is None:
        return {"reviews": [], "figures": []}
    names = indicators.catalogue()  # in the reader's language
    figures = [{**figure, "label": names.get(figure["indicator"], figure["label"])}
               for figure in pack.figures]
    reviews = [{**review, "kind_label": ReviewKind(review["kind"]).label
                if review["kind"] in ReviewKind.values else review["kind"],
                "theme_labels": [str(Theme(code).label) for code in review["themes"]
                                 if code in Theme.values]}
               for review in pack.reviews]
    return {"reviews": reviews, "figures": figures}

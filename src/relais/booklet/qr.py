"""The QR code on the emergency sheet: a short plain-text summary that any phone camera
reads without a network (R6). No link: the sheet must help where there is no signal and
no account. Rendered on the server as an inline <svg> (the CSP forbids inline script and
style; an SVG element with presentation attributes is neither)."""

import functools

import segno
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from relais.booklet.emergency import CONTACT_POINT, contacts_with
from relais.network.models import PersonLanguage, Role

MAX_CHARS = 600
ELLIPSIS = "…"
# Budgets per field, so that one long field cannot push the phones off the code.
BUDGET = {"allergies": 110, "conditions": 110, "medication": 140, "care_planning": 80,
          "name": 30}


def clip(text: str, limit: int) -> str:
    """One line, at most `limit` characters, cut at a word where possible."""
    flat = "; ".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ;,") + ELLIPSIS


def medication_names(medication: str) -> str:
    """"Bisoprolol 2.5 mg, morning" → "Bisoprolol 2.5 mg": what is taken, not when."""
    names = [line.split(",")[0].strip() for line in medication.splitlines() if line.strip()]
    return clip("\n".join(names), BUDGET["medication"])


def _language(person) -> str:
    label = person.other_language if (person.language == PersonLanguage.OTHER
                                      and person.other_language) else person.get_language_display()
    needed = _("interpreter needed")  # outside the f-string: makemessages reads it there
    return f"{label} ({needed})" if person.needs_interpreter else label


def _contact_line(label: str, rows: list[dict]) -> str | None:
    if not rows:
        return None
    row = rows[0]
    return f"{label}: {clip(row['name'], BUDGET['name'])} {row['phone'] or '-'}".rstrip()


def summary_text(person, sheet, contacts: dict) -> str:
    """What the QR code says, most urgent first; at most MAX_CHARS characters. Nothing
    about safeguarding and nobody excluded: `contacts` is the sheet's own snapshot."""
    identity = person.full_name
    if person.birth_date:
        identity += f" °{person.birth_date:%d/%m/%Y}"
    # Labels outside the f-strings: makemessages does not look inside them.
    language, allergies, none_known = _("Language"), _("ALLERGIES"), _("none known")
    conditions, medication, planning = _("Conditions"), _("Medication"), _(
        "Advance care planning")
    lines = [identity, f"{language}: {_language(person)}",
             f"{allergies}: {clip(sheet.allergies, BUDGET['allergies']) or none_known}"]
    if sheet.conditions:
        lines.append(f"{conditions}: {clip(sheet.conditions, BUDGET['conditions'])}")
    if sheet.medication:
        lines.append(f"{medication}: {medication_names(sheet.medication)}")
    lines.append(_contact_line(_("GP"), contacts_with(contacts, Role.GP)))
    lines.append(_contact_line(_("Contact"), contacts_with(contacts, CONTACT_POINT)))
    if sheet.care_planning:
        where = f" - {sheet.care_planning_location}" if sheet.care_planning_location else ""
        lines.append(f"{planning}: "
                     f"{clip(sheet.care_planning + where, BUDGET['care_planning'])}")
    lines.append(f"v{sheet.number} {timezone.localtime(sheet.created_at):%d/%m/%Y}")
    return clip_total("\n".join(line for line in lines if line))


def clip_total(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    return text[:MAX_CHARS - 1] + ELLIPSIS


def qr_svg(text: str, *, title: str) -> str:
    """An inline <svg> of `text`; sized by the stylesheet (viewBox only)."""
    return mark_safe(_svg(text, title))  # noqa: S308 - segno escapes the title; the rest is path data


# A sheet's text is the same at each open until the sheet or its contacts change, and
# drawing its code costs 25 ms of CPU (a version-16 code): the last few are kept, in this
# process only, keyed by the whole text (a reader is given a code only for a text they
# were allowed to read).
@functools.lru_cache(maxsize=32)
def _svg(text: str, title: str) -> str:
    # Level L, raised by segno when the same size allows more: the smallest code, so
    # that its modules stay large enough for a phone on one A4 page.
    code = segno.make(text, error="l", micro=False)
    return code.svg_inline(border=2, omitsize=True, svgclass="emergency-qr", lineclass=None,
                           title=title)

"""Case reviews (R12): a team's reflection on a case that went wrong or a refusal,
anonymised when it is written.

A review keeps no person: the month (its first day), the care zone, the team and the
themes are all the observatory reads. Before anything is saved the free text is checked
for what would identify someone: the names, national number, address, phone numbers and
e-mail addresses known in the person's record and network (when the review is started
from a person), and, for any review, national-number-shaped numbers (valid check digits),
phone numbers, e-mail addresses and exact dates. A finding refuses the whole review with
a message saying what was found where; nothing is replaced behind the writer's back.

Why not a de-identification library: `belgian-deduce` 5.0.0 finds names in Belgian text
well, but installs 260 MB (numpy, lookup lists), takes minutes to build its lookups on
first use in a process and is GPL-3.0-only; the names that matter here are the ones the
record already knows, so they are checked exactly instead of guessed.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.be import bis, nn

from relais.access.policy import member_organisation_ids
from relais.audit import log as audit
from relais.core.menu import Entry, member_professional
from relais.core.menu import register as register_menu_entry
from relais.core.transactions import service_transaction
from relais.followup.models import CaseReview, ReviewKind
from relais.network.models import MemberKind
from relais.network.sections import register_person_section

TEXT_FIELDS = ("situation", "tried", "blocked", "lessons", "proposals")
EARLIEST_MONTH = date(2000, 1, 1)


class Theme(models.TextChoices):
    """Stored as codes in CaseReview.themes: the observatory counts them per zone."""

    HOUSING = "housing", gettext_lazy("Housing")
    ISOLATION = "isolation", gettext_lazy("Isolation")
    CAREGIVER_EXHAUSTION = "caregiver_exhaustion", gettext_lazy("Caregiver exhaustion")
    REFUSAL_OF_HELP = "refusal_of_help", gettext_lazy("Refusal of help")
    DISCHARGE_TOO_EARLY = "discharge_too_early", gettext_lazy("Discharge too early")
    INFORMATION_NOT_PASSED = "information_not_passed", gettext_lazy(
        "Information not passed on")
    NO_GP = "no_gp", gettext_lazy("No GP")
    FINANCES = "finances", gettext_lazy("Finances")
    LANGUAGE = "language", gettext_lazy("Language")
    MENTAL_HEALTH = "mental_health", gettext_lazy("Mental health")
    ADDICTION = "addiction", gettext_lazy("Addiction")
    VIOLENCE = "violence", gettext_lazy("Violence")
    OTHER = "other", gettext_lazy("Other")


def theme_labels(review) -> list[str]:
    return [str(Theme(code).label) for code in review.themes if code in Theme.values]


# --- what identifies someone -----------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """What the person's record and network hold that must not appear in a review."""

    names: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()  # national number and phones, digits only
    emails: tuple[str, ...] = ()
    streets: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    kind: str  # name, niss, phone, email, address, postcode, date
    found: str
    field: str
    line: int


@dataclass
class _Scan:
    text: str
    folded: str
    spans: list = field(default_factory=list)

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self.spans)


# Particles of compound names: alone they identify no one ("de", "van").
PARTICLES = {"de", "den", "der", "van", "von", "le", "la", "les", "du", "des", "di", "da",
             "del", "della", "el", "al", "ben", "bin", "ten", "ter", "het", "t", "d", "l",
             "mc", "st", "saint", "sainte"}

MONTHS = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|"
          "december|janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|"
          "novembre|decembre|january|february|march|may|june|july|august|october|"
          "jan|feb|febr|mrt|mar|apr|avr|jun|jul|juil|aug|sep|sept|okt|oct|nov|dec|janv|fevr")
DAY = r"(?:0?[1-9]|[12]\d|3[01])"
DATE_PATTERNS = [
    re.compile(rf"(?<!\d){DAY}[./-](?:0?[1-9]|1[0-2])[./-](?:\d{{4}}|\d{{2}})(?![\d])"),
    re.compile(r"(?<!\d)(?:19|20)\d\d-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])(?!\d)"),
    re.compile(rf"(?<!\w){DAY}(?:st|nd|rd|th|er|e|ste|de)?\s+(?:of\s+)?(?:{MONTHS})\b\.?"
               r"(?:\s+\d{4})?"),
    re.compile(rf"(?<!\w)(?:{MONTHS})\.?\s+{DAY}(?:st|nd|rd|th)?,?\s+\d{{4}}(?!\d)"),
]
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ELEVEN_DIGITS = re.compile(r"(?<![\d])\d(?:[ ./-]?\d){10}(?![\d])")
PHONE = re.compile(r"(?:(?<![\w+])(?:\+|00)\d{2,3}[ ./-]?(?:\(0\)[ ./-]?)?\d(?:[ ./()-]?\d){6,10}"
                   r"|(?<![\d])0\d(?:[ ./-]?\d){7,8})(?![\d])")
NUMBER_SEPARATORS = r"[ ./()-]*"


def _fold(text: str) -> str:
    """Lower case without accents, one character for one (positions stay the same)."""
    return "".join((unicodedata.normalize("NFKD", c)[:1] or c).lower()[:1] or c
                   for c in text)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def _phone_core(value: str) -> str:
    """A Belgian number without its country code or trunk 0: written either way."""
    digits, written = _digits(value), (value or "").strip()
    if written.startswith("+32"):
        return digits[2:]
    if digits.startswith("0032"):
        return digits[4:]
    return digits[1:] if digits.startswith("0") else digits


def _street_name(street: str) -> str:
    """"Rue de la Loi 16 bte 3" → "Rue de la Loi": the number may go, the street not."""
    return re.split(r"[\s,]+\d", street or "", maxsplit=1)[0].strip()


def known_for(person) -> Known:
    """What identifies `person` and their network: names of people (an organisation's
    name may stay), numbers, e-mail addresses, the street and the postcode."""
    names = [person.first_name, person.last_name, person.full_name]
    numbers = [person.niss, _phone_core(person.phone)]
    emails = []
    for member in person.members.select_related("user"):
        if member.kind == MemberKind.ORGANISATION:
            continue
        names += [member.name]
        numbers.append(_phone_core(member.phone))
        emails.append(member.email)
        if member.user_id:
            user = member.user
            names += [user.first_name, user.last_name, user.get_full_name()]
            numbers.append(_phone_core(user.phone))
            emails.append(user.email)
    return Known(names=tuple(n for n in {n.strip() for n in names} if n),
                 numbers=tuple(n for n in set(numbers) if len(n) >= 8),
                 emails=tuple(e.lower() for e in set(emails) if e),
                 streets=tuple(s for s in [_street_name(person.street)] if len(s) >= 4),
                 postcodes=tuple(p for p in [person.postcode] if p))


def _words_pattern(words: list[str]) -> re.Pattern:
    body = r"[\s'’-]+".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w){body}(?!\w)")


def _name_patterns(names) -> list[tuple[re.Pattern, bool]]:
    """(pattern, needs a capital in the text), whole names first, longest first, then
    their words: a whole name counts however it is written; a single word only when
    capitalised, since "Claire" is a name and "claire" a French word."""
    wholes, parts = [], []
    for name in sorted(names, key=len, reverse=True):
        words = [w for w in re.split(r"[\s'’-]+", _fold(name)) if w]
        if not words:
            continue
        wholes.append((_words_pattern(words), len(words) == 1))
        parts += [(_words_pattern([w]), True) for w in words
                  if len(words) > 1 and len(w) >= 3 and w not in PARTICLES]
    return wholes + parts


def _scan_names(scan: _Scan, names) -> list[tuple[str, int, int]]:
    found = []
    for pattern, needs_capital in _name_patterns(names):
        for match in pattern.finditer(scan.folded):
            if needs_capital and not scan.text[match.start()].isupper():
                continue
            found.append(("name", match.start(), match.end()))
    return found


def _scan_numbers(scan: _Scan, known: Known) -> list[tuple[str, int, int]]:
    found = [("email", m.start(), m.end()) for m in EMAIL.finditer(scan.text)]
    found += [("email", m.start(), m.end()) for e in known.emails
              for m in re.finditer(re.escape(e), scan.folded)]
    found += [("niss", m.start(), m.end()) for m in ELEVEN_DIGITS.finditer(scan.text)
              if nn.is_valid(_digits(m.group())) or bis.is_valid(_digits(m.group()))]
    found += [("phone", m.start(), m.end()) for m in PHONE.finditer(scan.text)]
    for number in known.numbers:  # written in a way the patterns above do not expect
        pattern = NUMBER_SEPARATORS.join(re.escape(d) for d in number)
        found += [("niss" if nn.is_valid(number) or bis.is_valid(number) else "phone",
                   m.start(), m.end()) for m in re.finditer(pattern, scan.text)]
    return found


def _scan_places_and_dates(scan: _Scan, known: Known) -> list[tuple[str, int, int]]:
    found = [("date", m.start(), m.end()) for p in DATE_PATTERNS
             for m in p.finditer(scan.folded)]
    for street in known.streets:
        words = [w for w in re.split(r"[\s'’-]+", _fold(street)) if w]
        found += [("address", m.start(), m.end())
                  for m in _words_pattern(words).finditer(scan.folded)]
    found += [("postcode", m.start(), m.end()) for code in known.postcodes
              for m in re.finditer(rf"(?<!\d){re.escape(code)}(?!\d)", scan.text)]
    return found


def find_identifying(texts: dict[str, str], known: Known | None = None) -> list[Finding]:
    """What in `texts` (field → text) identifies someone; each place reported once."""
    known = known or Known()
    findings = []
    for name, text in texts.items():
        scan = _Scan(text or "", _fold(text or ""))
        candidates = (_scan_numbers(scan, known) + _scan_places_and_dates(scan, known)
                      + _scan_names(scan, known.names))
        for kind, start, end in candidates:  # the first kind to claim a span keeps it
            if scan.free(start, end):
                scan.spans.append((start, end))
                line = scan.text.count("\n", 0, start) + 1
                findings.append(Finding(kind, scan.text[start:end], name, line))
    return sorted(findings, key=lambda f: (TEXT_FIELDS.index(f.field)
                                           if f.field in TEXT_FIELDS else 99, f.line))


def _message(finding: Finding) -> str:
    where = {"found": finding.found, "line": finding.line,
             "field": CaseReview._meta.get_field(finding.field).verbose_name
             if finding.field in TEXT_FIELDS else finding.field}
    messages = {
        "name": _("The text names %(found)s (%(field)s, line %(line)d): replace names by "
                  "roles, e.g. “the daughter”, “the GP”."),
        "niss": _("The text holds a national number, %(found)s (%(field)s, line "
                  "%(line)d): leave it out."),
        "phone": _("The text holds a phone number, %(found)s (%(field)s, line %(line)d): "
                   "leave it out."),
        "email": _("The text holds an e-mail address, %(found)s (%(field)s, line "
                   "%(line)d): leave it out."),
        "address": _("The text gives the address, %(found)s (%(field)s, line %(line)d): "
                     "the review keeps the care zone only; write e.g. “at home”."),
        "postcode": _("The text gives the postcode %(found)s (%(field)s, line %(line)d): "
                      "the review keeps the care zone only."),
        "date": _("The text holds an exact date, %(found)s (%(field)s, line %(line)d): "
                  "write the month only, e.g. “in March”, or “two days after discharge”."),
    }
    return messages[finding.kind] % where


def check_anonymous(texts: dict[str, str], known: Known | None = None) -> None:
    """Raise a ValidationError per field naming what identifies someone."""
    errors: dict[str, list[str]] = {}
    for finding in find_identifying(texts, known):
        errors.setdefault(finding.field, []).append(_message(finding))
    if errors:
        raise ValidationError(errors, code="identifying")


# --- services --------------------------------------------------------------------------


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def _check_month(month: date) -> date:
    month = first_of_month(month)
    if not EARLIEST_MONTH <= month <= first_of_month(timezone.localdate()):
        raise ValidationError({"month": _("Choose a month between January 2000 and this "
                                          "month.")}, code="month")
    return month


def _check_themes(themes) -> list[str]:
    themes = list(dict.fromkeys(themes or []))
    if not themes:
        raise ValidationError({"themes": _("Choose at least one theme.")}, code="themes")
    if any(theme not in Theme.values for theme in themes):
        raise ValidationError({"themes": _("Choose themes from the list.")}, code="themes")
    return themes


def _check_team(actor, organisation) -> None:
    if organisation is None or organisation.pk not in member_organisation_ids(actor):
        raise ValidationError(_("A review is written by a team: act for one of your "
                                "organisations."), code="team")


@service_transaction
def write_review(*, person=None, kind, themes, situation, tried="", blocked="", lessons="",
                 proposals="", actor, organisation, month=None) -> CaseReview:
    """Write a team's review, anonymised: `person` (read through the gate by the caller)
    only says what to look for in the text and gives the care zone; it is not kept, and
    the audit event names no person."""
    _check_team(actor, organisation)
    if kind not in ReviewKind.values:
        raise ValidationError({"kind": _("Choose what the review is about.")}, code="kind")
    texts = {"situation": situation, "tried": tried, "blocked": blocked,
             "lessons": lessons, "proposals": proposals}
    if not (situation or "").strip():
        raise ValidationError({"situation": _("Describe the situation.")}, code="required")
    check_anonymous(texts, known_for(person) if person is not None else None)
    review = CaseReview(
        kind=kind, themes=_check_themes(themes),
        month=_check_month(month or timezone.localdate()),
        care_zone=person.care_zone if person is not None else organisation.care_zone,
        organisation=organisation, created_by=actor, **texts)
    review.full_clean()
    review.save()
    audit.record("followup.review_written", actor=actor, organisation=organisation,
                 target=review, detail={"kind": kind, "themes": review.themes})
    return review


@service_transaction
def mark_discussed(review, *, on: date, actor) -> CaseReview:
    """The team discussed the review in a session on `on` (not in the future, not before
    the month it is about)."""
    if review.organisation_id not in member_organisation_ids(actor):
        raise ValidationError(_("Only the team that wrote the review marks it discussed."),
                              code="team")
    if not review.month <= on <= timezone.localdate():
        raise ValidationError({"discussed_on": _("Choose a day between the review's month "
                                                 "and today.")}, code="discussed_on")
    review.discussed_on = on
    review.save(update_fields=["discussed_on", "updated_at"])
    audit.record("followup.review_discussed", actor=actor, target=review,
                 detail={"on": on.isoformat()})
    return review


# --- where the reviews show ------------------------------------------------------------


def person_review_link(user, person) -> dict | None:
    """The person page's way to start a review: for professionals acting for a team."""
    if not (user.is_professional and member_organisation_ids(user)):
        return None
    return {"template": "followup/partials/review_person_link.jinja", "person": person}


def register() -> None:
    register_person_section(person_review_link)
    register_menu_entry(Entry("case_reviews", gettext_lazy("Case reviews"),
                              "followup:review_list", 65, member_professional,
                              current_for=("followup:review_list", "followup:review_new",
                                           "followup:review_new_for_person",
                                           "followup:review_detail")))

"""Recording and reading screenings during a stay (R3, R14, R15, R17).

A screening is scored here, by the instrument's own code (stays/instruments.py), never
by the browser: the stored score, band, flagged domains and recommendations are what
the instrument's version says for those answers. A licensed instrument scored elsewhere
is recorded as an external score (name, score, date) and not interpreted.

Domestic-violence findings are restricted (R14, DOMAIN.md §6): only the hospital's staff
and the person's safeguarding circle see the domain, its answer and its recommendation.
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.audit import log as audit
from relais.directory.models import Category
from relais.stays import rules as stay_rules
from relais.stays.instruments import Instrument, instrument
from relais.stays.models import Screening

EXTERNAL = "external"


def _current_instrument(key: str) -> Instrument:
    try:
        return instrument(key)
    except LookupError:
        raise ValidationError(_("There is no screening instrument “%(key)s”."),
                              code="unknown_instrument", params={"key": key}) from None


def _check_stay(stay) -> None:
    if stay.cancelled_at is not None:
        raise ValidationError(_("This stay was cancelled: it cannot be screened."),
                              code="stay_cancelled")


def _audit(screening, *, actor, organisation) -> None:
    # Instrument and version only: answers and findings are health and social data,
    # kept out of the log.
    audit.record("screening.create", actor=actor, organisation=organisation,
                 target=screening, person_id=screening.person_id,
                 detail={"instrument": screening.instrument, "version": screening.version})


@transaction.atomic
def record_screening(stay, instrument_key: str, answers, *, actor, organisation) -> Screening:
    """Score `answers` with the current version of the instrument and keep the result.

    Invalid answers (an unknown question, an option the question does not have, a
    missing answer) raise ValidationError before anything is written.
    """
    _check_stay(stay)
    definition = _current_instrument(instrument_key)
    cleaned = definition.clean(answers)
    result = definition.score(cleaned)
    screening = Screening.objects.create(
        person_id=stay.person_id, stay=stay, instrument=definition.key,
        version=definition.version, answers=cleaned, score=result.score, band=result.band,
        flagged=list(result.flagged),
        recommendations=[rec.as_stored() for rec in result.recommendations],
        author=actor, organisation=organisation)
    _audit(screening, actor=actor, organisation=organisation)
    return screening


def _check_external(name: str, score: str, done_on: date) -> None:
    errors = {}
    if not name:
        errors["external_name"] = _("Say which instrument gave this score.")
    if not score:
        errors["external_score"] = _("Enter the score.")
    if done_on > timezone.localdate():
        errors["done_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_external(stay, name: str, score: str, done_on: date, *, actor,
                    organisation) -> Screening:
    """Keep a score computed with a licensed instrument elsewhere (BelRAI screener, ISAR…):
    its name, score and date only — Relais neither holds nor scores its items."""
    _check_stay(stay)
    name, score = name.strip(), score.strip()
    _check_external(name, score, done_on)
    screening = Screening.objects.create(
        person_id=stay.person_id, stay=stay, instrument=EXTERNAL, external_name=name,
        external_score=score, done_on=done_on, author=actor, organisation=organisation)
    _audit(screening, actor=actor, organisation=organisation)
    return screening


def latest_screenings(stay) -> list[Screening]:
    """The most recent screening of each instrument (each external name counts as one)."""
    latest = {}
    for screening in stay.screenings.order_by("-done_on", "-created_at", "-pk"):
        latest.setdefault((screening.instrument, screening.external_name.lower()), screening)
    return list(latest.values())


# --- reading a screening back ------------------------------------------------------------


sees_restricted_findings = stay_rules.sees_restricted_findings


@dataclass(frozen=True)
class Advice:
    text: str
    category: str = ""
    restricted: bool = False

    @property
    def category_label(self) -> str:
        return Category(self.category).label if self.category in Category.values else ""


@dataclass(frozen=True)
class ScreeningSummary:
    """One screening as a reader sees it: labels in their language, restricted parts
    left out unless they may see them."""

    screening: Screening
    name: str
    score: str
    band: str = ""
    band_key: str = ""
    flagged: list[str] = field(default_factory=list)
    advice: list[Advice] = field(default_factory=list)
    answers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def tone(self) -> str:
        """How the result's badge looks: the worst bands stand out."""
        return {"high": "bad", "medium": "warn", "moderate": "warn"}.get(self.band_key, "")


def summarise(screening: Screening, *, show_restricted: bool) -> ScreeningSummary:
    if screening.instrument == EXTERNAL:
        return ScreeningSummary(screening, screening.external_name, screening.external_score)
    try:
        definition = instrument(screening.instrument, screening.version)
    except LookupError:  # an instrument an organisation removed: show what is stored
        return ScreeningSummary(screening, screening.instrument, _score(screening),
                                screening.band, screening.band)
    band = definition.band(screening.band)
    return ScreeningSummary(
        screening, definition.name, _score(screening), band.label if band else screening.band,
        screening.band, _flagged(definition, screening, show_restricted),
        _advice(definition, screening, show_restricted),
        _answers(definition, screening, show_restricted))


def _score(screening) -> str:
    return "" if screening.score is None else str(screening.score)


def _flagged(definition, screening, show_restricted) -> list[str]:
    domains = [definition.domain(key) for key in screening.flagged]
    return [domain.label for domain in domains
            if domain and (show_restricted or not domain.restricted)]


def _advice(definition, screening, show_restricted) -> list[Advice]:
    advice = []
    for stored in screening.recommendations:
        if stored.get("restricted") and not show_restricted:
            continue
        known = definition.recommendation(stored.get("key", ""))
        advice.append(Advice(known.text if known else stored.get("key", ""),
                             stored.get("category", ""), bool(stored.get("restricted"))))
    return advice


def _answers(definition, screening, show_restricted) -> list[tuple[str, str]]:
    rows = []
    for question in definition.questions:
        if question.restricted and not show_restricted:
            continue
        option = question.option(screening.answers.get(question.key))
        if option is not None:
            rows.append((question.label, option.label))
    return rows

"""Screening instruments as data, scored by code (R3, R14, R15, R17).

An instrument is a versioned definition: questions with their answer options and points,
the domains it looks at, its result bands and the rules that turn answers into
recommended actions. A screening stores the key and version it was scored with;
`instrument(key, version)` reads an old version back, so an old result keeps the
meaning it had when it was computed. Changing a question, an option, a point or a rule
means a new version, never an edit of a published one.

Licences (DOMAIN.md §5): only instruments that are free to implement are built in —
Relais's own social-vulnerability screen (written from the consultation reports in
`shared/seeds`), LACE (a published formula) and the Belgian Katz categories (public
regulation). All wording here is Relais's own. Licensed instruments (BelRAI screener,
ISAR, TRST, Zarit…) are never copied: their score, computed elsewhere, is recorded as an
external score. An organisation that holds a licence can define one with these classes
and `register` it.

Every label is English source text through `gettext_lazy`, translated in the catalogues.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.directory.models import Category

Answers = Mapping[str, str]


# --- the definition format -------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    points: int = 0
    # The domain this answer flags ("" flags nothing): an answer can speak to another
    # domain than its question's (living on the street flags housing, not isolation).
    flags: str = ""


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    options: tuple[Option, ...]
    help: str = ""
    # A restricted question's answer is shown only to those who see restricted domains.
    restricted: bool = False

    def option(self, value) -> Option | None:
        return next((option for option in self.options if option.value == value), None)


@dataclass(frozen=True)
class Domain:
    key: str
    label: str
    # Seen only by the hospital's staff and the person's safeguarding circle (R14).
    restricted: bool = False


@dataclass(frozen=True)
class Recommendation:
    key: str
    text: str
    # A directory category (relais.directory.models.Category) the plan can refer to.
    category: str = ""
    restricted: bool = False

    def as_stored(self) -> dict:
        """Stored with the screening: readers that do not load the instrument (transfer
        note, going-home sheet, observatory) still know what to keep out of view."""
        return {"key": self.key, "category": str(self.category), "restricted": self.restricted}


@dataclass(frozen=True)
class Rule:
    """When `applies(answers)`, recommend `recommends`; `raises_to` lifts the band."""

    recommends: str
    applies: Callable[[Answers], bool]
    raises_to: str = ""


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    minimum: int = 0  # the lowest score in this band (bands listed from low to high)
    flags: tuple[str, ...] = ()
    recommends: tuple[str, ...] = ()


@dataclass(frozen=True)
class Result:
    score: int | None
    band: str
    flagged: tuple[str, ...]
    recommendations: tuple[Recommendation, ...]


def sum_of_points(instrument: "Instrument", answers: Answers) -> int:
    return sum(instrument.question(key).option(value).points for key, value in answers.items())


def band_by_minimum(instrument: "Instrument", answers: Answers, score: int) -> str:
    reached = [band for band in instrument.bands if score >= band.minimum]
    return reached[-1].key


@dataclass(frozen=True)
class Instrument:
    key: str
    version: int
    name: str
    summary: str
    questions: tuple[Question, ...]
    bands: tuple[Band, ...]
    domains: tuple[Domain, ...] = ()
    recommendations: tuple[Recommendation, ...] = ()
    rules: tuple[Rule, ...] = ()
    score_of: Callable[["Instrument", Answers], int] = sum_of_points
    band_of: Callable[["Instrument", Answers, int], str] = band_by_minimum
    prefill: Callable[[object], dict] = lambda stay: {}

    def question(self, key: str) -> Question | None:
        return next((question for question in self.questions if question.key == key), None)

    def domain(self, key: str) -> Domain | None:
        return next((domain for domain in self.domains if domain.key == key), None)

    def band(self, key: str) -> Band | None:
        return next((band for band in self.bands if band.key == key), None)

    def recommendation(self, key: str) -> Recommendation | None:
        return next((rec for rec in self.recommendations if rec.key == key), None)

    def clean(self, answers: Answers) -> dict:
        """The answers as stored, or ValidationError naming each bad one (nothing kept)."""
        errors = {}
        for key in answers:
            if self.question(key) is None:
                errors.setdefault(NON_FIELD_ERRORS, []).append(ValidationError(
                    _("“%(question)s” is not a question of this screening."),
                    code="unknown_question", params={"question": key}))
        for question in self.questions:
            error = _answer_error(question, answers.get(question.key))
            if error:
                errors[question.key] = [error]
        if errors:
            raise ValidationError(errors)
        return {question.key: str(answers[question.key]) for question in self.questions}

    def score(self, answers: Answers) -> Result:
        """Score valid answers: the points, the band, flagged domains, what to do."""
        answers = self.clean(answers)
        score = self.score_of(self, answers)
        band = self.band(self.band_of(self, answers, score))
        fired = [rule for rule in self.rules if rule.applies(answers)]
        band = self._raised(band, fired)
        flagged = self._flagged(answers, band)
        wanted = set(band.recommends) | {rule.recommends for rule in fired}
        recommended = tuple(rec for rec in self.recommendations if rec.key in wanted)
        return Result(score, band.key, flagged, recommended)

    def _raised(self, band: Band, fired: list[Rule]) -> Band:
        """A rule can lift the band (never lower it): some combinations matter more than
        their points, e.g. living alone with no caregiver."""
        order = [b.key for b in self.bands]
        for rule in fired:
            if rule.raises_to and order.index(rule.raises_to) > order.index(band.key):
                band = self.band(rule.raises_to)
        return band

    def _flagged(self, answers: Answers, band: Band) -> tuple[str, ...]:
        keys = {self.question(key).option(value).flags for key, value in answers.items()}
        keys |= set(band.flags)
        return tuple(domain.key for domain in self.domains if domain.key in keys)


def _answer_error(question: Question, value) -> ValidationError | None:
    if value in (None, ""):
        return ValidationError(_("Answer this question: %(question)s"), code="required",
                               params={"question": question.label})
    if question.option(str(value)) is None:
        return ValidationError(
            _("“%(answer)s” is not a possible answer to: %(question)s"), code="invalid_choice",
            params={"answer": value, "question": question.label})
    return None


# --- small helpers for rules -----------------------------------------------------------


def answer_in(question: str, *values: str) -> Callable[[Answers], bool]:
    return lambda answers: answers.get(question) in values


def all_of(*tests: Callable[[Answers], bool]) -> Callable[[Answers], bool]:
    return lambda answers: all(test(answers) for test in tests)


def any_of(*tests: Callable[[Answers], bool]) -> Callable[[Answers], bool]:
    return lambda answers: any(test(answers) for test in tests)


YES_NO = (Option("no", _("No")), Option("yes", _("Yes")))


# --- Relais social-vulnerability screen --------------------------------------------------
# Written from the care-zone consultation reports (seeds 000 and 001): isolation, psycho-
# social fragility and the ability to mobilise a network matter at discharge, not only
# medical complexity (R3); isolated people without a caregiver need special attention and
# caregivers need support (R15); OCMW/CPAS and housing services (R16); priority groups
# (R17); domestic violence (R14); refusal of help (R2, R11).

SOCIAL_DOMAINS = (
    Domain("isolation", _("Isolation")),
    Domain("caregiver", _("No or overloaded caregiver")),
    Domain("network", _("Cannot call on a network")),
    Domain("psychosocial", _("Psychosocial fragility")),
    Domain("cognition", _("Memory or understanding")),
    Domain("housing", _("Housing")),
    Domain("finances", _("Money")),
    Domain("language", _("Language and health literacy")),
    Domain("refusal", _("Earlier refusal of help")),
    Domain("family", _("Cares for someone else")),
    Domain("priority", _("Priority group")),
    Domain("violence", _("Domestic-violence concern"), restricted=True),
)

SOCIAL_QUESTIONS = (
    Question("living", _("Who does the person live with?"), (
        Option("alone", _("Alone"), 2, "isolation"),
        Option("with_others", _("With a partner, family or others")),
        Option("institution", _("In an institution")),
        Option("homeless", _("Nowhere: homeless"), 3, "housing"),
        Option("unknown", _("Not known yet"), 1))),
    Question("caregiver", _("Is there a relative, friend or neighbour who helps regularly?"), (
        Option("yes", _("Yes, and they can go on helping")),
        Option("overloaded", _("Yes, but they are overloaded or cannot do more"), 2,
               "caregiver"),
        Option("none", _("No"), 3, "caregiver"))),
    Question("contacts", _("How often does the person talk with people close to them?"), (
        Option("weekly", _("At least once a week")),
        Option("less", _("Less than once a week"), 1),
        Option("rarely", _("Rarely or never"), 2, "isolation"))),
    Question("network", _("If something goes wrong at home, can the person get someone to "
                          "come quickly?"), (
        Option("yes", _("Yes")),
        Option("hardly", _("With difficulty"), 1, "network"),
        Option("no", _("No one would come"), 2, "network"))),
    Question("psychosocial", _("Does psychological distress weigh on the return home (low "
                               "mood, anxiety, grief, addiction)?"), (
        Option("no", _("No")),
        Option("some", _("Somewhat"), 1, "psychosocial"),
        Option("marked", _("Clearly"), 2, "psychosocial"))),
    Question("cognition", _("Do memory or understanding difficulties get in the way of "
                            "daily life or treatment?"), (
        Option("no", _("No")),
        Option("some", _("Somewhat"), 1, "cognition"),
        Option("marked", _("Clearly"), 2, "cognition"))),
    Question("housing", _("Is the home ready for the return?"), (
        Option("ready", _("Yes")),
        Option("adapt", _("It needs changes or equipment (stairs, bathroom, bed)"), 1,
               "housing"),
        Option("unsafe", _("It is unhealthy, unsafe, or may be lost"), 2, "housing"),
        Option("none", _("There is no home to return to"), 3, "housing"))),
    Question("finances", _("Could money problems stop care, medicines, food or heating?"), (
        Option("no", _("No")),
        Option("maybe", _("Possibly"), 1, "finances"),
        Option("yes", _("Yes"), 2, "finances"))),
    Question("language", _("Does the person understand information about their care?"), (
        Option("yes", _("Yes, in the language we use")),
        Option("simple", _("Only with plain words, pictures or a relative's help"), 1,
               "language"),
        Option("interpreter", _("Only through an interpreter"), 2, "language"))),
    Question("refusal", _("Has the person refused or broken off help or follow-up before?"), (
        Option("no", _("No")),
        Option("yes", _("Yes"), 2, "refusal"))),
    Question("dependants", _("Does the person look after someone at home (a child, a "
                             "partner, a parent) who will need care meanwhile?"), (
        Option("no", _("No")),
        Option("yes", _("Yes"), 2, "family"))),
    Question("priority", _("Is the person in a priority group (older person, isolated "
                           "without a network, disability, isolated parent, chronic "
                           "illness, homeless)?"), (
        Option("no", _("No")),
        Option("yes", _("Yes"), 1, "priority"))),
    # No points on purpose: the score and band are shown to everyone who sees the stay,
    # and must not give the concern away (R14).
    Question("violence", _("Is there a concern of domestic violence or abuse?"), (
        Option("no", _("No")),
        Option("suspected", _("Suspected"), 0, "violence"),
        Option("disclosed", _("Told by the person"), 0, "violence")),
        help=_("Ask only when the person is alone, never in front of a partner or "
               "relative, and be careful with interpreters."),
        restricted=True),
)

SOCIAL_RECOMMENDATIONS = (
    Recommendation("coordination_before_discharge", _(
        "Lives alone with no caregiver: refer to a home-care coordination centre before "
        "discharge."), Category.HOME_CARE_COORDINATION),
    Recommendation("gp_and_coordination", _(
        "Memory or understanding difficulties and no caregiver: involve the GP and a "
        "coordination centre; agree who checks medicines and appointments."),
        Category.HOME_CARE_COORDINATION),
    Recommendation("case_management", _(
        "Isolated, with no one to call on: ask for case management and name one contact "
        "point."), Category.CASE_MANAGEMENT),
    Recommendation("caregiver_support", _(
        "The caregiver is overloaded: offer them support and keep them informed after "
        "discharge."), Category.CAREGIVER_SUPPORT),
    Recommendation("mental_health", _(
        "Clear psychological distress: propose mental-health support."),
        Category.MENTAL_HEALTH),
    Recommendation("social_service", _(
        "Money problems: contact the social service of the OCMW/CPAS."),
        Category.SOCIAL_SERVICE),
    Recommendation("emergency_housing", _(
        "No home to return to: contact emergency housing before discharge."),
        Category.EMERGENCY_HOUSING),
    Recommendation("social_housing", _(
        "Unsafe or threatened housing: contact a social housing service."),
        Category.SOCIAL_HOUSING),
    Recommendation("home_adaptation", _(
        "The home needs changes: arrange equipment or adaptations before going home."),
        Category.MEDICAL_EQUIPMENT),
    Recommendation("interpreter", _(
        "Book an interpreter for the discharge talk and give the going-home sheet in the "
        "person's language.")),
    Recommendation("plain_language", _(
        "Explain in plain words, check what was understood, and say who will explain "
        "what at home.")),
    Recommendation("watch_after_discharge", _(
        "Help was refused before: propose a watch after discharge so that support can "
        "restart at once."), Category.HOME_CARE_COORDINATION),
    Recommendation("care_for_dependants", _(
        "Arrange care for the people the person looks after while they recover."),
        Category.HOME_HELP),
    Recommendation("domestic_violence", _(
        "Domestic-violence concern: keep it to the safeguarding circle, never inform the "
        "suspected person, talk with the person alone, and propose a specialised "
        "service."), Category.DOMESTIC_VIOLENCE, restricted=True),
)

SOCIAL_RULES = (
    Rule("coordination_before_discharge",
         all_of(answer_in("living", "alone"), answer_in("caregiver", "none")), "high"),
    Rule("gp_and_coordination",
         all_of(answer_in("cognition", "some", "marked"), answer_in("caregiver", "none"))),
    Rule("case_management",
         all_of(answer_in("contacts", "rarely"), answer_in("network", "no"))),
    Rule("caregiver_support", answer_in("caregiver", "overloaded")),
    Rule("mental_health", answer_in("psychosocial", "marked")),
    Rule("social_service", answer_in("finances", "maybe", "yes")),
    Rule("emergency_housing",
         any_of(answer_in("housing", "none"), answer_in("living", "homeless")), "high"),
    Rule("social_housing", answer_in("housing", "unsafe")),
    Rule("home_adaptation", answer_in("housing", "adapt")),
    Rule("interpreter", answer_in("language", "interpreter")),
    Rule("plain_language", answer_in("language", "simple")),
    Rule("watch_after_discharge", answer_in("refusal", "yes")),
    Rule("care_for_dependants", answer_in("dependants", "yes")),
    # Never raises the band: the band is seen by people who must not learn of it.
    Rule("domestic_violence", answer_in("violence", "suspected", "disclosed")),
)

_LIVING_ANSWERS = {"alone": "alone", "partner": "with_others", "family": "with_others",
                   "institution": "institution", "homeless": "homeless"}


def initial_answers(person) -> dict:
    """What the person's record already tells (R17): living situation, priority groups,
    interpreter. Only what is known is filled in; the rest is asked."""
    answers = {}
    if person.living_situation in _LIVING_ANSWERS:
        answers["living"] = _LIVING_ANSWERS[person.living_situation]
    if person.priority_groups:
        answers["priority"] = "yes"
    if person.needs_interpreter:
        answers["language"] = "interpreter"
    return answers


SOCIAL_V1 = Instrument(
    key="relais-social", version=1,
    name=_("Relais social-vulnerability screen"),
    summary=_("What makes going home fragile beyond the medical picture: isolation, "
              "caregivers, network, psychological and cognitive fragility, housing, money, "
              "language, earlier refusals, domestic violence."),
    questions=SOCIAL_QUESTIONS,
    bands=(Band("low", _("Low vulnerability")),
           Band("medium", _("Some vulnerability"), minimum=4),
           Band("high", _("High vulnerability"), minimum=8)),
    domains=SOCIAL_DOMAINS, recommendations=SOCIAL_RECOMMENDATIONS, rules=SOCIAL_RULES,
    prefill=lambda stay: initial_answers(stay.person),
)


# --- LACE readmission index (van Walraven 2010) -----------------------------------------
# L length of stay, A acute admission, C Charlson comorbidity index, E emergency visits in
# the previous 6 months; 0–19. ≥10 is "high risk" [V, DOMAIN.md §5]; the 5–9 "moderate"
# band is the split commonly used in practice, not part of the verified source.

LENGTH_OF_STAY_OPTIONS = ((14, "14+"), (7, "7-13"), (4, "4-6"), (3, "3"), (2, "2"),
                          (1, "1"), (0, "0"))


def length_of_stay_answer(days: int) -> str:
    """The length-of-stay option for a stay of `days` whole days."""
    return next(value for lowest, value in LENGTH_OF_STAY_OPTIONS if max(days, 0) >= lowest)


def lace_prefill(stay) -> dict:
    """The length of stay, counted from admission to discharge (or to now)."""
    if stay is None:
        return {}
    end = stay.discharged_at or timezone.now()
    return {"length_of_stay": length_of_stay_answer((end - stay.admitted_at).days)}


LACE_V1 = Instrument(
    key="lace", version=1,
    name=_("LACE readmission risk"),
    summary=_("Risk of readmission or death within 30 days of discharge, from the length of "
              "stay, an unplanned admission, other illnesses and recent emergency visits. "
              "10 or more is high."),
    questions=(
        Question("length_of_stay", _("Length of stay"), (
            Option("0", _("Less than one day"), 0),
            Option("1", _("1 day"), 1),
            Option("2", _("2 days"), 2),
            Option("3", _("3 days"), 3),
            Option("4-6", _("4 to 6 days"), 4),
            Option("7-13", _("7 to 13 days"), 5),
            Option("14+", _("14 days or more"), 7))),
        Question("acute", _("Was this an unplanned (emergency) admission?"), (
            Option("no", _("No")), Option("yes", _("Yes"), 3))),
        Question("comorbidity", _("Charlson comorbidity index"), (
            Option("0", "0", 0), Option("1", "1", 1), Option("2", "2", 2), Option("3", "3", 3),
            Option("4+", _("4 or more"), 5)),
            help=_("Computed from the recorded diagnoses.")),
        Question("emergency_visits", _("Emergency department visits in the six months "
                                       "before this admission"), (
            Option("0", "0", 0), Option("1", "1", 1), Option("2", "2", 2), Option("3", "3", 3),
            Option("4+", _("4 or more"), 4))),
    ),
    bands=(Band("low", _("Low risk of readmission")),
           Band("moderate", _("Moderate risk of readmission"), minimum=5),
           Band("high", _("High risk of readmission"), minimum=10, flags=("readmission",),
                recommends=("early_followup",))),
    domains=(Domain("readmission", _("Risk of readmission")),),
    recommendations=(
        Recommendation("early_followup", _(
            "High risk of readmission: plan a first contact at home within days of "
            "discharge (GP or home nurse) and review the medicines."), Category.GP),),
    prefill=lace_prefill,
)


# --- Belgian Katz categories -------------------------------------------------------------
# Reading of the RIZIV/INAMI rules for residential care (belraiwiki.health.belgium.be, page
# KATZ; DOMAIN.md §5 [V]): an item counts as dependent when scored 3 or 4.
# - O: physically independent and not disoriented.
# - A: dependent for washing and/or dressing; or disoriented (and physically independent).
# - B: dependent for washing and dressing and for transfer and/or toilet; or disoriented
#   and dependent for washing and/or dressing.
# - C: dependent for washing, dressing, transfer and toilet, and for continence and/or
#   eating.
# - Cd: disoriented (or a specialist's dementia diagnosis) and dependent for washing,
#   dressing and continence, and for transfer and/or toilet and/or eating.
# - D: a dementia diagnosis after a specialised assessment, not meeting Cd.
# Uncertain [U]: (1) "disoriented in time and space" is read as both orientation items
# scored 3 or 4; (2) D is placed above B and A and below C (a diagnosed person who would
# be A or B is D); (3) someone disoriented with a dependency other than washing or
# dressing is put in A, where the text ("physically fully independent") leaves a gap.
# The home-nursing fees (forfait A, B, C, PA) follow other rules and are not computed.

KATZ_ITEMS = (
    ("washing", _("Washing")),
    ("dressing", _("Dressing")),
    ("transfer", _("Transfers and moving about")),
    ("toileting", _("Going to the toilet")),
    ("continence", _("Continence")),
    ("eating", _("Eating")),
)
KATZ_ORIENTATION = (("time", _("Orientation in time")), ("space", _("Orientation in space")))


def _katz_item(key: str, label: str) -> Question:
    return Question(key, label, (
        Option("1", _("1 · does it alone"), 1),
        Option("2", _("2 · needs a little help or an aid"), 2),
        Option("3", _("3 · needs help for part of it"), 3, "adl"),
        Option("4", _("4 · fully dependent on others"), 4, "adl")))


def _orientation_item(key: str, label: str) -> Question:
    return Question(key, label, (
        Option("1", _("1 · no problem")),
        Option("2", _("2 · now and then")),
        Option("3", _("3 · almost every day"), 0, "orientation"),
        Option("4", _("4 · all the time"), 0, "orientation")))


def katz_dependent(answers: Answers) -> set[str]:
    return {key for key, _label in KATZ_ITEMS if int(answers[key]) >= 3}


def katz_disoriented(answers: Answers) -> bool:
    return all(int(answers[key]) >= 3 for key, _label in KATZ_ORIENTATION)


def katz_category(instrument, answers: Answers, score: int = 0) -> str:
    """O, A, B, C, Cd or D (see the reading above), from the highest down."""
    dependent = katz_dependent(answers)
    disoriented = katz_disoriented(answers)
    dementia = answers["dementia"] == "yes"
    washing_and_dressing = {"washing", "dressing"} <= dependent
    if ((disoriented or dementia) and washing_and_dressing and "continence" in dependent
            and dependent & {"transfer", "toileting", "eating"}):
        return "Cd"
    if washing_and_dressing and {"transfer", "toileting"} <= dependent and dependent & {
            "continence", "eating"}:
        return "C"
    if dementia:
        return "D"
    if washing_and_dressing and dependent & {"transfer", "toileting"}:
        return "B"
    if disoriented and dependent & {"washing", "dressing"}:
        return "B"
    if dependent & {"washing", "dressing"} or disoriented:
        return "A"
    return "O"


def katz_adl_score(instrument, answers: Answers) -> int:
    """The six daily-living items added up (6–24); orientation is not part of it."""
    return sum(int(answers[key]) for key, _label in KATZ_ITEMS)


_PERSONAL_CARE = ("personal_care",)
_HIGH_DEPENDENCY = ("personal_care", "high_dependency")

KATZ_V1 = Instrument(
    key="katz-be", version=1,
    name=_("Katz dependency category (Belgium)"),
    summary=_("Dependency in six activities of daily living, each scored 1 to 4, with "
              "orientation in time and space: gives the Belgian categories O, A, B, C, Cd "
              "and D."),
    questions=(*(_katz_item(key, label) for key, label in KATZ_ITEMS),
               *(_orientation_item(key, label) for key, label in KATZ_ORIENTATION),
               Question("dementia", _("Has a specialist confirmed dementia in a written "
                                      "report after a specialised assessment?"), YES_NO)),
    bands=(Band("O", _("O · independent")),
           Band("A", _("A · some dependency"), recommends=_PERSONAL_CARE),
           Band("B", _("B · dependent"), recommends=_PERSONAL_CARE),
           Band("D", _("D · diagnosed dementia"), recommends=_PERSONAL_CARE),
           Band("C", _("C · heavily dependent"), recommends=_HIGH_DEPENDENCY),
           Band("Cd", _("Cd · heavily dependent and disoriented"),
                recommends=_HIGH_DEPENDENCY)),
    domains=(Domain("adl", _("Daily living")), Domain("orientation", _("Orientation"))),
    recommendations=(
        Recommendation("personal_care", _(
            "Needs help with personal care: arrange home nursing before discharge."),
            Category.HOME_NURSING),
        Recommendation("high_dependency", _(
            "Heavy dependency: talk with the person about what going home needs — "
            "coordinated home care, day care or a nursing home."),
            Category.HOME_CARE_COORDINATION),
        Recommendation("orientation", _(
            "Disoriented: make sure someone looks in every day; involve the GP and a "
            "coordination centre."), Category.HOME_CARE_COORDINATION),
    ),
    rules=(Rule("orientation", katz_disoriented),),
    score_of=katz_adl_score,
    band_of=katz_category,
)


# --- the registry ------------------------------------------------------------------------

_VERSIONS: dict[tuple[str, int], Instrument] = {}
INSTRUMENTS: dict[str, Instrument] = {}  # key → current version


def register(definition: Instrument) -> None:
    """Add an instrument version; the highest version of a key is the current one."""
    _VERSIONS[(definition.key, definition.version)] = definition
    current = INSTRUMENTS.get(definition.key)
    if current is None or definition.version > current.version:
        INSTRUMENTS[definition.key] = definition


def instrument(key: str, version: int | None = None) -> Instrument:
    """The current version of `key`, or the given one (to read old screenings back)."""
    found = INSTRUMENTS.get(key) if version is None else _VERSIONS.get((key, version))
    if found is None:
        raise LookupError(f"no screening instrument {key!r} version {version}")
    return found


def every_version() -> list[Instrument]:
    """Every version of every instrument, by key then version: old screenings are read
    with theirs (the FHIR API serves each as a Questionnaire)."""
    return [_VERSIONS[key] for key in sorted(_VERSIONS)]


for _definition in (SOCIAL_V1, LACE_V1, KATZ_V1):
    register(_definition)

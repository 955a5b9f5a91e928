"""Fictional persons and their care networks in the demo care zone South-East.

Everything here is invented. National numbers are computed from the birth date and sex so
that they pass their check digits; they may by chance belong to someone real, so never use
them outside the demo. Every record is opened by the demo coordinator for the coordination
centre, through the same services as the screens (so the audit log tells the story too).

Loading is idempotent: persons are keyed on first name, last name and birth date. It needs
the demo organisations and logins of relais.accounts.demo (`relais demo` loads both).
Two portal logins (`load_demo_portal`) show the person's side: Fernand Dewit himself and
Catherine Lemaire, the daughter of Simone Lemaire.
"""

import zlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

from relais.access.models import ConsentScope
from relais.accounts import demo as zone
from relais.accounts.models import Organisation, User
from relais.core.models import Municipality
from relais.network import portal, services
from relais.network.models import LivingSituation as L
from relais.network.models import MemberKind, NetworkMember, Person, PersonLanguage, Role
from relais.network.models import PriorityGroup as P
from relais.network.models import Relation as R

POSTCODES = {"21002": "1160", "21005": "1040", "21018": "1200", "21019": "1150"}
AUDERGHEM, ETTERBEEK, WOLUWE_ST_LAMBERT, WOLUWE_ST_PIERRE = POSTCODES
FIRST_CONSENT = date(2025, 3, 3)


# --- who can be in a network --------------------------------------------------------------


@dataclass(frozen=True)
class Pro:
    """A demo login, in person (kind professional)."""

    local_part: str
    roles: tuple
    what_they_do: str = ""
    circle: bool = False


@dataclass(frozen=True)
class Org:
    """A demo organisation (kind organisation), keyed like relais.accounts.demo."""

    key: str
    roles: tuple
    what_they_do: str = ""
    circle: bool = False
    ended: bool = False


@dataclass(frozen=True)
class Contact:
    """A relative, friend or neighbour (kind informal), linked to no login."""

    name: str
    relation: str
    roles: tuple
    what_they_do: str = ""
    language: str = ""
    contact_point: bool = False
    excluded: bool = False


@dataclass(frozen=True)
class DemoPerson:
    first_name: str
    last_name: str
    birth_date: date | None
    sex: str
    nis: str
    street: str
    living: str
    groups: tuple
    network: tuple
    language: str = PersonLanguage.FRENCH
    other_language: str = ""
    interpreter: bool = False
    number: str = "nn"  # "nn": national number, "bis": BIS number, "": none known
    consent_by: str | None = ""  # "": the person themselves; None: no consent recorded yet
    safeguarding: bool = False
    has_phone: bool = True


GP = Pro("gp", (Role.GP,), "Family doctor, home visits when needed")
NURSING = Org("homenursing", (Role.HOME_NURSE,), "Daily nursing care and medication")
NURSE = Pro("home-nurse", (Role.HOME_NURSE,), "Wound care three times a week")
PHARMACY = Org("pharmacy", (Role.PHARMACIST,), "Weekly pill organiser, home delivery")
HOME_HELP = Org("homehelp", (Role.HOME_HELP,), "Cleaning and shopping twice a week")
CPAS = Org("cpas", (Role.SOCIAL_WORKER,), "Home meals and financial help")
CPAS_WORKER = Pro("cpas", (Role.SOCIAL_WORKER,), "Social worker following the file")
CASE_MANAGER = Pro("case-manager", (Role.CASE_MANAGER,), "Case manager: care plan reviews")
LIAISON = Pro("liaison", (Role.OTHER,), "Liaison nurse at Val-Fleuri: prepares the discharge")
HOUSING = Org("housing", (Role.OTHER,), "Request for an emergency flat")


def child(name, *roles, **more):
    return Contact(name, R.CHILD, roles or (Role.FAMILY,), **more)


def partner(name, *roles, **more):
    return Contact(name, R.PARTNER, roles or (Role.INFORMAL_CAREGIVER, Role.FAMILY), **more)


CAREGIVER = (Role.INFORMAL_CAREGIVER, Role.FAMILY)

# Birth dates mostly 1930–1960; names as varied as Brussels. Streets are real, the house
# numbers and people are not.
PERSONS = [
    # (a) Lives alone; her daughter is informal caregiver, trusted person and contact point.
    DemoPerson(
        "Simone", "Lemaire", date(1938, 4, 12), "F", AUDERGHEM, "Avenue Schaller 53", L.ALONE,
        (P.ELDERLY,),
        (GP, NURSING, PHARMACY,
         child("Catherine Lemaire", Role.INFORMAL_CAREGIVER, Role.TRUSTED_PERSON, Role.FAMILY,
               what_they_do="Visits three times a week, manages the medication",
               contact_point=True)),
    ),
    # (b) His son is his designated representative, by a mandate signed in 2024.
    DemoPerson(
        "Jozef", "Verhaegen", date(1933, 11, 2), "M", WOLUWE_ST_LAMBERT,
        "Avenue Georges Henri 312 bus 4", L.WITH_PARTNER, (P.ELDERLY, P.CHRONIC_ILLNESS),
        (GP, NURSE, CASE_MANAGER, HOME_HELP,
         partner("Godelieve Verhaegen-Peeters", language=PersonLanguage.DUTCH),
         child("Marc Verhaegen", Role.REPRESENTATIVE, Role.FAMILY,
               what_they_do="Designated representative since 2024", contact_point=True,
               language=PersonLanguage.DUTCH)),
        language=PersonLanguage.DUTCH, consent_by="Marc Verhaegen (representative)",
    ),
    # (c) Isolated: lives alone, no relative or friend, only professionals around him.
    DemoPerson(
        "Roger", "Delvaux", date(1944, 7, 19), "M", ETTERBEEK, "Rue Louis Hap 118 bte 3",
        L.ALONE, (P.ELDERLY, P.ISOLATED),
        (GP, CPAS_WORKER, NURSING, PHARMACY, CASE_MANAGER),
    ),
    # (d) Safeguarding: the shelter is in the safeguarding circle; her partner is excluded.
    DemoPerson(
        "Valérie", "Hermans", date(1976, 9, 23), "F", ETTERBEEK,
        "Address kept by the shelter", L.WITH_FAMILY, (P.ISOLATED_PARENT,),
        (GP, CPAS,
         Org("dv", (Role.SOCIAL_WORKER,), "Shelter and follow-up; call before any visit",
             circle=True),
         Pro("case-manager", (Role.CASE_MANAGER,), "Coordinates with the shelter", circle=True),
         Contact("Sandrine Hermans", R.SIBLING, (Role.INFORMAL_CAREGIVER, Role.TRUSTED_PERSON),
                 "Looks after the children on Wednesdays"),
         partner("Didier Lambotte", Role.FAMILY, excluded=True)),
        safeguarding=True,
    ),
    # (e) Homeless, no national number known, birth date unknown; reference address at CPAS.
    DemoPerson(
        "Patrick", "Lejeune", None, "M", WOLUWE_ST_LAMBERT,
        "Reference address: CPAS, Rue de la Charrette 2", L.HOMELESS, (P.HOMELESS,),
        (CPAS, CPAS_WORKER, HOUSING,
         Pro("gp", (Role.GP,), "Sees him at the practice without appointment")),
        number="", has_phone=False,
    ),
    # (f) No consent recorded yet: only the coordination centre sees her record.
    DemoPerson(
        "Georgette", "Wauters", date(1936, 2, 14), "F", WOLUWE_ST_PIERRE,
        "Rue François Gay 71", L.ALONE, (P.ELDERLY,),
        (GP, NURSING,
         Contact("Nathalie Wauters", R.OTHER_FAMILY, (Role.FAMILY,), "Niece, calls weekly")),
        consent_by=None,
    ),
    # (g) In hospital now: the liaison nurse of Val-Fleuri is in his network.
    DemoPerson(
        "Giuseppe", "Russo", date(1941, 5, 30), "M", WOLUWE_ST_LAMBERT,
        "Boulevard Brand Whitlock 88", L.WITH_PARTNER, (P.ELDERLY, P.CHRONIC_ILLNESS),
        (LIAISON, GP, NURSING, PHARMACY,
         partner("Carmela Russo"),
         child("Francesca Russo", Role.FAMILY, Role.TRUSTED_PERSON, contact_point=True)),
    ),
    DemoPerson(
        "Rkia", "El Idrissi", date(1945, 1, 8), "F", ETTERBEEK, "Avenue d'Auderghem 141",
        L.WITH_FAMILY, (P.ELDERLY, P.CHRONIC_ILLNESS),
        (GP, NURSING, PHARMACY,
         child("Mohamed El Idrissi", *CAREGIVER, contact_point=True,
               what_they_do="Lives with her, translates at appointments"),
         Contact("Souad El Idrissi", R.OTHER_FAMILY, CAREGIVER, "Daughter-in-law, daily care")),
        language=PersonLanguage.OTHER, other_language="Arabic (Darija)", interpreter=True,
    ),
    DemoPerson(
        "Mehmet", "Yılmaz", date(1950, 6, 17), "M", WOLUWE_ST_LAMBERT,
        "Chaussée de Roodebeek 205", L.WITH_PARTNER, (P.CHRONIC_ILLNESS,),
        (GP, NURSE,
         partner("Ayşe Yılmaz"),
         child("Emre Yılmaz", Role.FAMILY, Role.TRUSTED_PERSON, contact_point=True)),
        language=PersonLanguage.OTHER, other_language="Turkish", interpreter=True,
    ),
    DemoPerson(
        "Marie-Claire", "Mukendi", date(1958, 10, 3), "F", ETTERBEEK,
        "Rue Général Leman 27", L.ALONE, (P.CHRONIC_ILLNESS,),
        (GP, NURSING, HOME_HELP,
         child("Grâce Mukendi", *CAREGIVER, what_they_do="Comes every evening after work")),
    ),
    DemoPerson(
        "Jean-Pierre", "Kabongo", date(1947, 3, 21), "M", AUDERGHEM,
        "Boulevard du Souverain 212", L.WITH_PARTNER, (P.ELDERLY,),
        (GP, PHARMACY, CASE_MANAGER, partner("Thérèse Kabongo")),
    ),
    DemoPerson(
        "Krystyna", "Nowak", date(1939, 8, 9), "F", WOLUWE_ST_PIERRE,
        "Avenue Parmentier 19", L.ALONE, (P.ELDERLY,),
        (NURSING, HOME_HELP, PHARMACY,
         Contact("Danuta Wiśniewska", R.NEIGHBOUR, (Role.INFORMAL_CAREGIVER,),
                 "Polish-speaking neighbour, does the shopping")),
        language=PersonLanguage.OTHER, other_language="Polish",
    ),
    DemoPerson(
        "Stanisław", "Kowalczyk", date(1942, 12, 1), "M", AUDERGHEM,
        "Résidence Les Tilleuls, Avenue de Beaulieu 25", L.INSTITUTION, (P.ELDERLY,),
        (GP, child("Piotr Kowalczyk", Role.FAMILY, Role.TRUSTED_PERSON,
                   what_they_do="Lives in Kraków, calls every Sunday")),
        language=PersonLanguage.OTHER, other_language="Polish", interpreter=True,
    ),
    DemoPerson(
        "Godelieve", "Van Damme", date(1935, 5, 4), "F", WOLUWE_ST_LAMBERT,
        "Avenue Paul Hymans 64", L.ALONE, (P.ELDERLY,),
        (GP, NURSE, PHARMACY,
         Org("homehelp", (Role.HOME_HELP,), "Stopped: she moved her cleaning to a neighbour",
             ended=True),
         child("Hilde Van Damme", *CAREGIVER, contact_point=True,
               language=PersonLanguage.DUTCH),
         Contact("Luc Peeters", R.NEIGHBOUR, (Role.INFORMAL_CAREGIVER,),
                 "Has a key, checks on her every morning")),
        language=PersonLanguage.DUTCH,
    ),
    DemoPerson(
        "Frans", "Van Acker", date(1940, 9, 15), "M", ETTERBEEK, "Avenue de la Chasse 133",
        L.WITH_PARTNER, (P.ELDERLY, P.CHRONIC_ILLNESS),
        (GP, NURSING, CASE_MANAGER, partner("Maria Van Acker-De Smet")),
        language=PersonLanguage.DUTCH,
    ),
    DemoPerson(
        "Jacqueline", "Hermans", date(1931, 1, 27), "F", WOLUWE_ST_PIERRE,
        "Avenue Orban 102", L.WITH_FAMILY, (P.ELDERLY, P.DISABILITY),
        (GP, NURSING, HOME_HELP,
         child("Brigitte Hermans", *CAREGIVER, contact_point=True,
               what_they_do="Lives with her mother")),
    ),
    DemoPerson(
        "Marcel", "Vandenberghe", date(1937, 7, 7), "M", AUDERGHEM,
        "Chaussée de Wavre 1590", L.ALONE, (P.ELDERLY,),
        (GP, PHARMACY, child("Alain Vandenberghe"),
         Contact("Robert Dufour", R.FRIEND, (Role.INFORMAL_CAREGIVER,),
                 "Old colleague, drives him to appointments")),
    ),
    DemoPerson(
        "Andrée", "Lecocq", date(1943, 3, 11), "F", ETTERBEEK, "Avenue des Casernes 45",
        L.ALONE, (P.ELDERLY, P.CHRONIC_ILLNESS),
        (NURSING, CPAS, Contact("Sandrine Collard", R.OTHER_FAMILY, CAREGIVER, "Niece")),
    ),
    DemoPerson(
        "Mustafa", "Öztürk", date(1953, 4, 2), "M", WOLUWE_ST_LAMBERT,
        "Rue Saint-Lambert 140", L.WITH_FAMILY, (P.CHRONIC_ILLNESS,),
        (NURSING, PHARMACY, child("Zeynep Öztürk", *CAREGIVER, contact_point=True)),
        language=PersonLanguage.OTHER, other_language="Turkish",
    ),
    DemoPerson(
        "Hatice", "Kaya", date(1949, 11, 19), "F", AUDERGHEM,
        "Avenue Gabriel Émile Lebon 8", L.WITH_FAMILY, (P.ELDERLY,),
        (GP, HOME_HELP, child("Burak Kaya", *CAREGIVER)),
        language=PersonLanguage.OTHER, other_language="Turkish", interpreter=True,
    ),
    DemoPerson(
        "Abdelkader", "Ouali", date(1940, 10, 10), "M", ETTERBEEK, "Rue des Champs 58",
        L.WITH_PARTNER, (P.ELDERLY, P.CHRONIC_ILLNESS),
        (GP, NURSING, PHARMACY, CASE_MANAGER, partner("Zohra Ouali"),
         child("Rachid Ouali", Role.FAMILY, Role.TRUSTED_PERSON, contact_point=True)),
        language=PersonLanguage.OTHER, other_language="Arabic", interpreter=True,
    ),
    DemoPerson(
        "Aïcha", "Benhaddou", date(1962, 2, 28), "F", WOLUWE_ST_LAMBERT,
        "Avenue de Broqueville 77", L.ALONE, (P.DISABILITY,),
        (HOME_HELP, CPAS,
         Contact("Fatou Diallo", R.FRIEND, (Role.INFORMAL_CAREGIVER, Role.TRUSTED_PERSON)))),
    DemoPerson(
        "Carmela", "Esposito", date(1934, 6, 13), "F", WOLUWE_ST_PIERRE,
        "Avenue Jules du Jardin 12", L.ALONE, (P.ELDERLY,),
        (NURSING, PHARMACY,
         Contact("Rosa Ferraro", R.FRIEND, (Role.INFORMAL_CAREGIVER,),
                 "Friend from the parish, visits on Sundays")),
        language=PersonLanguage.OTHER, other_language="Italian",
    ),
    DemoPerson(
        "Antonio", "Ferraro", date(1946, 1, 16), "M", AUDERGHEM, "Rue Jacques Bassem 31",
        L.WITH_PARTNER, (P.ELDERLY,),
        (GP, PHARMACY, partner("Rosa Ferraro")),
    ),
    DemoPerson(
        "Concepción", "García Pérez", date(1941, 12, 8), "F", ETTERBEEK,
        "Place Jourdan 9 bte 2", L.ALONE, (P.ELDERLY,),
        (NURSING, HOME_HELP, child("Elena García", *CAREGIVER, contact_point=True)),
        language=PersonLanguage.OTHER, other_language="Spanish",
    ),
    DemoPerson(
        "Georgios", "Papadopoulos", date(1938, 3, 25), "M", ETTERBEEK,
        "Avenue d'Auderghem 260", L.WITH_PARTNER, (P.ELDERLY,),
        (GP, partner("Eleni Papadopoulou")),
        language=PersonLanguage.OTHER, other_language="Greek", interpreter=True,
    ),
    DemoPerson(
        "Maria da Conceição", "Silva", date(1955, 8, 22), "F", WOLUWE_ST_PIERRE,
        "Rue au Bois 365", L.WITH_FAMILY, (P.CHRONIC_ILLNESS,),
        (NURSING, GP, child("Tiago Silva", *CAREGIVER)),
        language=PersonLanguage.OTHER, other_language="Portuguese",
    ),
    DemoPerson(
        "Margaret", "O'Connor", date(1948, 4, 30), "F", WOLUWE_ST_PIERRE,
        "Avenue de Tervueren 301", L.ALONE, (P.ELDERLY,),
        (GP, PHARMACY,
         Contact("Eileen Murphy", R.FRIEND, (Role.TRUSTED_PERSON,), "Former colleague")),
        language=PersonLanguage.ENGLISH,
    ),
    # A displaced person from Ukraine with a BIS number instead of a national number.
    DemoPerson(
        "Oksana", "Melnyk", date(1961, 9, 5), "F", WOLUWE_ST_LAMBERT,
        "Avenue Georges Henri 18", L.WITH_FAMILY, (P.CHRONIC_ILLNESS,),
        (GP, CPAS, child("Iryna Melnyk", *CAREGIVER, contact_point=True,
                         what_they_do="Lives with her, speaks French")),
        language=PersonLanguage.OTHER, other_language="Ukrainian", interpreter=True,
        number="bis",
    ),
    DemoPerson(
        "Papy", "Ilunga", date(1984, 5, 12), "M", ETTERBEEK, "Rue Louis Hap 22", L.ALONE,
        (P.DISABILITY,),
        (NURSING, CASE_MANAGER, CPAS,
         Contact("Thérèse Mbuyi", R.PARENT, (Role.FAMILY, Role.TRUSTED_PERSON), "His mother")),
    ),
    DemoPerson(
        "Thomas", "Verbeke", date(2003, 2, 11), "M", WOLUWE_ST_LAMBERT,
        "Avenue Paul Hymans 190", L.WITH_FAMILY, (P.DISABILITY,),
        (NURSING, CASE_MANAGER,
         Contact("An Verbeke", R.PARENT, CAREGIVER, "His mother, lives with him",
                 language=PersonLanguage.DUTCH, contact_point=True)),
        language=PersonLanguage.DUTCH,
    ),
    DemoPerson(
        "Yasmina", "Tahiri", date(2001, 10, 29), "F", AUDERGHEM, "Chaussée de Wavre 1802",
        L.WITH_FAMILY, (P.CHRONIC_ILLNESS,),
        (GP, PHARMACY, Contact("Naïma Tahiri", R.PARENT, CAREGIVER, "Her mother")),
    ),
    DemoPerson(
        "Sofia", "Cherkaoui", date(1991, 7, 14), "F", ETTERBEEK, "Rue Général Leman 90",
        L.WITH_FAMILY, (P.ISOLATED_PARENT,),
        (GP, CPAS, HOME_HELP,
         Contact("Laura Mertens", R.FRIEND, (Role.INFORMAL_CAREGIVER,),
                 "Picks up the children from school")),
    ),
    DemoPerson(
        "Raymond", "Dierickx", date(1930, 8, 18), "M", WOLUWE_ST_PIERRE,
        "Maison de repos Le Parc, Rue au Bois 120", L.INSTITUTION, (P.ELDERLY,),
        (GP, child("Chantal Dierickx", Role.FAMILY, Role.TRUSTED_PERSON, contact_point=True)),
    ),
    DemoPerson(
        "Paulette", "Goossens", date(1936, 11, 26), "F", AUDERGHEM,
        "Avenue de Beaulieu 3", L.ALONE, (P.ELDERLY,),
        (GP, NURSING, HOME_HELP, PHARMACY,
         Contact("Ana Lopes", R.NEIGHBOUR, (Role.INFORMAL_CAREGIVER,), "Brings the post up")),
    ),
    DemoPerson(
        "Michel", "Collard", date(1951, 12, 30), "M", WOLUWE_ST_LAMBERT,
        "Boulevard Brand Whitlock 15", L.ALONE, (P.CHRONIC_ILLNESS,),
        (GP, NURSING, Contact("Jean Collard", R.SIBLING, (Role.FAMILY,), "Brother")),
    ),
    DemoPerson(
        "Rita", "Vercammen", date(1944, 2, 6), "F", ETTERBEEK, "Avenue de la Chasse 17",
        L.WITH_PARTNER, (P.ELDERLY,),
        (GP, HOME_HELP, PHARMACY, partner("Willy Vercammen", language=PersonLanguage.DUTCH)),
        language=PersonLanguage.DUTCH,
    ),
    DemoPerson(
        "Jan", "Mertens", date(1957, 6, 1), "M", WOLUWE_ST_PIERRE, "Avenue Orban 48",
        L.ALONE, (P.ISOLATED, P.CHRONIC_ILLNESS),
        (NURSE, CPAS_WORKER, CASE_MANAGER),
        language=PersonLanguage.DUTCH,
    ),
    DemoPerson(
        "Yvonne", "Renard", date(1932, 9, 9), "F", WOLUWE_ST_LAMBERT,
        "Rue Saint-Lambert 62", L.WITH_FAMILY, (P.ELDERLY, P.DISABILITY),
        (GP, NURSING, HOME_HELP, PHARMACY,
         Contact("Kevin Renard", R.OTHER_FAMILY, CAREGIVER, "Grandson, lives with her",
                 contact_point=True)),
    ),
    DemoPerson(
        "Béatrice", "Tshibangu", date(1960, 4, 18), "F", AUDERGHEM,
        "Boulevard du Souverain 48", L.ALONE, (P.CHRONIC_ILLNESS,),
        (GP, NURSING, child("Divine Tshibangu", *CAREGIVER)),
    ),
    DemoPerson(
        "Annemie", "Claessens", date(1950, 1, 20), "F", ETTERBEEK, "Rue des Champs 104",
        L.WITH_PARTNER, (P.CHRONIC_ILLNESS,),
        (GP, LIAISON, NURSE, partner("Dirk Claessens", language=PersonLanguage.DUTCH)),
        language=PersonLanguage.DUTCH,
    ),
    DemoPerson(
        "Fernand", "Dewit", date(1935, 10, 31), "M", WOLUWE_ST_PIERRE,
        "Avenue Jules du Jardin 80", L.ALONE, (P.ELDERLY, P.ISOLATED),
        (NURSING, HOME_HELP, CPAS, PHARMACY),
    ),
]


# --- numbers ------------------------------------------------------------------------------


def niss_for(birth_date: date, sex: str, serial: int, *, bis: bool = False) -> str:
    """An 11-digit national (or BIS) number: YYMMDD, a serial (odd for men, even for
    women) and 97 minus the first nine digits mod 97 (prefixed with 2 for births 2000+)."""
    month = birth_date.month + (40 if bis else 0)  # BIS with a known sex: month + 40
    serial = serial * 2 + (1 if sex == "M" else 2)
    first9 = int(f"{birth_date:%y}{month:02d}{birth_date:%d}{serial:03d}")
    checked = first9 + (2_000_000_000 if birth_date.year >= 2000 else 0)
    return f"{first9:09d}{97 - checked % 97:02d}"


def phone_for(name: str, *, mobile: bool) -> str:
    """A made-up Belgian number, the same for the same name: +32 470 12 34 56 or
    +32 2 660 12 34."""
    digits = f"{zlib.crc32(name.encode()):010d}"
    if mobile:
        prefix = ("470", "472", "475", "477", "478", "479", "485", "486", "494", "497")
        return f"+32 {prefix[int(digits[0])]} {digits[1:3]} {digits[3:5]} {digits[5:7]}"
    return f"+32 2 6{digits[0:2]} {digits[2:4]} {digits[4:6]}"


# --- loading ------------------------------------------------------------------------------


@transaction.atomic
def load_demo_persons() -> int:
    """Create the demo persons that do not exist yet; returns how many were created."""
    coordinator = User.objects.get(email=f"coordinator@{zone.DEMO_DOMAIN}")
    bases = {demo.key: demo.kbo_base for demo in zone.ORGANISATIONS}
    centre = Organisation.objects.get(kbo_number=zone.kbo(bases["coordination"]))
    context = {
        "actor": coordinator,
        "organisations": {key: Organisation.objects.get(kbo_number=zone.kbo(base))
                          for key, base in bases.items()},
        "users": {u.email: u for u in User.objects.filter(email__endswith=zone.DEMO_DOMAIN)},
        "municipalities": {m.nis_code: m
                           for m in Municipality.objects.filter(nis_code__in=POSTCODES)},
    }
    created = 0
    for serial, demo in enumerate(PERSONS):
        exists = Person.objects.filter(first_name=demo.first_name, last_name=demo.last_name,
                                       birth_date=demo.birth_date).exists()
        if not exists:
            _create(demo, serial, centre=centre, **context)
            created += 1
    return created


def _create(demo: DemoPerson, serial: int, *, centre, actor, organisations, users,
            municipalities) -> Person:
    full_name = f"{demo.first_name} {demo.last_name}"
    niss = ""
    if demo.number and demo.birth_date:
        niss = niss_for(demo.birth_date, demo.sex, serial, bis=demo.number == "bis")
    young = demo.birth_date is not None and demo.birth_date.year >= 1970
    person = services.create_person({
        "first_name": demo.first_name, "last_name": demo.last_name,
        "birth_date": demo.birth_date, "sex": demo.sex, "niss": niss,
        "language": demo.language, "other_language": demo.other_language,
        "needs_interpreter": demo.interpreter, "street": demo.street,
        "postcode": POSTCODES[demo.nis], "municipality": municipalities[demo.nis],
        "phone": phone_for(full_name, mobile=young) if demo.has_phone else "",
        "living_situation": demo.living, "priority_groups": [str(g) for g in demo.groups],
        "safeguarding": demo.safeguarding,
    }, actor=actor, organisation=centre)
    if demo.consent_by is not None:
        services.record_consent(person, scope=ConsentScope.NETWORK,
                                given_by=demo.consent_by or full_name,
                                given_on=FIRST_CONSENT + timedelta(days=9 * serial),
                                actor=actor)
    for spec in demo.network:
        _add(person, spec, actor=actor, organisations=organisations, users=users)
    return person


def _add(person, spec, *, actor, organisations, users) -> None:
    if isinstance(spec, Pro):
        member = services.add_member(
            person, kind=MemberKind.PROFESSIONAL, roles=spec.roles, actor=actor,
            user=users[f"{spec.local_part}@{zone.DEMO_DOMAIN}"],
            what_they_do=spec.what_they_do, in_safeguarding_circle=spec.circle)
    elif isinstance(spec, Org):
        member = services.add_member(
            person, kind=MemberKind.ORGANISATION, roles=spec.roles, actor=actor,
            organisation=organisations[spec.key], what_they_do=spec.what_they_do,
            in_safeguarding_circle=spec.circle)
        if spec.ended:
            services.end_member(member, actor=actor)
    else:
        member = services.add_member(
            person, kind=MemberKind.INFORMAL, roles=spec.roles, actor=actor,
            name=spec.name, relation=spec.relation, language=spec.language,
            phone=phone_for(spec.name, mobile=True), what_they_do=spec.what_they_do)
        if spec.contact_point:
            services.set_contact_point(member, actor=actor)
        if spec.excluded:
            services.exclude_member(member, actor=actor)
        if Role.REPRESENTATIVE in spec.roles:
            _record_mandate(person, member, actor)


# A representative in the demo is designated as the law asks (the person page warns about a
# representative without one): a written mandate, dated and signed by both.
MANDATE_SIGNED = date(2024, 3, 14)


def _record_mandate(person, member, actor) -> None:
    services.record_mandate(
        person, representative=member, actor=actor, signed_on=MANDATE_SIGNED,
        starts_on=MANDATE_SIGNED, signed_by_person=True, signed_by_representative=True,
        scope="All patient rights, when a practitioner judges me unable to exercise them.")


# --- portal logins ------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalLogin:
    """A login for the portal, linked to a member of a demo person's network by an
    invitation accepted at once: the way the screens do it, so the audit log tells it."""

    local_part: str
    first_name: str
    last_name: str
    person: tuple[str, str]  # the demo person's first and last name
    what: str  # for the console and the README
    language: str = PersonLanguage.FRENCH


PORTAL_LOGINS = [
    # (the isolated man in hospital) his own contact point: the person's side.
    PortalLogin("person", "Fernand", "Dewit", ("Fernand", "Dewit"),
                "Portal: Fernand Dewit himself, in hospital, his own contact point"),
    # (a) the daughter of the woman living alone: caregiver, trusted person, contact point.
    PortalLogin("caregiver", "Catherine", "Lemaire", ("Simone", "Lemaire"),
                "Portal: Catherine Lemaire, daughter and contact point of Simone Lemaire"),
]


def portal_email(login: PortalLogin) -> str:
    return f"{login.local_part}@{zone.DEMO_DOMAIN}"


@transaction.atomic
def load_demo_portal() -> int:
    """Create the portal logins that do not exist yet; returns how many were created.
    The invitation is emailed to the (fictional) login: `relais demo` drops that email."""
    coordinator = User.objects.get(email=f"coordinator@{zone.DEMO_DOMAIN}")
    created = 0
    for login in PORTAL_LOGINS:
        member = NetworkMember.objects.filter(
            kind=MemberKind.INFORMAL, user__isnull=True, person__first_name=login.person[0],
            person__last_name=login.person[1],
            name=f"{login.first_name} {login.last_name}").first()
        if member is None or User.objects.filter(email=portal_email(login)).exists():
            continue
        user = portal.create_portal_user(
            email=portal_email(login), first_name=login.first_name, last_name=login.last_name,
            password=zone.DEMO_PASSWORD, language=login.language)
        link = portal.invite(member, email=user.email, actor=coordinator)
        portal.accept(link.rstrip("/").rsplit("/", 1)[-1], user)
        created += 1
    return created


def portal_logins() -> list[tuple[str, str]]:
    """(email, what it shows) for every demo portal login."""
    return [(portal_email(login), login.what) for login in PORTAL_LOGINS]

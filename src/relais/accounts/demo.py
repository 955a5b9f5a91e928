"""The demo care zone South-East: fictional organisations and one login per function
(and the North zone's support team, for the North thematic session).

Everything here is invented. KBO and RIZIV numbers are computed to pass their check
digits; they may by chance belong to someone real, so never use them outside the demo.
Loading is idempotent: records are keyed on KBO number and email address.
"""

from dataclasses import dataclass

from django.db import transaction

from relais.accounts.models import (
    Function,
    Membership,
    Organisation,
    Profession,
    User,
    Ward,
)
from relais.accounts.models import OrganisationType as T
from relais.audit import log as audit
from relais.core.models import Municipality

DEMO_PASSWORD = "relais-demo-2026"
DEMO_DOMAIN = "demo.relais.example"


def kbo(base: int) -> str:
    """A 10-digit enterprise number with valid check digits from an 8-digit base."""
    return f"{base:08d}{97 - base % 97:02d}"


def riziv(profession_digit: int, base: int, qualification: str) -> str:
    """An 11-digit RIZIV number, mod-97 check digits on the first 6 digits."""
    first6 = profession_digit * 100000 + base
    return f"{first6:06d}{97 - first6 % 97:02d}{qualification}"


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    name: str
    type: str
    kbo_base: int
    nis: str
    postcode: str
    street: str
    phone: str
    description: str
    wards: tuple = ()


ORGANISATIONS = [
    DemoOrganisation(
        "valfleuri", "Hôpital du Val-Fleuri / Ziekenhuis Bloemendal", T.HOSPITAL, 10420001,
        "21018", "1200", "Avenue des Tilleuls 40 / Lindenlaan 40", "+32 2 555 10 00",
        "General hospital. The liaison nurses of geriatrics and internal medicine prepare "
        "every discharge with the home network; call the liaison desk on weekdays 8–17.",
        (("Gériatrie / Geriatrie", True, "+32 2 555 10 40"),
         ("Médecine interne / Interne geneeskunde", True, "+32 2 555 10 41"),
         ("Chirurgie orthopédique / Orthopedie", False, "+32 2 555 10 42"),
         ("Cardiologie", False, "+32 2 555 10 43"),
         ("Urgences / Spoed", False, "+32 2 555 10 99")),
    ),
    DemoOrganisation(
        "etangs", "Clinique des Étangs / Vijverskliniek", T.HOSPITAL, 10420002,
        "21002", "1160", "Chaussée de Wavre 1800 / Waversesteenweg 1800", "+32 2 555 20 00",
        "Rehabilitation and respiratory care. Social service reachable every morning.",
        (("Revalidation / Revalidatie", True, "+32 2 555 20 10"),
         ("Pneumologie", False, "+32 2 555 20 11"),
         ("Hôpital de jour gériatrique / Geriatrisch dagziekenhuis", True, "+32 2 555 20 12")),
    ),
    DemoOrganisation(
        "coordination", "Coordination Domicile Sud-Est / Thuiszorgcoördinatie Zuid-Oost",
        T.COORDINATION_CENTRE, 10420003, "21005", "1040", "Rue des Champs 12 / Veldstraat 12",
        "+32 2 555 30 00",
        "We assess needs at home and organise a coordinated care plan, in French and Dutch.",
    ),
    DemoOrganisation(
        "homenursing", "Soins Infirmiers Woluwe / Thuisverpleging Woluwe", T.HOME_NURSING,
        10420004, "21019", "1150", "Rue au Bois 200 / Bosstraat 200", "+32 2 555 40 00",
        "Home nursing seven days a week; can start within 24 hours in Woluwe and Etterbeek.",
    ),
    DemoOrganisation(
        "homehelp", "Aide & Domicile Auderghem / Hulp aan Huis Oudergem", T.HOME_HELP,
        10420005, "21002", "1160", "Boulevard du Souverain 150 / Vorstlaan 150",
        "+32 2 555 50 00", "Family help, cleaning and shopping; waiting list of two weeks.",
    ),
    DemoOrganisation(
        "gp", "Maison médicale La Chasse / Medisch Huis De Jacht", T.GP_PRACTICE, 10420006,
        "21005", "1040", "Avenue de la Chasse 90 / Jachtlaan 90", "+32 2 555 60 00",
        "Four GPs and a nurse; home visits for patients of the practice.",
    ),
    DemoOrganisation(
        "pharmacy", "Pharmacie du Parc / Apotheek van het Park", T.PHARMACY, 10420007,
        "21019", "1150", "Place Dumon 3 / Dumonplein 3", "+32 2 555 70 00",
        "Medication reviews and home delivery for people leaving hospital.",
    ),
    DemoOrganisation(
        "cpas", "CPAS Sud-Est (démo) / OCMW Zuid-Oost (demo)", T.PUBLIC_SOCIAL_WELFARE,
        10420008, "21018", "1200", "Rue de la Charrette 2 / Karrestraat 2", "+32 2 555 80 00",
        "Social service, financial help, home meals and emergency support.",
    ),
    DemoOrganisation(
        "housing", "Foyer Sud-Est / Woonhaard Zuid-Oost", T.HOUSING, 10420009, "21002",
        "1160", "Rue Jacques Bassem 5 / Jacques Bassemstraat 5", "+32 2 555 90 00",
        "Social housing and a few emergency flats for people who cannot go home.",
    ),
    DemoOrganisation(
        "dv", "Refuge Iris / Vluchthuis Iris", T.DOMESTIC_VIOLENCE, 10420010, "21005", "1040",
        "Address kept confidential / Adres vertrouwelijk", "+32 2 555 99 00",
        "Shelter and support for victims of domestic violence. Call first; never share the "
        "address.",
    ),
    DemoOrganisation(
        "zone", "Bassin Sud-Est – équipe d'appui / Zorgzone Zuid-Oost – ondersteuningsteam",
        T.CARE_ZONE_TEAM, 10420011, "21018", "1200", "Rue Tomberg 1 / Tombergstraat 1",
        "+32 2 555 11 11",
        "Organises the thematic consultations and follows the care zone's joint actions.",
    ),
    # Outside South-East: the North zone's support team, so the North seed session
    # (thematic/demo.py) has a team that runs it.
    DemoOrganisation(
        "zone-north", "Bassin Nord – équipe d'appui / Zorgzone Noord – ondersteuningsteam",
        T.CARE_ZONE_TEAM, 10420012, "21010", "1090", "Rue des Bleuets 8 / Korenbloemstraat 8",
        "+32 2 555 12 12",
        "Organises the North zone's thematic consultations and follows its joint actions.",
    ),
    # A municipality's social-affairs office: its decision-maker reads the zone's
    # published observatory and the consultations' reports, nothing else.
    DemoOrganisation(
        "alderman", "Échevinat de l'action sociale (démo) / Schepen van Sociale Zaken (demo)",
        T.OTHER, 10420013, "21005", "1040", "Rue de la Commune 1 / Gemeentestraat 1",
        "+32 2 555 13 13",
        "The alderman's office for social affairs; follows the care zone's consultations.",
    ),
]


@dataclass(frozen=True)
class DemoUser:
    local_part: str
    first_name: str
    last_name: str
    organisation: str
    function: str
    profession: str = ""
    riziv: str = ""
    is_manager: bool = False
    language: str = "nl"


USERS = [
    DemoUser("liaison", "Sofie", "Claes", "valfleuri", Function.LIAISON_NURSE,
             Profession.NURSE, riziv(4, 12001, "401")),
    DemoUser("hospital-social", "Karim", "Benali", "valfleuri",
             Function.HOSPITAL_SOCIAL_WORKER, Profession.SOCIAL_WORKER, language="fr"),
    DemoUser("ward-nurse", "Anne", "Lambert", "etangs", Function.WARD_NURSE,
             Profession.NURSE, riziv(4, 12002, "401"), language="fr"),
    DemoUser("hospital-manager", "Marc", "Peeters", "valfleuri", Function.MANAGER,
             is_manager=True),
    DemoUser("coordinator", "Isabelle", "Dubois", "coordination", Function.COORDINATOR,
             Profession.SOCIAL_WORKER, is_manager=True, language="fr"),
    DemoUser("case-manager", "Tom", "Wouters", "coordination", Function.CASE_MANAGER,
             Profession.NURSE, riziv(4, 12003, "401")),
    DemoUser("gp", "Pieter", "Janssens", "gp", Function.GENERAL_PRACTITIONER,
             Profession.GENERAL_PRACTITIONER, riziv(1, 12004, "004"), is_manager=True),
    DemoUser("home-nurse", "Fatima", "El Amrani", "homenursing", Function.HOME_NURSE,
             Profession.NURSE, riziv(4, 12005, "401"), language="fr"),
    DemoUser("home-help", "Lucia", "Rossi", "homehelp", Function.HOME_HELP,
             Profession.HOME_HELP, language="fr"),
    DemoUser("pharmacist", "Elke", "Maes", "pharmacy", Function.PHARMACIST,
             Profession.PHARMACIST, riziv(6, 12006, "000")),
    DemoUser("cpas", "Nadia", "Haddad", "cpas", Function.SOCIAL_WORKER,
             Profession.SOCIAL_WORKER, language="fr"),
    DemoUser("housing", "Bruno", "Lefèvre", "housing", Function.SOCIAL_WORKER,
             Profession.SOCIAL_WORKER, language="fr"),
    DemoUser("dv", "Sarah", "Vermeulen", "dv", Function.SOCIAL_WORKER,
             Profession.SOCIAL_WORKER),
    DemoUser("analyst", "Hélène", "Martin", "zone", Function.CARE_ZONE_ANALYST,
             is_manager=True, language="fr"),
    DemoUser("north-team", "Amira", "Bouzid", "zone-north", Function.CARE_ZONE_ANALYST,
             language="fr"),
    DemoUser("decision-maker", "Luc", "Verhaegen", "alderman", Function.DECISION_MAKER),
]

ADMIN = DemoUser("admin", "Ada", "Admin", "", "", language="en")


def email_of(demo_user: DemoUser) -> str:
    return f"{demo_user.local_part}@{DEMO_DOMAIN}"


@transaction.atomic
def load_demo() -> dict[str, int]:
    """Create or refresh the demo care zone; returns how many records were created."""
    created = {"organisations": 0, "wards": 0, "users": 0, "memberships": 0}
    organisations = {demo.key: _organisation(demo, created) for demo in ORGANISATIONS}
    for demo_user in USERS:
        user = _user(demo_user, created)
        _membership(user, organisations[demo_user.organisation], demo_user, created)
    admin = _user(ADMIN, created)
    if not admin.is_superuser:
        admin.is_superuser = admin.is_staff = True
        admin.save(update_fields=["is_superuser", "is_staff"])
    if any(created.values()):
        audit.record("demo.load", detail=created)
    return created


def _organisation(demo: DemoOrganisation, created: dict) -> Organisation:
    organisation, is_new = Organisation.objects.get_or_create(
        kbo_number=kbo(demo.kbo_base),
        defaults={
            "name": demo.name, "type": demo.type, "street": demo.street,
            "postcode": demo.postcode, "phone": demo.phone, "description": demo.description,
            "municipality": Municipality.objects.get(nis_code=demo.nis),
            "email": f"contact-{demo.key}@{DEMO_DOMAIN}",
        },
    )
    created["organisations"] += is_new
    for name, has_liaison, phone in demo.wards:
        _, ward_new = Ward.objects.get_or_create(
            organisation=organisation, name=name,
            defaults={"has_liaison": has_liaison, "phone": phone},
        )
        created["wards"] += ward_new
    return organisation


def _user(demo_user: DemoUser, created: dict) -> User:
    user, is_new = User.objects.get_or_create(
        email=email_of(demo_user),
        defaults={
            "first_name": demo_user.first_name, "last_name": demo_user.last_name,
            "profession": demo_user.profession, "riziv_number": demo_user.riziv,
            "language": demo_user.language,
        },
    )
    if is_new:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    created["users"] += is_new
    return user


def _membership(user, organisation, demo_user: DemoUser, created: dict) -> None:
    _, is_new = Membership.objects.get_or_create(
        user=user, organisation=organisation, function=demo_user.function, ended_on=None,
        defaults={"is_manager": demo_user.is_manager},
    )
    created["memberships"] += is_new


def logins() -> list[tuple[str, str, str]]:
    """(email, function, organisation) for every demo login, for the console and README."""
    names = {demo.key: demo.name for demo in ORGANISATIONS}
    rows = [(email_of(u), Function(u.function).label, names[u.organisation]) for u in USERS]
    rows.append((email_of(ADMIN), "Platform administrator", "—"))
    return rows

"""The world the persons live in: organisations, their staff, wards and directory
listings, sized to the population (chunk 0 of `relais generate`).

Written with ids of its own (`tables.Table`), so that a world written again after an
interruption is the same. Read back, for every chunk, by `World.load()`.
"""

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.hashers import make_password

from relais.accounts.demo import kbo
from relais.accounts.models import (
    Function,
    Membership,
    Organisation,
    OrganisationType,
    Profession,
    User,
    Ward,
)
from relais.core.models import Municipality
from relais.demo.generate.names import Names
from relais.demo.generate.tables import Table
from relais.directory.models import Capacity, Category, Service, ServiceStatus
from relais.directory.search import fill_search_fields
from relais.followup.models import Protocol
from relais.followup.protocols import ensure_default_protocol

DOMAIN = "generated.relais.example"
PASSWORD = "relais-generated-2026"  # every synthetic login's: the data is fictional

Type = OrganisationType
# Per type: persons per organisation (at least `minimum`), staff per organisation
# (function, profession, manager?), the directory category of its service, its names.
KINDS = {
    Type.HOSPITAL: (25_000, 2, [(Function.LIAISON_NURSE, Profession.NURSE, False)] * 4
                    + [(Function.HOSPITAL_SOCIAL_WORKER, Profession.SOCIAL_WORKER, True)],
                    None, ("Clinique {}", "Kliniek {}")),
    Type.COORDINATION_CENTRE: (5_000, 2, [(Function.COORDINATOR, Profession.SOCIAL_WORKER,
                                           False)] * 3
                               + [(Function.COORDINATOR, Profession.SOCIAL_WORKER, True)],
                               Category.HOME_CARE_COORDINATION,
                               ("Coordination de soins {}", "Thuiszorgcoördinatie {}")),
    Type.HOME_NURSING: (2_000, 3, [(Function.HOME_NURSE, Profession.NURSE, False)] * 2
                        + [(Function.HOME_NURSE, Profession.NURSE, True)],
                        Category.HOME_NURSING, ("Soins à domicile {}", "Thuisverpleging {}")),
    Type.HOME_HELP: (5_000, 2, [(Function.HOME_HELP, Profession.HOME_HELP, False),
                                (Function.HOME_HELP, Profession.HOME_HELP, True)],
                     Category.HOME_HELP, ("Aide familiale {}", "Gezinszorg {}")),
    Type.GP_PRACTICE: (1_000, 5, [(Function.GENERAL_PRACTITIONER,
                                   Profession.GENERAL_PRACTITIONER, False),
                                  (Function.GENERAL_PRACTITIONER,
                                   Profession.GENERAL_PRACTITIONER, True)],
                       None, ("Cabinet médical {}", "Huisartsenpraktijk {}")),
}
WARDS = ("Gériatrie / Geriatrie", "Médecine interne / Interne geneeskunde",
         "Orthopédie / Orthopedie")


def organisations_for(persons: int) -> dict[str, int]:
    return {kind: max(minimum, persons // per) for kind, (per, minimum, *_) in KINDS.items()}


@dataclass
class Org:
    id: int
    type: str
    name: str
    staff: list = field(default_factory=list)  # [(user id, email, function, full name)]
    wards: list = field(default_factory=list)
    service: int | None = None


@dataclass
class World:
    by_type: dict  # type → [Org]
    protocol: Protocol
    steps: list

    @classmethod
    def load(cls) -> "World":
        orgs = {o.id: Org(o.id, o.type, o.name) for o in Organisation.objects.filter(
            email__endswith=f".{DOMAIN}").only("id", "type", "name")}
        for user_id, email, function, first, last, org_id in Membership.objects.filter(
                organisation_id__in=orgs).order_by("id").values_list(
                "user_id", "user__email", "function", "user__first_name", "user__last_name",
                "organisation_id"):
            orgs[org_id].staff.append((user_id, email, function, f"{first} {last}"))
        for ward_id, org_id in Ward.objects.filter(organisation_id__in=orgs).order_by(
                "id").values_list("id", "organisation_id"):
            orgs[org_id].wards.append(ward_id)
        for service_id, org_id in Service.objects.filter(organisation_id__in=orgs).values_list(
                "id", "organisation_id"):
            orgs[org_id].service = service_id
        by_type = defaultdict(list)
        for org in sorted(orgs.values(), key=lambda o: o.id):
            by_type[org.type].append(org)
        protocol = ensure_default_protocol()
        return cls(dict(by_type), protocol, list(protocol.steps.order_by("position", "id")))


def build_world(persons: int, rng: random.Random, names: Names, as_of) -> list[Table]:
    """The organisations, staff, wards and services for `persons` persons: rows to write."""
    tables = {model: Table(model, as_of) for model in (Organisation, User, Membership, Ward,
                                                       Service)}
    municipalities = list(Municipality.objects.order_by("nis_code").values_list(
        "id", "name_fr", "name_nl"))
    password = make_password(PASSWORD, salt="generated")  # hashed once, for every login
    for kind, count in organisations_for(persons).items():
        for n in range(count):
            _organisation(tables, kind, n, rng, names, municipalities, password, as_of)
    return list(tables.values())


def _organisation(tables, kind, n, rng, names, municipalities, password, as_of) -> None:
    _, _, staff, category, (french, dutch) = KINDS[kind]
    place = rng.choice(municipalities)
    language = "fr" if n % 3 else "nl"
    surname = names.last_name(rng, language)
    name = ((french if language == "fr" else dutch).format(surname)
            + f" ({place[1] if language == 'fr' else place[2]})")
    org_id = tables[Organisation].next_id
    tables[Organisation].add(
        name=name, type=kind, kbo_number=kbo(17_000_000 + org_id), municipality_id=place[0],
        street=names.street(rng, language), phone=f"+32 2 {rng.randint(200, 799)} "
        f"{rng.randint(10, 99)} {rng.randint(10, 99)}", email=f"contact@org{org_id}.{DOMAIN}",
        created_at=as_of - timedelta(days=1500), updated_at=as_of - timedelta(days=1500))
    for function, profession, manager in staff:
        _staff(tables, org_id, function, profession, manager, rng, names, password, as_of)
    if kind == Type.HOSPITAL:
        for ward in WARDS:
            tables[Ward].add(organisation_id=org_id, name=ward, has_liaison=True)
    if category:
        _service(tables, org_id, name, category, rng, as_of)


def _staff(tables, org_id, function, profession, manager, rng, names, password, as_of):
    language = rng.choice(["fr", "fr", "nl"])
    sex = rng.choice("FM")
    user_id = tables[User].next_id
    tables[User].add(
        email=f"{function.replace('_', '-')}.{user_id}@{DOMAIN}", password=password,
        first_name=names.first_name(rng, language, sex), last_name=names.last_name(
            rng, language), kind="professional", language=language, profession=profession,
        is_active=True, date_joined=as_of - timedelta(days=1500))
    tables[Membership].add(user_id=user_id, organisation_id=org_id, function=function,
                           is_manager=manager, started_on=(as_of - timedelta(days=1500)).date())


def _service(tables, org_id, org_name, category, rng, as_of) -> None:
    label = str(Category(category).label)
    service = Service(organisation=Organisation(name=org_name), category=category,
                      name_nl=f"{label} – {org_name}", name_fr=f"{label} – {org_name}",
                      name_en=f"{label} – {org_name}", serves_all_brussels=True)
    fill_search_fields(service)  # before it has an id: no query for its places
    tables[Service].add(
        hsds_id=uuid.UUID(int=rng.getrandbits(128), version=4), organisation_id=org_id,
        category=category, name_nl=service.name_nl, name_fr=service.name_fr,
        name_en=service.name_en, serves_all_brussels=True, languages=" nl fr ",
        capacity=Capacity.ACCEPTING, status=ServiceStatus.ACTIVE,
        capacity_confirmed_on=as_of.date(), verified_on=as_of.date(),
        search_text=service.search_text, name_search=service.name_search)

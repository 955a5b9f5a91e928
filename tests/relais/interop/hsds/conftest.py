"""A small directory with every case the HSDS API distinguishes: an organisation with an
address (its services are at a location) and one without (no service_at_location, an id
derived from its primary key), one with a stored HSDS id, an inactive one (hidden from the
public), services in several categories and languages, with hours, areas, a temporarily
closed one."""

import uuid
from dataclasses import dataclass
from datetime import time

import pytest

from relais.core.models import CareZone, Municipality
from relais.directory.models import Category, ServiceStatus
from relais.directory.services import create_service
from tests.factories import OrganisationFactory


@dataclass
class Directory:
    nord: object  # address in Schaerbeek, six home-nursing services, two meals, one closed
    no_address: object  # no KBO, no address: two GP services
    imported: object  # a stored HSDS id, one service for the whole region
    inactive: object  # an inactive organisation's service
    services: list


def nursing(n: int, schaerbeek, zone) -> dict:
    return {"category": Category.HOME_NURSING, "name_fr": f"Soins infirmiers {n}",
            "name_nl": f"Thuisverpleging {n}", "description_fr": "Toilette, pansements.",
            "languages": ["fr", "nl"], "municipalities": [schaerbeek], "care_zones": [zone],
            "contact_name": "Amina Benali", "contact_phone": "+32 2 500 00 00",
            "contact_email": "amina@nord.example", "minimum_age": 18,
            "hours": [(day, time(8), time(17)) for day in range(5)]}


@pytest.fixture
def directory(platform_admin, world):
    return make_directory(platform_admin)


def make_directory(platform_admin) -> Directory:
    """The directory above (the FHIR API's tests read it too)."""
    schaerbeek = Municipality.objects.get(nis_code="21015")
    zone = CareZone.objects.get(code="north-east")
    nord = OrganisationFactory(name="Soins Nord", municipality=schaerbeek, postcode="1030",
                               street="Rue Royale Sainte-Marie 1", phone="02 242 00 00")
    no_address = OrganisationFactory(name="Cabinet sans adresse", municipality=None,
                                     postcode="", kbo_number="")
    imported = OrganisationFactory(name="Importée", hsds_id=uuid.uuid4())
    inactive = OrganisationFactory(name="Fermée", is_active=False)

    def add(organisation, **data):
        return create_service(organisation, data, actor=platform_admin)

    services = [add(nord, **nursing(n, schaerbeek, zone)) for n in range(6)]
    services += [add(nord, category=Category.MEALS, name_nl=f"Warme maaltijden {n}",
                     languages=["nl"], serves_all_brussels=True) for n in range(2)]
    services.append(add(nord, category=Category.HOME_HELP, name_fr="Aide familiale",
                        status=ServiceStatus.TEMPORARILY_CLOSED))
    services += [add(no_address, category=Category.GP, name_fr=f"Médecin {n}",
                     name_en=f"Doctor {n}") for n in range(2)]
    services.append(add(imported, category=Category.SOCIAL_SERVICE, name_fr="CPAS",
                        name_nl="OCMW", serves_all_brussels=True))
    services.append(add(inactive, category=Category.RESPITE, name_fr="Centre de jour"))
    return Directory(nord, no_address, imported, inactive, services)

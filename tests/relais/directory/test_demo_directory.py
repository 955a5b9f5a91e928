"""The demo directory: enough listings, every category, numbers that validate, idempotent."""

import pytest

from relais.accounts import demo
from relais.accounts.models import Organisation
from relais.accounts.validators import validate_kbo, validate_riziv
from relais.core.models import Municipality
from relais.directory.demo import AGREEMENTS, ORGANISATIONS, load_demo_directory
from relais.directory.models import (
    Agreement,
    Capacity,
    Category,
    Service,
    ServiceStatus,
    UrgentStart,
)
from relais.directory.search import matching

pytestmark = pytest.mark.django_db


@pytest.fixture
def created():
    demo.load_demo()
    return load_demo_directory()


def test_creates_several_dozen_services(created):
    assert created >= 40
    assert Service.objects.count() == created


def test_is_idempotent(created):
    services, organisations = Service.objects.count(), Organisation.objects.count()
    agreements = Agreement.objects.count()
    assert load_demo_directory() == 0
    assert Service.objects.count() == services
    assert Organisation.objects.count() == organisations
    assert Agreement.objects.count() == agreements


def test_every_category_has_a_service(created):
    present = set(Service.objects.values_list("category", flat=True))
    assert present == set(Category.values)


# Demo organisations that offer no service to the directory: the alderman's office (its
# decision-maker reads reports) and the North team (it runs the North thematic session).
NOT_PROVIDERS = {"alderman", "zone-north"}


def test_every_demo_organisation_lists_services(created):
    for organisation in demo.ORGANISATIONS:
        if organisation.key in NOT_PROVIDERS:
            assert not Service.objects.filter(
                organisation__kbo_number=demo.kbo(organisation.kbo_base)).exists()
            continue
        listed = Service.objects.filter(organisation__kbo_number=demo.kbo(organisation.kbo_base))
        assert 1 <= listed.count() <= 3, organisation.key


def test_verification_history(created):
    services = list(Service.objects.all())
    stale = [s for s in services if s.is_stale]
    assert len(stale) >= 3
    assert len(stale) < len(services) / 4  # most are recent
    assert sum(s.verified_on is None for s in services) == 1
    assert all(s.verified_by is None for s in services if s.verified_on is None)
    assert all(s.capacity_confirmed_on == s.verified_on for s in services)


def test_capacity_urgency_and_status_mix(created):
    capacities = set(Service.objects.values_list("capacity", flat=True))
    assert capacities == set(Capacity.values)
    assert Service.objects.filter(capacity=Capacity.WAITING_LIST,
                                  typical_wait_days__isnull=False).exists()
    assert set(Service.objects.values_list("urgent_start", flat=True)) == set(UrgentStart.values)
    assert Service.objects.filter(status=ServiceStatus.TEMPORARILY_CLOSED).count() == 1
    assert Service.objects.exclude(status=ServiceStatus.ACTIVE).count() == 1
    assert Service.objects.filter(serves_all_brussels=True).exists()


def test_numbers_validate(created):
    riziv_numbers = Service.objects.exclude(riziv_number="").values_list("riziv_number",
                                                                          flat=True)
    assert len(riziv_numbers) >= 3
    for number in riziv_numbers:
        validate_riziv(number)
    for organisation in ORGANISATIONS:
        validate_kbo(demo.kbo(organisation.kbo_base))
        assert Organisation.objects.filter(kbo_number=demo.kbo(organisation.kbo_base)).exists()
    assert len({o.kbo_base for o in ORGANISATIONS} | {o.kbo_base for o in demo.ORGANISATIONS}) \
        == len(ORGANISATIONS) + len(demo.ORGANISATIONS)


def test_schaerbeek_french_home_nursing_can_start_within_24_hours(created):
    schaerbeek = Municipality.objects.get(nis_code="21015")
    home_nursing = Service.objects.active().serving(schaerbeek).filter(
        category=Category.HOME_NURSING, languages__contains=" fr ")
    found = matching(home_nursing.filter(urgent_start=UrgentStart.WITHIN_24H,
                                         capacity=Capacity.ACCEPTING), "thuisverpleging")
    assert [s.name_fr for s in found] == ["Soins infirmiers à domicile – Schaerbeek"]
    assert home_nursing.count() >= 2
    assert home_nursing.filter(capacity=Capacity.FULL).exists()


def test_agreements_are_in_force(created):
    agreements = list(Agreement.objects.select_related("hospital", "partner"))
    assert len(agreements) == len(AGREEMENTS) >= 3
    assert {a.kind for a in agreements} >= {"geriatrics", "diabetes", "end_of_life",
                                             "nursing_homes"}
    for agreement in agreements:
        assert agreement.in_force
        assert agreement.hospital.is_hospital
        assert not agreement.partner.is_hospital
        assert agreement.hospital_contact and agreement.partner_contact


def test_listings_are_complete_and_searchable(created):
    for service in Service.objects.prefetch_related("municipalities", "care_zones"):
        assert service.search_text, service.name_fr
        assert service.name_fr and service.name_nl, service.pk
        assert service.description_fr and service.description_nl, service.name_fr
        assert service.how_to_refer_fr and service.how_to_refer_nl, service.name_fr
        assert service.languages.strip(), service.name_fr
        assert (service.serves_all_brussels or service.municipalities.exists()
                or service.care_zones.exists()), service.name_fr
        service.full_clean()

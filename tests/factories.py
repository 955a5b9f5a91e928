"""factory-boy factories for every model tests need; personas in conftest.py use them."""

import factory
from django.utils import timezone

from relais.accounts.demo import kbo, riziv
from relais.accounts.models import (
    Function,
    Membership,
    Organisation,
    OrganisationType,
    User,
    UserKind,
    Ward,
)
from relais.core.models import Municipality


def brussels_municipality(nis_code: str) -> Municipality:
    """A municipality, reloading the geography first if a transactional test's flush
    emptied it (it is loaded by a migration, which a flush does not replay)."""
    if not Municipality.objects.exists():
        import importlib

        from django.apps import apps

        importlib.import_module("relais.core.migrations.0002_brussels_geography").load(apps,
                                                                                       None)
    return Municipality.objects.get(nis_code=nis_code)


TEST_PASSWORD = "correct horse battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@test.relais.example")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    kind = UserKind.PROFESSIONAL
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    type = OrganisationType.HOME_NURSING
    kbo_number = factory.Sequence(lambda n: kbo(19000000 + n))
    municipality = factory.LazyFunction(lambda: brussels_municipality("21018"))
    postcode = "1200"


class HospitalFactory(OrganisationFactory):
    type = OrganisationType.HOSPITAL
    name = factory.Sequence(lambda n: f"Hospital {n}")


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ward

    organisation = factory.SubFactory(HospitalFactory)
    name = factory.Sequence(lambda n: f"Ward {n}")
    has_liaison = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    function = Function.HOME_NURSE
    started_on = factory.LazyFunction(timezone.localdate)


__all__ = [
    "TEST_PASSWORD", "HospitalFactory", "MembershipFactory", "OrganisationFactory",
    "UserFactory", "WardFactory", "kbo", "riziv",
]

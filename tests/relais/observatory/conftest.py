"""Small worlds for the observatory: persons placed in municipalities, their stays and
referrals, made directly (the computation reads the tables, not the services)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from relais.directory.models import Category, Service
from relais.network.models import Person
from relais.stays.models import Referral, ReferralStatus, Stay
from tests.factories import HospitalFactory, UserFactory, brussels_municipality

BRUSSELS = ZoneInfo("Europe/Brussels")


def at(year, month, day=10, hour=10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BRUSSELS)


class Builder:
    def __init__(self, world):
        self.world = world
        self.author = UserFactory()
        self.hospital = world.hospital  # in Woluwe-Saint-Lambert (21018, south-east)
        self.services = {}

    def person(self, nis="21015", postcode="", **fields) -> Person:
        return Person.objects.create(
            first_name="P", last_name="Test", municipality=brussels_municipality(nis),
            postcode=postcode, owner_organisation=self.world.hospital, created_by=self.author,
            **fields)

    def persons(self, n, **kwargs) -> list[Person]:
        return [self.person(**kwargs) for _ in range(n)]

    def stay(self, person, admitted, days=5, hospital=None, **fields) -> Stay:
        return Stay.objects.create(
            person=person, hospital=hospital or self.hospital, admitted_at=admitted,
            discharged_at=admitted + timedelta(days=days) if days is not None else None,
            **fields)

    def service(self, category=Category.HOME_NURSING) -> Service:
        if category not in self.services:
            self.services[category] = Service.objects.create(
                organisation=self.world.home_nursing, category=category,
                name_en=f"Service {category}", serves_all_brussels=True)
        return self.services[category]

    def referral(self, person, sent, status=ReferralStatus.SENT, answered_after=None,
                 category=Category.HOME_NURSING, **fields) -> Referral:
        service = self.service(category)
        referral = Referral.objects.create(
            person=person, service=service, organisation=service.organisation,
            sender=self.author, sender_organisation=self.world.hospital, help_needed="h",
            frequency="f", start_on=sent.date(), reason="r", person_wishes="w",
            respond_by=sent + timedelta(days=5), status=status,
            answered_at=sent + answered_after if answered_after else None, **fields)
        # created_at is set on insert (auto_now_add): the sending time is put back after.
        Referral.objects.filter(pk=referral.pk).update(created_at=sent)
        return referral


@pytest.fixture
def build(world):
    return Builder(world)


@pytest.fixture
def second_hospital(db):
    return HospitalFactory(name="Hôpital Sud", municipality=brussels_municipality("21016"),
                           postcode="1180")

"""Organisations, wards and members: every write is audited, bad input changes nothing."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from relais.accounts.models import Function, Membership, Organisation, User, Ward
from relais.audit.models import AuditEvent
from tests.factories import HospitalFactory, MembershipFactory, OrganisationFactory, kbo
from tests.helpers import SIGNED_IN_QUERIES

pytestmark = pytest.mark.django_db


def organisation_form(organisation, **changes) -> dict:
    data = {
        "name": organisation.name, "type": organisation.type,
        "kbo_number": organisation.kbo_number, "street": organisation.street,
        "postcode": organisation.postcode,
        "municipality": organisation.municipality_id or "", "phone": organisation.phone,
        "email": organisation.email, "website": organisation.website,
        "description": organisation.description, "version": organisation.version,
    }
    return data | changes


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_a_manager_edits_their_organisation_and_the_change_is_audited(client, coordinator,
                                                                      world):
    centre = world.coordination_centre
    client.force_login(coordinator)
    url = reverse("accounts:organisation_edit", args=[centre.pk])
    response = client.post(url, organisation_form(centre, phone="+32 2 555 00 00",
                                                  description="Call us before 10."))
    assert response.status_code == 302
    centre.refresh_from_db()
    assert (centre.phone, centre.description, centre.version) == (
        "+32 2 555 00 00", "Call us before 10.", 2)
    [event] = events("organisation.change")
    assert (event.actor, event.organisation, event.target_id) == (
        coordinator, centre, str(centre.pk))
    assert event.detail == {
        "phone": {"before": "", "after": "+32 2 555 00 00"},
        "description": {"before": "", "after": "Call us before 10."},
    }


@pytest.mark.parametrize(("language", "message"), [
    ("en", "is not a valid KBO/BCE enterprise number"),
    ("nl", "is geen geldig KBO-nummer"),
    ("fr", "BCE valide"),
])
def test_an_invalid_kbo_number_gets_a_translated_error_and_nothing_is_saved(
    client, coordinator, world, language, message
):
    centre = world.coordination_centre
    coordinator.language = language
    coordinator.save()
    client.force_login(coordinator)
    url = reverse("accounts:organisation_edit", args=[centre.pk])
    response = client.post(url, organisation_form(centre, kbo_number="0431150351",
                                                  name="Renamed"))
    assert response.status_code == 200
    assert message in response.content.decode()
    centre.refresh_from_db()
    assert (centre.name, centre.version) == ("Coordination Test", 1)
    assert events("organisation.change") == []


@pytest.mark.parametrize(("language", "message"), [
    ("nl", "is geen geldig RIZIV-nummer"),
    ("fr", "INAMI valide"),
])
def test_an_invalid_riziv_number_gets_a_translated_error_and_nothing_is_saved(
    client, gp, language, message
):
    gp.language = language
    gp.save()
    client.force_login(gp)
    response = client.post(reverse("accounts:profile"), {
        "first_name": "Changed", "last_name": gp.last_name, "phone": "", "language": language,
        "profession": "gp", "riziv_number": "1-08290-58-000"})
    assert response.status_code == 200
    assert message in response.content.decode()
    gp.refresh_from_db()
    assert (gp.first_name, gp.riziv_number) != ("Changed", "10829058000")
    assert events("user.change") == []


def test_a_valid_riziv_number_is_stored_compact_and_audited(client, gp):
    client.force_login(gp)
    client.post(reverse("accounts:profile"), {
        "first_name": gp.first_name, "last_name": gp.last_name, "phone": "", "language": "en",
        "profession": "gp", "riziv_number": "1-08290-59-000"})
    gp.refresh_from_db()
    assert gp.riziv_number == "10829059000"
    assert gp.riziv_display == "1-08290-59-000"
    [event] = events("user.change")
    assert event.detail["riziv_number"] == {"before": "", "after": "10829059000"}


def test_two_people_editing_at_once_the_second_gets_a_conflict(client, coordinator, world):
    centre = world.coordination_centre
    client.force_login(coordinator)
    url = reverse("accounts:organisation_edit", args=[centre.pk])
    stale_form = organisation_form(centre)
    client.post(url, organisation_form(centre, phone="+32 2 111 11 11"))
    response = client.post(url, stale_form | {"phone": "+32 2 222 22 22"})
    assert response.status_code == 409
    centre.refresh_from_db()
    assert centre.phone == "+32 2 111 11 11"
    assert len(events("organisation.change")) == 1


def test_the_platform_admin_registers_an_organisation(client, platform_admin):
    client.force_login(platform_admin)
    response = client.post(reverse("accounts:organisation_create"), {
        "name": "Nouvelle Maison Médicale", "type": "gp_practice",
        "kbo_number": "0403.019.261", "version": 1})
    organisation = Organisation.objects.get(name="Nouvelle Maison Médicale")
    assert response.url == reverse("accounts:organisation_detail", args=[organisation.pk])
    assert organisation.kbo_number == "0403019261"
    assert events("organisation.create")[0].target_id == str(organisation.pk)


def test_the_same_kbo_number_cannot_be_registered_twice(client, platform_admin, world):
    client.force_login(platform_admin)
    response = client.post(reverse("accounts:organisation_create"), {
        "name": "Copy", "type": "gp_practice", "kbo_number": world.hospital.kbo_number,
        "version": 1})
    assert response.status_code == 200
    assert not Organisation.objects.filter(name="Copy").exists()


def test_a_hospital_manager_adds_and_edits_wards(client, hospital_manager, world):
    client.force_login(hospital_manager)
    client.post(reverse("accounts:ward_add", args=[world.hospital.pk]),
                {"name": "Oncology", "has_liaison": "on", "phone": "", "notes": ""})
    ward = Ward.objects.get(name="Oncology")
    assert ward.has_liaison is True
    client.post(reverse("accounts:ward_edit", args=[ward.pk]),
                {"name": "Oncology", "phone": "+32 2 000", "notes": "Ring twice"})
    ward.refresh_from_db()
    assert (ward.has_liaison, ward.notes) == (False, "Ring twice")
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="ward.")
            .order_by("pk")] == ["ward.create", "ward.change"]
    assert events("ward.change")[0].detail["has_liaison"] == {"before": "True",
                                                              "after": "False"}


def test_wards_exist_only_for_hospitals(client, coordinator, world):
    client.force_login(coordinator)
    url = reverse("accounts:ward_add", args=[world.coordination_centre.pk])
    assert client.get(url).status_code == 404


def test_a_manager_adds_a_new_colleague_who_is_invited_by_email(
    client, hospital_manager, world, django_capture_on_commit_callbacks
):
    client.force_login(hospital_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:member_add", args=[world.hospital.pk]), {
            "email": "New.Nurse@Hospital.example", "first_name": "Nina", "last_name": "Nieuw",
            "function": Function.LIAISON_NURSE})
    assert response.status_code == 302
    user = User.objects.get(email="new.nurse@hospital.example")
    assert user.memberships.get().organisation == world.hospital
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.nurse@hospital.example"]
    assert "/accounts/password/reset/" in mail.outbox[0].body
    [event] = events("membership.create")
    assert event.detail == {"user": "new.nurse@hospital.example", "function": "liaison_nurse",
                            "is_manager": False, "new_account": True}


def test_the_same_person_cannot_be_added_twice_in_one_function(client, hospital_manager,
                                                               liaison_nurse, world):
    client.force_login(hospital_manager)
    response = client.post(reverse("accounts:member_add", args=[world.hospital.pk]), {
        "email": liaison_nurse.email, "first_name": "x", "last_name": "y",
        "function": Function.LIAISON_NURSE})
    assert response.status_code == 200
    assert "already works here" in response.content.decode()
    assert Membership.objects.filter(user=liaison_nurse).count() == 1


def test_an_ended_membership_stays_as_history_and_removes_rights(client, hospital_manager,
                                                                 world):
    colleague = MembershipFactory(organisation=world.hospital, function=Function.MANAGER,
                                  is_manager=True)
    client.force_login(hospital_manager)
    client.post(reverse("accounts:member_end", args=[colleague.pk]))
    colleague.refresh_from_db()
    assert colleague.ended_on is not None and not colleague.is_active
    assert events("membership.end")[0].target_id == str(colleague.pk)
    client.force_login(colleague.user)
    edit = reverse("accounts:organisation_edit", args=[world.hospital.pk])
    assert client.get(edit).status_code == 404


def test_organisation_list_filters_and_counts_queries(client, home_nurse, world,
                                                      django_assert_num_queries):
    for n in range(30):
        HospitalFactory(name=f"Extra hospital {n}")
    client.force_login(home_nurse)
    url = reverse("accounts:organisation_list")
    # count, page (with municipality and zone), zones for the filter
    with django_assert_num_queries(SIGNED_IN_QUERIES + 3):
        response = client.get(url, {"type": "hospital"})
    assert response.context["page"].paginator.count == 31
    htmx = client.get(url, {"q": "Extra hospital 1"}, HTTP_HX_REQUEST="true")
    assert htmx.templates[0].name == "accounts/partials/organisation_rows.html"
    assert htmx.context["page"].paginator.count == 11


def test_organisation_page_query_count_does_not_grow_with_members(client, home_nurse, world,
                                                                  django_assert_num_queries):
    for _ in range(20):
        MembershipFactory(organisation=world.home_nursing)
    client.force_login(home_nurse)
    url = reverse("accounts:organisation_detail", args=[world.home_nursing.pk])
    # organisation (with municipality and zone), the postcodes that name a zone (read
    # once, then kept: core.models.zoned_postcodes), members with their users; its
    # services, its agreements, and the edit right (care-zone team)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 6):
        response = client.get(url)
    assert len(response.context["memberships"]) == 21


def test_audit_log_query_count_does_not_grow_with_events(client, platform_admin, world,
                                                         django_assert_num_queries):
    from relais.audit import log as audit

    for _ in range(60):
        audit.record("test.event", actor=platform_admin, organisation=world.hospital)
    client.force_login(platform_admin)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 2):  # count, page
        response = client.get(reverse("access:audit_log"))
    assert len(response.context["page"].object_list) == 50


def test_home_page_query_count(client, coordinator, django_assert_num_queries):
    client.force_login(coordinator)
    # + my work (followup) first: whether any kind of work has rows (none here)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 1):
        response = client.get(reverse("accounts:home"))
    assert response.context["memberships"][0].function == Function.COORDINATOR


def test_care_zone_page_query_count(client, django_assert_num_queries):
    # zones, their municipalities, postcodes; split municipality, its postcodes and zones
    with django_assert_num_queries(6):
        response = client.get(reverse("core:care_zones"))
    assert "Woluwe-Saint-Lambert / Sint-Lambrechts-Woluwe" in response.content.decode()


def test_kbo_numbers_are_stored_compact_and_shown_grouped(db):
    organisation = OrganisationFactory(kbo_number="BE 0403.019.261")
    assert organisation.kbo_number == "0403019261"
    with translation.override("nl"):
        assert organisation.kbo_display == "0403.019.261"
    assert kbo(4030192) == "0403019261"

"""What travels with the person: the transfer note by role, and the going-home sheet."""

import pytest
from django.urls import reverse

from relais.network import services as network_services
from relais.network.models import MemberKind, Role
from relais.stays import referrals, transfer
from relais.stays.models import TransferNote
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.relais.stays.conftest import NEEDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def home_helper(madeleine, coordinator):
    helpers = OrganisationFactory(name="Help Test", type="home_help")
    user = UserFactory(email="helper@test.relais.example")
    MembershipFactory(user=user, organisation=helpers, function="coordinator")
    network_services.add_member(madeleine, kind=MemberKind.ORGANISATION, organisation=helpers,
                                roles=[Role.HOME_HELP], actor=coordinator)
    return user


def sections(client, stay):
    response = client.get(reverse("stays:transfer_note", args=[stay.pk]))
    return [name for name, _ in response.context["sections"]] if response.status_code == 200 \
        else response.status_code


def test_each_role_reads_its_sections(persona_client, client, stay, home_helper):
    assert sections(persona_client("liaison_nurse"), stay)[:3] == ["summary", "medical",
                                                                   "psychological"]
    assert "medical" in sections(persona_client("gp"), stay)
    nurse = sections(persona_client("home_nurse"), stay)
    assert "medical" in nurse and "screening" not in nurse
    client.force_login(home_helper)
    assert sections(client, stay) == ["summary", "practical", "family"]
    assert sections(persona_client("outsider"), stay) == 404


def test_the_portal_caregiver_gets_the_going_home_sheet_not_the_note(persona_client, client,
                                                                      stay, caregiver):
    client.force_login(caregiver)
    assert client.get(reverse("stays:transfer_note", args=[stay.pk])).status_code == 404
    assert client.get(reverse("stays:going_home", args=[stay.pk])).status_code == 200


def test_saved_versions_are_snapshots(stay, liaison_nurse):
    first = transfer.save_version(stay, actor=liaison_nurse)
    item = stay.plan_items.first()
    item.status = "done"
    item.save()
    second = transfer.save_version(stay, actor=liaison_nurse)
    assert (first.number, second.number) == (1, 2)
    assert first.sections["medical"][0]["status"] == "todo"
    assert second.sections["medical"][0]["status"] == "done"
    assert TransferNote.objects.filter(stay=stay).count() == 2


def test_going_home_sheet_never_shows_excluded_members(persona_client, stay, excluded_pro):
    page = persona_client("liaison_nurse").get(reverse("stays:going_home", args=[stay.pk]))
    text = page.content.decode()
    assert "Sophie Lambert" in text
    assert excluded_pro.get_full_name() not in text


def test_going_home_sheet_speaks_the_persons_language(persona_client, stay, nursing_service,
                                                      liaison_nurse, home_nurse):
    stay.person.language = "fr"
    stay.person.save()
    referral = referrals.send(person=stay.person, service=nursing_service, stay=stay,
                              needs=NEEDS, urgency="24h", actor=liaison_nurse,
                              sender_organisation=stay.hospital, person_agrees=True)
    referrals.transition(referral, "accepted", actor=home_nurse,
                         expected_version=referral.version)
    page = persona_client("liaison_nurse").get(reverse("stays:going_home", args=[stay.pk]))
    text = page.content.decode()
    assert 'lang="fr"' in text
    assert "Home Nursing Test" in text and "every morning" in text


def test_staff_write_the_sheet(persona_client, stay):
    client = persona_client("liaison_nurse")
    url = reverse("stays:going_home", args=[stay.pk])
    response = client.post(url, {"watch_for": "Call the GP if the leg swells.",
                                 "appointments": "", "explained_by": "", "version": stay.version})
    assert response.status_code == 302
    stay.refresh_from_db()
    assert stay.watch_for.startswith("Call the GP")
    assert persona_client("gp").post(url, {"watch_for": "x", "version": stay.version}
                                     ).status_code == 404


def test_the_home_network_leaves_a_summary_for_the_hospital(persona_client, stay, madeleine):
    url = reverse("stays:admission_brief", args=[madeleine.pk])
    coordinator = persona_client("coordinator")
    assert coordinator.post(url, {"text": "Afraid of falling at night."}).status_code == 302
    page = persona_client("liaison_nurse").get(reverse("stays:stay_detail", args=[stay.pk]))
    assert "Afraid of falling at night." in page.content.decode()
    assert persona_client("outsider").get(url).status_code == 404


def test_a_domestic_violence_concern_never_travels_in_the_transfer_note(persona_client, stay,
                                                                        liaison_nurse):
    from relais.stays import screening
    from tests.relais.stays.test_screening import CALM

    screening.record_screening(stay, "relais-social", {**CALM, "violence": "disclosed"},
                               actor=liaison_nurse, organisation=stay.hospital)
    note = transfer.save_version(stay, actor=liaison_nurse)
    assert "violence" not in str(note.sections).lower()
    page = persona_client("gp").get(reverse("stays:transfer_note", args=[stay.pk]))
    assert "violence" not in page.content.decode().lower()

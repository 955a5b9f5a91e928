"""The readable export (GDPR art. 15): everything held about the person on one printable
page, for whoever may see "who looked at this record", read through the gate, audited."""

import re
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relais.accounts.models import Function, User, UserKind
from relais.audit.models import AuditEvent
from relais.booklet import consultations, emergency
from relais.booklet import services as booklet
from relais.followup.models import SignalKind, Watch, WatchSignal
from relais.followup.watch import record_refusal
from relais.network import services as network
from relais.network.models import MemberKind, NetworkMember, Person, Relation, Role
from relais.notifications import rules as notification_rules
from relais.notifications.models import Notification
from relais.rights import export
from relais.stays import screening, transfer
from relais.stays.models import PatientLink, Referral, ReferralEvent, ReferralStatus
from tests.conftest import login_as
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.files import PNG
from tests.relais.network import conftest as network_fixtures
from tests.relais.stays import conftest as stay_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro
member_of = network_fixtures.member_of
hospital_consent = stay_fixtures.hospital_consent
stay = stay_fixtures.stay
nursing_service = stay_fixtures.nursing_service


@pytest.fixture
def record(madeleine, stay, coordinator, gp, nursing_service):
    booklet.write(madeleine, author=coordinator, body="Madeleine fell on the stairs")
    Referral.objects.create(
        person=madeleine, stay=stay, service=nursing_service,
        organisation=nursing_service.organisation, sender=coordinator,
        sender_organisation=coordinator.memberships.first().organisation,
        respond_by=timezone.now() + timedelta(days=1), **stay_fixtures.NEEDS)
    record_refusal(madeleine, offered="Meals on wheels", reasons=["cost"], capacity="yes",
                   own_words="Too expensive for me", actor=gp)
    return madeleine


# A screening's answers: one says she lives alone, one (restricted) a violence concern.
SOCIAL = {"living": "alone", "caregiver": "yes", "contacts": "weekly", "network": "yes",
          "psychosocial": "no", "cognition": "no", "housing": "ready", "finances": "no",
          "language": "yes", "refusal": "no", "dependants": "no", "priority": "no",
          "violence": "suspected"}


@pytest.fixture
def hospital_record(record, stay, liaison_nurse, coordinator, world):
    """What the hospital adds: a screening, a saved transfer note, its patient number;
    and the network's note for the admission, a printed emergency sheet, a signal."""
    screening.record_screening(stay, "relais-social", SOCIAL, actor=liaison_nurse,
                               organisation=stay.hospital)
    transfer.save_version(stay, actor=liaison_nurse)
    transfer.save_brief(record, "Hard of hearing: speak on her left side", actor=coordinator)
    PatientLink.objects.create(hospital=world.hospital, patient_id="P-4410", person=record)
    emergency.save_sheet(record, {"conditions": "Heart failure", "allergies": "Penicillin"},
                         actor=coordinator)
    emergency.save_sheet(record, {"allergies": "Penicillin, latex"}, actor=coordinator)
    emergency.record_print(record, actor=coordinator)
    WatchSignal.objects.create(watch=Watch.objects.get(person=record), at=timezone.now(),
                               kind=SignalKind.READMISSION)
    return record


def url(person) -> str:
    return reverse("rights:person_export", args=[person.pk])


def test_the_export_shows_every_kind_of_data_and_is_audited(client, record, stay, coordinator):
    login_as(client, coordinator)
    response = client.get(url(record))
    assert response.status_code == 200
    page = response.content.decode()
    for held in ["Madeleine Lambert", "41.03.02", "Sophie Lambert", "+32 470 00 00 01",
                 "Madeleine fell on the stairs", "Daily wound care and help with washing",
                 "Leg ulcer; lives alone", "Meals on wheels", "Too expensive for me",
                 "Watch since", str(stay.hospital)]:
        assert held in page, held
    event = AuditEvent.objects.get(action=export.EXPORT)
    assert event.person_id == record.pk and event.actor_id == coordinator.pk
    assert event.detail["entries"] == 1 and event.detail["referrals"] == 1
    assert event.detail["stays"] == 1 and event.detail["refusals"] == 1


@pytest.mark.parametrize("name", ["outsider", "analyst", "excluded_pro"])
def test_those_who_may_not_see_the_access_log_get_404_and_nothing_is_recorded(
        client, record, request, name):
    login_as(client, request.getfixturevalue(name))
    assert client.get(url(record)).status_code == 404
    assert not AuditEvent.objects.filter(action=export.EXPORT).exists()


def test_anonymous_is_sent_to_login(client, record):
    response = client.get(url(record))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_access_log_links_to_it(client, record, coordinator):
    login_as(client, coordinator)
    page = client.get(reverse("network:access_log", args=[record.pk])).content.decode()
    assert url(record) in page


def test_the_new_sections_show_what_the_reader_may_open_elsewhere(
        client, hospital_record, coordinator):
    login_as(client, coordinator)
    page = client.get(url(hospital_record)).content.decode()
    for held in ["Lives alone", "Hard of hearing: speak on her left side", "version 1, saved",
                 "Heart failure", "Penicillin, latex", "printed on", "Readmitted to hospital",
                 "Social"]:
        assert held in page, held
    # The coordination centre reads the transfer note's social sections, not the medical
    # ones; the hospital's patient numbers and restricted findings are the hospital's.
    assert "Medical" not in page and "P-4410" not in page
    assert "Domestic-violence concern" not in page
    event = AuditEvent.objects.get(action=export.EXPORT)
    assert {name: event.detail[name] for name in [
        "screenings", "transfer_notes", "admission_brief", "patient_links", "sheet",
        "earlier_sheets", "sheet_prints"]} == {
        "screenings": 1, "transfer_notes": 1, "admission_brief": 1, "patient_links": 0,
        "sheet": 1, "earlier_sheets": 1, "sheet_prints": 1}


def test_the_hospital_reads_its_patient_numbers_and_every_section(
        client, hospital_record, liaison_nurse):
    login_as(client, liaison_nurse)
    page = client.get(url(hospital_record)).content.decode()
    for held in ["P-4410", "Medical", "Domestic-violence concern"]:
        assert held in page, held
    assert AuditEvent.objects.get(action=export.EXPORT).detail["patient_links"] == 1


def test_the_reader_sees_only_their_own_notifications(client, record, coordinator, gp):
    Notification.objects.create(recipient=coordinator, kind="booklet.alert", person=record,
                                params={"author": "GP Test"})
    Notification.objects.create(recipient=gp, kind="booklet.alert", person=record,
                                params={"author": "Somebody Else"})
    login_as(client, coordinator)
    client.get(url(record))
    assert AuditEvent.objects.get(action=export.EXPORT).detail["notifications"] == (
        Notification.objects.filter(recipient=coordinator, person=record).count())


def add_one_of_each(record, stay, *, coordinator, liaison_nurse, gp, n):
    """A row of every kind the page lists, and of each kind its rows list."""
    booklet.write(record, author=coordinator, body=f"Note {n}")
    screening.record_external(stay, f"ISAR {n}", "3", date(2026, 11, 20),
                              actor=liaison_nurse, organisation=stay.hospital)
    transfer.save_version(stay, actor=liaison_nurse)
    emergency.save_sheet(record, {"conditions": f"Condition {n}"}, actor=coordinator)
    emergency.record_print(record, actor=coordinator)
    PatientLink.objects.create(hospital=stay.hospital, patient_id=f"P-{n}", person=record)
    ReferralEvent.objects.create(referral=Referral.objects.get(person=record),
                                 status=ReferralStatus.SENT)
    WatchSignal.objects.create(watch=Watch.objects.get(person=record), at=timezone.now(),
                               kind=SignalKind.BOOKLET_ALERT)
    Notification.objects.create(recipient=coordinator, kind="booklet.alert", person=record)
    asked = consultations.ask(record, question=f"Question {n}?", choices=["Yes", "No"],
                              deadline=timezone.now() + timedelta(days=2),
                              members=[record.members.get(user=gp)], actor=coordinator,
                              organisation=coordinator.memberships.first().organisation)
    consultations.answer(asked.invitations.get(), choice="Yes", answered_as="GP Test",
                         actor=gp)


@pytest.mark.parametrize("reader", ["coordinator", "liaison_nurse"])
def test_its_query_count_does_not_grow_with_the_record(
        client, record, stay, coordinator, liaison_nurse, gp, request, reader):
    people = {"coordinator": coordinator, "liaison_nurse": liaison_nurse, "gp": gp}
    add_one_of_each(record, stay, n=0, **people)
    login_as(client, request.getfixturevalue(reader))
    client.get(url(record))
    with CaptureQueriesContext(connection) as few:
        client.get(url(record))
    for n in range(1, 4):
        add_one_of_each(record, stay, n=n, **people)
    with CaptureQueriesContext(connection) as more:
        page = client.get(url(record)).content.decode()
    # The hospital reads its patient numbers; the network, the consultations.
    shown = {"coordinator": "Question 3?", "liaison_nurse": "P-3"}[reader]
    assert "Note 3" in page and "ISAR 3" in page and shown in page
    assert len(more) == len(few)


# --- the prints of the emergency sheet: their contacts and photo -------------------------


def test_each_print_shows_the_contacts_printed_with_it(client, hospital_record, coordinator, gp,
                                                       member_of):
    network.end_member(member_of(user=gp), actor=coordinator)  # after the print
    login_as(client, coordinator)
    page = client.get(url(hospital_record)).content.decode()
    # As the paper in the yellow box says, not as the network is today.
    for printed in ["Whom to call, as printed:",
                    "Contact point: Madeleine Lambert (the person themselves) — no phone recorded",
                    f"General practitioner: {gp} — no phone recorded",
                    "Trusted person: Sophie Lambert — +32 470 00 00 01"]:
        assert printed in page, printed


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_prints_photo_is_the_photo_of_its_version_served_through_the_gate(
        client, media, madeleine, coordinator, persona_client):
    emergency.save_sheet(madeleine, {"photo": SimpleUploadedFile("me.png", PNG, "image/png")},
                         actor=coordinator)
    emergency.record_print(madeleine, actor=coordinator)
    emergency.save_sheet(madeleine, {"remove_photo": True}, actor=coordinator)
    emergency.record_print(madeleine, actor=coordinator)
    login_as(client, coordinator)
    page = client.get(url(madeleine)).content.decode()
    photo = reverse("booklet:emergency_photo", args=[madeleine.pk, 1])
    assert page.count('class="export-photo"') == 1 and f'src="{photo}"' in page
    assert "alt=\"Photo of Madeleine Lambert on version 1 of the emergency sheet\"" in page
    served = client.get(photo)
    assert served.status_code == 200 and b"".join(served.streaming_content) == PNG
    for persona in ("outsider", "excluded_pro", "analyst"):
        assert persona_client(persona).get(photo).status_code == 404
    assert AuditEvent.objects.filter(action="emergency_sheet.photo_read").count() == 1


# --- who was told what about the person (GDPR art. 15(1)(c)) ------------------------------
# Madeleine's network (tests/relais/network/conftest.py) was told of itself as it was
# built: "network.added" to her GP, her daughter, the physiotherapist who left and the
# social worker she excluded since.

SECRET_HOSPITAL = "Clinique Discrète"
SECRET_SERVICE = "Night Nursing Hush"
NAMES = {"gp": ("Anna", "Claes"), "home_nurse": ("Nadia", "Benali"),
         "caregiver": ("Sophie", "Lambert"), "former_member": ("Paul", "Kiné"),
         "excluded_pro": ("Xavier", "Dehors"), "coordinator": ("Chloé", "Martin")}


@pytest.fixture
def told(madeleine, request, gp, home_nurse):
    """Known names (a generated one may hold an apostrophe, escaped in the page), and news
    whose sentences hold details: her GP told of a stay, the home nurse of a referral."""
    for name, (first, last) in NAMES.items():
        User.objects.filter(pk=request.getfixturevalue(name).pk).update(first_name=first,
                                                                        last_name=last)
    Notification.objects.create(recipient=gp, kind="stay.admitted", person=madeleine,
                                params={"hospital": SECRET_HOSPITAL})
    Notification.objects.create(recipient=home_nurse, kind="referral.declined",
                                person=madeleine, params={"service": SECRET_SERVICE})
    return madeleine


@pytest.fixture
def daughter_is_contact_point(madeleine, coordinator, member_of):
    network.set_contact_point(member_of(name="Sophie Lambert"), actor=coordinator)


@pytest.fixture
def herself(madeleine, daughter_is_contact_point):
    """Madeleine's own portal account, on her own member row: not the contact point."""
    user = UserFactory(first_name="Madeleine", last_name="Lambert", kind=UserKind.PORTAL,
                       email="madeleine@test.relais.example")
    NetworkMember.objects.filter(person=madeleine, relation=Relation.SELF).update(user=user)
    return user


@pytest.fixture
def excluded_relative(madeleine, coordinator):
    """Her nephew, with a portal account: told he joined, then her contact point for a
    while, then excluded at her request."""
    nephew = UserFactory(first_name="Bruno", last_name="Neveu", kind=UserKind.PORTAL,
                         email="nephew@test.relais.example")
    member = network.add_member(madeleine, kind=MemberKind.INFORMAL, user=nephew,
                                name="Bruno Neveu", relation=Relation.OTHER_FAMILY,
                                roles=[Role.FAMILY], actor=coordinator)
    network.set_contact_point(network.set_contact_point(member, actor=coordinator),
                              actor=coordinator)
    member.refresh_from_db()
    network.exclude_member(member, actor=coordinator)
    return nephew


TOLD_LINES = ["Dr. Claes (General practitioner, Dr Test) — Admitted to hospital",
              "Nadia Benali (Home nurse, Home Nursing Test) — Referral declined",
              "Dr. Claes (General practitioner, Dr Test) — Added to the care network",
              "Paul Kiné (Physiotherapist, Physio Test) — Added to the care network"]


def told_section(page: str) -> str:
    return page.split('id="x-told"', 1)[1].split("</section>", 1)[0]


def test_the_person_reads_who_was_told_what_but_not_what_others_were_told(
        client, told, herself, excluded_relative):
    login_as(client, herself)
    page = client.get(url(told)).content.decode()
    section = told_section(page)
    for line in [*TOLD_LINES, "Sophie Lambert (Son or daughter) — Added to the care network"]:
        assert line in section, line
    # The sentences are their recipients': the hospital, the service stay out.
    assert SECRET_HOSPITAL not in page and SECRET_SERVICE not in page
    # Those she excluded are on nothing she prints, what they were told included.
    assert "Dehors" not in page and "Neveu" not in page
    assert AuditEvent.objects.get(action=export.EXPORT).detail["disclosures"] == 6


def test_the_contact_point_reads_them_too_their_own_as_you(client, told, caregiver,
                                                             daughter_is_contact_point):
    login_as(client, caregiver)
    page = client.get(url(told)).content.decode()
    section = told_section(page)
    for line in [*TOLD_LINES, "you — Added to the care network"]:
        assert line in section, line
    assert "You were added to the care network of Madeleine Lambert." in page  # her own
    assert SECRET_HOSPITAL not in page and SECRET_SERVICE not in page


def test_a_relative_who_is_not_the_contact_point_gets_404(client, told, caregiver):
    assert not told.members.get(user=caregiver).is_contact_point
    login_as(client, caregiver)
    assert client.get(url(told)).status_code == 404
    assert not AuditEvent.objects.filter(action=export.EXPORT).exists()
    assert not notification_rules.reads_disclosures(caregiver, told)


def test_an_excluded_relative_who_was_the_contact_point_gets_404(client, told,
                                                                  excluded_relative):
    login_as(client, excluded_relative)
    assert client.get(url(told)).status_code == 404
    assert not AuditEvent.objects.filter(action=export.EXPORT).exists()
    assert not notification_rules.reads_disclosures(excluded_relative, told)
    assert not notification_rules.visible_disclosures(
        excluded_relative, Notification.objects.filter(person=told)).exists()


@pytest.mark.parametrize("reader", ["coordinator", "gp"])
def test_a_professional_reads_only_what_they_were_told(client, told, request, reader):
    login_as(client, request.getfixturevalue(reader))  # both may change the record
    response = client.get(url(told))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="x-told"' not in page and "Referral declined" not in page
    assert SECRET_SERVICE not in page
    assert (SECRET_HOSPITAL in page) is (reader == "gp")  # the GP's own news, in full
    assert AuditEvent.objects.get(action=export.EXPORT).detail["disclosures"] == 0


def test_who_was_told_costs_the_same_queries_however_many_recipients(client, told, herself,
                                                                      world):
    login_as(client, herself)
    client.get(url(told))
    with CaptureQueriesContext(connection) as few:
        client.get(url(told))
    for n in range(3):
        nurse = UserFactory(first_name="Nurse", last_name=f"Number{n}")
        MembershipFactory(user=nurse, organisation=OrganisationFactory(name=f"Care {n}"),
                          function=Function.HOME_NURSE)
        Notification.objects.create(recipient=nurse, kind="booklet.alert", person=told)
    with CaptureQueriesContext(connection) as more:
        page = client.get(url(told)).content.decode()
    assert "Nurse Number2 (Home nurse, Care 2) — Alert in the booklet" in page
    assert len(more) == len(few)


# --- every kind of data has a decision ---------------------------------------------------


def about_a_person() -> set[str]:
    """Every concrete model whose rows point at a person: a foreign key to the person, or
    to a model that does (a check-in → its watch → the person), at any depth."""
    found = {Person}
    models_ = [m for m in apps.get_models() if not (m._meta.abstract or m._meta.proxy)]
    grew = True
    while grew:
        grew = False
        for model in models_:
            if model not in found and any(
                    isinstance(field, models.ForeignKey) and field.related_model in found
                    for field in model._meta.concrete_fields):
                found.add(model)
                grew = True
    return {model._meta.label_lower for model in found - {Person}}


def test_every_model_about_a_person_is_shown_or_left_out_for_a_reason():
    held = about_a_person()
    assert "stays.screening" in held and "followup.escalation" in held  # the walk works
    undecided = held - export.SHOWN_IN.keys() - export.NOT_SHOWN.keys()
    assert not undecided, (
        f"{sorted(undecided)}: show them in rights/export.py gather() (SHOWN_IN), or say "
        "in NOT_SHOWN why the person's copy of their data leaves them out")
    assert not export.SHOWN_IN.keys() & export.NOT_SHOWN.keys()
    assert (export.SHOWN_IN.keys() | export.NOT_SHOWN.keys()) <= held, "a stale entry"
    assert all(reason for reason in export.NOT_SHOWN.values())


def test_each_shown_model_names_a_section_of_the_page(db, madeleine, coordinator):
    sections = export.gather(coordinator, madeleine)
    assert set(export.SHOWN_IN.values()) <= sections.keys()


@pytest.fixture
def representative(madeleine, member_of, coordinator, caregiver):
    """Her daughter (the `caregiver` login) is her representative by a mandate in force;
    not her contact point."""
    today = timezone.localdate()
    network.record_mandate(
        madeleine, representative=member_of(name="Sophie Lambert"), scope="Health",
        signed_on=today, signed_by_person=True, signed_by_representative=True,
        starts_on=today, actor=coordinator)
    return caregiver


def judge(person, finding: str, actor):
    return network.record_assessment(
        person, finding=finding, assessed_by="Dr Janssens",
        assessed_on=timezone.localdate(), review_by=None, actor=actor)


def test_a_representative_opens_the_copy_and_the_access_log_only_while_they_may_act(
        client, told, representative, coordinator):
    """They exercise her rights, file access among them, only while she cannot (DOMAIN.md
    §1): with the mandate alone, or once she is judged able again, neither page opens."""
    pages = [url(told), reverse("network:access_log", args=[told.pk])]
    login_as(client, representative)
    assert [client.get(page).status_code for page in pages] == [404, 404]
    judge(told, "unable", coordinator)
    responses = [client.get(page) for page in pages]
    assert [r.status_code for r in responses] == [200, 200]
    assert all(line in told_section(responses[0].content.decode()) for line in TOLD_LINES)
    assert AuditEvent.objects.filter(action=export.EXPORT, actor=representative).count() == 1
    judge(told, "able", coordinator)
    assert [client.get(page).status_code for page in pages] == [404, 404]


def test_the_administrator_opens_the_copy_and_the_access_log_while_the_order_is_in_force(
        client, told, member_of, caregiver, coordinator):
    """The justice of the peace named her daughter administrator of the person, authorised
    to exercise her patient rights: while the order is in force and she is judged unable,
    the daughter exercises her right to her file; the role alone, or a lifted order,
    opens nothing."""
    daughter = member_of(name="Sophie Lambert")
    pages = [url(told), reverse("network:access_log", args=[told.pk])]
    network.update_member(daughter, roles=[Role.ADMINISTRATOR], actor=coordinator)
    judge(told, "unable", coordinator)
    login_as(client, caregiver)
    assert [client.get(page).status_code for page in pages] == [404, 404]
    today = timezone.localdate()
    order = network.record_protection_order(
        told, administrator=daughter, court="Justice of the peace, Uccle", ordered_on=today,
        covers_patient_rights=True, starts_on=today, actor=coordinator)
    responses = [client.get(page) for page in pages]
    assert [r.status_code for r in responses] == [200, 200]
    page = responses[0].content.decode()
    assert all(line in told_section(page) for line in TOLD_LINES)
    assert "Justice of the peace, Uccle" in page and "authorised to exercise" in page
    network.lift_protection_order(order, actor=coordinator)
    assert [client.get(page).status_code for page in pages] == [404, 404]


def test_a_parent_opens_their_childs_copy_until_the_child_is_judged_able(
        client, madeleine, member_of, caregiver, coordinator):
    """Madeleine's record stands in for a child's: born ten years ago, her daughter's
    login now her parent's, their legal representative."""
    today = timezone.localdate()
    Person.objects.filter(pk=madeleine.pk).update(
        birth_date=today.replace(year=today.year - 10, day=min(today.day, 28)))
    network.update_member(member_of(name="Sophie Lambert"), roles=[Role.LEGAL_REPRESENTATIVE],
                          relation=Relation.PARENT, actor=coordinator)
    pages = [url(madeleine), reverse("network:access_log", args=[madeleine.pk])]
    login_as(client, caregiver)
    responses = [client.get(page) for page in pages]
    assert [r.status_code for r in responses] == [200, 200]
    assert 'id="x-told"' in responses[0].content.decode()
    judge(madeleine, "able", coordinator)
    assert [client.get(page).status_code for page in pages] == [404, 404]


# --- the emergency sheet's versions: their contacts and photo, each photo read once ------


def photo_sources(page: str) -> list[str]:
    return re.findall(r'<img class="export-photo" src="([^"]+)"', page)


def sheet_sections(page: str) -> tuple[str, str]:
    """The current version's section, and the earlier versions' and prints'."""
    return tuple(page.split('id="x-sheet"', 1)[1].split('id="x-sheet-history"', 1))


def test_each_earlier_version_shows_the_contacts_saved_with_it_the_current_the_live_ones(
        client, madeleine, coordinator, gp, member_of):
    """The current version as its page shows it, with the network as it is now
    (booklet.views_emergency); an earlier version as it was saved."""
    emergency.save_sheet(madeleine, {"conditions": "Heart failure"}, actor=coordinator)
    network.end_member(member_of(user=gp), actor=coordinator)
    emergency.save_sheet(madeleine, {"conditions": "Heart failure, COPD"}, actor=coordinator)
    network.add_member(madeleine, kind=MemberKind.INFORMAL, name="Marc Lambert",
                       relation=Relation.OTHER_FAMILY, phone="+32 470 66 66 66",
                       roles=[Role.TRUSTED_PERSON], actor=coordinator)  # after version 2
    login_as(client, coordinator)
    current, earlier = sheet_sections(client.get(url(madeleine)).content.decode())
    saved, now = "Whom to call, as saved with this version:", "Whom to call, as the network is now:"
    trusted = "Trusted person: Sophie Lambert — +32 470 00 00 01"
    nephew = "Trusted person: Marc Lambert — +32 470 66 66 66"
    gp_line = f"General practitioner: {gp} — no phone recorded"
    assert current.count(now) == 1 and saved not in current
    assert trusted in current and nephew in current and gp_line not in current
    assert earlier.count(saved) == 1 and trusted in earlier and gp_line in earlier  # version 1
    assert nephew not in earlier


def test_the_person_side_reads_no_saved_contact_excluded_since(
        client, madeleine, coordinator, member_of, herself):
    """Version 1 and its print named her nephew, her trusted person; she excluded him
    since: her copy names him nowhere (R14: an excluded member appears on nothing printed
    for her), while her coordinator's shows what was saved and printed."""
    network.add_member(madeleine, kind=MemberKind.INFORMAL, name="Marc Lambert",
                       relation=Relation.OTHER_FAMILY, phone="+32 470 66 66 66",
                       roles=[Role.TRUSTED_PERSON], actor=coordinator)
    emergency.save_sheet(madeleine, {"conditions": "Heart failure"}, actor=coordinator)
    emergency.record_print(madeleine, actor=coordinator)
    network.exclude_member(member_of(name="Marc Lambert"), actor=coordinator)
    emergency.save_sheet(madeleine, {"conditions": "Heart failure, COPD"}, actor=coordinator)
    nephew = "Trusted person: Marc Lambert — +32 470 66 66 66"
    trusted = "Trusted person: Sophie Lambert — +32 470 00 00 01"
    login_as(client, herself)
    page = client.get(url(madeleine)).content.decode()
    assert "Marc Lambert" not in page and "+32 470 66 66 66" not in page
    assert sheet_sections(page)[1].count(trusted) == 2  # version 1 and its print
    login_as(client, coordinator)
    current, earlier = sheet_sections(client.get(url(madeleine)).content.decode())
    assert nephew not in current and earlier.count(nephew) == 2


def test_each_photo_is_shown_once_and_its_reading_audited_once(client, media, madeleine,
                                                              coordinator):
    """Version 1's photo is carried to version 2 and printed with it; version 3 has a
    new one, printed twice: two photos, two images, two reads; the other rows name the
    version whose image shows it."""
    def photo(name):
        return SimpleUploadedFile(name, PNG, "image/png")

    emergency.save_sheet(madeleine, {"photo": photo("first.png")}, actor=coordinator)
    emergency.save_sheet(madeleine, {"allergies": "Latex"}, actor=coordinator)
    emergency.record_print(madeleine, actor=coordinator)
    emergency.save_sheet(madeleine, {"photo": photo("second.png")}, actor=coordinator)
    emergency.record_print(madeleine, actor=coordinator)
    emergency.record_print(madeleine, actor=coordinator)
    login_as(client, coordinator)
    page = client.get(url(madeleine)).content.decode()
    shown = photo_sources(page)
    assert shown == [reverse("booklet:emergency_photo", args=[madeleine.pk, number])
                     for number in (3, 2)]  # the current version first, then version 2
    assert page.count("Photo: the same as on version 2, shown above.") == 2  # v1, its print
    assert page.count("Photo: the same as on version 3, shown above.") == 2  # its prints
    for source in shown:  # what the browser fetches
        assert client.get(source).status_code == 200
    reads = AuditEvent.objects.filter(action="emergency_sheet.photo_read")
    assert sorted(reads.values_list("target_id", flat=True)) == sorted(
        str(pk) for pk in madeleine.emergency_sheets.filter(number__in=[2, 3])
        .values_list("pk", flat=True))


def test_the_person_side_reads_no_court_order_naming_someone_excluded(
        client, madeleine, coordinator, herself):
    """As for a mandate (network.rules.may_read_mandate): the order naming her nephew
    administrator stays in the record, and in the copy a professional who keeps it
    prints; once she excluded him, her own copy does not name him (R14)."""
    nephew = network.add_member(madeleine, kind=MemberKind.INFORMAL, name="Marc Lambert",
                                relation=Relation.OTHER_FAMILY, roles=[Role.ADMINISTRATOR],
                                actor=coordinator)
    today = timezone.localdate()
    network.record_protection_order(
        madeleine, administrator=nephew, court="Vredegerecht Ukkel", ordered_on=today,
        covers_patient_rights=True, starts_on=today, actor=coordinator)
    login_as(client, herself)
    assert "Marc Lambert is the administrator" in client.get(url(madeleine)).content.decode()
    network.exclude_member(nephew, actor=coordinator)
    page = client.get(url(madeleine)).content.decode()
    assert "Marc Lambert" not in page and "Vredegerecht Ukkel" not in page
    login_as(client, coordinator)
    assert "Marc Lambert is the administrator" in client.get(url(madeleine)).content.decode()

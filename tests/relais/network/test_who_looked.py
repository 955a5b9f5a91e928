""""Who looked at this record": lines people read, grouped per person, day and kind of
access, in the reader's language; and who may read them (issue 12)."""

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from relais.accounts.models import Function, Organisation, User, UserKind
from relais.audit import log as audit_log
from relais.audit.models import AuditEvent
from relais.network import services, who_looked
from relais.network.models import MemberKind, Relation, Role
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

# 12 March 2026 in Brussels (UTC+1 in winter).
MARCH_12 = [datetime(2026, 3, 12, 8, 12, tzinfo=UTC), datetime(2026, 3, 12, 10, 0, tzinfo=UTC),
            datetime(2026, 3, 12, 15, 40, tzinfo=UTC)]

# Every code written with a person's id today (grep `audit.record(` and `_record(`).
CODES_WITH_A_PERSON = [
    "person.read", "person.create", "person.change", "person.break_glass",
    "network_member.create", "network_member.change", "network_member.end",
    "network_member.exclude", "network_member.include", "network.contact_point",
    "consent.give", "consent.revoke", "mandate.create", "mandate.revoke",
    "mandate.document_read", "protection_order.create", "protection_order.lift",
    "capacity.assess", "portal.invite", "portal.revoke",
    "portal.accept", "booklet.write", "booklet.acknowledge", "booklet.attachment_read",
    "consultation.read", "consultation.ask", "consultation.answer", "consultation.decide",
    "consultation.revoke", "consultation.remind", "emergency_sheet.save",
    "emergency_sheet.print", "emergency_sheet.outdated", "emergency_sheet.photo_read",
    "stay.read", "stay.open", "stay.transfer", "stay.change", "stay.discharge", "stay.cancel",
    "stay.cancel_discharge", "stay.going_home", "plan_item.add", "plan_item.status",
    "transfer_note.save", "admission_brief.save", "screening.create", "referral.read",
    "referral.send", "referral.accepted", "referral.declined", "referral.started",
    "referral.completed", "referral.cancelled", "patient_link.create", "access.denied",
]


def record_at(at, action, *, person, actor=None, organisation=None, **fields):
    """An audit event written at `at` (the log takes its time from the clock)."""
    with mock.patch.object(audit_log, "timezone", SimpleNamespace(now=lambda: at)):
        return audit_log.record(action, actor=actor, organisation=organisation,
                                person_id=person.pk, **fields)


@pytest.fixture
def dr_claes(gp, world):
    User.objects.filter(pk=gp.pk).update(first_name="Anne", last_name="Claes")
    Organisation.objects.filter(pk=world.gp_practice.pk).update(
        name="Maison médicale La Chasse")
    gp.refresh_from_db()
    world.gp_practice.refresh_from_db()
    return gp


@pytest.fixture
def contact_point(madeleine, member_of, coordinator, caregiver):
    User.objects.filter(pk=caregiver.pk).update(first_name="Sophie", last_name="Lambert")
    services.set_contact_point(member_of(name="Sophie Lambert"), actor=coordinator)
    caregiver.refresh_from_db()
    return caregiver


def lines_of(person, reader, actor=None, language="en"):
    rows = who_looked.grouped_events(person.pk)
    if actor is not None:
        rows = rows.filter(actor_id=actor.pk)
    with translation.override(language):
        return who_looked.describe(rows, person=person, reader=reader)


def page_text(client, person, **params) -> str:
    response = client.get(reverse("network:access_log", args=[person.pk]), params)
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


# --- grouping ---------------------------------------------------------------------------


def test_three_reads_on_one_day_make_one_line(madeleine, dr_claes, world, coordinator):
    for at in MARCH_12:
        record_at(at, "person.read", person=madeleine, actor=dr_claes,
                  organisation=world.gp_practice)
    [line] = lines_of(madeleine, coordinator, actor=dr_claes)
    assert line.sentence == ("Dr. Claes (General practitioner, Maison médicale La Chasse) "
                             "read the record")
    assert (line.day, line.count, line.first, line.last) == (
        date(2026, 3, 12), 3, MARCH_12[0], MARCH_12[2])


def test_reads_on_two_days_make_two_lines_newest_day_first(madeleine, dr_claes, world,
                                                         coordinator):
    for at in (MARCH_12[0], MARCH_12[0] + timedelta(days=1), MARCH_12[1]):
        record_at(at, "person.read", person=madeleine, actor=dr_claes,
                  organisation=world.gp_practice)
    lines = lines_of(madeleine, coordinator, actor=dr_claes)
    assert [(line.day, line.count) for line in lines] == [(date(2026, 3, 13), 1),
                                                         (date(2026, 3, 12), 2)]


def test_two_people_and_two_kinds_of_access_make_separate_lines(madeleine, dr_claes, world,
                                                               home_nurse, coordinator):
    record_at(MARCH_12[0], "person.read", person=madeleine, actor=dr_claes,
              organisation=world.gp_practice)
    record_at(MARCH_12[1], "person.read", person=madeleine, actor=home_nurse,
              organisation=world.home_nursing)
    record_at(MARCH_12[2], "booklet.write", person=madeleine, actor=home_nurse,
              organisation=world.home_nursing)
    on_march_12 = [line for line in lines_of(madeleine, coordinator)
                   if line.day == date(2026, 3, 12)]
    nurse = f"{home_nurse.get_full_name()} (Home nurse, Home Nursing Test)"
    assert [(line.sentence, line.count) for line in on_march_12] == [
        (f"{nurse} wrote in the booklet", 1),
        (f"{nurse} read the record", 1),
        ("Dr. Claes (General practitioner, Maison médicale La Chasse) read the record", 1),
    ]


def test_the_day_is_the_day_in_brussels(madeleine, dr_claes, world, coordinator):
    # In summer Brussels is UTC+2: 21:30 UTC is still 14 July, 23:30 UTC is already 15 July.
    for at in (datetime(2026, 7, 14, 21, 30, tzinfo=UTC),
               datetime(2026, 7, 14, 23, 30, tzinfo=UTC)):
        record_at(at, "person.read", person=madeleine, actor=dr_claes,
                  organisation=world.gp_practice)
    lines = lines_of(madeleine, coordinator, actor=dr_claes)
    assert [(line.day, line.count) for line in lines] == [(date(2026, 7, 15), 1),
                                                         (date(2026, 7, 14), 1)]


def test_the_period_keeps_the_last_30_days(madeleine, dr_claes, world, persona_client):
    record_at(timezone.now() - timedelta(days=40), "mandate.document_read", person=madeleine,
              actor=dr_claes, organisation=world.gp_practice)
    client = persona_client("coordinator")
    assert "opened the signed mandate" in page_text(client, madeleine)
    recent = page_text(client, madeleine, period="recent")
    assert "opened the signed mandate" not in recent and "You read the record" in recent


# --- words, not codes -------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES_WITH_A_PERSON)
def test_every_code_with_a_person_has_its_own_words(code, madeleine, dr_claes, world,
                                                    coordinator):
    record_at(MARCH_12[0], code, person=madeleine, actor=dr_claes,
              organisation=world.gp_practice)
    [row] = who_looked.grouped_events(madeleine.pk).filter(actor_id=dr_claes.pk)
    assert row["kind"] != who_looked.OTHER.key
    [line] = lines_of(madeleine, coordinator, actor=dr_claes)
    assert line.sentence.startswith("Dr. Claes (General practitioner, Maison médicale")
    assert code not in line.sentence


def test_an_unknown_code_is_never_shown_raw(madeleine, dr_claes, world, coordinator):
    record_at(MARCH_12[0], "xray.peek", person=madeleine, actor=dr_claes,
              organisation=world.gp_practice)
    [line] = lines_of(madeleine, coordinator, actor=dr_claes)
    assert line.sentence == ("Dr. Claes (General practitioner, Maison médicale La Chasse) "
                             "opened a part of the record")


def test_the_page_names_people_by_role_and_organisation_never_by_email(
    madeleine, dr_claes, world, persona_client, coordinator, home_nurse
):
    for at in MARCH_12:
        record_at(at, "person.read", person=madeleine, actor=dr_claes,
                  organisation=world.gp_practice)
    record_at(MARCH_12[0], "booklet.write", person=madeleine, actor=home_nurse,
              organisation=world.home_nursing)
    text = page_text(persona_client("coordinator"), madeleine)
    assert ("Dr. Claes (General practitioner, Maison médicale La Chasse) read the record — "
            "3 times on 12 March 2026, from 09:12 to 16:40") in text
    assert (f"{home_nurse.get_full_name()} (Home nurse, Home Nursing Test) wrote in the "
            "booklet — once on 12 March 2026 at 09:12") in text
    assert "You created the record" in text
    assert "@" not in text  # no e-mail address: coordinator@…, gp@…, nurse@…
    assert not re.search(r"\b(person|booklet|network_member|consent)\.[a-z_]+\b", text)


def test_an_event_outside_a_page_names_the_only_organisation(madeleine, dr_claes, coordinator):
    record_at(MARCH_12[0], "person.read", person=madeleine, actor=dr_claes)
    [line] = lines_of(madeleine, coordinator, actor=dr_claes)
    assert line.sentence == ("Dr. Claes (General practitioner, Maison médicale La Chasse) "
                             "read the record")


def test_someone_without_profession_or_organisation_is_named_alone(madeleine, outsider,
                                                                   coordinator):
    record_at(MARCH_12[0], "person.read", person=madeleine, actor=outsider)
    [line] = lines_of(madeleine, coordinator, actor=outsider)
    assert line.sentence == f"{outsider.get_full_name()} read the record"


def test_several_times_within_a_minute_read_as_one_time(madeleine, dr_claes, world,
                                                        persona_client):
    for seconds in (0, 20, 40):
        record_at(MARCH_12[0] + timedelta(seconds=seconds), "person.read", person=madeleine,
                  actor=dr_claes, organisation=world.gp_practice)
    text = page_text(persona_client("coordinator"), madeleine)
    assert ("Dr. Claes (General practitioner, Maison médicale La Chasse) read the record — "
            "3 times on 12 March 2026 at 09:12") in text


def test_events_without_anyone_signed_in_name_the_system(madeleine, world, coordinator):
    record_at(MARCH_12[0], "stay.open", person=madeleine, organisation=world.hospital)
    record_at(MARCH_12[1], "emergency_sheet.outdated", person=madeleine)
    sentences = {line.sentence for line in lines_of(madeleine, coordinator)}
    assert "The admission system of Hôpital Test updated the hospital stay" in sentences
    assert "Relais (automatic task) marked a printed emergency sheet as out of date" in sentences


@pytest.mark.parametrize(("language", "expected"), [
    ("nl", "Dr. Claes (Huisarts, Maison médicale La Chasse) heeft het dossier gelezen — "
           "3 keer op 12 maart 2026, van 09:12 tot 16:40"),
    ("fr", "Dr Claes (Médecin généraliste, Maison médicale La Chasse) a consulté le dossier — "
           "3 fois le 12 mars 2026, de 09:12 à 16:40"),
])
def test_the_page_speaks_the_readers_language(language, expected, madeleine, dr_claes, world,
                                               coordinator, persona_client):
    for at in MARCH_12:
        record_at(at, "person.read", person=madeleine, actor=dr_claes,
                  organisation=world.gp_practice)
    User.objects.filter(pk=coordinator.pk).update(language=language)
    text = page_text(persona_client("coordinator"), madeleine)
    assert expected in text
    assert "read the record" not in text


def test_words_follow_the_active_language_outside_a_page(madeleine, dr_claes, world,
                                                         coordinator):
    record_at(MARCH_12[0], "person.read", person=madeleine, actor=dr_claes,
              organisation=world.gp_practice)
    [line] = lines_of(madeleine, coordinator, actor=dr_claes, language="nl")
    assert line.sentence.endswith("heeft het dossier gelezen")


# --- break the glass --------------------------------------------------------------------


def test_break_the_glass_is_highlighted_with_its_reason(madeleine, contact_point,
                                                        liaison_nurse, world, persona_client):
    reason = "Unconscious at the emergency department, need her GP"
    services.break_glass(madeleine, reason=reason, actor=liaison_nurse,
                         organisation=world.hospital)
    response = persona_client("caregiver").get(reverse("network:access_log",
                                                       args=[madeleine.pk]))
    html = " ".join(response.content.decode().split())
    nurse = f"{liaison_nurse.get_full_name()} (Liaison nurse, Hôpital Test)"
    highlighted = re.search(r'<li class="notice">(.*?)</li>', html).group(1)
    assert "Emergency" in highlighted
    assert f"{nurse} opened the record in an emergency (break the glass)" in highlighted
    assert f"Reason given: “{reason}”" in highlighted
    assert html.count('class="notice"') == 1  # ordinary reads are not highlighted


# --- who may read it, and what relatives see ---------------------------------------------


@pytest.mark.parametrize("persona", ["outsider", "analyst", "excluded_pro", "former_member",
                                     "liaison_nurse"])
def test_a_professional_without_the_right_gets_404(persona, madeleine, persona_client):
    client = persona_client(persona)
    shown = AuditEvent.objects.count()
    response = client.get(reverse("network:access_log", args=[madeleine.pk]))
    assert response.status_code == 404
    # Refused, and the refusal is in the log; nothing was read.
    assert not AuditEvent.objects.filter(action="person.read").exists()
    assert AuditEvent.objects.filter(action="access.denied").count() == 1
    assert AuditEvent.objects.count() == shown + 1


def test_a_relative_who_is_not_the_contact_point_gets_404(madeleine, caregiver,
                                                          persona_client):
    response = persona_client("caregiver").get(reverse("network:access_log",
                                                       args=[madeleine.pk]))
    assert response.status_code == 404


def test_reading_the_page_is_itself_audited(madeleine, contact_point, persona_client):
    page_text(persona_client("caregiver"), madeleine)
    event = AuditEvent.objects.filter(action="person.read").latest("pk")
    assert (event.actor, event.person_id) == (contact_point, madeleine.pk)


def test_the_contact_point_sees_you_professionals_and_other_relatives(
    madeleine, contact_point, coordinator, dr_claes, world, persona_client
):
    son = UserFactory(first_name="Luc", last_name="Lambert", kind=UserKind.PORTAL,
                      email="luc@example.org")
    services.add_member(madeleine, kind=MemberKind.INFORMAL, user=son, name="Luc Lambert",
                        relation=Relation.CHILD, roles=[Role.FAMILY], actor=coordinator)
    record_at(MARCH_12[0], "person.read", person=madeleine, actor=son)
    record_at(MARCH_12[1], "person.read", person=madeleine, actor=dr_claes,
              organisation=world.gp_practice)
    record_at(MARCH_12[2], "person.read", person=madeleine, actor=contact_point)
    text = page_text(persona_client("caregiver"), madeleine)
    # Patient-rights law: the person (and who speaks for them) may know who accessed.
    assert "You read the record — once on 12 March 2026 at 16:40" in text
    assert ("Dr. Claes (General practitioner, Maison médicale La Chasse) read the record — "
            "once on 12 March 2026 at 11:00") in text
    assert "Luc Lambert (Son or daughter) read the record — once on 12 March 2026 at 09:12" in text
    assert "Sophie Lambert" not in text.split("</h1>", 1)[1].split("Back to the record")[0]
    assert "luc@example.org" not in text and "daughter@test" not in text


def test_the_portal_person_sees_you_for_their_own_reads(madeleine, coordinator, persona_client,
                                                        client):
    herself = UserFactory(first_name="Madeleine", last_name="Lambert", kind=UserKind.PORTAL)
    services.add_member(madeleine, kind=MemberKind.INFORMAL, user=herself,
                        name="Madeleine Lambert", relation=Relation.SELF, roles=[Role.FAMILY],
                        actor=coordinator)
    client.force_login(herself)
    text = page_text(client, madeleine)
    assert "You read the record" in text
    assert "Madeleine Lambert (The person themselves)" not in text


# --- cost -------------------------------------------------------------------------------


def many_readers(count: int, world) -> list:
    organisations = [OrganisationFactory(name=f"Service {n}") for n in range(5)]
    readers = []
    for n in range(count):
        user = UserFactory(first_name=f"Reader{n}", last_name="Test")
        MembershipFactory(user=user, organisation=organisations[n % 5],
                          function=Function.SOCIAL_WORKER)
        readers.append((user, organisations[n % 5]))
    return readers


def queries_for_page(client, person) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("network:access_log", args=[person.pk])).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_for_1_or_50_events(madeleine, world, persona_client):
    client = persona_client("coordinator")
    readers = many_readers(50, world)
    user, organisation = readers[0]
    record_at(MARCH_12[0], "person.read", person=madeleine, actor=user,
              organisation=organisation)
    with_one = queries_for_page(client, madeleine)
    for n, (user, organisation) in enumerate(readers[1:], start=1):
        record_at(MARCH_12[0] - timedelta(days=n), "booklet.write", person=madeleine,
                  actor=user, organisation=organisation)
    with_fifty = queries_for_page(client, madeleine)
    assert with_fifty == with_one

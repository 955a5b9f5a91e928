"""The emergency sheet for the yellow box (R6): versions kept, contacts from the network
without excluded or former members, nothing about safeguarding, read by everyone who
sees the person and written by the professionals who may change the record, printed
prints flagged as outdated to the contact point."""

from datetime import date

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from relais.audit.models import AuditEvent
from relais.booklet import emergency
from relais.booklet.models import EmergencySheet, SheetPrint
from relais.booklet.qr import MAX_CHARS, qr_svg, summary_text
from relais.network import services as network_services
from relais.network.models import MemberKind, MemberRole, Relation, Role
from relais.notifications.models import Notification
from tests.files import JPEG, PDF, PNG
from tests.helpers import AUDIT_EVENT_QUERIES, PERSON_QUERIES, SIGNED_IN_QUERIES
from tests.relais.network import conftest as network_fixtures

pytestmark = pytest.mark.django_db

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro
member_of = network_fixtures.member_of

READERS = ["coordinator", "gp", "home_nurse", "caregiver"]
NOT_READERS = ["liaison_nurse", "hospital_manager", "analyst", "platform_admin", "outsider",
               "former_member", "excluded_pro"]
WRITERS = ["coordinator", "gp", "home_nurse"]
SHEET = {"conditions": "Heart failure\nType 2 diabetes", "allergies": "Penicillin",
         "medication": "Bisoprolol 2.5 mg, morning\nMetformin 500 mg, twice a day",
         "medication_updated_on": date(2026, 11, 2), "medication_author": "Dr Janssens",
         "care_planning": "DNR code 2", "care_planning_location": "In the yellow box"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def sheet(madeleine, coordinator):
    return emergency.save_sheet(madeleine, SHEET, actor=coordinator)


@pytest.fixture
def daughter(member_of):
    return member_of(name="Sophie Lambert")


@pytest.fixture
def daughter_is_contact_point(daughter, coordinator):
    network_services.set_contact_point(daughter, actor=coordinator)
    return daughter


@pytest.fixture
def hidden_people(madeleine, coordinator, member_of, former_member, excluded_pro, daughter):
    """Everyone who must never be on the sheet holds a role that would put them there, and
    the record carries a safeguarding concern."""
    former = member_of(user=former_member)
    excluded = member_of(user=excluded_pro)
    former_member.first_name, former_member.last_name = "Fiona", "Formerly"
    excluded_pro.first_name, excluded_pro.last_name = "Xavier", "Excluded"
    for user in (former_member, excluded_pro):
        user.save()
    MemberRole.objects.create(member=former, role=Role.GP)
    MemberRole.objects.create(member=excluded, role=Role.TRUSTED_PERSON)
    type(former).objects.filter(pk__in=[former.pk, excluded.pk]).update(phone="+32 2 999 99 99")
    nephew = network_services.add_member(
        madeleine, kind=MemberKind.INFORMAL, name="Marc Lambert", relation=Relation.OTHER_FAMILY,
        phone="+32 470 66 66 66", roles=[Role.TRUSTED_PERSON, Role.REPRESENTATIVE],
        actor=coordinator)
    network_services.exclude_member(nephew, actor=coordinator)
    # In the circle as a record from before the circle was the professionals' only (a
    # relative may no longer be put there: NetworkMember.clean): still never on the sheet.
    type(daughter).objects.filter(pk=daughter.pk).update(in_safeguarding_circle=True)
    madeleine.safeguarding = True
    madeleine.save()
    return ["Fiona Formerly", "Xavier Excluded", "Marc Lambert", "+32 2 999 99 99",
            "+32 470 66 66 66"]


def page(client, user, name, person, *args):
    client.force_login(user)
    return client.get(reverse(f"booklet:{name}", args=[person.pk, *args]))


# --- versions ----------------------------------------------------------------------------


def test_each_save_is_a_new_version_and_every_version_is_kept(madeleine, coordinator, gp,
                                                              sheet):
    second = emergency.save_sheet(madeleine, {"allergies": "Penicillin, latex"}, actor=gp)

    assert [s.number for s in madeleine.emergency_sheets.all()] == [2, 1]
    assert (second.conditions, second.medication, second.care_planning) == (
        SHEET["conditions"], SHEET["medication"], SHEET["care_planning"])
    sheet.refresh_from_db()
    assert (sheet.allergies, sheet.created_by) == ("Penicillin", coordinator)
    assert emergency.current_sheet(madeleine) == second
    events = AuditEvent.objects.filter(action="emergency_sheet.save", person_id=madeleine.pk)
    assert [e.detail for e in events.order_by("pk")] == [
        {"number": 1, "fields": ["conditions", "allergies", "medication",
                                 "medication_updated_on", "medication_author",
                                 "care_planning", "care_planning_location"]},
        {"number": 2, "fields": ["allergies"]}]


def test_a_changed_medication_list_is_dated_today_and_signed_by_its_writer(madeleine, gp,
                                                                           sheet):
    changed = emergency.save_sheet(madeleine, {**SHEET, "medication": "Bisoprolol 5 mg"},
                                   actor=gp)
    assert (changed.medication_updated_on, changed.medication_author) == (
        timezone.localdate(), str(gp))

    same_list = emergency.save_sheet(madeleine, {"allergies": "None known"}, actor=gp)
    assert (same_list.medication_updated_on, same_list.medication_author) == (
        timezone.localdate(), str(gp))

    given = emergency.save_sheet(madeleine, {"medication": "Furosemide 40 mg",
                                             "medication_updated_on": date(2026, 11, 20),
                                             "medication_author": "Dr Peeters"}, actor=gp)
    assert (given.medication_updated_on, given.medication_author) == (
        date(2026, 11, 20), "Dr Peeters")


def test_the_contacts_are_the_contact_point_the_gp_and_the_trusted_person(madeleine, gp,
                                                                          sheet):
    rows = emergency.contacts_snapshot(madeleine)["contacts"]
    assert [(r["name"], r["roles"], r["phone"]) for r in rows] == [
        ("Madeleine Lambert", ["contact_point"], ""),
        (str(gp), ["gp"], gp.phone),
        ("Sophie Lambert", ["trusted_person"], "+32 470 00 00 01"),
    ]
    assert sheet.contacts == {"contacts": rows}


def test_a_representative_is_on_the_sheet_only_with_a_mandate_in_force(
        madeleine, coordinator, daughter):
    network_services.update_member(daughter, actor=coordinator,
                                   roles=[*daughter.role_codes(), Role.REPRESENTATIVE])

    def roles():
        return emergency.contacts_with(emergency.contacts_snapshot(madeleine),
                                       Role.REPRESENTATIVE)

    assert roles() == []
    network_services.record_mandate(
        madeleine, representative=daughter, scope="All patient rights",
        signed_on=date(2026, 10, 1), signed_by_person=True, signed_by_representative=True,
        starts_on=date(2026, 10, 1), actor=coordinator)
    assert [(r["name"], r["roles"]) for r in roles()] == [
        ("Sophie Lambert", ["trusted_person", "representative"])]


def test_an_administrator_is_on_the_sheet_only_with_a_court_order_in_force(
        madeleine, coordinator, daughter):
    """As the representative's mandate: the role alone designates nobody, and emergency
    services would act on it."""
    network_services.update_member(daughter, actor=coordinator,
                                   roles=[*daughter.role_codes(), Role.ADMINISTRATOR])

    def administrators():
        return [(r["name"], r["roles"]) for r in emergency.contacts_with(
            emergency.contacts_snapshot(madeleine), Role.ADMINISTRATOR)]

    assert administrators() == []
    order = network_services.record_protection_order(
        madeleine, administrator=daughter, court="Vredegerecht Ukkel",
        ordered_on=date(2026, 10, 1), covers_patient_rights=True, starts_on=date(2026, 10, 1),
        actor=coordinator)
    assert administrators() == [("Sophie Lambert", ["trusted_person", "administrator"])]
    network_services.lift_protection_order(order, actor=coordinator)
    assert administrators() == []


def test_excluded_and_former_members_and_safeguarding_never_appear(
        client, madeleine, coordinator, caregiver, hidden_people, sheet):
    fresh = emergency.save_sheet(madeleine, {"allergies": "Latex"}, actor=coordinator)
    text = summary_text(madeleine, fresh, emergency.contacts_snapshot(madeleine))
    pages = [page(client, reader, "emergency_sheet", madeleine).content.decode()
             for reader in (coordinator, caregiver)]  # the coordinator keeps the record
    for shown in [text, str(fresh.contacts), *pages]:
        for hidden in hidden_people:
            assert hidden not in shown
        assert "safeguarding" not in shown.lower()
    assert "Sophie Lambert" in pages[0] and "Madeleine Lambert" in text


# --- who reads and who writes ------------------------------------------------------------


@pytest.mark.parametrize("persona", READERS + NOT_READERS + ["anonymous"])
def test_everyone_who_sees_the_person_reads_the_sheet_and_nobody_else(
        persona_client, persona, madeleine, sheet, former_member, excluded_pro):
    client = persona_client(persona)
    urls = [reverse("booklet:emergency_sheet", args=[madeleine.pk]),
            reverse("booklet:emergency_history", args=[madeleine.pk]),
            reverse("booklet:emergency_version", args=[madeleine.pk, 1])]
    statuses = [client.get(url).status_code for url in urls]
    if persona == "anonymous":
        assert statuses == [302, 302, 302]
    elif persona in READERS:
        assert statuses == [200, 200, 200]
    else:
        assert statuses == [404, 404, 404]
        assert AuditEvent.objects.filter(action="access.denied", target_type="network.person",
                                         target_id=str(madeleine.pk)).count() == 3


@pytest.mark.parametrize("persona", READERS + NOT_READERS)
def test_only_professionals_who_may_change_the_record_write_the_sheet(
        persona_client, persona, madeleine, sheet, former_member, excluded_pro):
    client = persona_client(persona)
    url = reverse("booklet:emergency_edit", args=[madeleine.pk])
    expected = 200 if persona in WRITERS else 404
    assert client.get(url).status_code == expected
    response = client.post(url, {**SHEET, "allergies": "Latex", "number": 1})
    assert response.status_code == (302 if persona in WRITERS else 404)
    assert madeleine.emergency_sheets.count() == (2 if persona in WRITERS else 1)


def test_a_professional_writes_the_first_version_from_the_page(client, gp, madeleine):
    client.force_login(gp)
    form = client.get(reverse("booklet:emergency_edit", args=[madeleine.pk]))
    assert form.context["form"].initial["medication_author"] == str(gp)
    assert form.context["form"].initial["medication_updated_on"] == timezone.localdate()
    response = client.post(reverse("booklet:emergency_edit", args=[madeleine.pk]),
                           {**SHEET, "number": 0})
    assert response.status_code == 302
    assert response["Location"] == reverse("booklet:emergency_sheet", args=[madeleine.pk])
    assert EmergencySheet.objects.get().created_by == gp


def test_a_stale_form_is_refused_with_a_conflict(client, gp, madeleine, sheet, coordinator):
    emergency.save_sheet(madeleine, {"allergies": "Latex"}, actor=coordinator)
    client.force_login(gp)
    response = client.post(reverse("booklet:emergency_edit", args=[madeleine.pk]),
                           {**SHEET, "number": 1})
    assert response.status_code == 409
    assert madeleine.emergency_sheets.count() == 2


# --- the photo ---------------------------------------------------------------------------


def test_a_photo_is_kept_across_versions_and_served_only_through_the_gate(
        persona_client, client, gp, madeleine, coordinator, former_member, excluded_pro):
    client.force_login(gp)
    client.post(reverse("booklet:emergency_edit", args=[madeleine.pk]),
                {**SHEET, "number": 0, "photo": SimpleUploadedFile("me.png", PNG, "image/png")})
    second = emergency.save_sheet(madeleine, {"allergies": "Latex"}, actor=coordinator)
    assert (second.photo_type, "me" in second.photo.name) == ("image/png", False)

    url = reverse("booklet:emergency_photo", args=[madeleine.pk, 2])
    allowed = persona_client("caregiver").get(url)
    assert allowed.status_code == 200 and allowed["Content-Type"] == "image/png"
    assert b"".join(allowed.streaming_content) == PNG
    for persona in ("analyst", "outsider", "former_member", "excluded_pro"):
        assert persona_client(persona).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="emergency_sheet.photo_read").count() == 1
    assert url in persona_client("caregiver").get(
        reverse("booklet:emergency_sheet", args=[madeleine.pk])).content.decode()


@pytest.mark.parametrize(("upload", "message"), [
    (SimpleUploadedFile("scan.pdf", PDF, "application/pdf"), "A photo must be a JPEG or PNG"),
    (SimpleUploadedFile("photo.png", b"GIF89a not a png", "image/png"),
     "A photo must be a JPEG or PNG"),
    (SimpleUploadedFile("huge.jpg", JPEG + b"0" * (5 * 1024 * 1024), "image/jpeg"),
     "The file is too large"),
])
def test_a_photo_of_the_wrong_type_or_too_large_is_refused(client, gp, madeleine, upload,
                                                           message):
    client.force_login(gp)
    response = client.post(reverse("booklet:emergency_edit", args=[madeleine.pk]),
                           {**SHEET, "number": 0, "photo": upload})
    assert response.status_code == 200 and message in response.content.decode()
    assert not EmergencySheet.objects.exists()
    assert not AuditEvent.objects.filter(action="emergency_sheet.save").exists()


def test_the_photo_can_be_removed_in_a_new_version(madeleine, coordinator):
    emergency.save_sheet(madeleine, {"photo": SimpleUploadedFile("a.jpg", JPEG)},
                         actor=coordinator)
    removed = emergency.save_sheet(madeleine, {"remove_photo": True}, actor=coordinator)
    assert (removed.photo.name, removed.photo_type) == ("", "")
    assert madeleine.emergency_sheets.get(number=1).photo_type == "image/jpeg"


# --- printing and the outdated check -----------------------------------------------------


def test_printing_records_what_went_into_the_box(client, caregiver, madeleine, sheet):
    client.force_login(caregiver)
    url = reverse("booklet:emergency_print", args=[madeleine.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response["Location"] == reverse("booklet:emergency_sheet",
                                           args=[madeleine.pk]) + "?print=1"
    printed = SheetPrint.objects.get()
    assert (printed.sheet, printed.printed_by, printed.outdated_at) == (sheet, caregiver, None)
    assert printed.contacts == emergency.contacts_snapshot(madeleine)
    assert AuditEvent.objects.filter(action="emergency_sheet.print", person_id=madeleine.pk,
                                     actor=caregiver).count() == 1
    assert "data-print" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("persona", NOT_READERS)
def test_printing_is_refused_to_those_who_do_not_see_the_person(persona_client, persona,
                                                                madeleine, sheet):
    response = persona_client(persona).post(
        reverse("booklet:emergency_print", args=[madeleine.pk]))
    assert response.status_code == 404 and not SheetPrint.objects.exists()


def test_a_new_print_replaces_the_earlier_one_without_a_notification(
        madeleine, coordinator, sheet, daughter_is_contact_point):
    first = emergency.record_print(madeleine, actor=coordinator)
    second = emergency.record_print(madeleine, actor=coordinator)
    first.refresh_from_db()
    assert first.outdated_at is not None and second.outdated_at is None
    assert not Notification.objects.filter(kind="emergency.outdated").exists()


def outdated_notices(user):
    return [notification.link for notification in
            Notification.objects.filter(kind="emergency.outdated", recipient=user)]


def test_a_medication_change_tells_the_contact_point_once(
        madeleine, coordinator, caregiver, sheet, daughter_is_contact_point):
    printed = emergency.record_print(madeleine, actor=coordinator)
    emergency.save_sheet(madeleine, {"allergies": "Latex"}, actor=coordinator)
    assert emergency.open_prints(madeleine).get() == printed  # allergies alone: still valid

    emergency.save_sheet(madeleine, {"medication": "Bisoprolol 5 mg"}, actor=coordinator)
    emergency.save_sheet(madeleine, {"medication": "Bisoprolol 10 mg"}, actor=coordinator)

    printed.refresh_from_db()
    assert printed.outdated_at is not None
    assert outdated_notices(caregiver) == [reverse("booklet:emergency_sheet",
                                                   args=[madeleine.pk])]
    assert AuditEvent.objects.filter(action="emergency_sheet.outdated",
                                     person_id=madeleine.pk).count() == 1


def test_a_contact_change_since_the_print_tells_the_contact_point(
        madeleine, coordinator, caregiver, gp, sheet, daughter_is_contact_point, member_of):
    printed = emergency.record_print(madeleine, actor=coordinator)
    gp_member = member_of(user=gp)
    network_services.update_member(gp_member, roles=[Role.GP], actor=coordinator,
                                   phone="+32 2 111 11 11")
    # update_member told the emergency sheet itself (network.services.NETWORK_CHANGED)
    assert emergency.network_changed(madeleine) == []

    printed.refresh_from_db()
    assert printed.outdated_at is not None
    assert len(outdated_notices(caregiver)) == 1
    assert "+32 2 111 11 11" in str(emergency.record_print(madeleine, actor=gp).contacts)


def test_a_contact_change_before_the_print_is_already_on_it(
        madeleine, coordinator, caregiver, sheet, daughter_is_contact_point):
    network_services.update_member(daughter_is_contact_point, actor=coordinator,
                                   roles=daughter_is_contact_point.role_codes(),
                                   phone="+32 470 00 00 02")
    emergency.record_print(madeleine, actor=coordinator)
    assert emergency.network_changed(madeleine) == []
    assert outdated_notices(caregiver) == []


def test_an_organisation_as_contact_point_tells_its_staff(
        madeleine, coordinator, sheet, world, home_nurse, member_of):
    network_services.set_contact_point(member_of(organisation=world.home_nursing),
                                       actor=coordinator)
    emergency.record_print(madeleine, actor=coordinator)
    emergency.save_sheet(madeleine, {"medication": "Bisoprolol 5 mg"}, actor=coordinator)
    assert len(outdated_notices(home_nurse)) == 1


def test_the_page_warns_when_the_printed_sheet_is_outdated(
        client, madeleine, coordinator, sheet):
    emergency.record_print(madeleine, actor=coordinator)
    emergency.save_sheet(madeleine, {"medication": "Bisoprolol 5 mg"}, actor=coordinator)
    body = page(client, coordinator, "emergency_sheet", madeleine).content.decode()
    assert "The sheet printed for the yellow box is outdated" in body


# --- the page and its QR code -----------------------------------------------------------


def test_the_sheet_shows_what_emergency_services_need(client, caregiver, gp, madeleine, sheet):
    body = page(client, caregiver, "emergency_sheet", madeleine).content.decode()
    for shown in ["Madeleine Lambert", "Penicillin", "Heart failure", "Bisoprolol 2.5 mg",
                  "Dr Janssens", "DNR code 2", "In the yellow box", str(gp),
                  "+32 470 00 00 01", "Sophie Lambert", "Version 1", "booklet/emergency.css"]:
        assert shown in body, shown
    assert "<svg" in body and "style=" not in body.split("<svg", 1)[1].split("</svg>")[0]
    assert "<script" not in body.split('id="main"', 1)[1]


def test_the_qr_code_carries_a_short_summary_readable_offline(madeleine, gp, coordinator):
    long = emergency.save_sheet(madeleine, {
        "allergies": "Penicillin " * 40, "conditions": "Heart failure " * 40,
        "medication": "\n".join(f"Medicine{n} 10 mg, morning" for n in range(40)),
        "care_planning": "DNR code 2 " * 20, "care_planning_location": "Kitchen drawer"},
        actor=coordinator)
    text = summary_text(madeleine, long, emergency.contacts_snapshot(madeleine))
    assert len(text) <= MAX_CHARS
    lines = text.splitlines()
    assert lines[0] == "Madeleine Lambert °02/03/1941"
    assert lines[2].startswith("ALLERGIES: Penicillin") and lines[2].endswith("…")
    assert "Medicine0 10 mg; Medicine1 10 mg" in text and "morning" not in text
    assert f"GP: {gp}" in text and "Contact: Madeleine Lambert" in text
    assert lines[-1].startswith("v1 ")
    assert "http" not in text  # a summary, not a link: it works without a network
    svg = qr_svg(text, title="QR")
    assert svg == segno.make(text, error="l", micro=False).svg_inline(
        border=2, omitsize=True, svgclass="emergency-qr", lineclass=None, title="QR")


def test_a_text_drawn_again_is_not_encoded_again(monkeypatch):
    made = []
    make = segno.make
    monkeypatch.setattr(segno, "make", lambda *args, **kwargs: made.append(args) or make(
        *args, **kwargs))
    text = "Jan Peeters °01/01/1940\nALLERGIES: latex\nv7 01/12/2026"
    assert qr_svg(text, title="QR") == qr_svg(text, title="QR")
    assert qr_svg(text + "!", title="QR") != qr_svg(text, title="QR")
    assert len(made) == 2  # the two texts, each once


def test_an_earlier_version_shows_the_contacts_it_was_saved_with(
        client, coordinator, gp, madeleine, sheet, member_of):
    network_services.update_member(member_of(user=gp), roles=[Role.GP], actor=coordinator,
                                   phone="+32 2 111 11 11")
    emergency.save_sheet(madeleine, {"allergies": "Latex"}, actor=coordinator)
    old = page(client, coordinator, "emergency_version", madeleine, 1).content.decode()
    assert "+32 2 111 11 11" not in old and "This is version 1" in old
    current = page(client, coordinator, "emergency_sheet", madeleine).content.decode()
    assert "+32 2 111 11 11" in current
    assert page(client, coordinator, "emergency_version", madeleine, 9).status_code == 404


def test_a_person_without_a_sheet_gets_an_invitation_to_write_one(client, gp, caregiver,
                                                                  madeleine):
    assert "Write the sheet" in page(client, gp, "emergency_sheet", madeleine).content.decode()
    body = page(client, caregiver, "emergency_sheet", madeleine).content.decode()
    assert "No emergency sheet has been written" in body and "Write the sheet" not in body


def test_the_history_lists_versions_and_prints_in_a_fixed_number_of_queries(
        client, coordinator, madeleine, sheet, django_assert_num_queries):
    for allergies in ("Latex", "Nuts"):
        emergency.save_sheet(madeleine, {"allergies": allergies}, actor=coordinator)
        emergency.record_print(madeleine, actor=coordinator)
    client.force_login(coordinator)
    url = reverse("booklet:emergency_history", args=[madeleine.pk])
    # The person (with the gate's question), its read event, versions, prints.
    with django_assert_num_queries(SIGNED_IN_QUERIES + PERSON_QUERIES + AUDIT_EVENT_QUERIES
                                   + 2):
        response = client.get(url)
    assert response.status_code == 200
    assert [s.number for s in response.context["sheets"]] == [3, 2, 1]

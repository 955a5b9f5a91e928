"""Mandates and capacity: dated, signed by both, documents checked and served only through
the gate; the representative's powers apply only while the person is judged unable."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from relais.audit.models import AuditEvent
from relais.network import legal, services
from relais.network.models import (
    CapacityAssessment,
    Mandate,
    MemberKind,
    Person,
    Relation,
    Role,
    eighteen_years_before,
)
from tests.files import PDF, PNG
from tests.relais.stays import conftest as stay_fixtures

hospital_consent = stay_fixtures.hospital_consent
stay = stay_fixtures.stay

pytestmark = pytest.mark.django_db



@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def mandate_form(daughter, **changes):
    data = {"representative": daughter.pk, "scope": "All patient rights",
            "signed_on": "2026-10-01", "signed_by_person": "on",
            "signed_by_representative": "on", "starts_on": "2026-10-01", "ends_on": ""}
    return {k: v for k, v in (data | changes).items() if v is not None}


@pytest.fixture
def daughter(member_of):
    return member_of(name="Sophie Lambert")


def post_mandate(client, person, data, document=None):
    if document is not None:
        data = data | {"document": document}
    return client.post(reverse("network:mandate_add", args=[person.pk]), data)


def test_a_signed_mandate_with_its_document_is_recorded(client, coordinator, madeleine,
                                                        daughter):
    client.force_login(coordinator)
    response = post_mandate(client, madeleine, mandate_form(daughter),
                            SimpleUploadedFile("scan.pdf", PDF, "application/pdf"))
    assert response.status_code == 302
    mandate = Mandate.objects.get()
    assert (mandate.document_type, mandate.in_force) == ("application/pdf", True)
    assert "scan" not in mandate.document.name  # stored under a name of our own
    assert Role.REPRESENTATIVE in daughter.role_codes()
    assert AuditEvent.objects.filter(action="mandate.create", person_id=madeleine.pk).exists()


@pytest.mark.parametrize(("changes", "message"), [
    ({"signed_by_person": None}, "valid only when the person signed it"),
    ({"signed_by_representative": None}, "valid only when the representative signed it"),
    ({"signed_on": ""}, "This field is required"),
    ({"starts_on": "2026-09-01"}, "cannot start before it was signed"),
    ({"signed_on": "2099-01-01", "starts_on": "2099-01-01"}, "cannot be signed in the future"),
])
def test_an_incomplete_mandate_is_refused(client, coordinator, madeleine, daughter, changes,
                                          message):
    client.force_login(coordinator)
    response = post_mandate(client, madeleine, mandate_form(daughter, **changes))
    assert response.status_code == 200 and message in response.content.decode()
    assert not Mandate.objects.exists()


@pytest.mark.parametrize(("upload", "message"), [
    (SimpleUploadedFile("virus.pdf", b"MZ\x90\x00not a pdf", "application/pdf"),
     "Only PDF, JPEG or PNG files are accepted"),
    (SimpleUploadedFile("huge.pdf", PDF + b"0" * (5 * 1024 * 1024), "application/pdf"),
     "The file is too large"),
])
def test_a_wrong_or_too_large_document_is_refused(client, coordinator, madeleine, daughter,
                                                  upload, message):
    client.force_login(coordinator)
    response = post_mandate(client, madeleine, mandate_form(daughter), upload)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Mandate.objects.exists()


def test_the_document_is_served_only_through_the_gate(client, coordinator, madeleine, daughter,
                                                      persona_client, caregiver):
    mandate = services.record_mandate(
        madeleine, representative=daughter, scope="All", signed_on=date(2026, 10, 1),
        signed_by_person=True, signed_by_representative=True, starts_on=date(2026, 10, 1),
        document=SimpleUploadedFile("m.png", PNG, "image/png"), actor=coordinator)
    url = reverse("network:mandate_document", args=[madeleine.pk, mandate.pk])
    allowed = persona_client("gp").get(url)
    assert allowed.status_code == 200 and allowed["Content-Type"] == "image/png"
    assert b"".join(allowed.streaming_content) == PNG
    assert persona_client("caregiver").get(url).status_code == 200  # the representative
    for persona in ("analyst", "outsider", "excluded_pro"):
        assert persona_client(persona).get(url).status_code == 404
    assert "/media/" not in url and AuditEvent.objects.filter(
        action="mandate.document_read").count() == 2


def test_representation_applies_only_while_the_person_is_judged_unable(coordinator, madeleine):
    today = timezone.localdate()
    assert legal.representative_powers_apply([]) is False
    unable = services.record_assessment(madeleine, finding="unable", assessed_by="Dr Janssens",
                                        assessed_on=today, review_by=today + timedelta(days=30),
                                        actor=coordinator)
    assert legal.representative_powers_apply([unable]) is True
    expired = CapacityAssessment(finding="unable", assessed_on=today - timedelta(days=90),
                                 review_by=today - timedelta(days=1))
    assert legal.representative_powers_apply([expired]) is False
    able = CapacityAssessment(finding="able", assessed_on=today)
    assert legal.representative_powers_apply([able, unable]) is False


def test_the_person_page_says_whether_representation_applies(client, coordinator, madeleine):
    client.force_login(coordinator)
    client.post(reverse("network:assessment_add", args=[madeleine.pk]), {
        "finding": "unable", "assessed_by": "Dr Janssens, GP",
        "assessed_on": str(timezone.localdate()), "review_by": "", "note": ""})
    page = client.get(reverse("network:person_detail", args=[madeleine.pk]))
    assert page.context["powers_apply"] is True
    assert "representation applies now" in page.content.decode()


def test_a_minor_without_an_assessment_is_not_presumed_to_decide_alone(client, coordinator,
                                                                       madeleine):
    client.force_login(coordinator)
    page_url = reverse("network:person_detail", args=[madeleine.pk])
    adult = client.get(page_url).content.decode()
    assert "presumed able to decide" in adult and "A minor:" not in adult
    today = timezone.localdate()
    madeleine.birth_date = legal_age_day = eighteen_years_before(today)
    madeleine.save()
    assert not madeleine.is_minor_on(today)  # 18 today
    madeleine.birth_date = legal_age_day + timedelta(days=1)
    madeleine.save()

    minor = client.get(page_url).content.decode()

    assert madeleine.is_minor_on(today)
    assert "A minor: their legal representatives exercise their rights" in minor
    assert "presumed able to decide" not in minor


def ten_years_old(person) -> None:
    today = timezone.localdate()
    Person.objects.filter(pk=person.pk).update(
        birth_date=today.replace(year=today.year - 10, day=min(today.day, 28)))


@pytest.fixture
def guardian(madeleine, coordinator, gp, member_of):
    """Madeleine's record stands in for a child's (ten years old): her guardian is her
    legal representative; an uncle she excluded and her GP hold the role too, and give
    nothing (someone close to her, not excluded)."""
    ten_years_old(madeleine)
    guardian = services.add_member(madeleine, kind=MemberKind.INFORMAL, name="Gerda Voogd",
                                   relation=Relation.OTHER, roles=[Role.LEGAL_REPRESENTATIVE],
                                   actor=coordinator)
    uncle = services.add_member(madeleine, kind=MemberKind.INFORMAL, name="Oscar Oom",
                                relation=Relation.OTHER_FAMILY,
                                roles=[Role.LEGAL_REPRESENTATIVE], actor=coordinator)
    services.exclude_member(uncle, actor=coordinator)
    gp_member = member_of(user=gp)
    services.update_member(gp_member, roles=[Role.GP, Role.LEGAL_REPRESENTATIVE],
                           actor=coordinator)
    return guardian


def test_a_minors_legal_representatives_represent_them_before_the_adults_order(
        madeleine, guardian, member_of):
    """DOMAIN.md §1: a minor's parents or guardian exercise their rights. Her daughter's
    row, a relative in the adults' order and named by a mandate, comes after them."""
    daughter = member_of(name="Sophie Lambert")
    mandate = services.record_mandate(
        madeleine, representative=daughter, scope="All patient rights",
        signed_on=date(2026, 10, 1), signed_by_person=True, signed_by_representative=True,
        starts_on=date(2026, 10, 1), actor=madeleine.created_by)
    members = list(madeleine.members.active().prefetch_related("roles"))
    assert legal.who_represents(members, [mandate], minor=True) == (
        "legal_representatives", [guardian])
    assert legal.who_represents(members, [mandate])[0] == "designated"  # an adult


def test_the_pages_say_a_minors_legal_representatives_represent_them(
        client, coordinator, liaison_nurse, madeleine, guardian, stay):
    client.force_login(coordinator)
    person_page = client.get(reverse("network:person_detail", args=[madeleine.pk]))
    client.force_login(liaison_nurse)
    stay_page = client.get(reverse("stays:stay_detail", args=[stay.pk]))
    for response in (person_page, stay_page):
        page = response.content.decode()
        assert response.context["representation"] == "legal_representatives"
        assert ("A minor, represented by their legal representatives: "
                "<strong>Gerda Voogd</strong></p>") in page
        assert "Nobody in the network can represent" not in page  # nor the uncle, nor the GP
    assert "A minor: their legal representatives exercise their rights" in (
        person_page.content.decode())  # and the line below agrees


def test_a_mandate_is_revoked_from_the_person_page_by_its_named_button(
        client, coordinator, madeleine, daughter, persona_client):
    mandate = services.record_mandate(
        madeleine, representative=daughter, scope="All patient rights",
        signed_on=date(2026, 10, 1), signed_by_person=True, signed_by_representative=True,
        starts_on=date(2026, 10, 1), actor=coordinator)
    revoke = reverse("network:mandate_revoke", args=[madeleine.pk, mandate.pk])
    for persona in ("caregiver", "outsider", "excluded_pro"):
        assert persona_client(persona).post(revoke).status_code == 404
    assert Mandate.objects.get().revoked_on is None
    client.force_login(coordinator)
    page = client.get(reverse("network:person_detail", args=[madeleine.pk])).content.decode()
    # A screen reader hears which mandate the button revokes.
    assert ('Revoke<span class="visually-hidden"> (the mandate for Sophie Lambert)</span>'
            '</button>') in page
    assert client.post(revoke).status_code == 302
    assert Mandate.objects.get().revoked_on == timezone.localdate()
    assert client.post(revoke).status_code == 404  # revoked once
    assert AuditEvent.objects.filter(action="mandate.revoke").count() == 1

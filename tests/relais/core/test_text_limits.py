"""Limits on free text (issue 12): every text field of the project has a limit, the database
enforces it, and a 100,000-character post to each form with free text is refused with the
translated message while nothing is stored."""

import html
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, connection, models, transaction
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils import timezone, translation

from relais.access.models import BreakGlassAccess
from relais.accounts.forms import OrganisationForm
from relais.accounts.models import Organisation, Ward
from relais.audit import log as audit
from relais.audit.models import AuditEvent
from relais.booklet import consultations
from relais.booklet import services as booklet
from relais.booklet.models import Consultation, EmergencySheet, Entry, Invitation
from relais.core.fields import LONG_NOTE, NOTE, REASON, TEXT
from relais.directory.forms import ServiceForm
from relais.directory.models import Agreement, Service
from relais.network import services as network
from relais.network.models import CapacityAssessment, Mandate, NetworkMember
from relais.notifications.models import Notification
from relais.stays import referrals
from relais.stays.models import AdmissionBrief, Referral, ReferralEvent, Stay
from tests.relais.network import conftest as network_fixtures
from tests.relais.stays import conftest as stay_fixtures

pytestmark = pytest.mark.django_db

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro
member_of = network_fixtures.member_of
hospital_consent = stay_fixtures.hospital_consent
stay = stay_fixtures.stay
nursing_service = stay_fixtures.nursing_service

FLOOD = "x" * 100_000

# Text fields without a limit of their own, and why. Nothing a person types is here.
UNBOUNDED = {
    "booklet.Entry.search_text": "derived from the body (folded), never typed",
    "directory.Service.search_text": "derived from names, descriptions and places",
    "stays.AdtMessage.problem": "written by Relais: the reason it gave the sender",
    "stays.AdtMessage.ack": "written by Relais: the acknowledgement it sent",
    "stays.AdtMessage.result": "written by Relais: the application acknowledgement it sent",
}


def project_text_fields():
    for model in apps.get_models():
        if model.__module__.startswith("relais."):
            for model_field in model._meta.local_concrete_fields:
                if isinstance(model_field, models.TextField):
                    yield model, model_field


def label(model, model_field) -> str:
    return f"{model._meta.app_label}.{model.__name__}.{model_field.name}"


def bounded_fields():
    return [(model, model_field) for model, model_field in project_text_fields()
            if label(model, model_field) not in UNBOUNDED]


def constraint_for(model, model_field):
    name = f"{model._meta.app_label}_{model._meta.model_name}_{model_field.name}_length"
    return next((c for c in model._meta.constraints if c.name == name), None)


# --- (a) every text field has a limit, in the form, the model and the database -----------


def test_the_walk_finds_the_project_text_fields():
    found = {label(model, model_field) for model, model_field in project_text_fields()}

    assert len(found) >= 40
    assert {"booklet.Entry.body", "stays.Referral.help_needed",
            "directory.Service.description_fr"} <= found
    assert set(UNBOUNDED) <= found  # an exemption names a field that exists


@pytest.mark.parametrize(("model", "model_field"), bounded_fields(),
                         ids=lambda value: getattr(value, "name", None) or value.__name__)
def test_every_text_field_has_a_limit_a_validator_and_a_matching_check(model, model_field):
    limit = model_field.max_length

    assert limit, f"{label(model, model_field)} has no max_length"
    assert any(isinstance(v, MaxLengthValidator) and v.limit_value == limit
               for v in model_field.validators)
    constraint = constraint_for(model, model_field)
    assert constraint is not None, f"{label(model, model_field)}: no CHECK in Meta"
    assert constraint.condition == LessThanOrEqual(Length(model_field.name), limit)
    assert model_field.formfield().widget.attrs["maxlength"] == str(limit)


def test_every_limit_is_in_the_database():
    with connection.cursor() as cursor:
        missing = [
            label(model, model_field) for model, model_field in bounded_fields()
            if not connection.introspection.get_constraints(cursor, model._meta.db_table).get(
                constraint_for(model, model_field).name, {}).get("check")]

    assert missing == []


# --- (b) the database itself refuses a text one character too long ------------------------


def over_the_limit(instance, name: str, *, extra: int = 1) -> None:
    """Write the text straight to the table (no form, no model validation), in a savepoint."""
    model = type(instance)
    column = model._meta.get_field(name)
    value = "x" * (column.max_length + extra)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {model._meta.db_table} SET {column.column} = %s "  # noqa: S608
                       f"WHERE {model._meta.pk.column} = %s", [value, instance.pk])


def rows(request, name: str):
    """One row of each kind the database test writes to."""
    coordinator, person = request.getfixturevalue("coordinator"), request.getfixturevalue(
        "madeleine")
    world = request.getfixturevalue("world")
    return {
        "entry": lambda: booklet.write(person, author=coordinator, body="Network news"),
        "stay": lambda: request.getfixturevalue("stay"),
        "service": lambda: request.getfixturevalue("nursing_service"),
        "assessment": lambda: network.record_assessment(
            person, actor=coordinator, finding="able", assessed_by="Dr Test, GP",
            assessed_on=timezone.localdate(), note="Clear today"),
        "organisation": lambda: world.coordination_centre,
        "ward": lambda: world.ward,
    }[name]()


@pytest.mark.parametrize(("row", "name"), [
    ("entry", "body"), ("stay", "watch_for"), ("stay", "discharge_reason"),
    ("service", "description_fr"), ("assessment", "note"), ("organisation", "description"),
    ("ward", "notes"),
])
def test_the_database_refuses_one_character_too_many(request, row, name):
    instance = rows(request, row)
    before = getattr(type(instance).objects.get(pk=instance.pk), name)

    over_the_limit(instance, name, extra=0)  # exactly the limit: accepted
    with pytest.raises(IntegrityError):
        over_the_limit(instance, name)

    limit = type(instance)._meta.get_field(name).max_length
    assert getattr(type(instance).objects.get(pk=instance.pk), name) == "x" * limit != before


def test_an_audit_purpose_over_the_limit_is_refused_and_nothing_is_logged(coordinator):
    with pytest.raises(IntegrityError), transaction.atomic():
        audit.record("person.break_glass", actor=coordinator, purpose="x" * (REASON + 1))

    assert not AuditEvent.objects.filter(action="person.break_glass").exists()


def test_the_booklet_service_says_so_rather_than_the_database(madeleine, coordinator):
    with pytest.raises(ValidationError) as refused:
        booklet.write(madeleine, author=coordinator, body="x" * (TEXT + 1))

    with translation.override("en"):
        messages = refused.value.message_dict
    assert messages == {
        "body": [f"Ensure this value has at most {TEXT} characters (it has {TEXT + 1})."]}
    assert not Entry.objects.exists()


# --- (c) a 100,000-character post to each form is refused; nothing is stored --------------


@dataclass
class Post:
    persona: str
    url: str
    data: dict  # valid as it is; the flooded field gets FLOOD
    flooded: str
    limit: int
    watched: list = field(default_factory=list)  # querysets that must not change

    def snapshot(self) -> list:
        return [list(queryset.order_by("pk").values()) for queryset in self.watched]


def posted(form) -> dict:
    """What the browser sends back for a form left as it is."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value not in (None, False, "", []):
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


def soon(**delta) -> str:
    return (timezone.localtime() + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


def today() -> str:
    return timezone.localdate().isoformat()


def _asked(request):
    members = [request.getfixturevalue("member_of")(user=request.getfixturevalue("gp"))]
    return consultations.ask(
        request.getfixturevalue("madeleine"), question="Who visits on Monday?", choices=[],
        members=members, deadline=timezone.now() + timedelta(days=2),
        actor=request.getfixturevalue("coordinator"))


def _referral(request):
    stay_ = request.getfixturevalue("stay")
    return referrals.send(person=stay_.person, service=request.getfixturevalue("nursing_service"),
                          stay=stay_, actor=request.getfixturevalue("liaison_nurse"),
                          sender_organisation=stay_.hospital, urgency="routine",
                          person_agrees=True, needs=stay_fixtures.NEEDS)


def booklet_entry(request):
    person = request.getfixturevalue("madeleine")
    return Post("coordinator", reverse("booklet:entry_new", args=[person.pk]),
                {"entry-kind": "note", "entry-audience": "network", "entry-body": "Fine."},
                "entry-body", TEXT, [Entry.objects.all()])


def booklet_correction(request):
    person, author = request.getfixturevalue("madeleine"), request.getfixturevalue("coordinator")
    entry = booklet.write(person, author=author, body="Network news")
    return Post("coordinator", reverse("booklet:entry_correct", args=[entry.pk]),
                {"body": "Network news, corrected"}, "body", TEXT, [Entry.objects.all()])


def emergency_sheet(request):
    person = request.getfixturevalue("madeleine")
    return Post("coordinator", reverse("booklet:emergency_edit", args=[person.pk]),
                {"number": "0", "conditions": "Heart failure", "medication_updated_on": today()},
                "conditions", NOTE, [EmergencySheet.objects.all()])


def consultation_question(request):
    person = request.getfixturevalue("madeleine")
    gp_member = request.getfixturevalue("member_of")(user=request.getfixturevalue("gp"))
    return Post("coordinator", reverse("booklet:consultation_new", args=[person.pk]),
                {"members": [gp_member.pk], "question": "Who visits?", "deadline": soon(days=2)},
                "question", NOTE, [Consultation.objects.all(), Invitation.objects.all()])


def consultation_answer(request):
    asked = _asked(request)
    invitation = asked.invitations.get()
    return Post("gp", reverse("booklet:consultation_answer", args=[asked.pk, invitation.pk]),
                {"text": "I go on Monday."}, "text", LONG_NOTE, [Invitation.objects.all()])


def consultation_decision(request):
    asked = _asked(request)
    return Post("coordinator", reverse("booklet:consultation_decide", args=[asked.pk]),
                {"decision": "The GP visits on Monday."}, "decision", LONG_NOTE,
                [Consultation.objects.all(), Entry.objects.all()])


def referral(request):
    stay_, service = request.getfixturevalue("stay"), request.getfixturevalue("nursing_service")
    url = reverse("stays:referral_new", args=[stay_.pk]) + f"?service={service.pk}"
    data = {**stay_fixtures.NEEDS, "start_on": today(), "urgency": "routine",
            "person_agrees": "on"}
    return Post("liaison_nurse", url, data, "help_needed", NOTE,
                [Referral.objects.all(), ReferralEvent.objects.all()])


def discharge(request, flooded: str, limit: int):
    stay_ = request.getfixturevalue("stay")
    data = {"discharged_at": soon(), "destination": "home",
            "reason": "The family takes over the open items.", "followup_needs": "A call."}
    return Post("liaison_nurse", reverse("stays:discharge", args=[stay_.pk]), data, flooded,
                limit, [Stay.objects.all()])


def going_home(request):
    stay_ = request.getfixturevalue("stay")
    return Post("liaison_nurse", reverse("stays:going_home", args=[stay_.pk]),
                {"watch_for": "Call the GP if the leg swells.", "version": stay_.version},
                "watch_for", NOTE, [Stay.objects.all()])


def decline_note(request):
    sent = _referral(request)
    return Post("home_nurse", reverse("stays:referral_move", args=[sent.pk, "declined"]),
                {"reason": "no_capacity", "note": "Full until March.", "version": sent.version},
                "note", REASON, [Referral.objects.all(), ReferralEvent.objects.all()])


def admission_brief(request):
    person = request.getfixturevalue("madeleine")
    return Post("coordinator", reverse("stays:admission_brief", args=[person.pk]),
                {"text": "She fears the night."}, "text", LONG_NOTE,
                [AdmissionBrief.objects.all()])


def capacity_note(request):
    person = request.getfixturevalue("madeleine")
    return Post("coordinator", reverse("network:assessment_add", args=[person.pk]),
                {"finding": "able", "assessed_by": "Dr Test, GP", "assessed_on": today(),
                 "note": "Clear today."}, "note", NOTE, [CapacityAssessment.objects.all()])


def mandate_scope(request):
    person = request.getfixturevalue("madeleine")
    daughter = request.getfixturevalue("member_of")(user=request.getfixturevalue("caregiver"))
    return Post("coordinator", reverse("network:mandate_add", args=[person.pk]),
                {"representative": daughter.pk, "scope": "All care decisions.",
                 "signed_on": today(), "signed_by_person": "on",
                 "signed_by_representative": "on", "starts_on": today()},
                "scope", LONG_NOTE, [Mandate.objects.all()])


def break_glass_reason(request):
    person = request.getfixturevalue("madeleine")
    return Post("liaison_nurse", reverse("network:break_glass", args=[person.pk]),
                {"reason": "Unconscious at the emergency department, need her GP."},
                "reason", REASON, [BreakGlassAccess.objects.all()])


def member_what_they_do(request):
    person = request.getfixturevalue("madeleine")
    return Post("coordinator", reverse("network:member_add", args=[person.pk]),
                {"kind": "informal", "name": "Paul", "relation": "neighbour",
                 "roles": ["other"], "what_they_do": "Does the shopping."},
                "what_they_do", 200, [NetworkMember.objects.all()])


def service_description(request):
    service = request.getfixturevalue("nursing_service")
    return Post("platform_admin", reverse("directory:service_edit", args=[service.pk]),
                {**posted(ServiceForm(instance=service)), "description_fr": "Soins à domicile."},
                "description_fr", LONG_NOTE, [Service.objects.all()])


def agreement_description(request):
    world = request.getfixturevalue("world")
    return Post("hospital_manager",
                reverse("directory:agreement_create", args=[world.hospital.pk]),
                {"partner": world.home_nursing.pk, "kind": "geriatrics",
                 "description": "Home nursing within 24 hours.", "starts_on": today()},
                "description", LONG_NOTE, [Agreement.objects.all()])


def organisation_description(request):
    organisation = request.getfixturevalue("world").coordination_centre
    return Post("coordinator", reverse("accounts:organisation_edit", args=[organisation.pk]),
                {**posted(OrganisationForm(instance=organisation)),
                 "description": "We coordinate home care."},
                "description", LONG_NOTE, [Organisation.objects.all()])


def ward_notes(request):
    hospital = request.getfixturevalue("world").hospital
    return Post("hospital_manager", reverse("accounts:ward_add", args=[hospital.pk]),
                {"name": "Cardiology", "notes": "Ring twice."}, "notes", NOTE,
                [Ward.objects.all()])


FORMS = {
    "booklet entry": booklet_entry,
    "booklet correction": booklet_correction,
    "emergency sheet": emergency_sheet,
    "consultation question": consultation_question,
    "consultation answer": consultation_answer,
    "consultation decision": consultation_decision,
    "referral": referral,
    "discharge reason": lambda request: discharge(request, "reason", REASON),
    "discharge follow-up needs": lambda request: discharge(request, "followup_needs", NOTE),
    "going-home sheet": going_home,
    "declined referral's note": decline_note,
    "before-admission summary": admission_brief,
    "capacity assessment note": capacity_note,
    "mandate scope": mandate_scope,
    "break-the-glass reason": break_glass_reason,
    "network member, what they do": member_what_they_do,
    "directory service description": service_description,
    "agreement description": agreement_description,
    "organisation description": organisation_description,
    "ward notes": ward_notes,
}


def page_text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("name", FORMS)
def test_a_100k_post_is_refused_with_the_limit_and_nothing_is_stored(request, client, name):
    post = FORMS[name](request)
    client.force_login(request.getfixturevalue(post.persona))
    before, notifications = post.snapshot(), Notification.objects.count()

    response = client.post(post.url, {**post.data, post.flooded: FLOOD}, follow=True)

    assert response.status_code == 200
    assert (f"Ensure this value has at most {post.limit} characters (it has 100000)."
            in page_text(response))
    assert post.snapshot() == before
    assert Notification.objects.count() == notifications


@pytest.mark.parametrize("name", FORMS)
def test_the_same_post_with_a_short_text_is_stored(request, client, name):
    """The posts above are valid but for the flood: the limit is what refuses them."""
    post = FORMS[name](request)
    client.force_login(request.getfixturevalue(post.persona))
    before = post.snapshot()

    response = client.post(post.url, post.data, follow=True)

    assert response.status_code == 200
    assert "Ensure this value has at most" not in page_text(response)
    assert post.snapshot() != before


def test_the_message_is_in_the_readers_language(client, madeleine, coordinator):
    coordinator.language = "nl"
    coordinator.save(update_fields=["language"])
    client.force_login(coordinator)

    response = client.post(reverse("booklet:entry_new", args=[madeleine.pk]),
                           {"entry-kind": "note", "entry-audience": "network",
                            "entry-body": FLOOD}, follow=True)

    assert ("Zorg dat deze waarde niet meer dan 10000 tekens bevat (het zijn er nu 100000)."
            in page_text(response))
    assert not Entry.objects.exists()


def test_the_form_tells_the_browser_the_limit(client, madeleine, coordinator):
    client.force_login(coordinator)

    page = client.get(reverse("booklet:booklet", args=[madeleine.pk])).content.decode()

    assert f'maxlength="{TEXT}"' in page


def test_someone_who_may_not_write_gets_404_and_nothing_is_stored(client, madeleine,
                                                                  outsider):
    client.force_login(outsider)

    response = client.post(reverse("booklet:entry_new", args=[madeleine.pk]),
                           {"entry-kind": "note", "entry-audience": "network",
                            "entry-body": FLOOD})

    assert response.status_code == 404
    assert not Entry.objects.exists()


def test_names_that_fill_their_fields_open_a_record(client, coordinator):
    """First and last name (100 each) make a member's name (200) one character too long:
    cut to fit, where PostgreSQL would otherwise refuse the whole record."""
    client.force_login(coordinator)

    response = client.post(reverse("network:person_create"), {
        "first_name": "F" * 100, "last_name": "L" * 100, "sex": "X", "language": "fr",
        "living_situation": "unknown"})

    assert response.status_code == 302
    self_member = NetworkMember.objects.get(relation="self")
    assert self_member.name == ("F" * 100 + " " + "L" * 100)[:200]

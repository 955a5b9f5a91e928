"""Asynchronous consultations (R10): asking, single-use links, answers, the decision in the
booklet, the one reminder, and who may open which page."""

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relais.audit.models import AuditEvent
from relais.booklet import consultations
from relais.booklet.models import Audience, Consultation, Entry, EntryKind, Invitation
from relais.network import services as network_services
from relais.network.models import MemberKind, Role
from relais.notifications.models import Notification
from tests.helpers import (
    AUDIT_EVENT_QUERIES,
    PERSON_QUERIES,
    SIGNED_IN_QUERIES,
    UNREAD_QUERIES,
)
from tests.relais.network import conftest as network_fixtures

pytestmark = pytest.mark.django_db

# Madeleine and her network, as the network tests know them.
madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro
member_of = network_fixtures.member_of

QUESTION = "Can someone visit on the day of discharge?"
CHOICES = ["Yes, in the morning", "Yes, in the afternoon", "No"]
PHYSIO_EMAIL = "anne@physio.example"


@pytest.fixture
def physio(madeleine, coordinator):
    """A physiotherapist without a Relais account: reached by email only."""
    return network_services.add_member(
        madeleine, kind=MemberKind.INFORMAL, name="Anne Dubois", email=PHYSIO_EMAIL,
        language="fr", roles=[Role.PHYSIOTHERAPIST], actor=coordinator)


@pytest.fixture
def asked(madeleine, coordinator, world, member_of, physio, gp, caregiver,
          django_capture_on_commit_callbacks):
    """The coordinator asks the GP, the home-nursing service, the daughter and the physio."""
    members = [member_of(user=gp), member_of(organisation=world.home_nursing),
               member_of(user=caregiver), physio]
    with django_capture_on_commit_callbacks(execute=True):
        return consultations.ask(
            madeleine, question=QUESTION, choices=CHOICES, members=members,
            deadline=timezone.now() + timedelta(hours=48), actor=coordinator,
            organisation=world.coordination_centre)


def link_for(user) -> str:
    """A single-use reply link for the user's invitation. Members with an account are sent
    to the consultation's page (their notification stores no token, and only its SHA-256
    is kept), so the test gives the invitation a token it knows."""
    invitation = next(invitation for invitation in Invitation.objects.order_by("pk")
                      if consultations.stands_for(user, invitation))
    token = secrets.token_urlsafe(32)
    Invitation.objects.filter(pk=invitation.pk).update(
        token_hash=hashlib.sha256(token.encode()).hexdigest())
    return reverse("booklet:consultation_reply", args=[token])


def emails_to_physio() -> list:
    """Other emails (the notifications' own) go to accounts; these are ours."""
    return [message for message in mail.outbox if message.to == [PHYSIO_EMAIL]]


def emailed_link() -> str:
    (message,) = emails_to_physio()
    return urlparse(next(word for word in message.body.split() if "/c/" in word)).path


def invitation_of(consultation, **member_lookup) -> Invitation:
    return consultation.invitations.get(**{f"member__{k}": v for k, v in member_lookup.items()})


def logged_in(client, user):
    client.force_login(user)
    return client


def answered_count() -> int:
    return Invitation.objects.filter(answered_at__isnull=False).count()


# --- asking ------------------------------------------------------------------------------


def test_asking_tells_each_invitee_in_app_with_a_link_to_the_question(
        asked, gp, home_nurse, caregiver, coordinator, excluded_pro):
    page = reverse("booklet:consultation_detail", args=[asked.pk])
    for user in (gp, home_nurse, caregiver):
        told = Notification.objects.get(recipient=user, kind="consultation.invited")
        assert (told.link, told.target_id, set(told.params)) == (page, asked.pk,
                                                                 {"asker", "deadline"})
        assert told.sentence.startswith(f"{coordinator} asks a question about Madeleine")
    invitations = Invitation.objects.filter(consultation=asked)
    assert invitations.count() == 4
    assert len({invitation.token_hash for invitation in invitations}) == 4
    assert all(invitation.expires_at == asked.deadline for invitation in invitations)
    assert not Notification.objects.filter(recipient__in=[coordinator, excluded_pro],
                                           kind__startswith="consultation.").exists()
    event = AuditEvent.objects.get(action="consultation.ask")
    assert event.person_id == asked.person_id and event.actor == coordinator


def test_a_member_without_an_account_gets_an_email_without_any_health_detail(asked):
    (message,) = emails_to_physio()

    assert "/c/" in message.body
    assert "Madeleine" not in message.body + message.subject
    assert "discharge" not in message.body + message.subject
    invitation = invitation_of(asked, name="Anne Dubois")
    assert invitation.user is None


def test_an_excluded_or_former_member_cannot_be_asked(madeleine, coordinator, member_of,
                                                      gp, excluded_pro, former_member):
    for user in (excluded_pro, former_member):
        with pytest.raises(ValidationError) as error:
            consultations.ask(madeleine, question=QUESTION, choices=[], actor=coordinator,
                              members=[member_of(user=gp), member_of(user=user)],
                              deadline=timezone.now() + timedelta(hours=2))
        assert str(user) in str(error.value)
    assert not Consultation.objects.exists()
    assert not Notification.objects.filter(kind="consultation.invited").exists()


def test_only_professionals_who_may_change_the_person_ask(madeleine, caregiver, outsider,
                                                          member_of, gp):
    for user in (caregiver, outsider):
        with pytest.raises(PermissionDenied):
            consultations.ask(madeleine, question=QUESTION, choices=[], actor=user,
                              members=[member_of(user=gp)],
                              deadline=timezone.now() + timedelta(hours=2))
    assert not Consultation.objects.exists()


@pytest.mark.parametrize(("choices", "deadline", "field"), [
    (["Only one"], timedelta(hours=2), "choices"),
    ([], timedelta(hours=-1), "deadline"),
])
def test_bad_questions_are_refused(madeleine, coordinator, member_of, gp, choices, deadline,
                                   field):
    with pytest.raises(ValidationError) as error:
        consultations.ask(madeleine, question=QUESTION, choices=choices, actor=coordinator,
                          members=[member_of(user=gp)], deadline=timezone.now() + deadline)
    assert field in error.value.message_dict
    assert not Consultation.objects.exists()


def test_the_form_offers_reachable_members_and_asks(client, madeleine, coordinator, member_of,
                                                    gp, physio, excluded_pro, former_member):
    client = logged_in(client, coordinator)
    url = reverse("booklet:consultation_new", args=[madeleine.pk])

    page = client.get(url).content.decode()
    assert "Anne Dubois" in page and str(gp) in page
    assert str(excluded_pro) not in page and str(former_member) not in page
    assert "Madeleine Lambert —" not in page  # herself: no account, no email

    deadline = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"members": [member_of(user=gp).pk, physio.pk],
                                 "question": QUESTION, "choices": "Yes\n\nNo\n",
                                 "deadline": deadline})

    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("booklet:consultation_detail",
                                           args=[consultation.pk])
    assert consultation.choices == ["Yes", "No"] and consultation.asked_by == coordinator
    assert consultation.invitations.count() == 2


# --- the link ----------------------------------------------------------------------------


def test_the_invitee_opens_the_one_question_page_and_answers(client, asked, gp):
    client = logged_in(client, gp)
    link = link_for(gp)

    page = client.get(link).content.decode()
    assert QUESTION in page and 'type="radio"' in page and CHOICES[0] in page

    response = client.post(link, {"choice": CHOICES[0], "text": "I can come at 10."})

    invitation = invitation_of(asked, user=gp)
    assert response.status_code == 302
    assert invitation.choice == CHOICES[0] and invitation.answer == "I can come at 10."
    assert invitation.used_at is not None and invitation.answered_as == str(gp)
    assert Notification.objects.filter(recipient=asked.asked_by,
                                       kind="consultation.answered").count() == 1


def test_staff_of_an_invited_organisation_answer_for_it(client, asked, home_nurse, world):
    client = logged_in(client, home_nurse)

    client.post(link_for(home_nurse), {"choice": CHOICES[1]})

    invitation = invitation_of(asked, organisation=world.home_nursing)
    assert invitation.choice == CHOICES[1]
    assert invitation.answered_as == f"{home_nurse} (Home Nursing Test)"


def test_a_tampered_link_is_not_found(client, asked, gp):
    client = logged_in(client, gp)
    link = link_for(gp)
    tampered = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]

    assert client.get(tampered).status_code == 404
    assert client.post(tampered, {"choice": CHOICES[0]}).status_code == 404
    assert client.get("/c/nonsense/").status_code == 404
    assert answered_count() == 0


def test_an_expired_link_no_longer_works_and_changes_nothing(client, asked, gp):
    client = logged_in(client, gp)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = client.post(link_for(gp), {"choice": CHOICES[0]})

    assert response.status_code == 410
    page = response.content.decode()
    assert "This link no longer works" in page and "The deadline to answer has passed" in page
    assert answered_count() == 0


def test_a_used_link_works_only_once(client, asked, gp):
    client = logged_in(client, gp)
    link = link_for(gp)
    client.post(link, {"choice": CHOICES[0]})

    again = client.post(link, {"choice": CHOICES[2]})

    assert again.status_code == 410
    assert "already answered" in again.content.decode()
    assert client.get(link).status_code == 410
    assert invitation_of(asked, user=gp).choice == CHOICES[0]


def test_a_reply_after_the_deadline_is_refused(client, asked, gp):
    """The page was opened in time; the answer comes after the deadline."""
    client = logged_in(client, gp)
    link = link_for(gp)
    assert client.get(link).status_code == 200
    Consultation.objects.update(deadline=timezone.now() - timedelta(seconds=1))
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.post(link, {"choice": CHOICES[0]})

    assert response.status_code == 410
    assert answered_count() == 0
    with pytest.raises(ValidationError, match="deadline"):
        consultations.answer(invitation_of(asked, user=gp), choice=CHOICES[0],
                             answered_as="Dr", actor=gp)


def test_a_link_opened_by_someone_else_is_not_found(client, asked, gp, home_nurse, outsider):
    link = link_for(gp)
    for user in (home_nurse, outsider):
        client.force_login(user)
        assert client.get(link).status_code == 404
        assert client.post(link, {"choice": CHOICES[0]}).status_code == 404
    assert answered_count() == 0


def test_an_anonymous_visitor_logs_in_first(client, asked, gp):
    link = link_for(gp)

    response = client.get(link)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={link}"


def test_a_member_without_an_account_answers_on_a_minimal_form(client, asked):
    link = emailed_link()

    page = client.get(link).content.decode()
    assert QUESTION in page and 'name="answered_as"' in page

    response = client.post(link, {"choice": CHOICES[2], "text": "Not that week.",
                                  "answered_as": "Anne Dubois, kinésithérapeute"})

    assert response.status_code == 200
    assert "your answer was recorded" in response.content.decode()
    invitation = invitation_of(asked, name="Anne Dubois")
    assert invitation.choice == CHOICES[2]
    assert invitation.answered_as == "Anne Dubois, kinésithérapeute"
    event = AuditEvent.objects.get(action="consultation.answer")
    assert event.actor is None and event.person_id == asked.person_id
    assert client.get(link).status_code == 410


def test_an_answer_must_be_one_of_the_choices(client, asked, gp):
    client = logged_in(client, gp)

    response = client.post(link_for(gp), {"choice": "Maybe"})

    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert answered_count() == 0
    with pytest.raises(ValidationError) as error:
        consultations.answer(invitation_of(asked, user=gp), choice="Maybe", answered_as="Dr",
                             actor=gp)
    assert "choice" in error.value.message_dict


# --- in the app --------------------------------------------------------------------------


def test_invitees_answer_in_the_app_and_see_each_others_answers(client, asked, gp, caregiver):
    invitation = invitation_of(asked, user=caregiver)
    client = logged_in(client, caregiver)
    url = reverse("booklet:consultation_answer", args=[asked.pk, invitation.pk])

    client.post(url, {"choice": CHOICES[1], "text": "I will be there."})

    invitation.refresh_from_db()
    assert invitation.choice == CHOICES[1] and invitation.used_at is not None
    client.force_login(gp)
    page = client.get(reverse("booklet:consultation_detail", args=[asked.pk])).content.decode()
    assert "I will be there." in page and 'type="radio"' in page  # and the GP's own form


def test_nobody_answers_for_someone_else(client, asked, gp, caregiver):
    invitation = invitation_of(asked, user=caregiver)
    client = logged_in(client, gp)

    response = client.post(reverse("booklet:consultation_answer",
                                   args=[asked.pk, invitation.pk]), {"choice": CHOICES[0]})

    assert response.status_code == 404
    assert answered_count() == 0


# --- the decision ------------------------------------------------------------------------


def test_the_decision_goes_to_the_booklet_and_every_invitee_is_told(
        client, asked, coordinator, gp, home_nurse, caregiver, excluded_pro):
    client = logged_in(client, coordinator)

    response = client.post(reverse("booklet:consultation_decide", args=[asked.pk]),
                           {"decision": "The home nurse visits at 10."})

    asked.refresh_from_db()
    entry = Entry.objects.get()
    assert response.status_code == 302
    assert asked.decision_entry == entry and asked.decided_at is not None
    assert entry.kind == EntryKind.NOTE and entry.audience == Audience.NETWORK
    assert entry.author == coordinator and entry.person_id == asked.person_id
    assert entry.body == f"Consultation: {QUESTION} — Decision: The home nurse visits at 10."
    told = set(Notification.objects.filter(kind="consultation.decided").values_list(
        "recipient", flat=True))
    assert told == {gp.pk, home_nurse.pk, caregiver.pk}
    assert AuditEvent.objects.filter(action="consultation.decide",
                                     person_id=asked.person_id).count() == 1


def test_a_decision_is_recorded_once_and_closes_the_answers(asked, coordinator, gp):
    consultations.decide(asked, decision="Day care from Monday.", actor=coordinator)

    with pytest.raises(ValidationError):
        consultations.decide(asked, decision="Something else.", actor=coordinator)
    with pytest.raises(ValidationError, match="decision"):
        consultations.answer(invitation_of(asked, user=gp), choice=CHOICES[0],
                             answered_as="Dr", actor=gp)
    assert Entry.objects.count() == 1


def test_only_the_askers_side_decides(client, asked, gp):
    with pytest.raises(PermissionDenied):
        consultations.decide(asked, decision="I decide.", actor=gp)
    client = logged_in(client, gp)

    response = client.post(reverse("booklet:consultation_decide", args=[asked.pk]),
                           {"decision": "I decide."})

    asked.refresh_from_db()
    assert response.status_code == 404
    assert asked.decided_at is None and not Entry.objects.exists()


# --- the reminder ------------------------------------------------------------------------


def test_who_has_not_answered_is_reminded_once(asked, gp, home_nurse, caregiver,
                                               django_capture_on_commit_callbacks):
    consultations.answer(invitation_of(asked, user=gp), choice=CHOICES[0], answered_as="Dr",
                         actor=gp)
    mail.outbox.clear()
    early = asked.created_at + timedelta(hours=20)
    later = asked.created_at + timedelta(hours=30)

    assert consultations.remind_overdue(now=early) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert consultations.remind_overdue(now=later) == 3
    assert consultations.remind_overdue(now=later + timedelta(hours=1)) == 0

    reminded = set(Notification.objects.filter(kind="consultation.reminder").values_list(
        "recipient", flat=True))
    assert reminded == {home_nurse.pk, caregiver.pk}
    (message,) = emails_to_physio()
    assert "Madeleine" not in message.body
    assert Invitation.objects.filter(reminded_at__isnull=False).count() == 3


def test_the_command_reminds(asked, capsys):
    Invitation.objects.update(expires_at=timezone.now() + timedelta(hours=2))
    Consultation.objects.update(deadline=timezone.now() + timedelta(hours=2),
                                created_at=timezone.now() - timedelta(hours=46))

    call_command("remind_consultations")
    call_command("remind_consultations")

    assert capsys.readouterr().out.splitlines() == ["4 reminder(s) sent", "0 reminder(s) sent"]


# --- who opens which page ----------------------------------------------------------------

PAGES = ["consultation_list", "consultation_new", "consultation_detail"]
# persona → status on (list, new, detail). The daughter is invited but does not ask.
EXPECTED = {
    "coordinator": (200, 200, 200),
    "gp": (200, 200, 200),
    "home_nurse": (200, 200, 200),
    "caregiver": (200, 404, 200),
    "liaison_nurse": (404, 404, 404),
    "analyst": (404, 404, 404),
    "outsider": (404, 404, 404),
    "former_member": (404, 404, 404),
    "excluded_pro": (404, 404, 404),
}


def _url(page, consultation):
    pk = consultation.pk if page == "consultation_detail" else consultation.person_id
    return reverse(f"booklet:{page}", args=[pk])


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_who_opens_the_consultation_pages(request, client, asked, persona):
    client = logged_in(client, request.getfixturevalue(persona))

    statuses = tuple(client.get(_url(page, asked)).status_code for page in PAGES)

    assert statuses == EXPECTED[persona]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, asked, page):
    response = client.get(_url(page, asked))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_refused_page_records_the_denial_and_asks_nothing(client, asked, outsider):
    client = logged_in(client, outsider)
    new = reverse("booklet:consultation_new", args=[asked.person_id])

    response = client.post(new, {"question": QUESTION, "deadline": "2099-01-01T10:00"})

    assert response.status_code == 404
    assert Consultation.objects.count() == 1
    assert AuditEvent.objects.filter(action="access.denied", actor=outsider).exists()


def test_the_asker_sees_the_detail_page_with_every_answer(client, asked, coordinator, gp):
    consultations.answer(invitation_of(asked, user=gp), choice=CHOICES[0],
                         text="At ten.", answered_as=str(gp), actor=gp)
    client = logged_in(client, coordinator)

    page = client.get(reverse("booklet:consultation_detail", args=[asked.pk])).content.decode()

    assert "At ten." in page and "Anne Dubois" in page and "no answer yet" in page
    assert 'name="decision"' in page


# --- query counts ------------------------------------------------------------------------


def _detail_queries(client, consultation) -> int:
    url = reverse("booklet:consultation_detail", args=[consultation.pk])
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_detail_page_costs_the_same_whatever_the_number_of_invitations(
        client, madeleine, coordinator, world, member_of, gp, caregiver, physio):
    client = logged_in(client, coordinator)
    deadline = timezone.now() + timedelta(hours=48)
    one = consultations.ask(madeleine, question=QUESTION, choices=CHOICES, deadline=deadline,
                            members=[member_of(user=gp)], actor=coordinator,
                            organisation=world.coordination_centre)
    four = consultations.ask(madeleine, question=QUESTION, choices=CHOICES, deadline=deadline,
                             members=[member_of(user=gp), member_of(user=caregiver), physio,
                                      member_of(organisation=world.home_nursing)],
                             actor=coordinator, organisation=world.coordination_centre)
    consultations.answer(four.invitations.get(member__user=gp), choice=CHOICES[0],
                         answered_as="Dr", actor=gp)

    # The consultation, the person check, its audited read, the invitations; the asker
    # has news unread (Dr's answer).
    expected = SIGNED_IN_QUERIES + UNREAD_QUERIES + 2 + AUDIT_EVENT_QUERIES + 1
    assert _detail_queries(client, one) == expected
    assert _detail_queries(client, four) == expected


def test_the_list_page_costs_the_same_whatever_the_number_of_consultations(
        client, madeleine, coordinator, world, member_of, gp, django_assert_num_queries):
    client = logged_in(client, coordinator)
    url = reverse("booklet:consultation_list", args=[madeleine.pk])
    for _ in range(3):
        consultations.ask(madeleine, question=QUESTION, choices=[], members=[member_of(user=gp)],
                          deadline=timezone.now() + timedelta(hours=4), actor=coordinator,
                          organisation=world.coordination_centre)
    client.get(url)

    # The person and its audited read (whether the reader may ask, a relationship, comes
    # with the person: access.persons.one_if_visible), the consultations.
    with django_assert_num_queries(SIGNED_IN_QUERIES + PERSON_QUERIES + AUDIT_EVENT_QUERIES
                                   + 1):
        response = client.get(url)

    assert response.content.decode().count(QUESTION) == 3


def test_the_timeline_shows_the_consultations_each_reader_may_see(
        client, asked, madeleine, coordinator, world, member_of, gp, caregiver):
    """booklet/timeline.py reads them through the gate (the asker's organisation and the
    invitees), from a statement kept across requests: a second reader is told apart."""
    private = consultations.ask(
        madeleine, question="Only for the daughter?", choices=CHOICES,
        members=[member_of(user=caregiver)], deadline=timezone.now() + timedelta(hours=48),
        actor=coordinator, organisation=world.coordination_centre)
    consultations.decide(asked, decision="The home nurse visits at 10.", actor=coordinator)
    timeline = reverse("booklet:timeline", args=[madeleine.pk])

    def titles(user) -> set:
        events = logged_in(client, user).get(timeline).context["events"]
        return {e.title for e in events if e.kind == "consultations"}

    question, decision = f"Question: {QUESTION}", "Decision: The home nurse visits at 10."
    assert titles(coordinator) == {question, decision, f"Question: {private.question}"}
    assert titles(gp) == {question, decision}

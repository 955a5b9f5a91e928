"""Screening scoring and recommendations (R3, R14, R15, R17), and the screening pages.

Madeleine (tests/relais/network/conftest.py) lives alone and is an elderly person; her
stay (tests/relais/stays/conftest.py) opened three days ago at the test hospital.
"""

import dataclasses
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from relais.audit.models import AuditEvent
from relais.directory.models import Category
from relais.network.models import Person
from relais.stays import instruments, screening
from relais.stays.instruments import (
    INSTRUMENTS,
    KATZ_V1,
    LACE_V1,
    SOCIAL_V1,
    initial_answers,
    instrument,
    length_of_stay_answer,
)
from relais.stays.models import Screening
from tests.helpers import AUDIT_EVENT_QUERIES, SIGNED_IN_QUERIES, UNREAD_QUERIES

# Answers with no vulnerability at all; each test changes only what it looks at.
CALM = {"living": "with_others", "caregiver": "yes", "contacts": "weekly", "network": "yes",
        "psychosocial": "no", "cognition": "no", "housing": "ready", "finances": "no",
        "language": "yes", "refusal": "no", "dependants": "no", "priority": "no",
        "violence": "no"}

DV_TEXT = "Domestic-violence concern: keep it to the safeguarding circle"


def social(**changes):
    return SOCIAL_V1.score({**CALM, **changes})


def keys(result):
    return [rec.key for rec in result.recommendations]


# --- the social-vulnerability screen ---------------------------------------------------


def test_calm_answers_score_zero_and_recommend_nothing():
    result = social()
    assert (result.score, result.band, result.flagged, result.recommendations) == (
        0, "low", (), ())


@pytest.mark.parametrize(("changes", "score", "band"), [
    ({"contacts": "less", "network": "hardly", "psychosocial": "some"}, 3, "low"),
    ({"contacts": "less", "network": "hardly", "psychosocial": "some", "priority": "yes"},
     4, "medium"),
    ({"contacts": "rarely", "network": "no", "psychosocial": "marked", "priority": "yes"},
     7, "medium"),
    ({"contacts": "rarely", "network": "no", "psychosocial": "marked", "priority": "yes",
      "cognition": "some"}, 8, "high"),
])
def test_social_bands_at_their_boundaries(changes, score, band):
    result = social(**changes)
    assert (result.score, result.band) == (score, band)


def test_living_alone_without_caregiver_refers_to_coordination_and_raises_the_band():
    result = social(living="alone", caregiver="none")
    assert result.score == 5  # "medium" by points alone
    assert result.band == "high"
    assert result.flagged == ("isolation", "caregiver")
    assert keys(result) == ["coordination_before_discharge"]
    assert result.recommendations[0].category == Category.HOME_CARE_COORDINATION


def test_living_alone_with_a_caregiver_needs_no_referral():
    result = social(living="alone")
    assert (result.band, result.flagged, keys(result)) == ("low", ("isolation",), [])


@pytest.mark.parametrize(("changes", "expected", "category"), [
    ({"cognition": "some", "caregiver": "none"}, ["gp_and_coordination"],
     Category.HOME_CARE_COORDINATION),
    ({"contacts": "rarely", "network": "no"}, ["case_management"], Category.CASE_MANAGEMENT),
    ({"caregiver": "overloaded"}, ["caregiver_support"], Category.CAREGIVER_SUPPORT),
    ({"psychosocial": "marked"}, ["mental_health"], Category.MENTAL_HEALTH),
    ({"finances": "maybe"}, ["social_service"], Category.SOCIAL_SERVICE),
    ({"finances": "yes"}, ["social_service"], Category.SOCIAL_SERVICE),
    ({"housing": "unsafe"}, ["social_housing"], Category.SOCIAL_HOUSING),
    ({"housing": "adapt"}, ["home_adaptation"], Category.MEDICAL_EQUIPMENT),
    ({"language": "interpreter"}, ["interpreter"], ""),
    ({"language": "simple"}, ["plain_language"], ""),
    ({"refusal": "yes"}, ["watch_after_discharge"], Category.HOME_CARE_COORDINATION),
    ({"dependants": "yes"}, ["care_for_dependants"], Category.HOME_HELP),
])
def test_each_rule_recommends_its_action(changes, expected, category):
    result = social(**changes)
    assert keys(result) == expected
    assert result.recommendations[0].category == category


def test_some_cognitive_difficulty_with_a_caregiver_needs_no_gp_rule():
    assert keys(social(cognition="marked")) == []


@pytest.mark.parametrize("changes", [{"housing": "none"}, {"living": "homeless"}])
def test_no_home_to_return_to_means_emergency_housing_and_high(changes):
    result = social(**changes)
    assert keys(result) == ["emergency_housing"]
    assert result.band == "high"
    assert "housing" in result.flagged


@pytest.mark.parametrize("answer", ["suspected", "disclosed"])
def test_domestic_violence_is_flagged_and_restricted_but_leaves_score_and_band(answer):
    result = social(violence=answer)
    assert (result.score, result.band, result.flagged) == (0, "low", ("violence",))
    [recommendation] = result.recommendations
    assert recommendation.key == "domestic_violence"
    assert recommendation.category == Category.DOMESTIC_VIOLENCE
    assert recommendation.restricted is True
    assert recommendation.as_stored() == {"key": "domestic_violence",
                                          "category": "domestic_violence", "restricted": True}


def test_several_findings_give_recommendations_in_a_stable_order():
    result = social(living="alone", caregiver="none", finances="yes", violence="suspected")
    assert keys(result) == ["coordination_before_discharge", "social_service",
                            "domestic_violence"]


def test_initial_answers_come_from_the_person_record():
    person = Person(living_situation="alone", priority_groups=["elderly"],
                    needs_interpreter=True)
    assert initial_answers(person) == {"living": "alone", "priority": "yes",
                                       "language": "interpreter"}


def test_nothing_is_guessed_when_the_record_does_not_know():
    assert initial_answers(Person(living_situation="unknown")) == {}
    assert initial_answers(Person(living_situation="family")) == {"living": "with_others"}


@pytest.mark.parametrize(("answers", "message"), [
    ({**CALM, "pets": "two cats"}, "is not a question of this screening"),
    ({**CALM, "living": "boat"}, "is not a possible answer"),
    ({k: v for k, v in CALM.items() if k != "housing"}, "Answer this question"),
])
def test_invalid_answers_are_refused(answers, message):
    with pytest.raises(ValidationError) as raised:
        SOCIAL_V1.score(answers)
    assert message in " ".join(raised.value.messages)


# --- LACE ------------------------------------------------------------------------------


def lace(length="0", acute="no", comorbidity="0", visits="0"):
    return LACE_V1.score({"length_of_stay": length, "acute": acute, "comorbidity": comorbidity,
                          "emergency_visits": visits})


@pytest.mark.parametrize(("answers", "score", "band"), [
    ({}, 0, "low"),
    ({"length": "4-6"}, 4, "low"),
    ({"length": "7-13"}, 5, "moderate"),
    ({"length": "4-6", "acute": "yes", "comorbidity": "2"}, 9, "moderate"),
    ({"length": "4-6", "acute": "yes", "comorbidity": "2", "visits": "1"}, 10, "high"),
    ({"length": "14+", "acute": "yes", "comorbidity": "4+", "visits": "4+"}, 19, "high"),
])
def test_lace_score_and_bands(answers, score, band):
    result = lace(**answers)
    assert (result.score, result.band) == (score, band)


def test_high_lace_flags_readmission_and_recommends_early_follow_up():
    high, moderate = lace("14+", "yes"), lace("7-13", "yes")
    assert (high.flagged, keys(high)) == (("readmission",), ["early_followup"])
    assert (moderate.flagged, keys(moderate)) == ((), [])


@pytest.mark.parametrize(("days", "answer", "points"), [
    (0, "0", 0), (1, "1", 1), (2, "2", 2), (3, "3", 3), (4, "4-6", 4), (6, "4-6", 4),
    (7, "7-13", 5), (13, "7-13", 5), (14, "14+", 7), (40, "14+", 7),
])
def test_length_of_stay_points(days, answer, points):
    assert length_of_stay_answer(days) == answer
    assert LACE_V1.question("length_of_stay").option(answer).points == points


def test_lace_length_of_stay_is_counted_from_admission(stay):
    assert LACE_V1.prefill(stay) == {"length_of_stay": "3"}


# --- Katz ------------------------------------------------------------------------------


def katz(*dependent, time="1", space="1", dementia="no", level="3"):
    answers = {key: level if key in dependent else "1" for key, _ in instruments.KATZ_ITEMS}
    return KATZ_V1.score({**answers, "time": time, "space": space, "dementia": dementia})


DISORIENTED = {"time": "3", "space": "4"}


@pytest.mark.parametrize(("dependent", "extra", "category"), [
    ((), {}, "O"),
    (("eating",), {}, "O"),
    ((), {"time": "3", "space": "2"}, "O"),  # disoriented in time only
    (("washing",), {}, "A"),
    (("dressing",), {}, "A"),
    ((), DISORIENTED, "A"),
    (("washing", "dressing"), {}, "A"),
    (("washing", "dressing", "transfer"), {}, "B"),
    (("washing", "dressing", "toileting"), {}, "B"),
    (("washing",), DISORIENTED, "B"),
    (("washing", "dressing", "transfer", "toileting"), {}, "B"),
    (("washing", "dressing", "transfer", "toileting", "continence"), {}, "C"),
    (("washing", "dressing", "transfer", "toileting", "eating"), {}, "C"),
    (("washing", "dressing", "transfer", "toileting", "eating"), DISORIENTED, "C"),
    (("washing", "dressing", "transfer", "toileting", "continence"), DISORIENTED, "Cd"),
    (("washing", "dressing", "continence", "eating"), DISORIENTED, "Cd"),
    (("washing", "dressing", "continence"), DISORIENTED, "B"),
    ((), {"dementia": "yes"}, "D"),
    (("washing", "dressing", "transfer"), {"dementia": "yes"}, "D"),
    (("washing", "dressing", "continence", "transfer"), {"dementia": "yes"}, "Cd"),
])
def test_katz_categories(dependent, extra, category):
    assert katz(*dependent, **extra).band == category


def test_katz_level_2_is_not_dependent_and_the_score_adds_the_six_items():
    assert katz("washing", "dressing", level="2").band == "O"
    assert katz().score == 6
    assert katz(*[key for key, _ in instruments.KATZ_ITEMS], level="4").score == 24


def test_katz_recommendations_follow_the_category_and_orientation():
    assert keys(katz()) == []
    assert keys(katz("washing")) == ["personal_care"]
    heavy = katz("washing", "dressing", "transfer", "toileting", "continence", **DISORIENTED)
    assert keys(heavy) == ["personal_care", "high_dependency", "orientation"]
    assert heavy.flagged == ("adl", "orientation")


# --- versions --------------------------------------------------------------------------


def test_the_registry_holds_the_three_built_in_instruments():
    assert sorted(INSTRUMENTS) == ["katz-be", "lace", "relais-social"]
    assert instrument("relais-social", 1) is SOCIAL_V1
    with pytest.raises(LookupError):
        instrument("relais-social", 99)
    with pytest.raises(LookupError):
        instrument("isar")


@pytest.fixture
def social_v2(monkeypatch):
    """A later version that renames the top band, registered for one test only."""
    bands = (*SOCIAL_V1.bands[:2], dataclasses.replace(SOCIAL_V1.bands[2], label="Fragile"))
    v2 = dataclasses.replace(SOCIAL_V1, version=2, bands=bands)
    monkeypatch.setitem(instruments._VERSIONS, (v2.key, 2), v2)
    monkeypatch.setitem(instruments.INSTRUMENTS, v2.key, v2)
    return v2


# --- the service -----------------------------------------------------------------------


def record(stay, user, **changes):
    return screening.record_screening(stay, "relais-social", {**CALM, **changes}, actor=user,
                                      organisation=stay.hospital)


def test_recording_keeps_answers_version_result_and_audit(stay, liaison_nurse):
    item = record(stay, liaison_nurse, living="alone", caregiver="none", violence="suspected")
    item.refresh_from_db()
    assert (item.instrument, item.version, item.score, item.band) == (
        "relais-social", 1, 5, "high")
    assert item.person_id == stay.person_id and item.author == liaison_nurse
    assert item.answers["caregiver"] == "none"
    assert item.flagged == ["isolation", "caregiver", "violence"]
    assert [rec["key"] for rec in item.recommendations] == [
        "coordination_before_discharge", "domestic_violence"]
    event = AuditEvent.objects.get(action="screening.create")
    assert (event.person_id, event.actor, event.target_id) == (
        stay.person_id, liaison_nurse, str(item.pk))
    assert event.detail == {"instrument": "relais-social", "version": 1}


@pytest.mark.parametrize("answers", [
    {**CALM, "pets": "two cats"}, {**CALM, "living": "boat"}, {"living": "alone"}])
def test_invalid_answers_save_nothing(stay, liaison_nurse, answers):
    with pytest.raises(ValidationError):
        screening.record_screening(stay, "relais-social", answers, actor=liaison_nurse,
                                   organisation=stay.hospital)
    assert not Screening.objects.exists()
    assert not AuditEvent.objects.filter(action="screening.create").exists()


def test_an_unknown_instrument_is_refused(stay, liaison_nurse):
    with pytest.raises(ValidationError, match="no screening instrument"):
        screening.record_screening(stay, "isar", {}, actor=liaison_nurse,
                                   organisation=stay.hospital)
    assert not Screening.objects.exists()


def test_an_old_screening_reads_with_its_own_version(stay, liaison_nurse, social_v2):
    old = Screening.objects.create(
        person_id=stay.person_id, stay=stay, instrument="relais-social", version=1,
        answers={**CALM, "housing": "none"}, score=3, band="high", flagged=["housing"],
        recommendations=[{"key": "emergency_housing", "category": "emergency_housing",
                          "restricted": False}], author=liaison_nurse)
    new = record(stay, liaison_nurse, housing="none")
    assert new.version == 2
    assert screening.summarise(old, show_restricted=False).band == "High vulnerability"
    assert screening.summarise(new, show_restricted=False).band == "Fragile"


def test_external_score_keeps_name_score_and_date(stay, liaison_nurse):
    done_on = timezone.localdate() - timedelta(days=1)
    item = screening.record_external(stay, " BelRAI screener ", "3", done_on,
                                     actor=liaison_nurse, organisation=stay.hospital)
    item.refresh_from_db()
    assert (item.instrument, item.external_name, item.external_score, item.done_on) == (
        "external", "BelRAI screener", "3", done_on)
    assert (item.score, item.band, item.answers) == (None, "", {})
    assert AuditEvent.objects.filter(action="screening.create", person_id=stay.person_id,
                                     target_id=str(item.pk)).exists()


@pytest.mark.parametrize(("name", "score", "days_ahead", "field"), [
    ("", "3", 0, "external_name"), ("ISAR", " ", 0, "external_score"),
    ("ISAR", "3", 1, "done_on"),
])
def test_external_score_needs_name_score_and_a_past_date(stay, liaison_nurse, name, score,
                                                         days_ahead, field):
    with pytest.raises(ValidationError) as raised:
        screening.record_external(stay, name, score,
                                  timezone.localdate() + timedelta(days=days_ahead),
                                  actor=liaison_nurse, organisation=stay.hospital)
    assert list(raised.value.message_dict) == [field]
    assert not Screening.objects.exists()


def test_latest_screenings_keep_the_newest_of_each_instrument(stay, liaison_nurse):
    record(stay, liaison_nurse)
    newest = record(stay, liaison_nurse, finances="yes")
    isar = screening.record_external(stay, "ISAR", "2", timezone.localdate(),
                                     actor=liaison_nurse, organisation=stay.hospital)
    belrai = screening.record_external(stay, "BelRAI screener", "4", timezone.localdate(),
                                       actor=liaison_nurse, organisation=stay.hospital)
    assert set(screening.latest_screenings(stay)) == {newest, isar, belrai}


def test_summary_hides_restricted_findings_from_those_outside_the_circle(stay,
                                                                          liaison_nurse):
    item = record(stay, liaison_nurse, living="alone", caregiver="none", violence="disclosed")
    hidden = screening.summarise(item, show_restricted=False)
    shown = screening.summarise(item, show_restricted=True)
    assert "Domestic-violence concern" not in hidden.flagged
    assert [a.restricted for a in hidden.advice] == [False]
    assert "Is there a concern of domestic violence or abuse?" not in dict(hidden.answers)
    assert "Domestic-violence concern" in shown.flagged
    assert [a.restricted for a in shown.advice] == [False, True]
    assert dict(shown.answers)["Is there a concern of domestic violence or abuse?"] == (
        "Told by the person")


# --- pages -----------------------------------------------------------------------------


def list_url(stay):
    return reverse("stays:screening_list", args=[stay.pk])


def new_url(stay, key="relais-social"):
    return reverse("stays:screening_new", args=[stay.pk, key])


def external_url(stay):
    return reverse("stays:screening_external_new", args=[stay.pk])


def test_liaison_nurse_screens_with_a_prefilled_accessible_form(stay, persona_client):
    client = persona_client("liaison_nurse")
    page = client.get(new_url(stay))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<fieldset") == len(SOCIAL_V1.questions)
    assert "<legend" in html
    assert 'value="alone" required id="id_living_0" checked' in html  # Madeleine lives alone
    assert 'value="yes" required id="id_priority_1" checked' in html  # she is an elderly person

    response = client.post(new_url(stay), {**CALM, "living": "alone", "caregiver": "none"})
    assert response.status_code == 302
    assert response["Location"] == list_url(stay)
    item = Screening.objects.get()
    assert (item.stay, item.band, item.organisation) == (stay, "high", stay.hospital)


def test_each_built_in_instrument_has_a_form(stay, persona_client):
    client = persona_client("liaison_nurse")
    for key in INSTRUMENTS:
        assert client.get(new_url(stay, key)).status_code == 200
    assert client.get(new_url(stay, "isar")).status_code == 404


def test_a_refused_answer_shows_the_form_again_and_saves_nothing(stay, persona_client):
    response = persona_client("liaison_nurse").post(new_url(stay), {**CALM, "living": "boat"})
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    assert not Screening.objects.exists()


def test_liaison_nurse_records_an_external_score(stay, persona_client):
    response = persona_client("liaison_nurse").post(external_url(stay), {
        "external_name": "ISAR", "external_score": "3",
        "done_on": timezone.localdate().isoformat()})
    assert response.status_code == 302
    assert Screening.objects.get().external_name == "ISAR"


@pytest.mark.parametrize("persona", ["home_nurse", "gp", "coordinator", "outsider",
                                     "caregiver"])
@pytest.mark.parametrize("url", [new_url, external_url])
def test_only_the_hospital_staff_open_the_screening_forms(stay, persona_client, persona, url):
    client = persona_client(persona)
    assert client.get(url(stay)).status_code == 404
    assert client.post(url(stay), {**CALM, "external_name": "ISAR", "external_score": "3",
                                   "done_on": timezone.localdate().isoformat()}
                       ).status_code == 404
    assert not Screening.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [
    ("liaison_nurse", 200), ("gp", 200), ("home_nurse", 200), ("coordinator", 200),
    ("caregiver", 200), ("outsider", 404), ("excluded_pro", 404), ("analyst", 404),
])
def test_who_reads_the_screenings(stay, persona_client, persona, status):
    assert persona_client(persona).get(list_url(stay)).status_code == status


@pytest.mark.parametrize("url", [list_url, new_url, external_url])
def test_anonymous_visitors_are_sent_to_log_in(stay, client, url):
    response = client.get(url(stay))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_start_links_are_for_hospital_staff_only(stay, persona_client):
    assert new_url(stay) in persona_client("liaison_nurse").get(list_url(stay)).content.decode()
    assert new_url(stay) not in persona_client("gp").get(list_url(stay)).content.decode()


@pytest.fixture
def dv_screening(stay, liaison_nurse):
    return record(stay, liaison_nurse, living="alone", caregiver="none", violence="suspected")


@pytest.mark.parametrize(("persona", "sees"), [
    ("liaison_nurse", True), ("gp", False), ("home_nurse", False), ("caregiver", False),
])
def test_domestic_violence_findings_are_shown_to_hospital_staff_only(
        dv_screening, stay, persona_client, persona, sees):
    html = persona_client(persona).get(list_url(stay)).content.decode()
    assert "refer to a home-care coordination centre before discharge" in html
    assert (DV_TEXT in html) is sees
    assert ("Domestic-violence concern" in html) is sees


def test_the_safeguarding_circle_sees_domestic_violence_findings(dv_screening, stay,
                                                                 persona_client, member_of,
                                                                 gp):
    member = member_of(user=gp)
    member.in_safeguarding_circle = True
    member.save(update_fields=["in_safeguarding_circle"])
    assert DV_TEXT in persona_client("gp").get(list_url(stay)).content.decode()


def test_recommendations_link_to_the_directory(dv_screening, stay, persona_client):
    html = persona_client("gp").get(list_url(stay)).content.decode()
    assert "?category=home_care_coordination" in html


# Outside the hospital, the page asks whether the reader is in the safeguarding circle:
# with the header's question (the GP has news of the stay unread), in one statement
# (core.kept.asking_together).
@pytest.mark.parametrize(("persona", "checks"), [("liaison_nurse", 0), ("gp", UNREAD_QUERIES)])
def test_the_list_costs_a_fixed_number_of_queries(stay, liaison_nurse, persona_client,
                                                  django_assert_num_queries, persona, checks):
    for _ in range(3):
        record(stay, liaison_nurse, finances="yes")
    client = persona_client(persona)
    client.get(list_url(stay))  # warm the session
    # The stay and its audited read, the screenings with their authors.
    with django_assert_num_queries(SIGNED_IN_QUERIES + 1 + AUDIT_EVENT_QUERIES + 1 + checks):
        assert client.get(list_url(stay)).status_code == 200

"""Every persona against every page of the hospital stay: allowed, 404, or sent to login.

Madeleine is in hospital (she consented to share with her network and with hospitals);
the liaison nurse referred her to the home-nursing service. Rows are pages; each says
who gets the page. Everyone else gets 404 ("missing" and "not yours" look the same).
"""

import pytest
from django.urls import reverse

from relais.stays import referrals
from tests.relais.stays.conftest import NEEDS

pytestmark = pytest.mark.django_db

PERSONAS = ["liaison_nurse", "hospital_manager", "coordinator", "gp", "home_nurse", "analyst",
            "platform_admin", "outsider", "caregiver", "excluded_pro", "anonymous"]
STAFF = {"liaison_nurse", "hospital_manager"}
NETWORK_PROS = {"coordinator", "gp", "home_nurse"}

PAGES = {
    "stay": (lambda s, r: reverse("stays:stay_detail", args=[s.pk]),
             STAFF | NETWORK_PROS | {"caregiver"}),
    "going-home sheet": (lambda s, r: reverse("stays:going_home", args=[s.pk]),
                         STAFF | NETWORK_PROS | {"caregiver"}),
    "transfer note": (lambda s, r: reverse("stays:transfer_note", args=[s.pk]),
                      STAFF | NETWORK_PROS),
    "screening results": (lambda s, r: reverse("stays:screening_list", args=[s.pk]),
                          STAFF | NETWORK_PROS | {"caregiver"}),
    "screen": (lambda s, r: reverse("stays:screening_new", args=[s.pk, "relais-social"]),
               STAFF),
    "discharge": (lambda s, r: reverse("stays:discharge", args=[s.pk]), STAFF),
    "refer": (lambda s, r: reverse("stays:referral_new", args=[s.pk]), STAFF),
    "work list": (lambda s, r: reverse("stays:worklist"), STAFF),
    "referral": (lambda s, r: reverse("stays:referral_detail", args=[r.pk]),
                 STAFF | NETWORK_PROS),
    "referral inbox": (lambda s, r: reverse("stays:referral_inbox"),
                       STAFF | NETWORK_PROS | {"analyst", "excluded_pro"}),
    "hospital checklist": (lambda s, r: reverse("stays:checklist_template",
                                                args=[s.hospital_id]),
                           {"hospital_manager", "platform_admin"}),
    "before-admission summary": (lambda s, r: reverse("stays:admission_brief",
                                                      args=[s.person_id]),
                                 STAFF | NETWORK_PROS),
    "ADT messages waiting": (lambda s, r: reverse("interop:adt_pending"), STAFF),
    "ADT feeds' health": (lambda s, r: reverse("interop:adt_health"), STAFF | {"platform_admin"}),
    "ADT merges applied": (lambda s, r: reverse("interop:adt_merges"), STAFF),
}
CASES = [(page, persona) for page in PAGES for persona in PERSONAS]


@pytest.fixture
def referral(stay, nursing_service, liaison_nurse):
    return referrals.send(person=stay.person, service=nursing_service, stay=stay, needs=NEEDS,
                          urgency="72h", actor=liaison_nurse,
                          sender_organisation=stay.hospital, person_agrees=True)


@pytest.mark.parametrize(("page", "persona"), CASES)
def test_page_answers_each_persona(request, client, stay, referral, page, persona):
    url_of, allowed = PAGES[page]
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = client.get(url_of(stay, referral))
    if persona == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response.url
    else:
        assert response.status_code == (200 if persona in allowed else 404), (page, persona)

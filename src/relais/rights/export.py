"""Everything Relais holds about a person, readable and printable (GDPR art. 15; the
machine-readable copy is the FHIR API's Patient/$everything, docs/fhir.md).

Each kind of data is read through the gate for the reader, so the page never shows more
than the reader may open elsewhere: asked by the person (or their contact point) it is
their own copy; asked by a professional who keeps the record, the copy they hand over.
"""

from django.db.models import Prefetch

from relais.access import policy
from relais.audit import log as audit
from relais.booklet import emergency
from relais.booklet.models import Consultation, Entry
from relais.followup.models import Contact, FollowUp, Refusal, Watch
from relais.network import rules as network_rules
from relais.network.models import NetworkMember
from relais.stays.models import Referral, Stay

EXPORT = "person.export"


def gather(user, person) -> dict:
    """Every kind of data about `person` that `user` may read, section by section."""
    return {
        "members": list(policy.visible(user, NetworkMember.objects.filter(person=person))
                        .select_related("user", "organisation").prefetch_related("roles")),
        "consents": list(person.consents.order_by("given_on")),
        "mandates": [m for m in person.mandates.select_related("representative")
                     if network_rules.may_read_mandate(user, m)],
        "assessments": list(person.assessments.all()),
        "stays": list(Stay.objects.visible_to(user).filter(person=person)
                      .select_related("hospital", "ward").prefetch_related("plan_items")
                      .order_by("admitted_at")),
        "referrals": list(Referral.objects.visible_to(user).filter(person=person)
                          .select_related("service", "organisation").order_by("created_at")),
        "entries": list(Entry.objects.visible_to(user).filter(person=person)
                        .select_related("author").order_by("created_at")),
        "sheet": emergency.current_sheet(person),
        "consultations": list(policy.visible(user, Consultation.objects.filter(person=person))
                              .order_by("created_at")),
        "followups": list(policy.visible(user, FollowUp.objects.filter(person=person))
                          .select_related("protocol").prefetch_related(Prefetch(
                              "contacts", queryset=policy.visible(user, Contact.objects.all())
                              .order_by("due_on"))).order_by("started_on")),
        "refusals": list(policy.visible(user, Refusal.objects.filter(person=person))
                         .order_by("refused_on")),
        "watches": list(policy.visible(user, Watch.objects.filter(person=person))
                        .prefetch_related("check_ins").order_by("started_on")),
    }


def record_export(user, person, sections: dict) -> None:
    """The export is a read of the whole record: its own audit event, counts only."""
    counts = {name: (len(rows) if isinstance(rows, list) else int(rows is not None))
              for name, rows in sections.items()}
    audit.record(EXPORT, actor=user, target=person, person_id=person.pk, detail=counts)

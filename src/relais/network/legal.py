"""Patient-rights roles (law of 22 Aug 2002, reformed 2024; DOMAIN.md §1).

When nobody was designated as representative, the law gives an order; Relais computes it
from the network instead of letting users pick (R4). The representative acts only while a
practitioner judges the person unable to exercise their rights. A minor's rights are
exercised by their legal representatives (their parents, a guardian) before anyone in
that order.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from relais.network.models import CapacityFinding, MemberKind, Relation, Role


@dataclass(frozen=True)
class Rank:
    number: int
    label: str
    members: tuple  # NetworkMember instances at this rank

    @property
    def is_conflict(self) -> bool:
        """Several people at the first rank reached: the law leaves it to a
        multidisciplinary decision, so Relais shows it instead of choosing."""
        return len(self.members) > 1


# Each rank: who fills it, from the member, their roles and the members a court order in
# force names administrator (the role alone is not the court's order: missing_protection_orders).
LEGAL_ORDER = [
    (1, _("Court-appointed administrator of the person"),
     lambda m, roles, ordered: Role.ADMINISTRATOR in roles and m.pk in ordered),
    (2, _("Spouse, legal cohabitant or partner living together"),
     lambda m, roles, ordered: m.relation == Relation.PARTNER),
    (3, _("Adult child"),
     lambda m, roles, ordered: m.relation == Relation.CHILD and not m.is_minor),
    (4, _("Parent"), lambda m, roles, ordered: m.relation == Relation.PARENT),
    (5, _("Adult brother or sister"),
     lambda m, roles, ordered: m.relation == Relation.SIBLING and not m.is_minor),
]


def designated_representatives(members, mandates=()) -> list:
    """Members designated by a written mandate that is in force; the role alone is not
    enough (a mandate needs a date and both signatures)."""
    mandated = {m.representative_id for m in mandates if m.in_force}
    return [m for m in members if m.pk in mandated and not m.never_inform
            and Role.REPRESENTATIVE in m.role_codes()]


def ordered_administrators(members, orders=()) -> list:
    """Members named administrator of the person by a court order in force that
    authorises them to exercise the person's patient rights; the role alone is not
    enough (an administrator of goods only has no say in care)."""
    ordered = {o.administrator_id for o in orders if o.in_force}
    return [m for m in members if m.pk in ordered and not m.never_inform
            and Role.ADMINISTRATOR in m.role_codes()]


def missing_mandates(members, mandates=()) -> list:
    """Informal members called representative without a mandate in force: to be completed.
    As for court orders (`missing_protection_orders`), only those close to the person: the
    mandate form names no one else, so a warning about them could never be cleared."""
    mandated = {m.representative_id for m in mandates if m.in_force}
    return [m for m in members if m.kind == MemberKind.INFORMAL
            and Role.REPRESENTATIVE in m.role_codes() and m.pk not in mandated]


def missing_protection_orders(members, orders=()) -> list:
    """Informal members called administrator without a court order in force that
    authorises them to exercise the person's patient rights: to be completed (until then
    they act for nobody in Relais). Only those close to the person: the order form names
    no one else (network.forms), and the order opens nothing to a professional or an
    organisation (rules._represents), so a warning about them could never be cleared."""
    ordered = {o.administrator_id for o in orders if o.in_force}
    return [m for m in members if m.kind == MemberKind.INFORMAL
            and Role.ADMINISTRATOR in m.role_codes() and m.pk not in ordered]


def current_assessment(assessments):
    """The most recent assessment, if it has not passed its review date."""
    latest = next(iter(assessments), None)
    return latest if latest is not None and latest.is_current else None


def representative_powers_apply(assessments) -> bool:
    """Only while a practitioner currently judges the person unable to exercise their rights."""
    current = current_assessment(assessments)
    return current is not None and current.finding == CapacityFinding.UNABLE


def legal_order(members, orders=()) -> list[Rank]:
    """The ranks of the legal order that someone in the network fills, first rank first.

    Excluded ("never inform") members are left out: the person asked that they are told
    nothing, and DOMAIN.md §6 leaves their legal position to Belgian legal advice.
    """
    candidates = [m for m in members if m.is_active and not m.never_inform]
    ordered = {o.administrator_id for o in orders if o.in_force}
    ranks = []
    for number, label, fits in LEGAL_ORDER:
        at_rank = tuple(m for m in candidates if fits(m, m.role_codes(), ordered))
        if at_rank:
            ranks.append(Rank(number, str(label), at_rank))
    return ranks


def legal_representatives(members) -> list:
    """A minor's legal representatives in the network (their parents, a guardian): close
    to the person, active, not excluded, holding the role (as rules._represents)."""
    return [m for m in members if m.kind == MemberKind.INFORMAL and m.is_active
            and not m.never_inform and Role.LEGAL_REPRESENTATIVE in m.role_codes()]


def who_represents(members, mandates=(), orders=(), *, minor=False) -> tuple[str, list]:
    """For a minor, ("legal_representatives", [...]) when the network holds them: they
    exercise the minor's rights (DOMAIN.md §1), before the adults' order. Else
    ("designated", [...]) when a mandate names someone, else ("legal_order", first rank),
    else ("practitioner", []): nobody available, the practitioner protects the person."""
    if minor and (parents := legal_representatives(members)):
        return "legal_representatives", parents
    designated = designated_representatives(members, mandates)
    if designated:
        return "designated", designated
    ranks = legal_order(members, orders)
    if ranks:
        return "legal_order", list(ranks[0].members)
    return "practitioner", []

"""Stable HSDS ids: services keep their UUID; organisations a stored `hsds_id` or one derived
from the KBO number (else the primary key); child objects and taxonomy terms one derived
from their parent's, so the same directory always exports the same ids.
"""

import uuid

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "relais:hsds")


def child_id(parent_id, *parts) -> str:
    """A stable id for an object that only exists inside its parent (phone, area, …)."""
    return str(uuid.uuid5(uuid.UUID(str(parent_id)), ":".join(str(p) for p in parts)))


def organisation_hsds_id(organisation) -> str:
    if organisation.hsds_id:
        return str(organisation.hsds_id)
    key = f"kbo:{organisation.kbo_number}" if organisation.kbo_number else (
        f"pk:{organisation.pk}")
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"relais:organisation:{key}"))


def term_id(taxonomy: str, code: str, language: str = "") -> str:
    return str(uuid.uuid5(NAMESPACE, f"{taxonomy}:{code}:{language}"))

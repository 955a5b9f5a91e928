"""Stable HSDS ids: services keep their UUID; organisations a stored `hsds_id` or one derived
from the KBO number (else the primary key); child objects and taxonomy terms one derived
from their parent's, so the same directory always exports the same ids.
"""

import functools
import uuid

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "relais:hsds")


def child_id(parent_id, *parts) -> str:
    """A stable id for an object that only exists inside its parent (phone, area, …)."""
    return str(uuid.uuid5(uuid.UUID(str(parent_id)), ":".join(str(p) for p in parts)))


def organisation_hsds_id(organisation) -> str:
    if organisation.hsds_id:
        return str(organisation.hsds_id)
    return derived_organisation_id(organisation.pk, organisation.kbo_number)


@functools.lru_cache(maxsize=4096)  # a page of services names the same few, at each request
def derived_organisation_id(pk: int, kbo_number: str) -> str:
    """The id of an organisation without a stored `hsds_id` (from its KBO number, else pk)."""
    key = f"kbo:{kbo_number}" if kbo_number else f"pk:{pk}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"relais:organisation:{key}"))


def term_id(taxonomy: str, code: str, language: str = "") -> str:
    return str(uuid.uuid5(NAMESPACE, f"{taxonomy}:{code}:{language}"))


def taxonomy_id(taxonomy: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"taxonomy:{taxonomy}"))

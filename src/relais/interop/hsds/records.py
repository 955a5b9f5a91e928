"""What the API returns for each object, in the OpenAPI's representations.

- list (the default of a list): the object's own fields and its one-to-one objects (a
  service's organization; a service_at_location's location and service), as the
  specification's `*_list` examples;
- full (`full=true`, and every `/{id}`): nested as the compiled schemas, from the
  directory's HSDS export (directory/hsds/export.py);
- minimal (`/services?minimal=true`): id and last_modified, with name and status, which
  the schema of a service requires.

`last_modified` is the later of the service's and its organisation's last change: the
organisation's fields travel inside the service's record.

A service_at_location is a service at its organisation's one location (Relais keeps no
other place for a service), so each service with an organisation address has exactly
one. Its id is the service's UUID with the low 48 bits (the UUID's node field) flipped by
a fixed mask: stable, distinct from the service's, and turned back into it without a
lookup table.
"""

import datetime as dt
import uuid

from relais.directory.hsds.export import (
    export_organisation,
    export_service,
    organisation_fields,
    organisation_location,
    service_fields,
)
from relais.directory.hsds.mapping import LANGUAGE_ORDER

SERVICE_AT_LOCATION_MASK = int.from_bytes(b"relsal", "big")  # 48 bits


def last_modified(service) -> str:
    changed = max(service.updated_at, service.organisation.updated_at)
    return changed.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def service_minimal(service) -> dict:
    """From the few columns views.MINIMAL_COLUMNS loads (not service_fields: it reads them
    all, one deferred load each)."""
    name = next((n for n in (getattr(service, f"name_{lang}") for lang in LANGUAGE_ORDER)
                 if n), "")
    return {"id": str(service.hsds_id), "name": name, "status": service.status,
            "last_modified": last_modified(service)}


def service_list(service) -> dict:
    return service_fields(service) | {
        "last_modified": last_modified(service),
        "organization": organisation_fields(service.organisation)}


def service_full(service, *, with_locations: bool = True) -> dict:
    record = export_service(service) | {
        "last_modified": last_modified(service),
        "organization": export_organisation(service.organisation)}
    location = organisation_location(service.organisation)
    if with_locations and location:
        record["service_at_locations"] = [_at(service, location) | {"location": location}]
    return record


def organization_list(organisation) -> dict:
    return organisation_fields(organisation)


def organization_full(organisation, services, *, full_services: bool) -> dict:
    """The organisation, nested, with its services (as lists show them, or in full)."""
    shown = [service_full(s) if full_services else service_list(s) for s in services]
    return export_organisation(organisation) | {"services": shown}


def service_at_location_list(service) -> dict:
    location = organisation_location(service.organisation)
    return _at(service, location) | {
        "location": {k: v for k, v in location.items() if not isinstance(v, list)},
        "service": service_list(service)}


def service_at_location_full(service) -> dict:
    location = organisation_location(service.organisation)
    return _at(service, location) | {
        "location": location, "service": service_full(service, with_locations=False)}


def _at(service, location: dict) -> dict:
    return {"id": service_at_location_id(service.hsds_id), "service_id": str(service.hsds_id),
            "location_id": location["id"]}


def service_at_location_id(service_id) -> str:
    return str(uuid.UUID(int=uuid.UUID(str(service_id)).int ^ SERVICE_AT_LOCATION_MASK))


def service_id_at(service_at_location: str) -> uuid.UUID:
    """The service of a service_at_location id (the mask is its own inverse)."""
    return uuid.UUID(service_at_location_id(service_at_location))

"""Configuration the feed reads for every message: the hospital behind a sending facility
(MSH-4) and a hospital's ward by code (PV1-3), cached for a while by a listener.
"""

import time

from relais.accounts.models import Organisation, Ward
from relais.interop.adt.errors import Err, Refused
from relais.interop.adt.received import Header
from relais.stays.models import AdtSource


def sender_names(header: Header) -> tuple[int, set[str]]:
    """Which field names the sender, and its names: MSH-4 (sending facility, whole field
    or first component); when MSH-4 is empty, MSH-3 (sending application), as systems
    that fill only MSH-3 do. An ADT source is configured with either."""
    number = 4 if header.field(4).strip() else 3
    return number, {header.field(number).strip(), header.first(number)} - {""}


def hospital_for(header: Header):
    """The hospital whose systems send as MSH-4 (or, MSH-4 empty, as MSH-3)."""
    number, names = sender_names(header)
    source = AdtSource.objects.select_related("hospital").filter(
        sending_facility__in=names).first()
    if source is None:
        what = ("sending facility" if number == 4 else "sending application")
        where = "MSH-4" if number == 4 else "MSH-3; MSH-4 is empty"
        raise Refused(f"Unknown {what} '{header.field(number)[:60]}' ({where}).", code="AR",
                      error=Err.UNKNOWN_KEY)
    return source.hospital


class Lookups:
    """Sending facilities and ward codes: configuration that rarely changes, read again
    after `ttl` seconds. A listener's connection keeps one (`ttl` 60: an edit in the
    admin counts within a minute); `handle()` alone reads every time (`ttl` 0)."""

    def __init__(self, ttl: float = 0.0):
        self.ttl = ttl
        self.known: dict[tuple, tuple[float, object]] = {}

    def _cached(self, key: tuple, load):
        now = time.monotonic()
        hit = self.known.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        found = load()  # an unknown facility raises: never remembered
        if self.ttl:
            self.known[key] = (now, found)
        return found

    def hospital(self, header: Header):
        return self._cached(("hospital", header.field(3), header.field(4)),
                            lambda: hospital_for(header))

    def organisation(self, pk: int):
        """A stored message's hospital, for the applier."""
        return self._cached(("organisation", pk), lambda: Organisation.objects.get(pk=pk))

    def ward(self, hospital, code: str):
        return self._cached(("ward", hospital.pk, code.lower()),
                            lambda: ward_for(hospital, code))


def ward_for(hospital, code: str):
    if not code:
        return None
    return Ward.objects.filter(organisation=hospital, code__iexact=code).first()

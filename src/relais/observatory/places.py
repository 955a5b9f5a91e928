"""Where a person lives, in the observatory's terms: (care zone code, municipality NIS).

The computation groups person rows by the three columns that decide the zone (the zone
set by hand, the municipality, the postcode) and maps each group here, once, in Python:
the database never joins the postcode table per row, and the rule is the same as
`Person.care_zone` (hand-set zone, then RELAIS_POSTCODE_ZONES, then the postcode's zone,
then the municipality's).
"""

from functools import cached_property

from relais.core.models import CareZone, Municipality, Postcode, configured_postcode_zones
from relais.observatory.models import UNKNOWN


class Places:
    """Maps (zone override id, municipality id, postcode) to (zone code, NIS code)."""

    @cached_property
    def zone_codes(self) -> dict[int, str]:
        return dict(CareZone.objects.values_list("pk", "code"))

    @cached_property
    def municipalities(self) -> dict[int, tuple[str, int | None]]:
        return {pk: (nis, zone) for pk, nis, zone in
                Municipality.objects.values_list("pk", "nis_code", "care_zone_id")}

    @cached_property
    def postcode_zones(self) -> dict[tuple[str, int], int]:
        rows = Postcode.objects.filter(care_zone__isnull=False).values_list(
            "code", "municipality_id", "care_zone_id")
        return {(code, municipality): zone for code, municipality, zone in rows}

    @cached_property
    def configured(self) -> dict[str, str]:
        return configured_postcode_zones()

    def of(self, override_id: int | None, municipality_id: int | None,
           postcode: str | None) -> tuple[str, str]:
        nis, zone_id = self.municipalities.get(municipality_id, (UNKNOWN, None))
        return self._zone(override_id, municipality_id, postcode or "", zone_id), nis

    def _zone(self, override_id, municipality_id, postcode, zone_id) -> str:
        if override_id:
            return self.zone_codes[override_id]
        if municipality_id is None:
            return UNKNOWN
        if postcode in self.configured:
            return self.configured[postcode]
        found = self.postcode_zones.get((postcode, municipality_id))
        if found:
            return self.zone_codes[found]
        return self.zone_codes.get(zone_id, UNKNOWN)

    def zone_of_municipality(self, municipality_id: int | None, postcode: str) -> str:
        """An organisation's zone (a hospital's, for the flows)."""
        return self.of(None, municipality_id, postcode)[0]

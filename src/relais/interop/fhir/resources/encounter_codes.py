"""The codes an Encounter carries for a stay, read and written alike: the admission's
priority (v3 ActPriority) and the discharge disposition (R4's, with Relais's own
destination beside it, so that what a client reads it can send back unchanged)."""

from relais.stays.models import AdmissionType, Destination

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
DESTINATION = "urn:relais:destination"
PRIORITIES = {AdmissionType.EMERGENCY: ("EM", "emergency"),
              AdmissionType.ELECTIVE: ("EL", "elective")}
DISPOSITIONS = {Destination.HOME: "home", Destination.HOME_WITH_SERVICES: "home",
                Destination.NURSING_HOME: "long", Destination.OTHER_HOSPITAL: "other-hcf",
                Destination.DECEASED: "exp", Destination.OTHER: "oth"}

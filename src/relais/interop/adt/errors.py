"""How a message is refused: `Refused` carries the reason, the ACK code (AE: the content is
wrong; AR: not for us now) and the HL7 error (`Err`, table 0357) for the ERR segment.
"""


# HL7 table 0357, the error codes an ERR segment carries.
class Err:
    SEGMENT_SEQUENCE = ("100", "Segment sequence error")
    REQUIRED_FIELD = ("101", "Required field missing")
    DATA_TYPE = ("102", "Data type error")
    UNSUPPORTED_TYPE = ("200", "Unsupported message type")
    UNSUPPORTED_VERSION = ("203", "Unsupported version id")
    UNKNOWN_KEY = ("204", "Unknown key identifier")
    # HL7 has no code of its own for "a rule refused it": the application error, with
    # the rule in ERR-8 and MSA-3.
    INTERNAL = ("207", "Application internal error")


class Refused(Exception):
    """A message Relais keeps but does not use, with what the sender is told."""

    def __init__(self, reason: str, *, code: str = "AE", error=Err.DATA_TYPE):
        super().__init__(reason)
        self.reason, self.code, self.error = reason, code, error

"""The HL7 v2 ADT admission feed: a hospital's admissions, transfers and discharges become
stays in Relais (R1, R5, R18).

Two steps (issue 16), as integration engines do it:

1. Receipt, `handle(raw)` (the listener): bytes of one message in, bytes of its
   acknowledgement out. The message is stored (`AdtMessage`, raw text and the ACK sent)
   and committed before the ACK leaves, with the few checks storing needs (receipt.py).
   So an AA means "stored: it will be applied, in order" (original mode; enhanced mode
   answers CA, see ack.Mode). Nothing is lost:

   * AA: stored in the inbox (status RECEIVED), or kept and not used (an event or an
     out-patient visit Relais does not follow; MSA-3 says which).
   * AE: the message is wrong in what storing needs (no MSH-10, no PID, no patient id, a
     merge without MRG-1). Kept, with the reason in MSA-3 and ERR; resending it
     unchanged returns the same AE.
   * AR: not for us now (unknown sending facility, not ADT, not v2, too large, not
     framed, an internal error) and kept; or the database was unreachable, and nothing is
     kept but a note of the refusal (unstored.py). As HL7 says of AR, the sender may
     resend: a resend is processed again (in place of the rejected copy).

2. Applying, `inbox.apply_batch` (the applier: `relais adt-apply`, started by `relais
   adt-listen`): the stored messages, in order per patient, through the stays' and
   persons' services, each with its outcome and application acknowledgement
   (`AdtMessage.result`: AA applied/pending/not used, AE refused by Relais' rules).
   A message that fails holds its patient's later ones until a person retries it on the
   pending page. `deliver(raw)` does both at once (tests, the shell).

Group commit: the listener's `Feed` stores the messages waiting from all connections in
one transaction and ACKs each after that commit; the applier applies a batch in one
transaction, and each message alone when one of them is refused.

The same message again (same sender = first components of MSH-3 "^" MSH-4, same MSH-10
and same content, separators normalised) returns the original ACK byte for byte and
changes nothing; a control id reused for other content is a new message. The sender's
hospital is found by MSH-4, or by MSH-3 when MSH-4 is empty. docs/adt.md is the contract
(event → effect → ACK, merges, batches, the inbox). ACKs are plain ASCII and are
written in English: they are read by interface engineers, not by patients.

Who: the person is found by the hospital's patient id (PID-3, type PI/MR) once linked
(`PatientLink`), else by national number (PID-3 typed NN/SS or assigned by NISS/INSZ/RRN,
else PID-19), which then links the patient id. Unknown: the message is kept `pending`
until a liaison nurse links it (`resolve_pending`) or creates the person
(`create_person_from`); then the person's waiting messages are applied in arrival order.

Order: events are matched to a stay by visit number (PV1-19). An event for a visit with
no stay yet creates it: an A03 first makes a stay already discharged, and the later A01
only fills in the admission data. An A08 first also creates the stay (an A08 carries the
whole visit, and waiting would hide a patient who is in a bed). An A11 first is kept and
stops that visit from being opened later. An A13 before its A03 is kept and not used.

The package, one file per step:

- received.py: bytes to text and the MSH header; errors.py: Refused and the HL7 error
  codes; ack.py: the acknowledgements and the two modes.
- receipt.py: what the listener checks and reads before storing (the patient's lane);
  processing.py: storing, duplicates; feed.py: handle, handle_frames and the listener's
  Feed (group commit); unstored.py: refusals while the database was unreachable.
- inbox.py: the applier, retry and set aside, the backlog.
- event.py: the message read into an AdtEvent; lookups.py: sending facilities and wards.
- matching.py: who the patient is (automatically, or by a liaison nurse); pending.py:
  kept messages applied once their person is known; apply.py: an event applied to the
  visit's stay.
- merge.py: A34/A40/A47 (links moved and closed, or kept for a person to confirm);
  batch.py: FHS/BHS batches opened and answered with a batch of ACKs.
"""

from relais.interop.adt.ack import ack_code, build_ack
from relais.interop.adt.apply import APPLY, Outcome, apply_event, run_event
from relais.interop.adt.errors import Err, Refused
from relais.interop.adt.event import AdtEvent, parse, read_event, read_stored
from relais.interop.adt.feed import Feed, handle, handle_frames
from relais.interop.adt.inbox import (
    Applier,
    apply_batch,
    backlog,
    deliver,
    drain,
    retry,
    set_aside,
)
from relais.interop.adt.lookups import Lookups
from relais.interop.adt.matching import (
    create_person_from,
    link_patient,
    match_person,
    person_data,
    resolve_pending,
)
from relais.interop.adt.merge import MERGES, confirm_merge, decline_merge, undo_merge
from relais.interop.adt.pending import apply_waiting, waiting_messages
from relais.interop.adt.processing import process
from relais.interop.adt.received import (
    KEPT_OF_TOO_LARGE,
    MAX_MESSAGE_BYTES,
    STANDARD_HEADER,
    Header,
    Received,
    read_header,
)

__all__ = [
    "APPLY", "KEPT_OF_TOO_LARGE", "MAX_MESSAGE_BYTES", "MERGES", "STANDARD_HEADER", "AdtEvent",
    "Applier", "Err", "Feed", "Header", "Lookups", "Outcome", "Received", "Refused",
    "ack_code", "apply_batch", "apply_event", "apply_waiting", "backlog", "build_ack",
    "confirm_merge", "create_person_from", "decline_merge", "deliver", "drain", "handle",
    "handle_frames", "link_patient", "match_person", "parse", "person_data", "process",
    "read_event", "read_header", "read_stored", "resolve_pending", "retry", "run_event",
    "set_aside", "undo_merge", "waiting_messages",
]

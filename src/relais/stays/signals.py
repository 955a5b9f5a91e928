"""What a stay tells the features above it (follow-up, readmissions) without importing
them. Sent inside the service's transaction: a listener's work is saved with the
admission or discharge, or not at all."""

from django.dispatch import Signal

# sender=Stay, stay=<Stay>, actor=<User|None>
stay_admitted = Signal()
# sender=Stay, stay=<Stay>, actor=<User|None>, from_feed=<bool>
stay_discharged = Signal()
# sender=Stay, stay=<Stay>, actor=<User|None>: the discharge was entered in error (A13
# or by hand) and the stay is open again; what the discharge started is undone.
stay_discharge_cancelled = Signal()

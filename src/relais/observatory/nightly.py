"""The nightly computation, run by `relais worker`'s clock (`core.clock`).

The clock looks every hour; the figures are computed once a day, from NIGHT_STARTS
(local time), when no run has finished yet that day. The clock's claim keeps two
workers from starting it together; a run that fails leaves the last good figures shown
and is tried again at the next look.
"""

import logging
from datetime import datetime

from django.utils import timezone

from relais.observatory import compute

logger = logging.getLogger("relais.observatory")

NIGHT_STARTS = 2  # hour, local time


def compute_if_due(now: datetime) -> int:
    """Compute all figures if tonight's run is due; returns the figures written."""
    local = timezone.localtime(now)
    if local.hour < NIGHT_STARTS:
        return 0
    last = compute.latest_done()
    if last is not None and timezone.localtime(last.finished_at).date() == local.date():
        return 0
    run = compute.compute(now=now)
    logger.info("observatory figures computed: %s rows", run.rows)
    return run.rows

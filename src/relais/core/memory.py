"""A web worker's memory: what lives as long as the worker is left out of the garbage
collector's full passes.

A full collection walks every object the process holds: about 160,000 once Relais has
loaded and served a few pages, 50-110 ms a pass on this machine's cores. Python runs one
whenever the objects that survived earlier passes have grown by a quarter, which a page
that allocates much reaches every 25 requests or so: the referral inbox's p95 was three
times its p50, at 10,000 persons as at a million (docs/bench.md, "The collector's pauses").
What is there once the application has loaded, and once the first requests have filled
the caches (templates, translations, URL patterns, kept statements, the menu), lives as
long as the worker: `gc.freeze()` moves it to a generation the collector no longer walks.
Frozen objects are still freed by reference counting; only a cycle among them stays until
the worker is replaced (gunicorn's max_requests), and only what was alive at four moments
of the worker's life is frozen.
"""

import gc

from django.core.signals import request_finished

# After which of the worker's requests what is alive is frozen: the first fills most
# caches, the later ones those of the pages and languages that came since.
FREEZE_AFTER = frozenset({1, 10, 100, 1000})

_served = 0


def freeze_as_it_warms() -> None:
    """For the web server's entry point, once the application has loaded (not in tests,
    commands or the worker: it would freeze their garbage)."""
    global _served
    _served = 0
    settle()
    request_finished.connect(_after_request, dispatch_uid="relais.core.memory")


def settle() -> None:
    """Collect what is garbage now, then freeze what is left."""
    gc.collect()
    gc.freeze()


def _after_request(**kwargs) -> None:
    # request_finished comes once the response is written: the client is not kept waiting.
    global _served
    _served += 1
    if _served in FREEZE_AFTER:
        settle()

"""Pages of this app that higher apps complete without this app depending on them.

An organisation's page shows its directory listings and agreements (the directory app);
a portal user's home lists the persons whose network they belong to (the network app);
a professional's home starts with their work (the followup app; its provider takes the
request).
Each provider takes the page's arguments and returns a dict merged into its context;
the apps register them when they are ready.
"""

from collections.abc import Callable

PROVIDERS: dict[str, list[Callable[..., dict]]] = {"organisation": [], "portal_home": [],
                                                   "professional_home": []}


def register_context(page: str, provide: Callable[..., dict]) -> None:
    if provide not in PROVIDERS[page]:
        PROVIDERS[page].append(provide)


def context_for(page: str, *args) -> dict:
    context: dict = {}
    for provide in PROVIDERS[page]:
        context.update(provide(*args))
    return context

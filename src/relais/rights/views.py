"""The person's rights: the readable export of everything held about them."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from relais.network import rules as network_rules
from relais.rights import export


@never_cache
@login_required
def person_export(request, pk):
    """Everything about the person, printable: for whoever may see "who looked at this
    record" (the person, their contact point, professionals who keep it); audited."""
    person = network_rules.person_for(request.user, pk)
    if not network_rules.may_see_access_log(request.user, person):
        raise Http404
    sections = export.gather(request.user, person)
    export.record_export(request.user, person, sections)
    return render(request, "rights/person_export.html", {"person": person, **sections})

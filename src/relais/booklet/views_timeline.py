from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.safestring import mark_safe

from relais.booklet import timeline
from relais.network import rules as network_rules


@login_required
def timeline_view(request, pk):
    person = network_rules.person_for(request.user, pk)
    chosen = [k for k in request.GET.getlist("show") if k in timeline.KINDS] or list(
        timeline.KINDS)
    found = timeline.events(request.user, person, set(chosen))
    context = {
        "person": person, "events": found, "chosen": chosen,
        "kinds": [(key, label, colour) for key, (label, colour) in timeline.KINDS.items()],
        "labels": {key: label for key, (label, _colour) in timeline.KINDS.items()},
        "strip": mark_safe(timeline.strip_svg(found)),  # noqa: S308 - every text escaped
    }
    return render(request, "booklet/timeline.jinja", context, using="jinja2")


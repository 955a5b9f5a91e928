from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from relais.access import policy
from relais.access.forms import AuditFilterForm
from relais.audit import verification
from relais.audit.models import AuditEvent

PAGE_SIZE = 50


@login_required
def audit_log(request):
    """Administrators see everything, managers their organisations', others their own."""
    form = AuditFilterForm(request.GET or None)
    events = policy.visible(request.user, AuditEvent.objects.select_related("organisation"))
    if request.GET:
        events = form.filter(events)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(),
               "sees_all": policy.is_platform_admin(request.user)}
    template = "access/partials/audit_rows.html" if request.htmx else "access/audit_log.html"
    return render(request, template, context)


@login_required
def audit_event(request, pk):
    event = policy.audit_event_for(request.user, pk)
    # The inclusion proof: the event, as it reads now, leads to its sealed batch's root.
    proof = verification.proof_for(event)
    return render(request, "access/audit_event.html", {"event": event, "proof": proof})



from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, Sum, When, Window
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relais.access import policy
from relais.access.policy import Action
from relais.audit import log as audit
from relais.audit.models import Outcome
from relais.core.pagination import CountingPaginator
from relais.notifications import services
from relais.notifications.forms import EmailModesForm
from relais.notifications.kinds import KIND_GROUPS
from relais.notifications.models import DeliveryStatus, EmailDelivery, Notification

# A queued email the worker has not picked up after this long means the worker is down.
STALLED_AFTER = timedelta(minutes=15)
PAGE_SIZE = 30
UNREAD = "relais_unread"


@login_required
def inbox(request):
    """The user's notifications that the gate still shows them, newest first; each
    sentence is written now, in the request's language, from the row's kind and params.

    One query walks the rows the gate lets through (each row's person and target are
    checked there) and returns the page with the total and the unread count; the header
    takes its count from it rather than asking again."""
    notifications = Notification.objects.visible_to(request.user).select_related(
        "person").annotate(**{UNREAD: Window(Sum(Case(When(read_at__isnull=True, then=1),
                                                      default=0)))})
    page = CountingPaginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    unread = getattr(page.object_list[0], UNREAD) if page.object_list else 0
    return render(request, "notifications/inbox.html", {
        "page": page, "unread_notifications": unread,
        "is_admin": policy.is_platform_admin(request.user)})


@login_required
@require_POST
def mark_all_read(request):
    unread = Notification.objects.visible_to(request.user).unread()
    services.mark_read(request.user, unread.values_list("pk", flat=True))
    return redirect("notifications:inbox")


@login_required
def preferences(request):
    form = EmailModesForm(request.POST or None, chosen=services.chosen_modes(request.user))
    if request.method == "POST" and form.is_valid():
        services.set_email_modes(request.user, form.cleaned_data, actor=request.user)
        messages.success(request, _("Your email choices were saved."))
        return redirect("notifications:preferences")
    always = [group for group in KIND_GROUPS if group.always_immediate]
    return render(request, "notifications/preferences.html", {"form": form, "always": always})


@login_required
def deliveries(request):
    """Platform administrators see every email that failed or waits too long."""
    if not policy.is_platform_admin(request.user):
        audit.record(audit.Actions.ACCESS_DENIED, actor=request.user, outcome=Outcome.DENIED,
                     target_type="notifications.emaildelivery", detail={"action": "list"})
        raise Http404
    visible = policy.visible(request.user, EmailDelivery.objects.all())
    attention = visible.needing_attention(stalled_after=STALLED_AFTER).select_related(
        "recipient")
    page = Paginator(attention, 50).get_page(request.GET.get("page"))
    counts = dict(visible.values_list("status").annotate(n=Count("pk")).order_by())
    return render(request, "notifications/deliveries.html", {
        "page": page, "counts": [(label, counts.get(value, 0))
                                 for value, label in DeliveryStatus.choices]})


@login_required
@require_POST
def send_again(request, pk):
    delivery = policy.object_for(request.user, EmailDelivery, pk, Action.CHANGE)
    if services.send_again(delivery, actor=request.user):
        messages.success(request, _("The email was queued again."))
    else:
        messages.info(request, _("This email was already sent."))
    return redirect("notifications:deliveries")

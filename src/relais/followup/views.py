from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from relais.followup import services
from relais.followup.models import Notification


@login_required
def inbox(request):
    notifications = Notification.objects.filter(recipient=request.user)
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(request, "followup/inbox.html", {"page": page})


@login_required
@require_POST
def mark_all_read(request):
    unread = Notification.objects.unread().filter(recipient=request.user)
    services.mark_read(request.user, unread.values_list("pk", flat=True))
    return redirect("followup:inbox")

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from relais.core import outbox as development_outbox


@login_required
def outbox(request):
    """The demo's emails, newest first (development only: 404 in production). Signed-in
    users only: a reset or invitation link in an email is a key."""
    directory = development_outbox.folder()
    if directory is None:
        raise Http404
    return render(request, "core/outbox.html", {
        "emails": development_outbox.newest(directory), "folder": directory})

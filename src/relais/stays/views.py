"""The stay's pages. Permissions are asked of relais.access; views stay thin."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from relais.access import policy


@login_required
def stay_detail(request, pk):
    stay = policy.stay_for(request.user, pk)
    return render(request, "stays/stay_detail.html", {"stay": stay})

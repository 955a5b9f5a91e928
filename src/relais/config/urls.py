from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from relais.core.views import error_400, error_403, error_404, error_500
from relais.core.views_i18n import set_language

admin.site.site_header = _("Relais administration")
admin.site.site_title = _("Relais administration")
admin.site.index_title = _("Platform administration")
# One login for everything: the admin uses Relais's login, with lock-out and two-factor.
admin.site.login = lambda request, extra_context=None: _admin_login(request)


def _admin_login(request):
    if request.user.is_authenticated:  # signed in but not a platform administrator
        return error_403(request)
    return redirect_to_login(request.get_full_path())


urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    # Before the pages' patterns: Django tries each in turn, and a system's request
    # should not walk the ~200 of the pages first.
    path("fhir/", include("relais.interop.fhir.urls")),
    path("", include("relais.accounts.urls")),
    path("", include("relais.audit.urls")),
    path("", include("relais.access.urls")),
    path("", include("relais.network.urls")),
    path("", include("relais.directory.urls")),
    path("", include("relais.stays.urls")),
    path("", include("relais.booklet.urls")),
    path("", include("relais.followup.urls")),
    path("", include("relais.observatory.urls")),
    path("", include("relais.thematic.urls")),
    path("", include("relais.rights.urls")),
    path("", include("relais.interop.urls")),
    path("", include("relais.notifications.urls")),
    path("", include("relais.core.urls")),
]

handler400 = error_400
handler403 = error_403
handler404 = error_404
handler500 = error_500

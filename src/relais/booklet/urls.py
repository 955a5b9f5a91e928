from django.urls import include, path

app_name = "booklet"

urlpatterns = [
    path("", include("relais.booklet.urls_entries")),
    path("", include("relais.booklet.urls_emergency")),
    path("", include("relais.booklet.urls_consultations")),
]

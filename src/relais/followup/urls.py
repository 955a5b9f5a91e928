from django.urls import include, path

app_name = "followup"

# Each part of the app keeps its own URLs (follow-up and contacts; protocols; refusals and
# watches; my work and the calendar; case reviews).
urlpatterns = [
    path("", include("relais.followup.urls_contacts")),
    path("", include("relais.followup.urls_protocols")),
    path("", include("relais.followup.urls_watch")),
    path("", include("relais.followup.urls_work")),
    path("", include("relais.followup.urls_reviews")),
]

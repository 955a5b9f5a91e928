from django.urls import path

from relais.core import views, views_outbox

app_name = "core"

urlpatterns = [
    path("care-zones/", views.care_zones, name="care_zones"),
    path("healthz", views.health, name="health"),
    path("outbox/", views_outbox.outbox, name="outbox"),
]

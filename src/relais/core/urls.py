from django.urls import path

from relais.core import views, views_health, views_outbox

app_name = "core"

urlpatterns = [
    path("care-zones/", views.care_zones, name="care_zones"),
    path("healthz", views_health.healthz, name="healthz"),
    path("readyz", views_health.readyz, name="readyz"),
    path("metrics", views_health.metrics, name="metrics"),
    path("outbox/", views_outbox.outbox, name="outbox"),
]

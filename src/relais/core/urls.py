from django.urls import path

from relais.core import views

app_name = "core"

urlpatterns = [
    path("care-zones/", views.care_zones, name="care_zones"),
    path("healthz", views.health, name="health"),
]

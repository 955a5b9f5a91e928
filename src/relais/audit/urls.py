from django.urls import path

from relais.audit import views

app_name = "audit"

urlpatterns = [
    path("healthz/audit", views.sealing_health, name="sealing_health"),
]

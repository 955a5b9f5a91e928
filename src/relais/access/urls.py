from django.urls import path

from relais.access import views

app_name = "access"

urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/<int:pk>/", views.audit_event, name="audit_event"),
]

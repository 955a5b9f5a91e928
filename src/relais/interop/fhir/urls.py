"""/fhir/: written from the registry, so each served type has its own two addresses
(the type: search, and create where served; an instance: read, and update where served;
its versions: vread and history),
Patient has $everything, and anything else is an OperationOutcome, never an HTML page."""

from django.urls import path
from oauth2_provider.views import TokenView

from relais.interop.fhir import registry, resources, views

app_name = "fhir"

resources.register_all()  # the types, before their URLs are written from them


def _type_patterns() -> list:
    patterns = [path("Patient/<str:id>/$everything", views.patient_everything,
                     name="patient_everything")]
    for name in registry.TYPES:
        patterns += [
            path(f"{name}/<str:id>/_history", views.instance_history, {"type": name},
                 name=f"{name.lower()}_history"),
            path(f"{name}/<str:id>/_history/<str:vid>", views.vread, {"type": name},
                 name=f"{name.lower()}_vread"),
            path(name, views.type_level, {"type": name}, name=f"{name.lower()}_search"),
            path(f"{name}/<str:id>", views.instance, {"type": name},
                 name=f"{name.lower()}_read"),
        ]
    return patterns


urlpatterns = [
    path("", views.base, name="base"),
    path("metadata", views.metadata, name="metadata"),
    path("openapi.json", views.openapi_document, name="openapi"),
    path(".well-known/smart-configuration", views.smart_configuration,
         name="smart_configuration"),
    path("auth/token", TokenView.as_view(), name="token"),
    *_type_patterns(),
    path("<str:type>", views.unknown, name="unknown_type"),
    path("<str:type>/<str:id>", views.unknown, name="unknown_read"),
]

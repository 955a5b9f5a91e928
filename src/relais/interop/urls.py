from django.urls import path

from relais.interop import hsds_api

app_name = "interop"

urlpatterns = [
    path("hsds/", hsds_api.about, name="hsds_about"),
    path("hsds/services", hsds_api.services, name="hsds_services"),
    path("hsds/services/<str:id>", hsds_api.service, name="hsds_service"),
    path("hsds/organizations", hsds_api.organizations, name="hsds_organizations"),
    path("hsds/organizations/<str:id>", hsds_api.organization, name="hsds_organization"),
]

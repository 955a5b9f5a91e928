"""The HSDS 3 API's addresses, as the OpenAPI spells them (no trailing slash), under /hsds/
(included by interop/urls.py, so the names keep the `interop:` namespace)."""

from django.urls import path

from relais.interop.hsds import views

urlpatterns = [
    path("", views.about, name="hsds_about"),
    path("services", views.services, name="hsds_services"),
    path("services/<str:id>", views.service, name="hsds_service"),
    path("service_at_locations", views.service_at_locations, name="hsds_service_at_locations"),
    path("service_at_locations/<str:id>", views.service_at_location,
         name="hsds_service_at_location"),
    path("organizations", views.organizations, name="hsds_organizations"),
    path("organizations/<str:id>", views.organization, name="hsds_organization"),
    path("taxonomies", views.taxonomies, name="hsds_taxonomies"),
    path("taxonomies/<str:id>", views.taxonomy, name="hsds_taxonomy"),
    path("taxonomy_terms", views.taxonomy_terms, name="hsds_taxonomy_terms"),
    path("taxonomy_terms/<str:id>", views.taxonomy_term, name="hsds_taxonomy_term"),
    # Last: anything else under /hsds/ is a JSON 404, not the site's HTML page.
    path("<path:rest>", views.unknown, name="hsds_unknown"),
]

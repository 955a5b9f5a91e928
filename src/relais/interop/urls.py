from django.urls import path

from relais.interop import hsds_api, views_adt, views_feed

app_name = "interop"

urlpatterns = [
    path("hsds/", hsds_api.about, name="hsds_about"),
    path("hsds/services", hsds_api.services, name="hsds_services"),
    path("hsds/services/<str:id>", hsds_api.service, name="hsds_service"),
    path("hsds/organizations", hsds_api.organizations, name="hsds_organizations"),
    path("hsds/organizations/<str:id>", hsds_api.organization, name="hsds_organization"),
    # The ADT feed's admissions waiting for a person match (the hospital's staff).
    path("adt/pending/", views_adt.adt_pending, name="adt_pending"),
    path("adt/pending/<int:pk>/", views_adt.adt_message, name="adt_message"),
    path("adt/pending/<int:pk>/link/", views_adt.adt_link, name="adt_link"),
    path("adt/pending/<int:pk>/create-person/", views_adt.adt_create_person,
         name="adt_create_person"),
    path("adt/pending/<int:pk>/merge/", views_adt.adt_merge, name="adt_merge"),
    # … and what the feed could not apply: retried, or set aside.
    path("adt/pending/<int:pk>/retry/", views_adt.adt_retry, name="adt_retry"),
    path("adt/pending/<int:pk>/set-aside/", views_adt.adt_set_aside, name="adt_set_aside"),
    # For whoever runs the feed: each feed's health, and the merges it applied (undo).
    path("adt/health/", views_feed.adt_health, name="adt_health"),
    path("adt/merges/", views_feed.adt_merges, name="adt_merges"),
    path("adt/merges/<int:pk>/undo/", views_feed.adt_merge_undo, name="adt_merge_undo"),
]

from django.urls import include, path

from relais.interop import views_adt, views_feed

app_name = "interop"

urlpatterns = [
    # The directory as the Open Referral HSDS 3 API (interop/hsds/urls.py).
    path("hsds/", include("relais.interop.hsds.urls")),
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

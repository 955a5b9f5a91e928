"""Pages of the ADT feed: admission messages waiting for a person match."""

from django.urls import path

from relais.stays import views_adt

urlpatterns = [
    path("adt/pending/", views_adt.adt_pending, name="adt_pending"),
    path("adt/pending/<int:pk>/", views_adt.adt_message, name="adt_message"),
    path("adt/pending/<int:pk>/link/", views_adt.adt_link, name="adt_link"),
    path("adt/pending/<int:pk>/create-person/", views_adt.adt_create_person,
         name="adt_create_person"),
]

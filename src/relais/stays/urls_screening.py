"""Pages of the vulnerability screening; owned by the screening work."""

from django.urls import path

from relais.stays import views_screening as views

urlpatterns = [
    path("stays/<int:pk>/screening/", views.screening_list, name="screening_list"),
    # Before the instrument pattern, which would otherwise take "external" for a key.
    path("stays/<int:pk>/screening/external/new/", views.external_new,
         name="screening_external_new"),
    path("stays/<int:pk>/screening/<str:instrument>/new/", views.screening_new,
         name="screening_new"),
]

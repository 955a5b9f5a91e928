from django.urls import path

from relais.directory import views

app_name = "directory"

urlpatterns = [
    path("directory/", views.service_search, name="service_search"),
    path("directory/services/<int:pk>/", views.service_detail, name="service_detail"),
    path("directory/services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("directory/services/<int:pk>/confirm/", views.service_confirm, name="service_confirm"),
    path("organisations/<int:pk>/services/new/", views.service_create, name="service_create"),
    path("organisations/<int:pk>/agreements/new/", views.agreement_create,
         name="agreement_create"),
    path("agreements/<int:pk>/end/", views.agreement_end, name="agreement_end"),
]

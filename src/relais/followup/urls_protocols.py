"""Pages of the follow-up protocols."""

from django.urls import path

from relais.followup import views_protocols as views

urlpatterns = [
    path("followup-protocols/", views.protocol_list, name="protocol_list"),
    path("followup-protocols/<int:pk>/", views.protocol_detail, name="protocol_detail"),
    path("followup-protocols/<int:pk>/edit/", views.protocol_edit, name="protocol_edit"),
    path("followup-protocols/<int:pk>/adapt/", views.protocol_adapt, name="protocol_adapt"),
]

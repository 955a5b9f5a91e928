from django.urls import path

from relais.followup import views_contacts as views

urlpatterns = [
    path("followups/<int:pk>/", views.followup_detail, name="followup_detail"),
    path("followup-contacts/<int:pk>/record/", views.contact_record, name="contact_record"),
    path("followup-contacts/<int:pk>/owner/", views.contact_reassign, name="contact_reassign"),
]

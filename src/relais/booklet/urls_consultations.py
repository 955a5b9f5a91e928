"""Pages of the consultations work (R10)."""

from django.urls import path

from relais.booklet import views_consultations as views

urlpatterns = [
    path("persons/<int:pk>/consultations/", views.consultation_list, name="consultation_list"),
    path("persons/<int:pk>/consultations/new/", views.consultation_new,
         name="consultation_new"),
    path("consultations/<int:pk>/", views.consultation_detail, name="consultation_detail"),
    path("consultations/<int:pk>/answer/<int:invitation_pk>/", views.consultation_answer,
         name="consultation_answer"),
    path("consultations/<int:pk>/decide/", views.consultation_decide,
         name="consultation_decide"),
    # The single-use link sent in the notification or the email.
    path("c/<str:token>/", views.consultation_reply, name="consultation_reply"),
]

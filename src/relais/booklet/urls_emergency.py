"""Pages of the emergency sheet (the yellow box, R6)."""

from django.urls import path

from relais.booklet import views_emergency as views

urlpatterns = [
    path("persons/<int:pk>/emergency-sheet/", views.emergency_sheet, name="emergency_sheet"),
    path("persons/<int:pk>/emergency-sheet/edit/", views.emergency_edit, name="emergency_edit"),
    path("persons/<int:pk>/emergency-sheet/printed/", views.emergency_print,
         name="emergency_print"),
    path("persons/<int:pk>/emergency-sheet/versions/", views.emergency_history,
         name="emergency_history"),
    path("persons/<int:pk>/emergency-sheet/versions/<int:number>/", views.emergency_version,
         name="emergency_version"),
    path("persons/<int:pk>/emergency-sheet/versions/<int:number>/photo/",
         views.emergency_photo, name="emergency_photo"),
]

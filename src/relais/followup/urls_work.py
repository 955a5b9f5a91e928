"""My work and the calendar feed."""

from django.urls import path

from relais.followup import views_work as views

urlpatterns = [
    path("work/", views.my_work, name="my_work"),
    path("work/<str:kind>/<int:pk>/reassign/", views.reassign, name="work_reassign"),
    path("calendar/", views.calendar_settings, name="calendar_settings"),
    path("calendar/new/", views.calendar_create, name="calendar_create"),
    path("calendar/revoke/", views.calendar_revoke, name="calendar_revoke"),
    path("calendar/<str:secret>.ics", views.calendar_feed, name="calendar_feed"),
]

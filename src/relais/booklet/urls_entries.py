"""Pages of the booklet entries and the person's timeline."""

from django.urls import path

from relais.booklet import views, views_timeline

urlpatterns = [
    path("persons/<int:pk>/booklet/", views.booklet, name="booklet"),
    path("persons/<int:pk>/booklet/new/", views.entry_new, name="entry_new"),
    path("persons/<int:pk>/timeline/", views_timeline.timeline_view, name="timeline"),
    path("booklet/entries/<int:pk>/correct/", views.entry_correct, name="entry_correct"),
    path("booklet/entries/<int:pk>/acknowledge/", views.entry_acknowledge,
         name="entry_acknowledge"),
    path("booklet/entries/<int:pk>/readers/", views.entry_readers, name="entry_readers"),
    path("booklet/entries/<int:pk>/attachment/", views.entry_attachment,
         name="entry_attachment"),
]

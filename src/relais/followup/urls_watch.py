from django.urls import path

from relais.followup import views_watch as views

urlpatterns = [
    path("persons/<int:pk>/refusals/new/", views.refusal_new, name="refusal_new"),
    path("persons/<int:pk>/watch/new/", views.watch_new, name="watch_new"),
    path("watches/<int:pk>/", views.watch_detail, name="watch_detail"),
    path("watches/<int:pk>/check-in/", views.watch_check_in, name="watch_check_in"),
    path("watches/<int:pk>/end/", views.watch_end, name="watch_end"),
    path("watches/<int:pk>/restart/", views.watch_restart, name="watch_restart"),
]

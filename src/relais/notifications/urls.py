from django.urls import path

from relais.notifications import views

app_name = "notifications"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.mark_all_read, name="mark_all_read"),
    path("inbox/preferences/", views.preferences, name="preferences"),
    path("emails/", views.deliveries, name="deliveries"),
    path("emails/<int:pk>/send-again/", views.send_again, name="send_again"),
]

from django.urls import path

from relais.observatory import views, views_export

app_name = "observatory"

urlpatterns = [
    path("observatory/", views.index, name="index"),
    path("observatory/<slug:zone>/", views.dashboard_page, name="dashboard"),
    path("observatory/<slug:zone>/export/", views_export.export, name="export"),
]

from django.urls import path

from relais.observatory import views, views_cooperation, views_export

app_name = "observatory"

urlpatterns = [
    path("observatory/", views.index, name="index"),
    path("observatory/<slug:zone>/", views.dashboard_page, name="dashboard"),
    path("observatory/<slug:zone>/export/", views_export.export, name="export"),
    path("observatory/<slug:zone>/cooperation/", views_cooperation.cooperation_page,
         name="cooperation"),
    path("observatory/<slug:zone>/cooperation/export/", views_cooperation.cooperation_export,
         name="cooperation_export"),
]

from django.urls import include, path

from relais.stays import views

app_name = "stays"

urlpatterns = [
    path("stays/<int:pk>/", views.stay_detail, name="stay_detail"),
    path("", include("relais.stays.urls_adt")),
    path("", include("relais.stays.urls_screening")),
]

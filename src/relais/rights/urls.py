from django.urls import path

from relais.rights import views

app_name = "rights"

urlpatterns = [
    path("persons/<int:pk>/everything/", views.person_export, name="person_export"),
]

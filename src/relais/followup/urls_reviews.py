"""Pages of case reviews (R12)."""

from django.urls import path

from relais.followup import views_reviews as views

urlpatterns = [
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/new/", views.review_new, name="review_new"),
    path("persons/<int:pk>/review/new/", views.review_new_for_person,
         name="review_new_for_person"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/discussed/", views.review_discussed, name="review_discussed"),
]

from django.urls import path

from relais.thematic import views

app_name = "thematic"

urlpatterns = [
    path("thematic/", views.session_list, name="session_list"),
    path("thematic/new/", views.session_new, name="session_new"),
    path("thematic/<int:pk>/", views.session_detail, name="session_detail"),
    path("thematic/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("thematic/<int:pk>/participation/", views.session_participation,
         name="session_participation"),
    path("thematic/<int:pk>/invite/", views.session_invite, name="session_invite"),
    path("thematic/<int:pk>/findings/new/", views.finding_new, name="finding_new"),
    path("thematic/<int:pk>/findings/<int:finding_pk>/", views.finding_edit,
         name="finding_edit"),
    path("thematic/<int:pk>/findings/<int:finding_pk>/delete/", views.finding_delete,
         name="finding_delete"),
    path("thematic/<int:pk>/actions/new/", views.action_new, name="action_new"),
    path("thematic/<int:pk>/actions.csv", views.session_actions_csv, name="actions_csv"),
    path("thematic/<int:pk>/presentations/new/", views.presentation_new,
         name="presentation_new"),
    path("thematic/<int:pk>/presentations/<int:presentation_pk>/", views.presentation_file,
         name="presentation_file"),
    path("thematic/<int:pk>/pack/", views.session_pack, name="session_pack"),
    path("thematic/<int:pk>/report/<str:language>/", views.session_report,
         name="session_report"),
    path("thematic/actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("thematic/actions/<int:pk>/edit/", views.action_edit, name="action_edit"),
    path("thematic/actions/<int:pk>/progress/", views.action_progress,
         name="action_progress"),
]

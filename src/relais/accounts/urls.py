from django.contrib.auth import views as auth_views
from django.urls import path

from relais.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/two-factor/verify/", views.verify, name="verify"),
    path("accounts/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("accounts/security/", views.security, name="security"),
    path("accounts/security/backup-codes/", views.regenerate_backup_codes,
         name="regenerate_backup_codes"),
    path("accounts/security/disable/", views.disable_two_factor, name="disable_two_factor"),
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/",
         auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
         name="password_reset_done"),
    path("accounts/password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/password/reset/complete/",
         auth_views.PasswordResetCompleteView.as_view(
             template_name="accounts/password_reset_complete.html"),
         name="password_reset_complete"),
    path("accounts/password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/acting-organisation/", views.switch_organisation, name="switch_organisation"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/wards/new/", views.ward_add, name="ward_add"),
    path("organisations/<int:pk>/members/new/", views.member_add, name="member_add"),
    path("wards/<int:pk>/edit/", views.ward_edit, name="ward_edit"),
    path("memberships/<int:pk>/end/", views.member_end, name="member_end"),
]

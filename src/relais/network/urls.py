from django.urls import path

from relais.network import views

app_name = "network"

urlpatterns = [
    path("persons/", views.person_list, name="person_list"),
    path("persons/new/", views.person_create, name="person_create"),
    path("persons/<int:pk>/", views.person_detail, name="person_detail"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("persons/<int:pk>/map/", views.network_map, name="network_map"),
    path("persons/<int:pk>/members/new/", views.member_add, name="member_add"),
    path("persons/<int:pk>/consent/", views.consent, name="consent"),
    path("persons/<int:pk>/consent/<int:consent_pk>/revoke/", views.consent_revoke,
         name="consent_revoke"),
    path("persons/<int:pk>/emergency-access/", views.break_glass, name="break_glass"),
    path("persons/<int:pk>/who-looked/", views.access_log, name="access_log"),
    path("persons/<int:pk>/mandates/new/", views.mandate_add, name="mandate_add"),
    path("persons/<int:pk>/mandates/<int:mandate_pk>/document/", views.mandate_document,
         name="mandate_document"),
    path("persons/<int:pk>/mandates/<int:mandate_pk>/revoke/", views.mandate_revoke,
         name="mandate_revoke"),
    path("persons/<int:pk>/court-orders/new/", views.protection_order_add,
         name="protection_order_add"),
    path("persons/<int:pk>/court-orders/<int:order_pk>/lift/", views.protection_order_lift,
         name="protection_order_lift"),
    path("persons/<int:pk>/capacity/new/", views.assessment_add, name="assessment_add"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/end/", views.member_end, name="member_end"),
    path("members/<int:pk>/contact-point/", views.member_contact_point,
         name="member_contact_point"),
    path("members/<int:pk>/exclude/", views.member_exclude, name="member_exclude"),
    path("members/<int:pk>/include/", views.member_include, name="member_include"),
    path("network/roles/", views.role_guide, name="role_guide"),
    path("members/<int:pk>/invite/", views.member_invite, name="member_invite"),
    path("portal/join/<str:token>/", views.portal_join, name="portal_join"),
]

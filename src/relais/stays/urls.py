from django.urls import include, path

from relais.stays import views, views_checklist

app_name = "stays"

urlpatterns = [
    path("stays/<int:pk>/", views.stay_detail, name="stay_detail"),
    path("", include("relais.stays.urls_screening")),
]

urlpatterns += [
    path("hospital/worklist/", views.worklist, name="worklist"),
    path("persons/<int:person_pk>/stays/new/", views.stay_new, name="stay_new"),
    path("persons/<int:person_pk>/admission-brief/", views.admission_brief,
         name="admission_brief"),
    path("stays/<int:pk>/expected-date/", views.expected_date, name="expected_date"),
    path("stays/<int:pk>/discharge/", views.discharge, name="discharge"),
    path("stays/<int:pk>/discharge/cancel/", views.cancel_discharge, name="cancel_discharge"),
    path("stays/<int:pk>/refer/", views.referral_new, name="referral_new"),
    path("stays/<int:pk>/going-home/", views.going_home, name="going_home"),
    path("stays/<int:pk>/transfer-note/", views.transfer_note, name="transfer_note"),
    path("plan-items/<int:pk>/status/", views.item_status, name="item_status"),
    path("stays/<int:pk>/plan-items/new/", views_checklist.plan_item_add, name="plan_item_add"),
    path("organisations/<int:pk>/checklist/", views_checklist.checklist_template,
         name="checklist_template"),
    path("checklist-items/<int:pk>/remove/", views_checklist.template_item_remove,
         name="template_item_remove"),
    path("referrals/", views.referral_inbox, name="referral_inbox"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral_detail"),
    path("referrals/<int:pk>/<str:to>/", views.referral_move, name="referral_move"),
]

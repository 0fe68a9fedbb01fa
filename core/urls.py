from django.urls import path

from core import views, views_notices, views_payments

app_name = "core"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Public notices (公示) and objections
    path("notices/", views_notices.notice_list, name="notice_list"),
    path("notices/objections/", views_notices.objection_list, name="objection_list"),
    path(
        "notices/objections/<int:pk>/resolve/",
        views_notices.objection_resolve,
        name="objection_resolve",
    ),
    path("notices/<int:pk>/", views_notices.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/close/", views_notices.notice_close, name="notice_close"),
    # Payment batches (拨付)
    path("payments/", views_payments.batch_list, name="batch_list"),
    path("payments/<int:pk>/", views_payments.batch_detail, name="batch_detail"),
    path("payments/<int:pk>/approve/", views_payments.batch_approve, name="batch_approve"),
    path("payments/<int:pk>/cancel/", views_payments.batch_cancel, name="batch_cancel"),
    path("payments/<int:pk>/bank-file/", views_payments.batch_bank_file, name="batch_bank_file"),
    path(
        "payments/<int:pk>/results-template/",
        views_payments.batch_results_template,
        name="batch_results_template",
    ),
    path(
        "payments/<int:pk>/results/",
        views_payments.batch_results_upload,
        name="batch_results_upload",
    ),
    path(
        "payments/<int:pk>/lines/<int:line_pk>/result/",
        views_payments.line_record_result,
        name="line_record_result",
    ),
    path("reveal/<str:token>/", views.reveal, name="reveal"),
    path("accounts/locks/", views.lockout_list, name="lockout_list"),
    path("accounts/locks/<int:pk>/unlock/", views.lockout_unlock, name="lockout_unlock"),
]

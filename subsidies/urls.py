"""Routes of the subsidies app, mounted at ``subsidies/``."""

from django.urls import path

from subsidies.views import institution, payments, review, standards, worker

app_name = "subsidies"

urlpatterns = [
    # Worker portal (劳动者本人).
    path("my/", worker.worker_home, name="worker_home"),
    path("my/training/<int:pk>/apply/", worker.apply_training, name="apply_training"),
    path("my/certificates/<int:pk>/apply/", worker.apply_appraisal, name="apply_appraisal"),
    path("my/training/<int:pk>/entrust/", worker.entrust, name="entrust"),
    path("my/entrustments/<int:pk>/revoke/", worker.entrust_revoke, name="entrust_revoke"),
    path("my/claims/", worker.claim_list, name="worker_claims"),
    path("my/claims/<int:pk>/", worker.claim_detail, name="worker_claim"),
    path("my/claims/<int:pk>/account/", worker.claim_account, name="worker_claim_account"),
    path("my/claims/<int:pk>/withdraw/", worker.claim_withdraw, name="worker_claim_withdraw"),
    path("my/claims/<int:pk>/resubmit/", worker.claim_resubmit, name="worker_claim_resubmit"),
    # Institution staff (培训机构).
    path("institution/trainees/", institution.trainees, name="institution_trainees"),
    path(
        "institution/trainees/upload/",
        institution.trainees_upload,
        name="institution_trainees_upload",
    ),
    path(
        "institution/trainees/template/",
        institution.trainees_template,
        name="institution_trainees_template",
    ),
    path(
        "institution/trainees/<int:pk>/entrustment/",
        institution.entrustment_record,
        name="institution_entrustment_record",
    ),
    path("institution/shortage/", institution.shortage, name="institution_shortage"),
    path("institution/claims/", institution.claims, name="institution_claims"),
    path("institution/claims/<int:pk>/", institution.claim_detail, name="institution_claim"),
    path(
        "institution/claims/<int:pk>/withdraw/",
        institution.claim_withdraw,
        name="institution_claim_withdraw",
    ),
    # Office: standards and claim windows (补贴标准、申领期).
    path("standards/", standards.standard_list, name="standard_list"),
    path("standards/new/", standards.standard_create, name="standard_create"),
    path("standards/<int:pk>/end/", standards.standard_end, name="standard_end"),
    path("windows/new/", standards.window_create, name="window_create"),
    path("windows/<int:pk>/close/", standards.window_close, name="window_close"),
    # subsidies-B: review, notice, payment routes below.
    path("review/", review.review_queue, name="review_queue"),
    path("review/notice/", review.review_notice_publish, name="review_notice_publish"),
    path("review/<int:pk>/", review.review_detail, name="review_detail"),
    path("review/<int:pk>/start/", review.review_start, name="review_start"),
    path("review/<int:pk>/approve/", review.review_approve, name="review_approve"),
    path("review/<int:pk>/refuse/", review.review_refuse, name="review_refuse"),
    path("review/<int:pk>/return/", review.review_return, name="review_return"),
    path("payments/", payments.batch_ready, name="batch_ready"),
]

"""Routes of skill appraisal, mounted at ``appraisal/``."""

from django.urls import path

from appraisal.views import bodies, certificates, registrations, results

app_name = "appraisal"

SITTING = "sittings/<int:pk>/"

urlpatterns = [
    # Bodies, authorisations, staff, level rules (人社 reviewers; office and auditor read).
    path("bodies/", bodies.body_list, name="body_list"),
    path("bodies/new/", bodies.body_create, name="body_create"),
    path("bodies/<int:pk>/", bodies.body_detail, name="body_detail"),
    path("bodies/<int:pk>/edit/", bodies.body_edit, name="body_edit"),
    path("bodies/<int:pk>/staff/", bodies.body_staff, name="body_staff"),
    path("bodies/<int:pk>/delete/", bodies.body_delete, name="body_delete"),
    path("bodies/<int:pk>/authorisations/", bodies.authorisation_set, name="authorisation_set"),
    path(
        "authorisations/<int:pk>/remove/",
        bodies.authorisation_remove,
        name="authorisation_remove",
    ),
    path("level-rules/", bodies.level_rule_list, name="level_rule_list"),
    path("level-rules/<int:level>/edit/", bodies.level_rule_edit, name="level_rule_edit"),
    # Registrations: the worker's own pages carry no id.
    path("register/", registrations.registration_apply, name="registration_apply"),
    path("me/", registrations.my_appraisals, name="my_appraisals"),
    path("registrations/", registrations.registration_list, name="registration_list"),
    path("registrations/new/", registrations.registration_create, name="registration_create"),
    path(
        "registrations/<int:pk>/",
        registrations.registration_detail,
        name="registration_detail",
    ),
    path(
        "registrations/<int:pk>/withdraw/",
        registrations.registration_withdraw,
        name="registration_withdraw",
    ),
    # Sittings and results (the body's staff).
    path("sittings/", results.sitting_list, name="sitting_list"),
    path("sittings/new/", results.sitting_create, name="sitting_create"),
    path(SITTING, results.sitting_detail, name="sitting_detail"),
    path(SITTING + "schedule/", results.sitting_schedule, name="sitting_schedule"),
    path(
        SITTING + "unschedule/<int:registration_pk>/",
        results.sitting_unschedule,
        name="sitting_unschedule",
    ),
    path(SITTING + "results/", results.sitting_results, name="sitting_results"),
    path(SITTING + "results/upload/", results.results_upload, name="results_upload"),
    path(SITTING + "results/template/", results.results_template, name="results_template"),
    # Public.
    path("certificates/check/", certificates.certificate_check, name="certificate_check"),
]

# --------------------------------------------------------------------------------------------
# Enterprise evaluation pilots, "双一" exceptions, employment-access inspections and reports
# (issue 6 items 6, 7, 9; views in appraisal/views/{pilots,inspections,reports}.py).
# --------------------------------------------------------------------------------------------
from appraisal.views import inspections as inspection_views  # noqa: E402
from appraisal.views import pilots as pilot_views  # noqa: E402
from appraisal.views import reports as report_views  # noqa: E402

PILOT = "pilots/<int:pk>/"
INSPECTION = "employment-inspections/<int:pk>/"

urlpatterns += [
    path("pilots/", pilot_views.pilot_list, name="pilot_list"),
    path("pilots/new/", pilot_views.pilot_create, name="pilot_create"),
    path(PILOT, pilot_views.pilot_detail, name="pilot_detail"),
    path(PILOT + "edit/", pilot_views.pilot_update, name="pilot_update"),
    path(
        PILOT + "checklist/<slug:item>/",
        pilot_views.checklist_item_submit,
        name="checklist_item_submit",
    ),
    path(
        PILOT + "checklist/<slug:item>/file/",
        pilot_views.checklist_item_file,
        name="checklist_item_file",
    ),
    path(PILOT + "evaluations/new/", pilot_views.evaluation_record, name="evaluation_record"),
    path(PILOT + "exceptions/new/", pilot_views.exception_request, name="exception_request"),
    path("pilot-exceptions/", pilot_views.exception_list, name="exception_list"),
    path("pilot-exceptions/<int:pk>/", pilot_views.exception_detail, name="exception_detail"),
    path(
        "pilot-exceptions/<int:pk>/decide/",
        pilot_views.exception_decide,
        name="exception_decide",
    ),
    path(
        "employment-inspections/",
        inspection_views.employment_inspection_list,
        name="employment_inspection_list",
    ),
    path(
        "employment-inspections/new/",
        inspection_views.employment_inspection_create,
        name="employment_inspection_create",
    ),
    path(
        INSPECTION,
        inspection_views.employment_inspection_detail,
        name="employment_inspection_detail",
    ),
    path(
        INSPECTION + "follow-up/",
        inspection_views.employment_inspection_follow_up,
        name="employment_inspection_follow_up",
    ),
    path("reports/", report_views.report_overview, name="report_overview"),
    path("reports/exceptions/", report_views.report_exceptions, name="report_exceptions"),
]

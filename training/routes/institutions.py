"""Routes for institutions, their assessment, registration points and the handbook (see
training/views/institutions.py)."""

from django.urls import path

from training.views import institutions as views

urlpatterns: list = [
    path("institutions/", views.institution_list, name="institution_list"),
    path("institutions/new/", views.institution_create, name="institution_create"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution_detail"),
    path("institutions/<int:pk>/edit/", views.institution_update, name="institution_update"),
    path(
        "institutions/<int:pk>/bank-account/",
        views.institution_bank_account,
        name="institution_bank_account",
    ),
    path(
        "institutions/<int:pk>/designation/",
        views.institution_designation,
        name="institution_designation",
    ),
    path(
        "institutions/<int:pk>/violations/new/",
        views.violation_create,
        name="violation_create",
    ),
    path(
        "institutions/<int:pk>/programmes/new/",
        views.programme_create,
        name="programme_create",
    ),
    path("programmes/<int:pk>/edit/", views.programme_update, name="programme_update"),
    path("programmes/<int:pk>/delete/", views.programme_delete, name="programme_delete"),
    path("assessments/", views.assessment_list, name="assessment_list"),
    path("assessments/run/", views.assessment_run, name="assessment_run"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("assessments/<int:pk>/confirm/", views.assessment_confirm, name="assessment_confirm"),
    path("assessments/<int:pk>/dismiss/", views.assessment_dismiss, name="assessment_dismiss"),
    path(
        "registration-points/",
        views.registration_point_list,
        name="registration_point_list",
    ),
    path(
        "registration-points/new/",
        views.registration_point_create,
        name="registration_point_create",
    ),
    path(
        "registration-points/<int:pk>/edit/",
        views.registration_point_update,
        name="registration_point_update",
    ),
    path(
        "registration-points/<int:pk>/delete/",
        views.registration_point_delete,
        name="registration_point_delete",
    ),
    path("handbook/", views.handbook, name="handbook"),
    path("handbook/download/", views.handbook_download, name="handbook_download"),
]

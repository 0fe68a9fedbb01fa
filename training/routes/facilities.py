"""Routes of the "1688" programme (see training/views/facilities.py)."""

from django.urls import path

from training.views import facilities as views

FACILITY = "facilities/<int:pk>/"

urlpatterns = [
    path("facilities/", views.facility_list, name="facility_list"),
    path("facilities/new/", views.facility_create, name="facility_create"),
    path(FACILITY, views.facility_detail, name="facility_detail"),
    path(FACILITY + "advance/", views.facility_advance, name="facility_advance"),
    path(FACILITY + "evidence/", views.facility_evidence_add, name="facility_evidence_add"),
    path(
        FACILITY + "evidence/<int:evidence_pk>/",
        views.facility_evidence_download,
        name="facility_evidence_download",
    ),
]

"""Routes for job fairs, skill demand and the supply–demand reports (see
training/views/labour_market.py)."""

from django.urls import path

from training.views import labour_market as views

urlpatterns: list = [
    path("job-fairs/", views.job_fair_list, name="job_fair_list"),
    path("job-fairs/new/", views.job_fair_create, name="job_fair_create"),
    path("job-fairs/<int:pk>/", views.job_fair_detail, name="job_fair_detail"),
    path(
        "job-fairs/<int:pk>/demand/",
        views.job_fair_demand_create,
        name="job_fair_demand_create",
    ),
    path("skill-demand/surveys/", views.survey_demand, name="survey_demand"),
    path("supply-demand/", views.supply_report_list, name="supply_report_list"),
    path("supply-demand/compute/", views.supply_report_compute, name="supply_report_compute"),
    path("supply-demand/<int:pk>/", views.supply_report_detail, name="supply_report_detail"),
    path(
        "supply-demand/<int:pk>/publish/", views.supply_report_publish, name="supply_report_publish"
    ),
    path(
        "supply-demand/<int:pk>/download/",
        views.supply_report_download,
        name="supply_report_download",
    ),
]

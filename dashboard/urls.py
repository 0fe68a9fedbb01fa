from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_list, name="audit_list"),
    path("exports/audit/", views.export_audit, name="export_audit"),
    path("exports/<int:pk>/", views.export_job_detail, name="export_job_detail"),
    path("exports/<int:pk>/download/", views.export_job_download, name="export_job_download"),
]

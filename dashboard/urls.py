from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_list, name="audit_list"),
    path("exports/audit/", views.export_audit, name="export_audit"),
    path("exports/<int:pk>/", views.export_job_detail, name="export_job_detail"),
    path("exports/<int:pk>/download/", views.export_job_download, name="export_job_download"),
    path("progress/", views.progress, name="progress"),
    path("progress/recompute/", views.progress_recompute, name="progress_recompute"),
    path(
        "progress/departments/<slug:code>/",
        views.progress_department,
        name="progress_department",
    ),
    path("progress/categories/<int:number>/", views.progress_category, name="progress_category"),
    path("bulletins/", views.bulletin_list, name="bulletin_list"),
    path("bulletins/create/", views.bulletin_create, name="bulletin_create"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin_detail"),
    path("bulletins/<int:pk>/publish/", views.bulletin_publish, name="bulletin_publish"),
    path("bulletins/<int:pk>/download/", views.bulletin_download, name="bulletin_download"),
]

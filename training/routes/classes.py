"""Routes for classes, spot checks, attendance, results, referrals and "三定" orders (see
training/views/classes.py)."""

from django.urls import path

from training.views import classes as views

CLASS = "classes/<int:pk>/"

urlpatterns = [
    path("classes/", views.class_list, name="class_list"),
    path("classes/queue/", views.class_queue, name="class_queue"),
    path("classes/new/", views.class_create, name="class_create"),
    path(CLASS, views.class_detail, name="class_detail"),
    path(CLASS + "edit/", views.class_edit, name="class_edit"),
    path(CLASS + "files/<slug:kind>/", views.class_file, name="class_file"),
    path(CLASS + "roster/", views.class_roster_upload, name="class_roster_upload"),
    path(CLASS + "submit/", views.class_submit, name="class_submit"),
    path(CLASS + "approve/", views.class_approve, name="class_approve"),
    path(CLASS + "refuse/", views.class_refuse, name="class_refuse"),
    path(CLASS + "close/", views.class_close, name="class_close"),
    path(CLASS + "attendance/", views.class_attendance, name="class_attendance"),
    path(
        CLASS + "attendance/upload/",
        views.class_attendance_upload,
        name="class_attendance_upload",
    ),
    path(
        CLASS + "attendance/template/",
        views.class_attendance_template,
        name="class_attendance_template",
    ),
    path(CLASS + "results/", views.class_results, name="class_results"),
    path("enrollments/<int:pk>/referral/", views.referral_create, name="referral_create"),
    path("referrals/<int:pk>/outcome/", views.referral_outcome, name="referral_outcome"),
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/<int:pk>/assign/", views.inspection_assign, name="inspection_assign"),
    path("inspections/<int:pk>/record/", views.inspection_record, name="inspection_record"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<int:pk>/edit/", views.order_edit, name="order_edit"),
    path("orders/<int:pk>/delete/", views.order_delete, name="order_delete"),
]

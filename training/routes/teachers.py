"""Routes for teachers, their further training and the teachers of a class (see
training/views/teachers.py)."""

from django.urls import path

from training.views import teachers as views

urlpatterns: list = [
    path("teachers/", views.teacher_list, name="teacher_list"),
    path("teachers/new/", views.teacher_create, name="teacher_create"),
    path("teachers/<int:pk>/", views.teacher_detail, name="teacher_detail"),
    path("teachers/<int:pk>/edit/", views.teacher_update, name="teacher_update"),
    path(
        "teachers/<int:pk>/trainings/new/",
        views.teacher_training_create,
        name="teacher_training_create",
    ),
    path("classes/<int:pk>/teachers/", views.class_teachers, name="class_teachers"),
]

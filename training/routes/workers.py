"""Routes for workers (see training/views/workers.py). A worker's own pages carry no id."""

from django.urls import path

from training.views import workers as views

urlpatterns = [
    path("workers/", views.worker_list, name="worker_list"),
    path("workers/new/", views.worker_create, name="worker_create"),
    path("workers/<int:pk>/", views.worker_detail, name="worker_detail"),
    path("workers/signup/", views.worker_signup, name="worker_signup"),
    path("workers/me/", views.worker_me, name="worker_me"),
    path("workers/me/contact/", views.worker_update_contact, name="worker_update_contact"),
    path("workers/roster-template/", views.roster_template, name="roster_template"),
]

"""Routes of the work ledger and the joint meetings (see training/views/ledger.py)."""

from django.urls import path

from training.views import ledger as views

TASK = "ledger/<int:pk>/"
MEETING = "meetings/<int:pk>/"

urlpatterns = [
    path("ledger/", views.ledger_list, name="ledger_list"),
    path(TASK, views.ledger_task_detail, name="ledger_task_detail"),
    path(TASK + "edit/", views.ledger_task_edit, name="ledger_task_edit"),
    path(TASK + "notes/", views.ledger_note_create, name="ledger_note_create"),
    path(TASK + "complete/", views.ledger_task_complete, name="ledger_task_complete"),
    path(TASK + "reopen/", views.ledger_task_reopen, name="ledger_task_reopen"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path(MEETING, views.meeting_detail, name="meeting_detail"),
    path(MEETING + "tasks/new/", views.meeting_task_create, name="meeting_task_create"),
]

"""Pages of the work ledger (工作台帐) and the joint meetings (联席会议).

Each view: a decorator saying which roles may enter (others 403, anonymous to the login page) →
an access-checked selector (a task outside the user's scope is a 404) → a form that only parses →
a service → redirect, or a re-render with 400 on bad input. RuleViolation becomes a message.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from core import clock
from core.actions import submit
from core.decorators import role_required
from core.models import Department
from core.roles import Role
from training.models import JointMeeting, LedgerTask
from training.permissions import ledger as perms
from training.selectors import ledger as selectors
from training.services import ledger as services
from training.views.classes import BootstrapForm, _campaign, _date_field

LEDGER_READERS = (Role.OFFICE, Role.AUDITOR, Role.CLERK)
MEETING_READERS = (Role.OFFICE, Role.AUDITOR)
PAGE_SIZE = 25
STATE_BADGES = {
    LedgerTask.State.NOT_STARTED: "secondary",
    LedgerTask.State.IN_PROGRESS: "primary",
    LedgerTask.State.DONE: "success",
    LedgerTask.State.OVERDUE: "danger",
}


# --------------------------------------------------------------------------------------------
# Forms: they parse; the rules are the services'
# --------------------------------------------------------------------------------------------


def _units():
    return Department.objects.order_by("sort_order", "code")


class TaskForm(BootstrapForm):
    title = forms.CharField(label=_("工作任务"), max_length=200)
    requirements = forms.CharField(
        label=_("工作要求"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    lead_unit = forms.ModelChoiceField(label=_("主办单位"), queryset=Department.objects.none())
    assisting_units = forms.ModelMultipleChoiceField(
        label=_("协办单位"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    leader = forms.CharField(label=_("责任领导"), max_length=64, required=False)
    deadline = _date_field(_("完成时限"))

    def __init__(self, *args, with_reason: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = _units()
        self.fields["assisting_units"].queryset = _units()
        if with_reason:
            self.fields["reason"] = forms.CharField(
                label=_("调整理由"),
                max_length=500,
                required=False,
                help_text=_("调整完成时限时必填，记入审计记录"),
                widget=forms.TextInput(attrs={"class": "form-control"}),
            )

    def task_input(self) -> services.TaskInput:
        data = self.cleaned_data
        return services.TaskInput(
            title=data["title"],
            requirements=data["requirements"],
            lead_unit=data["lead_unit"],
            assisting_units=list(data["assisting_units"]),
            leader=data["leader"],
            deadline=data["deadline"],
        )


class MeetingForm(BootstrapForm):
    held_on = _date_field(_("会议日期"))
    place = forms.CharField(label=_("会议地点"), max_length=128)
    chair = forms.CharField(label=_("主持人"), max_length=64)
    attendee_units = forms.ModelMultipleChoiceField(
        label=_("参会单位"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attendees_other = forms.CharField(
        label=_("其他参会人员"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    decisions = forms.CharField(label=_("议定事项"), widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendee_units"].queryset = _units()

    def meeting_input(self) -> services.MeetingInput:
        data = self.cleaned_data
        return services.MeetingInput(
            held_on=data["held_on"],
            place=data["place"],
            chair=data["chair"],
            decisions=data["decisions"],
            attendee_units=list(data["attendee_units"]),
            attendees_other=data["attendees_other"],
        )


class NoteForm(BootstrapForm):
    text = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 3}))
    percent = forms.IntegerField(
        label=_("完成进度（%）"), min_value=0, max_value=100, required=False
    )
    reported_on = _date_field(_("报告日期"), required=False, help_text=_("不填为今天"))


class CompleteForm(BootstrapForm):
    completed_on = _date_field(_("完成日期"), required=False, help_text=_("不填为今天"))
    note = forms.CharField(label=_("完成情况说明"), max_length=500, required=False)


class ReasonForm(BootstrapForm):
    reason = forms.CharField(label=_("退回理由"), max_length=500)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _task(request: HttpRequest, pk: int) -> LedgerTask:
    return selectors.ledger_task_get_for_user(user=request.user, pk=pk)


def _detail_url(task: LedgerTask) -> str:
    return reverse("training:ledger_task_detail", args=[task.pk])


def _row(task: LedgerTask, day) -> dict:
    state = task.state_on(day)
    return {
        "t": task,
        "state": state,
        "state_label": LedgerTask.State(state).label,
        "badge": STATE_BADGES[state],
        "days_overdue": task.days_overdue(day),
    }


def _render_detail(
    request: HttpRequest,
    task: LedgerTask,
    *,
    note_form: NoteForm | None = None,
    complete_form: CompleteForm | None = None,
    reason_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    day = clock.today()
    context = {
        "row": _row(task, day),
        "t": task,
        "notes": selectors.ledger_notes(task=task),
        "can_report": perms.can_report_progress(user, task, task.assisting_ids),
        "can_complete": perms.can_complete_task(user, task),
        "can_reopen": perms.can_reopen_task(user, task),
        "can_manage": perms.can_manage_ledger(user),
        "note_form": note_form or NoteForm(),
        "complete_form": complete_form or CompleteForm(),
        "reason_form": reason_form or ReasonForm(),
    }
    return render(request, "training/ledger/ledger_task_detail.html", context, status=status)


# --------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------


@role_required(*LEDGER_READERS)
@require_GET
def ledger_list(request: HttpRequest) -> HttpResponse:
    """The ledger: office and auditor all tasks, a clerk their department's; filter by derived
    state and by source, 25 a page."""
    campaign = _campaign()
    day = clock.today()
    state = request.GET.get("state", "")
    if state not in LedgerTask.State.values:
        state = ""
    source = request.GET.get("source", "")
    if source not in LedgerTask.Source.values:
        source = ""
    qs = selectors.ledger_list_for_user(
        user=request.user, campaign=campaign, state=state, source=source, day=day
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/ledger/ledger_list.html",
        {
            "page": page,
            "rows": [_row(task, day) for task in page.object_list],
            "state": state,
            "source": source,
            "states": LedgerTask.State.choices,
            "sources": LedgerTask.Source.choices,
            "counts": selectors.ledger_state_counts(user=request.user, campaign=campaign, day=day),
            "day": day,
            "can_manage": perms.can_manage_ledger(request.user),
        },
    )


@role_required(*LEDGER_READERS)
@require_GET
def ledger_task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _task(request, pk))


@role_required(Role.OFFICE)
def ledger_task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    if request.method == "POST":
        form = TaskForm(request.POST, with_reason=True)
        if form.is_valid():
            saved = submit(
                form,
                lambda: services.ledger_task_update(
                    task=task,
                    data=form.task_input(),
                    reason=form.cleaned_data.get("reason", ""),
                    actor=request.user,
                ),
            )
            if saved is not None:
                messages.success(request, "台帐任务已修改。")
                return redirect(_detail_url(task))
        form.mark_invalid()
        status = 400
    else:
        form = TaskForm(
            with_reason=True,
            initial={
                "title": task.title,
                "requirements": task.requirements,
                "lead_unit": task.lead_unit,
                "assisting_units": task.assisting,
                "leader": task.leader,
                "deadline": task.deadline,
            },
        )
        status = 200
    return render(
        request,
        "training/ledger/ledger_task_form.html",
        {"form": form, "t": task, "meeting": task.meeting},
        status=status,
    )


@role_required(*perms.UNIT_ROLES)
@require_POST
def ledger_note_create(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    if not perms.is_unit_clerk(request.user, task, task.assisting_ids):
        raise PermissionDenied
    form = NoteForm(request.POST)
    if not form.is_valid():
        form.mark_invalid()
        return _render_detail(request, task, note_form=form, status=400)
    saved = submit(
        form,
        lambda: services.ledger_note_create(
            task=task,
            text=form.cleaned_data["text"],
            percent=form.cleaned_data["percent"],
            reported_on=form.cleaned_data["reported_on"],
            actor=request.user,
        ),
        request=request,
    )
    if form.errors:
        return _render_detail(request, task, note_form=form, status=400)
    if saved is not None:
        messages.success(request, "进展情况已报告。")
    return redirect(_detail_url(task))


@role_required(*perms.UNIT_ROLES)
@require_POST
def ledger_task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    if not perms.is_lead_clerk(request.user, task):
        raise PermissionDenied
    form = CompleteForm(request.POST)
    if not form.is_valid():
        form.mark_invalid()
        return _render_detail(request, task, complete_form=form, status=400)
    saved = submit(
        form,
        lambda: services.ledger_task_complete(
            task=task,
            completed_on=form.cleaned_data["completed_on"],
            note=form.cleaned_data["note"],
            actor=request.user,
        ),
        request=request,
    )
    if form.errors:
        return _render_detail(request, task, complete_form=form, status=400)
    if saved is not None:
        messages.success(request, "任务已标记为完成。")
    return redirect(_detail_url(task))


@role_required(Role.OFFICE)
@require_POST
def ledger_task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        form.mark_invalid()
        return _render_detail(request, task, reason_form=form, status=400)
    saved = submit(
        form,
        lambda: services.ledger_task_reopen(
            task=task, reason=form.cleaned_data["reason"], actor=request.user
        ),
        request=request,
    )
    if form.errors:
        return _render_detail(request, task, reason_form=form, status=400)
    if saved is not None:
        messages.success(request, "任务已退回，重新列为未完成。")
    return redirect(_detail_url(task))


# --------------------------------------------------------------------------------------------
# Joint meetings
# --------------------------------------------------------------------------------------------


@role_required(*MEETING_READERS)
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    campaign = _campaign()
    page = Paginator(selectors.meeting_list(campaign=campaign), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "training/ledger/meeting_list.html",
        {"page": page, "can_manage": perms.can_manage_ledger(request.user)},
    )


@role_required(Role.OFFICE)
def meeting_create(request: HttpRequest) -> HttpResponse:
    campaign = _campaign()
    if request.method == "POST":
        form = MeetingForm(request.POST)
        if form.is_valid():
            meeting = submit(
                form,
                lambda: services.meeting_create(
                    campaign=campaign, data=form.meeting_input(), actor=request.user
                ),
            )
            if meeting is not None:
                messages.success(request, f"已登记{meeting}，请录入会议议定的工作任务。")
                return redirect("training:meeting_detail", pk=meeting.pk)
        form.mark_invalid()
        status = 400
    else:
        form = MeetingForm(initial={"held_on": clock.today()})
        status = 200
    return render(request, "training/ledger/meeting_form.html", {"form": form}, status=status)


@role_required(*MEETING_READERS)
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for_user(user=request.user, pk=pk)
    day = clock.today()
    return render(
        request,
        "training/ledger/meeting_detail.html",
        {
            "meeting": meeting,
            "units": meeting.attendee_units.order_by("sort_order"),
            "rows": [_row(task, day) for task in selectors.meeting_tasks(meeting=meeting)],
            "can_manage": perms.can_manage_ledger(request.user),
        },
    )


@role_required(Role.OFFICE)
def meeting_task_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A follow-up task decided at the meeting: it lands in the ledger (source 联席会议)."""
    meeting: JointMeeting = selectors.meeting_get_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        form = TaskForm(request.POST)
        if form.is_valid():
            task = submit(
                form,
                lambda: services.ledger_task_create(
                    meeting=meeting, data=form.task_input(), actor=request.user
                ),
            )
            if task is not None:
                messages.success(request, f"已将任务{task.code}列入工作台帐。")
                return redirect("training:meeting_detail", pk=meeting.pk)
        form.mark_invalid()
        status = 400
    else:
        form = TaskForm()
        status = 200
    return render(
        request,
        "training/ledger/ledger_task_form.html",
        {"form": form, "t": None, "meeting": meeting},
        status=status,
    )

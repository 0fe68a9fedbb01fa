"""Pages of training delivery: classes and their opening approval, spot checks, attendance,
results, job referrals and "三定" orders.

Each view: a decorator saying which roles may enter (others 403, anonymous to the login page) →
an access-checked selector (a class the user may not see is a 404) → a form that only parses →
a service → redirect, or a re-render with 400 on bad input. RuleViolation becomes a message,
PermissionDenied a 403. The forms live here because they serve only these pages.
"""

from __future__ import annotations

import io
from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from core import actions, clock
from core.actions import perform, submit
from core.decorators import role_required
from core.errors import RuleViolation
from core.permissions import is_office
from core.roles import Role
from core.xlsx import XlsxError
from training import selectors as training_selectors
from training.models import (
    Campaign,
    CooperationOrder,
    Enrollment,
    Inspection,
    Institution,
    JobReferral,
    Occupation,
    SpecialtyIndustry,
    TrainingCategory,
    TrainingClass,
)
from training.permissions import classes as perms
from training.selectors import classes as selectors
from training.services import classes as services

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CLASS_READERS = (Role.INSTITUTION, Role.CLERK, Role.REVIEWER, Role.OFFICE, Role.AUDITOR)
ORDER_READERS = (Role.INSTITUTION, Role.CLERK, Role.REVIEWER, Role.OFFICE, Role.AUDITOR)
STATUS_BADGES = {
    TrainingClass.Status.DRAFT: "secondary",
    TrainingClass.Status.SUBMITTED: "primary",
    TrainingClass.Status.APPROVED: "success",
    TrainingClass.Status.REFUSED: "danger",
    TrainingClass.Status.CLOSED: "dark",
}
PAGE_SIZE = 25


# --------------------------------------------------------------------------------------------
# Forms: they parse; the rules are the services'
# --------------------------------------------------------------------------------------------

DATE_WIDGET = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


def _date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=DATE_WIDGET, input_formats=["%Y-%m-%d"], **kwargs)


class BootstrapForm(forms.Form):
    """Bootstrap classes on every widget, and a red outline on the fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)

    def mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def add_service_errors(self, exc: ValidationError) -> None:
        actions.add_service_errors(self, exc)
        self.mark_invalid()


class ClassForm(BootstrapForm):
    name = forms.CharField(label=_("班级名称"), max_length=128)
    category = forms.ModelChoiceField(label=_("培训类别"), queryset=TrainingCategory.objects.none())
    occupation = forms.ModelChoiceField(label=_("职业（工种）"), queryset=Occupation.objects.all())
    kind = forms.ChoiceField(label=_("培训类型"), choices=TrainingClass.Kind.choices)
    specialty = forms.ModelChoiceField(
        label=_("特色产业"),
        queryset=SpecialtyIndustry.objects.none(),
        required=False,
        help_text=_("外县（市、区）的特色产业须为上门培训"),
    )
    order = forms.ModelChoiceField(
        label=_("“三定”订单"), queryset=CooperationOrder.objects.none(), required=False
    )
    on_site = forms.BooleanField(label=_("上门培训"), required=False)
    subsidised = forms.BooleanField(label=_("享受培训补贴"), required=False, initial=True)
    start_date = _date_field(_("开班日期"))
    end_date = _date_field(_("结业日期"))
    planned_sessions = forms.IntegerField(label=_("计划课次"), min_value=1, max_value=9999)
    capacity = forms.IntegerField(label=_("计划人数"), min_value=1, max_value=9999)
    teachers = forms.CharField(label=_("授课教师"), max_length=255)
    approval_form = forms.FileField(
        label=_("开班审批表"),
        required=False,
        help_text=_("PDF、Word、Excel或图片，不超过10 MB"),
    )
    teaching_plan = forms.FileField(
        label=_("教学计划"), required=False, help_text=_("PDF、Word、Excel或图片，不超过10 MB")
    )

    def __init__(self, *args, campaign: Campaign, institution: Institution, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = TrainingCategory.objects.filter(
            campaign=campaign
        ).select_related("department")
        self.fields["specialty"].queryset = SpecialtyIndustry.objects.filter(
            campaign=campaign
        ).select_related("county")
        self.fields["order"].queryset = CooperationOrder.objects.filter(
            campaign=campaign, institution=institution
        ).select_related("occupation")

    def class_input(self) -> services.ClassInput:
        data = self.cleaned_data
        return services.ClassInput(**{name: data[name] for name in services.ClassInput.FIELDS})

    @staticmethod
    def initial_from(training_class: TrainingClass) -> dict:
        return {name: getattr(training_class, name) for name in services.ClassInput.FIELDS}


class ReasonForm(BootstrapForm):
    reason = forms.CharField(
        label=_("审批意见"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AssignForm(BootstrapForm):
    inspector = forms.ModelChoiceField(label=_("检查人"), queryset=None)

    def __init__(self, *args, training_class: TrainingClass, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspector"].queryset = selectors.inspector_candidates(
            training_class=training_class
        )
        self.fields["inspector"].label_from_instance = lambda u: (
            f"{u}（{u.department.short_name}）" if u.department else str(u)
        )


YES_NO = [("", "—"), ("yes", _("在岗")), ("no", _("不在岗"))]


class InspectionForm(BootstrapForm):
    teaching_progress = forms.CharField(label=_("教学进度"), max_length=255)
    content = forms.CharField(label=_("教学内容"), max_length=255)
    teacher_present = forms.ChoiceField(label=_("教师在岗"), choices=YES_NO)
    students_present = forms.IntegerField(label=_("实到人数"), min_value=0, max_value=9999)
    findings = forms.CharField(
        label=_("检查发现"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    verdict = forms.ChoiceField(label=_("结论"), choices=[("", "—"), *Inspection.Verdict.choices])

    def inspection_input(self) -> services.InspectionInput:
        data = self.cleaned_data
        return services.InspectionInput(
            teaching_progress=data["teaching_progress"],
            content=data["content"],
            teacher_present={"yes": True, "no": False}.get(data["teacher_present"]),
            students_present=data["students_present"],
            findings=data["findings"],
            verdict=data["verdict"],
        )


class SessionForm(BootstrapForm):
    session_number = forms.IntegerField(label=_("课次"), min_value=1, max_value=9999)
    present = forms.MultipleChoiceField(
        label=_("出勤学员"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, enrollments: list[Enrollment], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [
            (str(e.pk), f"{e.worker.name}（{e.worker.id_number_masked}）") for e in enrollments
        ]

    def present_ids(self) -> list[int]:
        return [int(value) for value in self.cleaned_data["present"]]


class AttendanceUploadForm(BootstrapForm):
    sessions_held = forms.IntegerField(label=_("已上课次"), min_value=1, max_value=9999)
    file = forms.FileField(label=_("考勤汇总表（.xlsx）"))


class RosterUploadForm(BootstrapForm):
    file = forms.FileField(label=_("学员花名册（.xlsx）"))


class ReferralForm(BootstrapForm):
    employer = forms.CharField(label=_("推荐单位"), max_length=128)
    post = forms.CharField(label=_("推荐岗位"), max_length=64)
    referred_on = _date_field(_("推荐日期"))


class OutcomeForm(BootstrapForm):
    outcome = forms.ChoiceField(
        label=_("就业结果"),
        choices=[
            ("", "—"),
            *[c for c in JobReferral.Outcome.choices if c[0] != JobReferral.Outcome.PENDING],
        ],
    )
    outcome_on = _date_field(_("结果日期"))


class OrderForm(BootstrapForm):
    enterprise = forms.CharField(label=_("合作企业"), max_length=128)
    institution = forms.ModelChoiceField(label=_("培训机构"), queryset=Institution.objects.all())
    kind = forms.ChoiceField(label=_("类型"), choices=CooperationOrder.Kind.choices)
    occupation = forms.ModelChoiceField(label=_("职业（工种）"), queryset=Occupation.objects.all())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    yearly_target = forms.IntegerField(label=_("年度目标人数"), min_value=1, max_value=9_999_999)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_office(user):
            # Institution staff file orders for their own institution only.
            self.fields["institution"].queryset = Institution.objects.filter(pk=user.institution_id)
            self.fields["institution"].initial = user.institution_id

    def order_input(self) -> services.OrderInput:
        return services.OrderInput(
            **{
                name: self.cleaned_data[name]
                for name in ("enterprise", "institution", "kind", "occupation", "year")
            },
            yearly_target=self.cleaned_data["yearly_target"],
        )


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _campaign() -> Campaign:
    campaign = training_selectors.campaign_current()
    if campaign is None:
        raise Http404
    return campaign


def _detail_url(training_class: TrainingClass) -> str:
    return reverse("training:class_detail", args=[training_class.pk])


def _class(request: HttpRequest, pk: int) -> TrainingClass:
    return selectors.class_get_for_user(user=request.user, pk=pk)


def _badge(status: str) -> str:
    return STATUS_BADGES.get(status, "secondary")


def _upload_errors(
    request, *, training_class: TrainingClass, title: str, filename: str, errors: list[str]
) -> HttpResponse:
    return render(
        request,
        "training/classes/upload_errors.html",
        {
            "training_class": training_class,
            "title": title,
            "filename": filename,
            "errors": errors,
            "back_url": _detail_url(training_class),
        },
        status=400,
    )


def _render_detail(
    request,
    training_class: TrainingClass,
    *,
    reason_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    detail = selectors.class_detail(training_class=training_class)
    is_own = perms.can_run_class(user, training_class)
    can_assign = perms.can_assign_inspectors(user) and (
        training_class.status == TrainingClass.Status.APPROVED
    )
    # Spot checks are unannounced: the institution sees only those already done.
    inspections = [i for i in detail.inspections if not is_own or i.done_at is not None]
    candidates = (
        list(selectors.inspector_candidates(training_class=training_class)) if can_assign else []
    )
    context = {
        "c": training_class,
        "badge": _badge(training_class.status),
        "detail": detail,
        "inspections": inspections,
        "inspections_required": services.inspections_required(training_class),
        "is_own": is_own,
        "show_planned": not is_own,
        "can_edit": perms.can_edit_class(user, training_class),
        "can_decide": perms.can_decide_class(user, training_class)
        and training_class.status == TrainingClass.Status.SUBMITTED,
        "can_assign": can_assign,
        "candidates": candidates,
        "is_running": training_class.status == TrainingClass.Status.APPROVED,
        "results_open": services.results_open(training_class),
        "may_refer": training_class.status
        in (TrainingClass.Status.APPROVED, TrainingClass.Status.CLOSED),
        "reason_form": reason_form or ReasonForm(),
        "roster_form": RosterUploadForm(),
        "upload_form": AttendanceUploadForm(
            initial={"sessions_held": training_class.sessions_held or None}
        ),
        "threshold_percent": int(training_class.campaign.attendance_threshold * 100),
    }
    return render(request, "training/classes/class_detail.html", context, status=status)


def _rule_message(request, exc: RuleViolation) -> None:
    messages.error(request, exc.message)


# --------------------------------------------------------------------------------------------
# Classes
# --------------------------------------------------------------------------------------------


@role_required(*CLASS_READERS)
@require_GET
def class_list(request: HttpRequest) -> HttpResponse:
    """The classes the user may see (institution: own; clerk: own department's categories;
    reviewer, office, auditor: all), filterable by status, 25 a page."""
    campaign = _campaign()
    status = request.GET.get("status", "")
    if status not in TrainingClass.Status.values:
        status = ""
    search = request.GET.get("q", "")[:50]
    qs = selectors.class_list_for_user(
        user=request.user, campaign=campaign, status=status, search=search
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"c": c, "badge": _badge(c.status)} for c in page.object_list]
    return render(
        request,
        "training/classes/class_list.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "q": search,
            "statuses": TrainingClass.Status.choices,
            "can_create": request.user.has_role(Role.INSTITUTION)
            and request.user.institution_id is not None,
            "can_decide": request.user.has_role(Role.CLERK, Role.REVIEWER),
        },
    )


@role_required(Role.CLERK, Role.REVIEWER)
@require_GET
def class_queue(request: HttpRequest) -> HttpResponse:
    """Submitted classes waiting for the user's opening decision."""
    qs = selectors.class_queue_for_user(user=request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "training/classes/class_queue.html", {"page": page})


@role_required(Role.INSTITUTION)
def class_create(request: HttpRequest) -> HttpResponse:
    campaign = _campaign()
    institution = request.user.institution
    if institution is None:
        raise PermissionDenied
    if request.method == "POST":
        form = ClassForm(request.POST, request.FILES, campaign=campaign, institution=institution)
        if form.is_valid():
            training_class = submit(
                form,
                lambda: services.class_create(
                    campaign=campaign,
                    institution=institution,
                    data=form.class_input(),
                    approval_form=form.cleaned_data["approval_form"],
                    teaching_plan=form.cleaned_data["teaching_plan"],
                    actor=request.user,
                ),
            )
            if training_class is not None:
                messages.success(
                    request, f"已创建培训班 {training_class.code}。请上传学员花名册后提交开班审批。"
                )
                return redirect(_detail_url(training_class))
        form.mark_invalid()
        status = 400
    else:
        form = ClassForm(campaign=campaign, institution=institution)
        status = 200
    return render(
        request,
        "training/classes/class_form.html",
        {"form": form, "training_class": None, "institution": institution},
        status=status,
    )


@role_required(*CLASS_READERS)
@require_GET
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _class(request, pk))


@role_required(Role.INSTITUTION)
def class_edit(request: HttpRequest, pk: int) -> HttpResponse:
    training_class = _class(request, pk)
    if not perms.can_run_class(request.user, training_class):
        raise PermissionDenied
    if not perms.can_edit_class(request.user, training_class):
        messages.error(request, f"班级{training_class.get_status_display()}，不能修改。")
        return redirect(_detail_url(training_class))
    kwargs = {"campaign": training_class.campaign, "institution": training_class.institution}
    if request.method == "POST":
        form = ClassForm(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            saved = submit(
                form,
                lambda: services.class_update(
                    training_class=training_class,
                    data=form.class_input(),
                    approval_form=form.cleaned_data["approval_form"],
                    teaching_plan=form.cleaned_data["teaching_plan"],
                    actor=request.user,
                ),
            )
            if saved is not None:
                messages.success(request, "已保存修改。")
                return redirect(_detail_url(training_class))
        form.mark_invalid()
        status = 400
    else:
        form = ClassForm(initial=ClassForm.initial_from(training_class), **kwargs)
        status = 200
    return render(
        request,
        "training/classes/class_form.html",
        {"form": form, "training_class": training_class, "institution": training_class.institution},
        status=status,
    )


FILE_KINDS = {
    "approval-form": ("approval_form", "开班审批表"),
    "teaching-plan": ("teaching_plan", "教学计划"),
    "roster": ("roster_file", "学员花名册"),
}


@role_required(*CLASS_READERS)
@require_GET
def class_file(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """A class's uploaded document, to those who may see the class."""
    training_class = _class(request, pk)
    if kind not in FILE_KINDS:
        raise Http404
    field, label = FILE_KINDS[kind]
    stored = getattr(training_class, field)
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    extension = PurePath(stored.name).suffix.lower()
    return FileResponse(
        handle, as_attachment=True, filename=f"{label}-{training_class.code}{extension}"
    )


@role_required(Role.INSTITUTION)
@require_POST
def class_roster_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace the class's roster from an xlsx (all or nothing); errors listed by row."""
    from training.services import workers as worker_services

    training_class = _class(request, pk)
    if not perms.can_run_class(request.user, training_class):
        raise PermissionDenied
    form = RosterUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_errors(
            request,
            training_class=training_class,
            title="学员花名册",
            filename="",
            errors=["请选择要上传的学员花名册（.xlsx）"],
        )
    upload = form.cleaned_data["file"]
    try:
        enrollments = worker_services.roster_import(
            training_class=training_class,
            fileobj=upload,
            filename=upload.name,
            actor=request.user,
        )
    except XlsxError as exc:
        return _upload_errors(
            request,
            training_class=training_class,
            title="学员花名册",
            filename=upload.name,
            errors=exc.messages,
        )
    except ValidationError as exc:
        return _upload_errors(
            request,
            training_class=training_class,
            title="学员花名册",
            filename=upload.name,
            errors=exc.messages,
        )
    except RuleViolation as exc:
        _rule_message(request, exc)
        return redirect(_detail_url(training_class))
    messages.success(request, f"已导入学员花名册，共{len(enrollments)}人。")
    return redirect(_detail_url(training_class))


@role_required(Role.INSTITUTION)
@require_POST
def class_submit(request: HttpRequest, pk: int) -> HttpResponse:
    training_class = _class(request, pk)
    perform(
        request,
        lambda: services.class_submit(training_class=training_class, actor=request.user),
        success="已提交开班审批。",
    )
    return redirect(_detail_url(training_class))


@role_required(Role.CLERK, Role.REVIEWER)
@require_POST
def class_approve(request: HttpRequest, pk: int) -> HttpResponse:
    training_class = _class(request, pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        approved = services.class_approve(
            training_class=training_class,
            reason=form.cleaned_data.get("reason", ""),
            actor=request.user,
        )
    except RuleViolation as exc:
        _rule_message(request, exc)
    else:
        count = approved.inspections.count()
        messages.success(request, f"已批准开班，并已随机安排{count}次抽查。")
        if count < approved.campaign.min_inspections_per_class:
            messages.warning(
                request,
                f"班期只有{count}天，少于每班最少抽查次数"
                f"{approved.campaign.min_inspections_per_class}次，已按每天一次安排。",
            )
    return redirect(_detail_url(training_class))


@role_required(Role.CLERK, Role.REVIEWER)
@require_POST
def class_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    training_class = _class(request, pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.class_refuse(
            training_class=training_class,
            reason=form.cleaned_data.get("reason", ""),
            actor=request.user,
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _render_detail(request, training_class, reason_form=form, status=400)
    except RuleViolation as exc:
        _rule_message(request, exc)
    else:
        messages.success(request, "已作出不予批准决定，机构可修改后重新提交。")
    return redirect(_detail_url(training_class))


@role_required(Role.INSTITUTION)
@require_POST
def class_close(request: HttpRequest, pk: int) -> HttpResponse:
    training_class = _class(request, pk)
    perform(
        request,
        lambda: services.class_close(training_class=training_class, actor=request.user),
        success="班级已结业。",
    )
    return redirect(_detail_url(training_class))


# --------------------------------------------------------------------------------------------
# Attendance and results
# --------------------------------------------------------------------------------------------


def _own_class(request: HttpRequest, pk: int) -> TrainingClass:
    training_class = _class(request, pk)
    if not perms.can_run_class(request.user, training_class):
        raise PermissionDenied
    return training_class


@role_required(Role.INSTITUTION)
def class_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Enter (or correct) one session: tick the trainees present."""
    training_class = _own_class(request, pk)
    enrollments = list(training_class.enrollments.select_related("worker").order_by("pk"))
    status = 200
    if request.method == "POST":
        form = SessionForm(request.POST, enrollments=enrollments)
        if form.is_valid():
            saved = submit(
                form,
                lambda: services.attendance_record_session(
                    training_class=training_class,
                    session_number=form.cleaned_data["session_number"],
                    present=form.present_ids(),
                    actor=request.user,
                ),
            )
            if saved is not None:
                messages.success(
                    request,
                    f"已登记第{form.cleaned_data['session_number']}次课考勤"
                    f"（出勤{len(form.present_ids())}人）。",
                )
                return redirect(_detail_url(training_class))
        form.mark_invalid()
        status = 400
    else:
        session = request.GET.get("session", "")
        number = (
            int(session)
            if session.isdigit()
            else min(training_class.sessions_held + 1, training_class.planned_sessions)
        )
        present = [
            str(pk)
            for pk in Enrollment.objects.filter(
                training_class=training_class,
                attendance_records__session_number=number,
                attendance_records__present=True,
            ).values_list("pk", flat=True)
        ]
        form = SessionForm(
            initial={"session_number": number, "present": present}, enrollments=enrollments
        )
    return render(
        request,
        "training/classes/attendance_form.html",
        {
            "c": training_class,
            "form": form,
            "sessions": range(1, training_class.planned_sessions + 1),
        },
        status=status,
    )


@role_required(Role.INSTITUTION)
@require_POST
def class_attendance_upload(request: HttpRequest, pk: int) -> HttpResponse:
    training_class = _own_class(request, pk)
    form = AttendanceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [f"{form.fields[k].label}：{'；'.join(v)}" for k, v in form.errors.items()]
        return _upload_errors(
            request, training_class=training_class, title="考勤汇总表", filename="", errors=errors
        )
    upload = form.cleaned_data["file"]
    try:
        services.attendance_upload(
            training_class=training_class,
            fileobj=upload,
            filename=upload.name,
            sessions_held=form.cleaned_data["sessions_held"],
            actor=request.user,
        )
    except XlsxError as exc:
        errors = exc.messages
    except ValidationError as exc:
        errors = exc.messages
    except RuleViolation as exc:
        _rule_message(request, exc)
        return redirect(_detail_url(training_class))
    else:
        messages.success(request, "已导入考勤汇总表。")
        return redirect(_detail_url(training_class))
    return _upload_errors(
        request,
        training_class=training_class,
        title="考勤汇总表",
        filename=upload.name,
        errors=errors,
    )


@role_required(Role.INSTITUTION)
@require_GET
def class_attendance_template(request: HttpRequest, pk: int) -> FileResponse:
    training_class = _own_class(request, pk)
    buffer = io.BytesIO()
    services.attendance_template_write(buffer, training_class=training_class)
    buffer.seek(0)
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=f"考勤汇总表-{training_class.code}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


RESULT_CHOICES = Enrollment.Result.choices


@role_required(Role.INSTITUTION)
def class_results(request: HttpRequest, pk: int) -> HttpResponse:
    """结业考核: 合格 / 不合格 per trainee, on one page."""
    training_class = _own_class(request, pk)
    enrollments = list(training_class.enrollments.select_related("worker").order_by("pk"))
    errors: dict[str, list[str]] = {}
    non_field: list[str] = []
    status = 200
    chosen = {e.pk: e.result for e in enrollments}
    if request.method == "POST":
        results = {}
        for enrollment in enrollments:
            value = request.POST.get(f"result_{enrollment.pk}", enrollment.result)
            results[enrollment.pk] = value
            chosen[enrollment.pk] = value
        try:
            services.results_record(
                training_class=training_class, results=results, actor=request.user
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                errors = exc.message_dict
            else:
                non_field = exc.messages
            status = 400
        except RuleViolation as exc:
            non_field = [exc.message]
            status = 400
        else:
            messages.success(request, "已保存结业考核结果。")
            return redirect(_detail_url(training_class))
    rows = [
        {
            "e": e,
            "value": chosen[e.pk],
            "errors": errors.get(f"result_{e.pk}", []),
            "attendance": selectors.attendance_status(e, training_class),
        }
        for e in enrollments
    ]
    return render(
        request,
        "training/classes/results_form.html",
        {
            "c": training_class,
            "rows": rows,
            "choices": RESULT_CHOICES,
            "non_field_errors": non_field + errors.get("results", []),
            "results_open": services.results_open(training_class),
        },
        status=status,
    )


# --------------------------------------------------------------------------------------------
# Referrals
# --------------------------------------------------------------------------------------------


@role_required(Role.INSTITUTION)
def referral_create(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = selectors.enrollment_get_for_user(user=request.user, pk=pk)
    training_class = enrollment.training_class
    if not perms.can_run_class(request.user, training_class):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = ReferralForm(request.POST)
        if form.is_valid():
            saved = submit(
                form,
                lambda: services.referral_create(
                    enrollment=enrollment,
                    employer=form.cleaned_data["employer"],
                    post=form.cleaned_data["post"],
                    referred_on=form.cleaned_data["referred_on"],
                    actor=request.user,
                ),
            )
            if saved is not None:
                messages.success(request, f"已登记{enrollment.worker.name}的就业推荐。")
                return redirect(_detail_url(training_class))
        form.mark_invalid()
        status = 400
    else:
        form = ReferralForm(initial={"referred_on": clock.today()})
    return render(
        request,
        "training/classes/referral_form.html",
        {"c": training_class, "enrollment": enrollment, "form": form, "referral": None},
        status=status,
    )


@role_required(Role.INSTITUTION)
def referral_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.referral_get_for_user(user=request.user, pk=pk)
    enrollment = referral.enrollment
    training_class = enrollment.training_class
    if not perms.can_run_class(request.user, training_class):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = OutcomeForm(request.POST)
        if form.is_valid():
            saved = submit(
                form,
                lambda: services.referral_update_outcome(
                    referral=referral,
                    outcome=form.cleaned_data["outcome"],
                    outcome_on=form.cleaned_data["outcome_on"],
                    actor=request.user,
                ),
            )
            if saved is not None:
                messages.success(request, f"已登记{enrollment.worker.name}的就业结果。")
                return redirect(_detail_url(training_class))
        form.mark_invalid()
        status = 400
    else:
        form = OutcomeForm(
            initial={
                "outcome": ""
                if referral.outcome == JobReferral.Outcome.PENDING
                else referral.outcome,
                "outcome_on": referral.outcome_on or clock.today(),
            }
        )
    return render(
        request,
        "training/classes/referral_form.html",
        {"c": training_class, "enrollment": enrollment, "form": form, "referral": referral},
        status=status,
    )


# --------------------------------------------------------------------------------------------
# Inspections
# --------------------------------------------------------------------------------------------


@role_required(Role.OFFICE, Role.REVIEWER, Role.CLERK, Role.AUDITOR)
@require_GET
def inspection_list(request: HttpRequest) -> HttpResponse:
    """The office's (and auditor's) view of every planned spot check; an inspector's own."""
    pending = request.GET.get("pending") == "1"
    qs = selectors.inspection_list_for_user(user=request.user, pending_only=pending)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "training/classes/inspection_list.html",
        {
            "page": page,
            "pending": pending,
            "is_office": perms.can_assign_inspectors(request.user),
            "today": clock.today(),
        },
    )


@role_required(Role.OFFICE)
@require_POST
def inspection_assign(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = selectors.inspection_get_for_user(user=request.user, pk=pk)
    training_class = inspection.training_class
    form = AssignForm(request.POST, training_class=training_class)
    if not form.is_valid():
        messages.error(request, "请选择检查人。")
        return redirect(_detail_url(training_class))
    inspector = form.cleaned_data["inspector"]
    perform(
        request,
        lambda: services.inspection_assign(
            inspection=inspection, inspector=inspector, actor=request.user
        ),
        success=f"已指派{inspector}负责{inspection.planned_date:%Y-%m-%d}的抽查。",
    )
    return redirect(_detail_url(training_class))


@role_required(Role.OFFICE, Role.REVIEWER, Role.CLERK)
def inspection_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The assigned inspector's form for one spot check."""
    inspection = selectors.inspection_get_for_user(user=request.user, pk=pk)
    if not perms.can_record_inspection(request.user, inspection):
        raise PermissionDenied
    training_class = inspection.training_class
    on_roster = training_class.enrollments.count()
    status = 200
    if request.method == "POST" and inspection.done_at is None:
        form = InspectionForm(request.POST)
        if form.is_valid():
            saved = submit(
                form,
                lambda: services.inspection_record(
                    inspection=inspection, data=form.inspection_input(), actor=request.user
                ),
            )
            if saved is not None:
                messages.success(request, "已登记抽查结果。")
                return redirect(reverse("training:inspection_list"))
        form.mark_invalid()
        status = 400
    else:
        form = InspectionForm()
    return render(
        request,
        "training/classes/inspection_form.html",
        {"inspection": inspection, "c": training_class, "form": form, "on_roster": on_roster},
        status=status,
    )


# --------------------------------------------------------------------------------------------
# "三定" orders
# --------------------------------------------------------------------------------------------


@role_required(*ORDER_READERS)
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    """Orders with their progress for the year: trainees of approved or closed linked classes
    starting that year, against the yearly target."""
    campaign = _campaign()
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdigit() else None
    orders = selectors.order_list_for_user(user=request.user, campaign=campaign, year=year)
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    rows = [
        {
            "o": order,
            "percent": selectors.percent(order.progress, order.yearly_target),
            "can_manage": perms.can_manage_order(request.user, order.institution_id),
        }
        for order in page.object_list
    ]
    years = range(campaign.start_date.year, campaign.end_date.year + 1)
    return render(
        request,
        "training/classes/order_list.html",
        {
            "page": page,
            "rows": rows,
            "year": year,
            "years": years,
            "can_create": is_office(request.user)
            or (request.user.has_role(Role.INSTITUTION) and request.user.institution_id),
        },
    )


@role_required(Role.OFFICE, Role.INSTITUTION)
def order_create(request: HttpRequest) -> HttpResponse:
    campaign = _campaign()
    status = 200
    if request.method == "POST":
        form = OrderForm(request.POST, user=request.user)
        if form.is_valid():
            saved = submit(
                form,
                lambda: services.order_create(
                    campaign=campaign, data=form.order_input(), actor=request.user
                ),
            )
            if saved is not None:
                messages.success(request, "已登记“三定”订单。")
                return redirect(reverse("training:order_list"))
        form.mark_invalid()
        status = 400
    else:
        form = OrderForm(user=request.user, initial={"year": clock.today().year})
    return render(
        request, "training/classes/order_form.html", {"form": form, "order": None}, status=status
    )


@role_required(Role.OFFICE, Role.INSTITUTION)
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, pk=pk)
    if not perms.can_manage_order(request.user, order.institution_id):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = OrderForm(request.POST, user=request.user)
        if form.is_valid():
            saved = submit(
                form,
                lambda: services.order_update(
                    order=order, data=form.order_input(), actor=request.user
                ),
            )
            if saved is not None:
                messages.success(request, "已保存订单。")
                return redirect(reverse("training:order_list"))
        form.mark_invalid()
        status = 400
    else:
        form = OrderForm(
            user=request.user,
            initial={
                "enterprise": order.enterprise,
                "institution": order.institution_id,
                "kind": order.kind,
                "occupation": order.occupation_id,
                "year": order.year,
                "yearly_target": order.yearly_target,
            },
        )
    return render(
        request, "training/classes/order_form.html", {"form": form, "order": order}, status=status
    )


@role_required(Role.OFFICE, Role.INSTITUTION)
@require_POST
def order_delete(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, pk=pk)
    perform(
        request,
        lambda: services.order_delete(order=order, actor=request.user),
        success="已删除订单。",
    )
    return redirect(reverse("training:order_list"))

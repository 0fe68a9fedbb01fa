"""Pages for sittings (考试场次): the body's staff set sittings, schedule registrations, record
results by hand or by xlsx upload, and see the certificates issued. A sitting of a body the user
does not staff is a 404; the office and the auditor read every sitting.
"""

import io
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appraisal import permissions as perms
from appraisal import selectors
from appraisal.models import CertificateKind, Level, Registration, Sitting
from appraisal.services import results as services
from appraisal.views import date_field
from core import clock
from core.actions import submit
from core.decorators import role_required
from core.errors import RuleViolation
from core.roles import Role
from core.xlsx import XlsxError
from training.models import Occupation

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SITTING_READERS = (Role.REVIEWER, Role.OFFICE, Role.AUDITOR)
PAGE_SIZE = 25


class SittingForm(forms.Form):
    body = forms.ModelChoiceField(queryset=None, label="鉴定机构", empty_label=None)
    occupation = forms.ModelChoiceField(
        Occupation.objects.order_by("code"), label="职业（工种）", empty_label="（请选择）"
    )
    level = forms.TypedChoiceField(
        label="等级", choices=[("", "（请选择）"), *sorted(Level.choices, reverse=True)], coerce=int
    )
    exam_date = date_field("考试日期")
    place = forms.CharField(label="考试地点", max_length=255)
    capacity = forms.IntegerField(label="考位数", min_value=1, max_value=10_000)
    pass_mark = forms.DecimalField(
        label="合格分数线", min_value=0, max_value=100, decimal_places=1, initial=Decimal("60")
    )
    certificate_kind = forms.ChoiceField(
        label="颁发证书类型", choices=CertificateKind.choices, initial=CertificateKind.QUALIFICATION
    )

    def __init__(self, *args, bodies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = bodies

    def sitting_input(self) -> services.SittingInput:
        data = self.cleaned_data
        return services.SittingInput(
            occupation=data["occupation"],
            level=data["level"],
            exam_date=data["exam_date"],
            place=data["place"],
            capacity=data["capacity"],
            pass_mark=data["pass_mark"],
            certificate_kind=data["certificate_kind"],
        )


class UploadForm(forms.Form):
    file = forms.FileField(label="成绩表（xlsx）")


def _sitting(request, pk: int) -> Sitting:
    return selectors.sitting_get_for_user(user=request.user, pk=pk)


def _own_sitting(request, pk: int) -> Sitting:
    sitting = _sitting(request, pk)
    if not perms.can_run_sitting(request.user, sitting):
        raise PermissionDenied
    return sitting


@role_required(*SITTING_READERS)
@require_GET
def sitting_list(request: HttpRequest) -> HttpResponse:
    """The sittings of the user's bodies (office, auditor: all), newest first, 25 a page."""
    page = Paginator(selectors.sitting_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "appraisal/sittings/sitting_list.html",
        {
            "page": page,
            "sittings": page.object_list,
            "can_create": bool(perms.staff_body_ids(request.user)),
        },
    )


@role_required(Role.REVIEWER)
@require_http_methods(["GET", "POST"])
def sitting_create(request: HttpRequest) -> HttpResponse:
    bodies = selectors.bodies_of_staff(request.user)
    if not bodies.exists():
        raise PermissionDenied
    form = SittingForm(request.POST or None, bodies=bodies)
    if request.method == "POST" and form.is_valid():
        sitting = submit(
            form,
            lambda: services.sitting_create(
                body=form.cleaned_data["body"], data=form.sitting_input(), actor=request.user
            ),
        )
        if sitting is not None:
            messages.success(request, "已新增考试场次。")
            return redirect("appraisal:sitting_detail", pk=sitting.pk)
    return render(
        request,
        "appraisal/sittings/sitting_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _render_detail(request, sitting, *, schedule_errors=None, status=200) -> HttpResponse:
    can_run = perms.can_run_sitting(request.user, sitting)
    registrations = list(selectors.sitting_registrations(sitting))
    seated = [r for r in registrations if r.status in services.SEATED]
    schedulable = can_run and sitting.exam_date >= clock.today()
    return render(
        request,
        "appraisal/sittings/sitting_detail.html",
        {
            "s": sitting,
            "registrations": registrations,
            "seated": len(seated),
            "free": sitting.capacity - len(seated),
            "certificates": [r.certificate for r in registrations if hasattr(r, "certificate")],
            "candidates": list(selectors.schedule_candidates(sitting)[:200]) if schedulable else [],
            "can_run": can_run,
            "schedulable": schedulable,
            "unschedulable": can_run and sitting.exam_date > clock.today(),
            "results_open": services.results_open(sitting),
            "pending": sum(1 for r in registrations if r.status == Registration.Status.SCHEDULED),
            "upload_form": UploadForm(),
            "schedule_errors": schedule_errors or [],
        },
        status=status,
    )


@role_required(*SITTING_READERS)
@require_GET
def sitting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _sitting(request, pk))


@role_required(Role.REVIEWER)
@require_POST
def sitting_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Schedule the ticked registrations into the sitting."""
    sitting = _own_sitting(request, pk)
    ids = [int(v) for v in request.POST.getlist("registration") if v.isdigit()]
    chosen = list(Registration.objects.filter(pk__in=ids))
    if len(chosen) != len(set(ids)) or not ids:
        return _render_detail(request, sitting, schedule_errors=["请选择要安排的报名"], status=400)
    try:
        services.sitting_schedule(sitting=sitting, registrations=chosen, actor=request.user)
    except ValidationError as exc:
        return _render_detail(request, sitting, schedule_errors=exc.messages, status=400)
    except RuleViolation as exc:
        return _render_detail(request, sitting, schedule_errors=[exc.message], status=400)
    messages.success(request, f"已安排{len(chosen)}名考生。")
    return redirect("appraisal:sitting_detail", pk=sitting.pk)


@role_required(Role.REVIEWER)
@require_POST
def sitting_unschedule(request: HttpRequest, pk: int, registration_pk: int) -> HttpResponse:
    sitting = _own_sitting(request, pk)
    registration = Registration.objects.filter(pk=registration_pk, sitting=sitting).first()
    if registration is None:
        return _render_detail(request, sitting, schedule_errors=["该报名不在本场次"], status=400)
    try:
        services.sitting_unschedule(sitting=sitting, registration=registration, actor=request.user)
    except (ValidationError, RuleViolation) as exc:
        message = exc.message if isinstance(exc, RuleViolation) else "；".join(exc.messages)
        messages.error(request, message)
    else:
        messages.success(request, f"已将{registration.code}移出本场次。")
    return redirect("appraisal:sitting_detail", pk=sitting.pk)


def _parse_score(raw: str):
    raw = (raw or "").strip()
    if not raw:
        return None, False
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None, True
    if not value.is_finite():
        return None, True
    return value, False


@role_required(Role.REVIEWER)
@require_http_methods(["GET", "POST"])
def sitting_results(request: HttpRequest, pk: int) -> HttpResponse:
    """Enter theory and practical scores (or 缺考) for the scheduled candidates; rows left empty
    are skipped. All or nothing."""
    sitting = _own_sitting(request, pk)
    pending = list(
        selectors.sitting_registrations(sitting).filter(status=Registration.Status.SCHEDULED)
    )
    errors: dict[str, list[str]] = {}
    non_field: list[str] = []
    values: dict[int, dict] = {
        r.pk: {"theory": "", "practical": "", "absent": False} for r in pending
    }
    status = 200
    if request.method == "POST":
        entries = {}
        for registration in pending:
            theory_raw = request.POST.get(f"theory_{registration.pk}", "")
            practical_raw = request.POST.get(f"practical_{registration.pk}", "")
            absent = request.POST.get(f"absent_{registration.pk}") == "on"
            values[registration.pk] = {
                "theory": theory_raw[:10],
                "practical": practical_raw[:10],
                "absent": absent,
            }
            theory, bad_theory = _parse_score(theory_raw)
            practical, bad_practical = _parse_score(practical_raw)
            if bad_theory or bad_practical:
                errors[f"result_{registration.pk}"] = ["成绩应为0到100之间的数字"]
                continue
            if absent or theory is not None or practical is not None:
                entries[registration.pk] = services.ResultEntry(
                    theory=theory, practical=practical, absent=absent
                )
        if not errors:
            try:
                counts = services.results_record(
                    sitting=sitting, entries=entries, actor=request.user
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    errors = exc.message_dict
                else:
                    non_field = exc.messages
            except RuleViolation as exc:
                non_field = [exc.message]
            else:
                messages.success(
                    request,
                    f"已录入成绩：合格{counts['passed']}人，不合格{counts['failed']}人，"
                    f"缺考{counts['absent']}人；合格者已颁发证书。",
                )
                return redirect("appraisal:sitting_detail", pk=sitting.pk)
        status = 400
    rows = [
        {"r": r, "value": values[r.pk], "errors": errors.get(f"result_{r.pk}", [])} for r in pending
    ]
    return render(
        request,
        "appraisal/sittings/results_form.html",
        {
            "s": sitting,
            "rows": rows,
            "non_field_errors": non_field + errors.get("results", []),
            "results_open": services.results_open(sitting),
        },
        status=status,
    )


@role_required(Role.REVIEWER)
@require_POST
def results_upload(request: HttpRequest, pk: int) -> HttpResponse:
    sitting = _own_sitting(request, pk)
    form = UploadForm(request.POST, request.FILES)
    filename = ""
    if not form.is_valid():
        errors = ["请选择要上传的成绩表（xlsx）"]
    else:
        upload = form.cleaned_data["file"]
        filename = upload.name
        try:
            counts = services.results_upload(
                sitting=sitting, fileobj=upload, filename=upload.name, actor=request.user
            )
        except XlsxError as exc:
            errors = exc.messages
        except RuleViolation as exc:
            errors = [exc.message]
        else:
            messages.success(
                request,
                f"已导入成绩：合格{counts['passed']}人，不合格{counts['failed']}人，"
                f"缺考{counts['absent']}人；合格者已颁发证书。",
            )
            return redirect("appraisal:sitting_detail", pk=sitting.pk)
    return render(
        request,
        "appraisal/sittings/upload_errors.html",
        {"s": sitting, "filename": filename, "errors": errors},
        status=400,
    )


@role_required(Role.REVIEWER)
@require_GET
def results_template(request: HttpRequest, pk: int) -> FileResponse:
    """The results sheet pre-filled with the sitting's scheduled candidates."""
    sitting = _own_sitting(request, pk)
    buffer = io.BytesIO()
    services.results_template_write(buffer, sitting=sitting)
    buffer.seek(0)
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=f"成绩表-场次{sitting.pk}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )

"""Labour-market pages: job fairs and the demand collected at them, survey demand, and the
supply–demand analysis reports (compute a draft, publish, read, download).

Who may enter what is in training.permissions.labour_market; selectors return 404 for what the
user may not see (another department's fair, a draft report for anyone but the office).
"""

import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from core import clock
from core.actions import submit
from core.decorators import role_required
from core.exports import write_exporters
from core.models import County, Department
from core.permissions import is_office
from core.roles import Role
from training import selectors as training_selectors
from training.exports_labour import ReportExporter
from training.models import Occupation, SkillDemand
from training.permissions import labour_market as perms
from training.selectors import labour_market as selectors
from training.services import labour_market as services

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FAIR_ROLES = (Role.OFFICE, Role.AUDITOR, Role.CLERK)
REPORT_ROLES = tuple(perms.REPORT_READERS)
PAGE_SIZE = 50


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class JobFairForm(forms.Form):
    name = forms.CharField(label=_("招聘会名称"), max_length=128)
    held_on = forms.DateField(label=_("举办日期"), widget=DateInput())
    place = forms.CharField(label=_("举办地点"), max_length=128)
    organiser = forms.ModelChoiceField(label=_("主办单位"), queryset=Department.objects.none())
    county = forms.ModelChoiceField(
        label=_("县（市、区）"), queryset=County.objects.order_by("sort_order"), required=False
    )
    employers = forms.IntegerField(label=_("参会用人单位（家）"), min_value=0)
    posts_offered = forms.IntegerField(label=_("提供岗位（个）"), min_value=0)
    attendees = forms.IntegerField(label=_("入场求职人数"), min_value=0)
    hires = forms.IntegerField(label=_("达成就业意向（人）"), min_value=0)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.order_by("sort_order")
        if not is_office(user):
            departments = departments.filter(pk=user.department_id)
        self.fields["organiser"].queryset = departments


class DemandForm(forms.Form):
    employer = forms.CharField(label=_("用人单位"), max_length=128)
    occupation = forms.ModelChoiceField(
        label=_("职业（工种）"), queryset=Occupation.objects.order_by("code")
    )
    level = forms.TypedChoiceField(
        label=_("等级要求"), choices=SkillDemand.Level.choices, coerce=int, initial=0
    )
    count = forms.IntegerField(label=_("需求人数"), min_value=1, max_value=100000)


class SurveyDemandForm(DemandForm):
    month = forms.DateField(
        label=_("需求月份"), widget=DateInput(), help_text=_("填写该月任意一天即可")
    )


class ReportForm(forms.Form):
    period_start = forms.DateField(label=_("起始月份（该月任一天）"), widget=DateInput())
    period_end = forms.DateField(label=_("截止月份（该月任一天）"), widget=DateInput())
    title = forms.CharField(label=_("报告标题"), max_length=128, required=False)


class PublishForm(forms.Form):
    summary = forms.CharField(
        label=_("分析意见"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )


# ------------------------------------------------------------------------------
# Job fairs and demand
# ------------------------------------------------------------------------------


@role_required(*FAIR_ROLES)
@require_GET
def job_fair_list(request):
    user = request.user
    page = Paginator(selectors.job_fair_list(user=user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "training/labour_market/job_fair_list.html",
        {
            "page": page,
            "can_record": is_office(user) or perms.is_department_clerk(user),
            "can_survey": perms.can_record_survey(user),
        },
    )


@role_required(Role.OFFICE, Role.CLERK)
def job_fair_create(request):
    form = JobFairForm(request.POST or None, user=request.user)
    template = "training/labour_market/job_fair_form.html"
    if request.method == "POST":
        if form.is_valid():
            fair = submit(
                form,
                lambda: services.job_fair_create(
                    campaign=training_selectors.campaign_current(),
                    data=form.cleaned_data,
                    actor=request.user,
                ),
            )
            if fair is not None:
                messages.success(request, f"已录入招聘会“{fair.name}”。")
                return redirect("training:job_fair_detail", pk=fair.pk)
        return render(request, template, {"form": form}, status=400)
    return render(request, template, {"form": form})


def _render_fair(request, fair, *, form=None, status=200):
    return render(
        request,
        "training/labour_market/job_fair_detail.html",
        {
            "fair": fair,
            "demands": list(fair.demands.all()),
            "can_record": perms.can_record_fair(request.user, fair.organiser),
            "form": form or DemandForm(),
        },
        status=status,
    )


@role_required(*FAIR_ROLES)
@require_GET
def job_fair_detail(request, pk: int):
    fair = selectors.job_fair_get_for_user(user=request.user, pk=pk)
    return _render_fair(request, fair)


@role_required(Role.OFFICE, Role.CLERK)
@require_POST
def job_fair_demand_create(request, pk: int):
    fair = selectors.job_fair_get_for_user(user=request.user, pk=pk)
    if not perms.can_record_fair(request.user, fair.organiser):
        raise PermissionDenied
    form = DemandForm(request.POST)
    if form.is_valid():
        saved = submit(
            form,
            lambda: services.skill_demand_add(
                campaign=fair.campaign, job_fair=fair, data=form.cleaned_data, actor=request.user
            ),
        )
        if saved is not None:
            messages.success(request, "已录入用工需求。")
            return redirect("training:job_fair_detail", pk=fair.pk)
    return _render_fair(request, fair, form=form, status=400)


@role_required(Role.OFFICE, Role.AUDITOR)
def survey_demand(request):
    """Demand from employer surveys (用工调查): the list for the city-wide readers, the form for
    the office."""
    template = "training/labour_market/survey_demand.html"
    can_record = perms.can_record_survey(request.user)
    form = SurveyDemandForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        if form.is_valid():
            saved = submit(
                form,
                lambda: services.skill_demand_add(
                    campaign=training_selectors.campaign_current(),
                    data=form.cleaned_data,
                    actor=request.user,
                ),
            )
            if saved is not None:
                messages.success(request, "已录入用工调查需求。")
                return redirect("training:survey_demand")
        status = 400
    page = Paginator(selectors.survey_demand_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, template, {"page": page, "form": form, "can_record": can_record}, status=status
    )


# ------------------------------------------------------------------------------
# Reports
# ------------------------------------------------------------------------------


def _render_report_list(request, *, form=None, status=200):
    return render(
        request,
        "training/labour_market/report_list.html",
        {
            "reports": list(selectors.report_list(user=request.user)),
            "can_compute": perms.can_compute_report(request.user),
            "form": form or ReportForm(),
        },
        status=status,
    )


@role_required(*REPORT_ROLES)
@require_GET
def supply_report_list(request):
    return _render_report_list(request)


@role_required(Role.OFFICE)
@require_POST
def supply_report_compute(request):
    """Compute (or recompute) the draft for a period, then show it."""
    form = ReportForm(request.POST)
    if form.is_valid():
        report = submit(
            form,
            lambda: services.report_compute(
                campaign=training_selectors.campaign_current(),
                actor=request.user,
                **form.cleaned_data,
            ),
        )
        if report is not None:
            messages.success(request, f"已计算“{report.title}”（草稿）。")
            return redirect("training:supply_report_detail", pk=report.pk)
    return _render_report_list(request, form=form, status=400)


def _render_report(request, report, *, form=None, status=200):
    rows = [
        {"obj": row, "ratio": selectors.ratio(row.demand, row.certified)}
        for row in selectors.report_rows(report=report)
    ]
    return render(
        request,
        "training/labour_market/report_detail.html",
        {
            "report": report,
            "rows": rows,
            "totals": {
                key: sum(getattr(r["obj"], key) for r in rows)
                for key in ("trained", "certified", "demand", "gap")
            },
            "can_publish": perms.can_compute_report(request.user)
            and report.status == report.Status.DRAFT,
            "form": form or PublishForm(),
        },
        status=status,
    )


@role_required(*REPORT_ROLES)
@require_GET
def supply_report_detail(request, pk: int):
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    return _render_report(request, report)


@role_required(Role.OFFICE)
@require_POST
def supply_report_publish(request, pk: int):
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    form = PublishForm(request.POST)
    if form.is_valid():
        saved = submit(
            form,
            lambda: services.report_publish(
                report=report, summary=form.cleaned_data["summary"], actor=request.user
            ),
        )
        if saved is not None:
            messages.success(request, "报告已发布。")
            return redirect("training:supply_report_detail", pk=report.pk)
    return _render_report(request, report, form=form, status=400)


@role_required(*REPORT_ROLES)
@require_GET
def supply_report_download(request, pk: int):
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    handle = io.BytesIO()
    write_exporters(
        handle, [ReportExporter(campaign=report.campaign, user=request.user, report=report)]
    )
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{report.title}_{clock.today():%Y%m%d}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )

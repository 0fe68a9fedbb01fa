"""Employment-access inspection pages (就业准入执法检查): the list with filters and a summary,
recording an inspection, one inspection with its follow-up.

Each view: a decorator saying who may enter → an access-checked read → a form that only parses →
the service → redirect, or a re-render with 400. Readers: 人社 reviewers, the office and the
superior auditor; reviewers and the office record and follow up.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from appraisal.models import EmploymentInspection
from appraisal.services import inspections as services
from core import clock
from core.actions import submit
from core.decorators import role_required
from core.models import County

READERS = tuple(services.READER_ROLES)
RECORDERS = tuple(services.RECORDER_ROLES)
PAGE_SIZE = 30
STATE_BADGES = {
    services.STATE_COMPLIANT: "success",
    services.STATE_OPEN: "warning",
    services.STATE_OVERDUE: "danger",
    services.STATE_RECTIFIED: "secondary",
}
STATE_LABELS = dict(services.STATE_CHOICES)


# --------------------------------------------------------------------------------------------
# Forms: they parse; the rules are the service's
# --------------------------------------------------------------------------------------------

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=DATE_WIDGET, input_formats=["%Y-%m-%d"], **kwargs)


class FilterForm(forms.Form):
    county = forms.ModelChoiceField(
        label=_("县（市、区）"), required=False, queryset=County.objects.all(), empty_label="全部"
    )
    state = forms.ChoiceField(
        label=_("整改状态"), required=False, choices=[("", "全部"), *services.STATE_CHOICES]
    )
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    employer = forms.CharField(label=_("用人单位"), required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-select" if name in ("county", "state") else "form-control"
            field.widget.attrs["class"] = f"{css} form-control-sm"


class InspectionForm(forms.Form):
    employer = forms.CharField(label=_("用人单位"), max_length=128)
    county = forms.ModelChoiceField(label=_("县（市、区）"), queryset=County.objects.all())
    inspected_on = _date(_("检查日期"))
    posts_checked = forms.CharField(
        label=_("检查的技术工种岗位"), max_length=255, help_text=_("如：电工、焊工、汽车维修工")
    )
    workers_checked = forms.IntegerField(label=_("检查岗位人数"), min_value=0)
    uncertified_found = forms.IntegerField(label=_("未持证上岗人数"), min_value=0)
    violations = forms.CharField(
        label=_("违规情况"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    deadline = _date(_("限期培训取证日期"), required=False, help_text=_("发现未持证上岗时必填"))


class FollowUpForm(forms.Form):
    followed_up_on = _date(_("复查日期"))
    rectified = forms.TypedChoiceField(
        label=_("复查结论"),
        choices=(("1", _("已培训取证，整改完成")), ("0", _("尚未整改完成"))),
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("复查情况"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


def state_of(inspection: EmploymentInspection, today) -> str:
    if inspection.is_overdue(today):
        return services.STATE_OVERDUE
    return inspection.status


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


@role_required(*READERS)
@require_GET
def employment_inspection_list(request):
    """Every inspection, newest first, with filters and the counts per state."""
    filters = FilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    inspections = services.inspection_list(
        user=request.user,
        county=criteria.get("county"),
        state=criteria.get("state") or None,
        year=criteria.get("year"),
        employer=criteria.get("employer") or "",
    )
    page = Paginator(inspections, PAGE_SIZE).get_page(request.GET.get("page"))
    today = clock.today()
    rows = []
    for inspection in page:
        state = state_of(inspection, today)
        rows.append(
            {
                "obj": inspection,
                "state": STATE_LABELS[state],
                "badge": STATE_BADGES[state],
            }
        )
    summary = services.inspection_summary(user=request.user)
    return render(
        request,
        "appraisal/inspections/employment_inspection_list.html",
        {
            "filters": filters,
            "page": page,
            "rows": rows,
            "summary": summary,
            "today": today,
            "can_record": services.can_record_inspection(request.user),
        },
    )


@role_required(*RECORDERS)
def employment_inspection_create(request):
    template = "appraisal/inspections/employment_inspection_form.html"
    if request.method != "POST":
        form = InspectionForm(initial={"inspected_on": clock.today()})
        return render(request, template, {"form": form})
    form = InspectionForm(request.POST)
    if form.is_valid():
        data = services.InspectionInput(
            employer=form.cleaned_data["employer"],
            county=form.cleaned_data["county"],
            inspected_on=form.cleaned_data["inspected_on"],
            posts_checked=form.cleaned_data["posts_checked"],
            workers_checked=form.cleaned_data["workers_checked"],
            uncertified_found=form.cleaned_data["uncertified_found"],
            violations=form.cleaned_data["violations"],
            deadline=form.cleaned_data["deadline"],
        )
        inspection = submit(form, lambda: services.inspection_record(data=data, actor=request.user))
        if inspection is not None:
            messages.success(request, f"已记录对“{inspection.employer}”的检查。")
            return redirect("appraisal:employment_inspection_detail", pk=inspection.pk)
    return render(request, template, {"form": form}, status=400)


def _render_detail(request, inspection, *, form=None, status=200):
    today = clock.today()
    state = state_of(inspection, today)
    return render(
        request,
        "appraisal/inspections/employment_inspection_detail.html",
        {
            "inspection": inspection,
            "state": STATE_LABELS[state],
            "badge": STATE_BADGES[state],
            "can_follow_up": services.can_follow_up_inspection(request.user, inspection),
            "form": form or FollowUpForm(initial={"followed_up_on": today}),
        },
        status=status,
    )


@role_required(*READERS)
@require_GET
def employment_inspection_detail(request, pk: int):
    inspection = services.inspection_get_for_user(user=request.user, pk=pk)
    return _render_detail(request, inspection)


@role_required(*RECORDERS)
@require_POST
def employment_inspection_follow_up(request, pk: int):
    inspection = services.inspection_get_for_user(user=request.user, pk=pk)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, inspection, form=form, status=400)
    followed_up = submit(
        form,
        lambda: services.inspection_follow_up(
            inspection=inspection,
            followed_up_on=form.cleaned_data["followed_up_on"],
            note=form.cleaned_data["note"],
            rectified=form.cleaned_data["rectified"],
            actor=request.user,
        ),
        request=request,
    )
    if followed_up is None:
        return _render_detail(request, inspection, form=form, status=400)
    messages.success(request, "已记录复查情况。")
    return redirect("appraisal:employment_inspection_detail", pk=inspection.pk)

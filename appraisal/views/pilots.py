"""Enterprise evaluation pilot pages: the pilots and their "四个一" checklist, evaluations, and
"双一" exceptions with 人社's decision.

Each view: a decorator saying which roles may enter (others 403, anonymous to the login page) →
an access-checked read (a pilot the user may not see is a 404) → a form that only parses → the
service → redirect, or a re-render with 400. RuleViolation becomes a message, PermissionDenied a
403. Enterprise staff are the staff (Role.INSTITUTION) of the pilot's own training institution.
"""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from appraisal.models import (
    DualOneException,
    EnterpriseEvaluation,
    Level,
    PilotChecklistItem,
    PilotEnterprise,
)
from appraisal.services import pilots as services
from core import clock
from core.actions import add_service_errors, submit
from core.decorators import role_required
from core.models import County
from core.roles import Role
from training.models import Institution, Occupation

# Institution staff enter; the selectors then show them only their own enterprise's pilot.
PILOT_ROLES = (Role.OFFICE, Role.AUDITOR, Role.REVIEWER, Role.INSTITUTION)
ACTING_ROLES = (Role.OFFICE, Role.INSTITUTION)
PAGE_SIZE = 30
EXCEPTION_BADGES = {
    DualOneException.Status.PENDING: "warning",
    DualOneException.Status.APPROVED: "success",
    DualOneException.Status.REFUSED: "secondary",
}


# --------------------------------------------------------------------------------------------
# Forms: they parse; the rules are the services'
# --------------------------------------------------------------------------------------------

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=DATE_WIDGET, input_formats=["%Y-%m-%d"], **kwargs)


class PilotFilterForm(forms.Form):
    county = forms.ModelChoiceField(
        label=_("县（市、区）"), required=False, queryset=County.objects.all(), empty_label="全部"
    )
    size_class = forms.ChoiceField(
        label=_("企业规模"),
        required=False,
        choices=[("", "全部"), *PilotEnterprise.SizeClass.choices],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


class PilotForm(forms.Form):
    name = forms.CharField(label=_("企业名称"), max_length=128)
    county = forms.ModelChoiceField(label=_("所在县（市、区）"), queryset=County.objects.all())
    size_class = forms.ChoiceField(
        label=_("企业规模"),
        choices=PilotEnterprise.SizeClass.choices,
        help_text=_("国有大中型企业评价技师、高级技师；中小型企业评价高级工"),
    )
    designated_on = _date(_("确定为试点日期"))
    occupations = forms.ModelMultipleChoiceField(
        label=_("评价职业（工种）"),
        queryset=Occupation.objects.order_by("code"),
        widget=forms.CheckboxSelectMultiple,
    )
    institution = forms.ModelChoiceField(
        label=_("企业培训机构"),
        required=False,
        queryset=Institution.objects.filter(kind=Institution.Kind.ENTERPRISE).order_by("name"),
        help_text=_(
            "该机构的人员代表企业上传材料、录入评价、提出“双一”申请；没有的由领导小组办公室代办"
        ),
    )
    contact_person = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)


class ChecklistForm(forms.Form):
    document = forms.FileField(label=_("材料"))
    effective_on = _date(_("制定（成立）日期"))


def _level_choices(levels) -> list[tuple[int, str]]:
    return [(int(level), str(Level(level).label)) for level in levels]


class WorkerFields(forms.Form):
    """Who: the worker's full ID number and name, looked up in the worker base."""

    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    worker_name = forms.CharField(label=_("姓名"), max_length=64)


class EvaluationForm(WorkerFields):
    occupation = forms.ModelChoiceField(label=_("职业（工种）"), queryset=Occupation.objects.none())
    level = forms.TypedChoiceField(label=_("评价等级"), coerce=int, choices=())
    years_in_trade = forms.IntegerField(
        label=_("本职业工作年限"), min_value=0, max_value=60, initial=0
    )
    result = forms.ChoiceField(
        label=_("评价结果"),
        choices=EnterpriseEvaluation.Result.choices,
        widget=forms.RadioSelect,
    )
    evaluated_on = _date(_("评价日期"))

    def __init__(self, *args, pilot: PilotEnterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occupation"].queryset = pilot.occupations.order_by("code")
        self.fields["level"].choices = _level_choices(pilot.levels)


class ExceptionForm(WorkerFields):
    occupation = forms.ModelChoiceField(label=_("职业（工种）"), queryset=Occupation.objects.none())
    level = forms.TypedChoiceField(
        label=_("申报等级"), coerce=int, choices=_level_choices(DualOneException.LEVELS)
    )
    kind = forms.ChoiceField(
        label=_("类型"), choices=DualOneException.Kind.choices, widget=forms.RadioSelect
    )
    front_line_post = forms.CharField(label=_("一线岗位"), max_length=128)
    performance = forms.CharField(
        label=_("一流业绩"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    justification = forms.CharField(
        label=_("书面理由"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, pilot: PilotEnterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occupation"].queryset = pilot.occupations.order_by("code")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审批结论"),
        choices=(("approve", _("批准")), ("refuse", _("不批准"))),
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("审批意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不批准时必填"),
    )


class ExceptionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", "全部"), *DualOneException.Status.choices]
    )
    kind = forms.ChoiceField(
        label=_("类型"), required=False, choices=[("", "全部"), *DualOneException.Kind.choices]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


def _worker(form: WorkerFields):
    """The worker the form names, or None with the error put on the form."""
    try:
        return services.worker_lookup(
            id_number=form.cleaned_data["id_number"], name=form.cleaned_data["worker_name"]
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


def _pilot(request, pk: int) -> PilotEnterprise:
    return services.pilot_get_for_user(user=request.user, pk=pk)


# --------------------------------------------------------------------------------------------
# Pilots
# --------------------------------------------------------------------------------------------


@role_required(*PILOT_ROLES)
@require_GET
def pilot_list(request):
    filters = PilotFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    pilots = services.pilot_list(
        user=request.user,
        county=criteria.get("county"),
        size_class=criteria.get("size_class") or None,
    )
    page = Paginator(pilots, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "appraisal/pilots/pilot_list.html",
        {
            "filters": filters,
            "page": page,
            "items_total": len(PilotChecklistItem.Item.values),
            "can_create": services.can_manage_pilots(request.user),
        },
    )


def _pilot_input(form: PilotForm) -> services.PilotInput:
    data = form.cleaned_data
    return services.PilotInput(
        name=data["name"],
        county=data["county"],
        size_class=data["size_class"],
        designated_on=data["designated_on"],
        occupations=list(data["occupations"]),
        institution=data["institution"],
        contact_person=data["contact_person"],
        contact_phone=data["contact_phone"],
    )


@role_required(Role.REVIEWER)
def pilot_create(request):
    template = "appraisal/pilots/pilot_form.html"
    if request.method != "POST":
        return render(request, template, {"form": PilotForm(), "pilot": None})
    form = PilotForm(request.POST)
    if form.is_valid():
        pilot = submit(
            form, lambda: services.pilot_create(data=_pilot_input(form), actor=request.user)
        )
        if pilot is not None:
            messages.success(request, f"已将“{pilot.name}”确定为评价试点企业。")
            return redirect("appraisal:pilot_detail", pk=pilot.pk)
    return render(request, template, {"form": form, "pilot": None}, status=400)


@role_required(Role.REVIEWER)
def pilot_update(request, pk: int):
    pilot = _pilot(request, pk)
    template = "appraisal/pilots/pilot_form.html"
    if request.method != "POST":
        form = PilotForm(
            initial={
                "name": pilot.name,
                "county": pilot.county,
                "size_class": pilot.size_class,
                "designated_on": pilot.designated_on,
                "occupations": list(pilot.occupations.all()),
                "institution": pilot.institution,
                "contact_person": pilot.contact_person,
                "contact_phone": pilot.contact_phone,
            }
        )
        return render(request, template, {"form": form, "pilot": pilot})
    form = PilotForm(request.POST)
    if form.is_valid():
        saved = submit(
            form,
            lambda: services.pilot_update(pilot=pilot, data=_pilot_input(form), actor=request.user),
        )
        if saved is not None:
            messages.success(request, "已保存试点企业信息。")
            return redirect("appraisal:pilot_detail", pk=pilot.pk)
    return render(request, template, {"form": form, "pilot": pilot}, status=400)


def _render_detail(request, pilot, *, checklist_forms=None, status=200):
    user = request.user
    can_act = services.can_act_for_pilot(user, pilot)
    checklist_forms = checklist_forms or {}
    rows = [
        {
            "row": row,
            "form": checklist_forms.get(row.item) or ChecklistForm(prefix=row.item),
        }
        for row in services.pilot_checklist(pilot)
    ]
    evaluations = Paginator(services.evaluation_list(pilot=pilot), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    exceptions = [
        {"obj": e, "badge": EXCEPTION_BADGES[e.status]}
        for e in services.exception_list(user=user, pilot=pilot)[:50]
    ]
    return render(
        request,
        "appraisal/pilots/pilot_detail.html",
        {
            "pilot": pilot,
            "checklist": rows,
            "page": evaluations,
            "exceptions": exceptions,
            "can_act": can_act,
            "can_manage": services.can_manage_pilots(user),
        },
        status=status,
    )


@role_required(*PILOT_ROLES)
@require_GET
def pilot_detail(request, pk: int):
    return _render_detail(request, _pilot(request, pk))


@role_required(*ACTING_ROLES)
@require_POST
def checklist_item_submit(request, pk: int, item: str):
    pilot = _pilot(request, pk)
    if item not in PilotChecklistItem.Item.values:
        raise Http404
    if not services.can_act_for_pilot(request.user, pilot):
        raise PermissionDenied
    form = ChecklistForm(request.POST, request.FILES, prefix=item)
    if form.is_valid():
        saved = submit(
            form,
            lambda: services.checklist_item_submit(
                pilot=pilot,
                item=item,
                document=form.cleaned_data["document"],
                effective_on=form.cleaned_data["effective_on"],
                actor=request.user,
            ),
        )
        if saved is not None:
            messages.success(request, f"已上传“{PilotChecklistItem.Item(item).label}”材料。")
            return redirect("appraisal:pilot_detail", pk=pilot.pk)
    return _render_detail(request, pilot, checklist_forms={item: form}, status=400)


@role_required(*PILOT_ROLES)
@require_GET
def checklist_item_file(request, pk: int, item: str):
    """A checklist document, to those who may see the pilot."""
    pilot = _pilot(request, pk)
    entry = PilotChecklistItem.objects.filter(pilot=pilot, item=item).first()
    if entry is None or not entry.document:
        raise Http404
    try:
        handle = entry.document.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    extension = PurePath(entry.document.name).suffix.lower()
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{pilot.name}-{entry.get_item_display()}{extension}",
    )


# --------------------------------------------------------------------------------------------
# Evaluations
# --------------------------------------------------------------------------------------------


@role_required(*ACTING_ROLES)
def evaluation_record(request, pk: int):
    pilot = _pilot(request, pk)
    if not services.can_act_for_pilot(request.user, pilot):
        raise PermissionDenied
    template = "appraisal/pilots/evaluation_form.html"
    context = {"pilot": pilot, "missing": services.missing_items(pilot)}
    if request.method != "POST":
        form = EvaluationForm(pilot=pilot, initial={"evaluated_on": clock.today()})
        return render(request, template, {**context, "form": form})
    form = EvaluationForm(request.POST, pilot=pilot)
    if form.is_valid() and (worker := _worker(form)) is not None:
        data = form.cleaned_data
        evaluation = submit(
            form,
            lambda: services.evaluation_record(
                pilot=pilot,
                data=services.EvaluationInput(
                    worker=worker,
                    occupation=data["occupation"],
                    level=data["level"],
                    result=data["result"],
                    evaluated_on=data["evaluated_on"],
                    years_in_trade=data["years_in_trade"],
                ),
                actor=request.user,
            ),
        )
        if evaluation is not None:
            if evaluation.certificate is not None:
                messages.success(
                    request,
                    f"已录入{worker.name}的评价结果（合格），"
                    f"证书编号 {evaluation.certificate.number}。",
                )
            else:
                messages.success(request, f"已录入{worker.name}的评价结果（不合格）。")
            return redirect("appraisal:pilot_detail", pk=pilot.pk)
    return render(request, template, {**context, "form": form}, status=400)


# --------------------------------------------------------------------------------------------
# "双一" exceptions
# --------------------------------------------------------------------------------------------


@role_required(*PILOT_ROLES)
@require_GET
def exception_list(request):
    filters = ExceptionFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    exceptions = services.exception_list(
        user=request.user,
        status=criteria.get("status") or None,
        kind=criteria.get("kind") or None,
    )
    page = Paginator(exceptions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "appraisal/pilots/exception_list.html",
        {
            "filters": filters,
            "page": page,
            "rows": [{"obj": e, "badge": EXCEPTION_BADGES[e.status]} for e in page],
        },
    )


@role_required(*ACTING_ROLES)
def exception_request(request, pk: int):
    pilot = _pilot(request, pk)
    if not services.can_act_for_pilot(request.user, pilot):
        raise PermissionDenied
    template = "appraisal/pilots/exception_form.html"
    if request.method != "POST":
        return render(request, template, {"pilot": pilot, "form": ExceptionForm(pilot=pilot)})
    form = ExceptionForm(request.POST, pilot=pilot)
    if form.is_valid() and (worker := _worker(form)) is not None:
        data = form.cleaned_data
        exception = submit(
            form,
            lambda: services.exception_request(
                pilot=pilot,
                data=services.ExceptionInput(
                    worker=worker,
                    occupation=data["occupation"],
                    level=data["level"],
                    kind=data["kind"],
                    front_line_post=data["front_line_post"],
                    performance=data["performance"],
                    justification=data["justification"],
                ),
                actor=request.user,
            ),
        )
        if exception is not None:
            messages.success(request, "已提交“双一”申请，等待人社部门审批。")
            return redirect("appraisal:exception_detail", pk=exception.pk)
    return render(request, template, {"pilot": pilot, "form": form}, status=400)


def _render_exception(request, exception, *, form=None, status=200):
    return render(
        request,
        "appraisal/pilots/exception_detail.html",
        {
            "exception": exception,
            "badge": EXCEPTION_BADGES[exception.status],
            "can_decide": services.can_decide_exception(request.user, exception),
            "own_request": exception.requested_by_id == request.user.pk,
            "form": form or DecisionForm(),
        },
        status=status,
    )


@role_required(*PILOT_ROLES)
@require_GET
def exception_detail(request, pk: int):
    exception = services.exception_get_for_user(user=request.user, pk=pk)
    return _render_exception(request, exception)


@role_required(Role.REVIEWER)
@require_POST
def exception_decide(request, pk: int):
    exception = services.exception_get_for_user(user=request.user, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _render_exception(request, exception, form=form, status=400)
    decision = form.cleaned_data["decision"]
    reason = form.cleaned_data["reason"]
    decide = services.exception_approve if decision == "approve" else services.exception_refuse
    decided = submit(
        form,
        lambda: decide(exception=exception, reason=reason, actor=request.user),
        request=request,
    )
    if decided is None:
        return _render_exception(request, exception, form=form, status=400)
    messages.success(request, "已批准该“双一”申请。" if decision == "approve" else "已不予批准。")
    return redirect("appraisal:exception_detail", pk=exception.pk)

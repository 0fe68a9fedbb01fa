"""Institution pages: the registry (list, detail, edit, bank account, designation, violations),
programmes, the annual assessment, registration points, and the public handbook.

Each view: a decorator saying who may enter → an access-checked selector (another institution's
page is a 404) → a form that only parses → a service → redirect, or a re-render with 400.
The forms live here because they serve these pages only; they parse and nothing more.
"""

import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms.models import fields_for_model
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from core import clock
from core.actions import submit
from core.decorators import public, role_required
from core.errors import RuleViolation
from core.models import County
from core.roles import Role
from core.xlsx import TextCell, XlsxWriter
from training import selectors as training_selectors
from training.models import (
    Institution,
    InstitutionAssessment,
    Occupation,
    Programme,
    RegistrationPoint,
)
from training.permissions import institutions as perms
from training.selectors import institutions as selectors
from training.services import institutions as services

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REGISTRY_ROLES = (Role.OFFICE, Role.AUDITOR, Role.REVIEWER, Role.CLERK, Role.INSTITUTION)
PAGE_SIZE = 50

DESIGNATION_BADGES = {
    Institution.Designation.DESIGNATED: "success",
    Institution.Designation.WARNED: "warning",
    Institution.Designation.REVOKED: "danger",
}
PROPOSAL_BADGES = {
    InstitutionAssessment.Proposal.KEEP: "success",
    InstitutionAssessment.Proposal.REVOKE: "danger",
}
ASSESSMENT_STATUS_BADGES = {
    InstitutionAssessment.Status.PROPOSED: "warning",
    InstitutionAssessment.Status.CONFIRMED: "primary",
    InstitutionAssessment.Status.DISMISSED: "secondary",
}


# ------------------------------------------------------------------------------
# Forms
# ------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class NoEchoInput(forms.TextInput):
    """A text box that never puts the value back into the page, even when the form is shown
    again with errors: the bank account number must never appear in HTML."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


def _model_fields(model, names, **widgets) -> dict:
    return fields_for_model(model, fields=names, widgets=widgets)


class InstitutionFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("机构类型"), required=False, choices=[("", "全部"), *Institution.Kind.choices]
    )
    county = forms.ModelChoiceField(
        label=_("县（市、区）"), required=False, queryset=County.objects.none(), empty_label="全部"
    )
    designation = forms.ChoiceField(
        label=_("定点资格"),
        required=False,
        choices=[("", "全部"), *Institution.Designation.choices],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = selectors.institution_filter_counties()
        for bound in self.fields.values():
            bound.widget.attrs["class"] = "form-select form-select-sm"


class InstitutionForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            _model_fields(
                Institution,
                services.INSTITUTION_FIELDS,
                designated_on=DateInput(),
                plaque_granted_on=DateInput(),
            )
        )


class BankAccountForm(forms.Form):
    bank_name = forms.CharField(label=_("开户银行"), max_length=128)
    account_name = forms.CharField(label=_("账户名称"), max_length=128)
    account_number = forms.CharField(
        label=_("银行账号"),
        max_length=64,
        widget=NoEchoInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text=_("基本账户账号，12至30位数字；保存后只显示前后四位。"),
    )


class DesignationForm(forms.Form):
    ACTIONS = (
        ("warn", _("给予警告")),
        ("revoke", _("取消定点资格")),
        ("restore", _("恢复定点资格")),
    )
    action = forms.ChoiceField(label=_("操作"), choices=ACTIONS)
    reason = forms.CharField(
        label=_("理由"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ViolationForm(forms.Form):
    occurred_on = forms.DateField(label=_("发生日期"), widget=DateInput())
    description = forms.CharField(
        label=_("违规情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProgrammeForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            _model_fields(
                Programme,
                services.PROGRAMME_FIELDS,
                content=forms.Textarea(attrs={"rows": 4}),
            )
        )
        self.fields["occupation"].queryset = Occupation.objects.order_by("code")


class AssessmentRunForm(forms.Form):
    year = forms.IntegerField(label=_("考核年度"), min_value=2000, max_value=2100)


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("确认意见"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RegistrationPointForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_model_fields(RegistrationPoint, services.POINT_FIELDS))
        self.fields["institution"].queryset = Institution.objects.order_by("name")


class PointFilterForm(forms.Form):
    county = forms.ModelChoiceField(
        label=_("县（市、区）"), required=False, queryset=County.objects.none(), empty_label="全部"
    )
    level = forms.ChoiceField(
        label=_("级别"), required=False, choices=[("", "全部"), *RegistrationPoint.Level.choices]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = selectors.institution_filter_counties()
        for bound in self.fields.values():
            bound.widget.attrs["class"] = "form-select form-select-sm"


def _initial(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names}


# ------------------------------------------------------------------------------
# The registry
# ------------------------------------------------------------------------------


@role_required(*REGISTRY_ROLES)
@require_GET
def institution_list(request):
    """Every institution for the registry readers; institution staff see only their own."""
    filters = InstitutionFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    institutions = selectors.institution_list(
        user=request.user,
        kind=criteria.get("kind") or None,
        county=criteria.get("county"),
        designation=criteria.get("designation") or None,
    )
    page = Paginator(institutions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/institutions/institution_list.html",
        {
            "filters": filters,
            "page": page,
            "rows": [
                {"obj": i, "badge": DESIGNATION_BADGES.get(i.designation, "secondary")}
                for i in page
            ],
            "can_create": perms.can_create_institution(request.user),
        },
    )


@role_required(Role.OFFICE)
def institution_create(request):
    form = InstitutionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            institution = submit(
                form, lambda: services.institution_create(**form.cleaned_data, actor=request.user)
            )
            if institution is not None:
                messages.success(request, f"已新增培训机构“{institution.name}”。")
                return redirect("training:institution_detail", pk=institution.pk)
        return render(
            request,
            "training/institutions/institution_form.html",
            {"form": form, "institution": None},
            status=400,
        )
    return render(
        request, "training/institutions/institution_form.html", {"form": form, "institution": None}
    )


DESIGNATION_LABELS = dict(Institution.Designation.choices)


def _assessment_row(a: InstitutionAssessment) -> dict:
    return {
        "obj": a,
        "pass_rate": selectors.percent_text(a.pass_rate) if a.pass_rate is not None else "—",
        "proposal_badge": PROPOSAL_BADGES.get(a.proposal, "secondary"),
        "status_badge": ASSESSMENT_STATUS_BADGES.get(a.status, "secondary"),
    }


def _render_detail(request, institution, *, status=200, **forms_):
    user = request.user
    page = selectors.institution_page(institution=institution)
    context = {
        "institution": institution,
        "badge": DESIGNATION_BADGES.get(institution.designation, "secondary"),
        "page": page,
        "assessments": [_assessment_row(a) for a in page.assessments],
        "designation_changes": [
            {
                "obj": c,
                "from": DESIGNATION_LABELS.get(c.from_status, c.from_status),
                "to": DESIGNATION_LABELS.get(c.to_status, c.to_status),
            }
            for c in page.designation_changes
        ],
        "can_edit": perms.can_edit_institution(user, institution),
        "can_manage_programmes": perms.can_manage_programmes(user, institution),
        "can_change_designation": perms.can_change_designation(user),
        "can_record_violation": perms.can_record_violation(user),
        "designation_actions": [
            (value, label)
            for value, label in DesignationForm.ACTIONS
            if _TARGET[value] in Institution.TRANSITIONS[institution.designation]
        ],
        "designation_form": forms_.get("designation_form") or DesignationForm(),
        "violation_form": forms_.get("violation_form") or ViolationForm(),
    }
    return render(request, "training/institutions/institution_detail.html", context, status=status)


_TARGET = {
    "warn": Institution.Designation.WARNED,
    "revoke": Institution.Designation.REVOKED,
    "restore": Institution.Designation.DESIGNATED,
}


@role_required(*REGISTRY_ROLES)
@require_GET
def institution_detail(request, pk: int):
    institution = selectors.institution_get_for_user(user=request.user, pk=pk)
    return _render_detail(request, institution)


@role_required(Role.OFFICE)
def institution_update(request, pk: int):
    institution = selectors.institution_get_for_user(user=request.user, pk=pk)
    if request.method != "POST":
        form = InstitutionForm(initial=_initial(institution, services.INSTITUTION_FIELDS))
        return render(
            request,
            "training/institutions/institution_form.html",
            {"form": form, "institution": institution},
        )
    form = InstitutionForm(request.POST)
    if form.is_valid():
        saved = submit(
            form,
            lambda: services.institution_update(
                institution=institution, data=form.cleaned_data, actor=request.user
            ),
        )
        if saved is not None:
            messages.success(request, "已保存机构信息。")
            return redirect("training:institution_detail", pk=institution.pk)
    return render(
        request,
        "training/institutions/institution_form.html",
        {"form": form, "institution": institution},
        status=400,
    )


@role_required(Role.OFFICE)
def institution_bank_account(request, pk: int):
    """Set the basic account. The number is never shown again: only its mask."""
    institution = selectors.institution_get_for_user(user=request.user, pk=pk)
    template = "training/institutions/institution_bank_account.html"
    if request.method != "POST":
        form = BankAccountForm(
            initial={
                "bank_name": institution.bank_name,
                "account_name": institution.bank_account_name or institution.name,
            }
        )
        return render(request, template, {"form": form, "institution": institution})
    form = BankAccountForm(request.POST)
    if form.is_valid():
        result = submit(
            form,
            lambda: services.institution_bank_account_set(
                institution=institution, **form.cleaned_data, actor=request.user
            ),
        )
        if result is not None:
            for warning in result.warnings:
                messages.warning(request, warning)
            messages.success(
                request, f"已保存基本账户（{result.institution.bank_account_masked}）。"
            )
            return redirect("training:institution_detail", pk=institution.pk)
    return render(request, template, {"form": form, "institution": institution}, status=400)


@role_required(Role.OFFICE)
@require_POST
def institution_designation(request, pk: int):
    """Warn, revoke or restore, with a reason."""
    institution = selectors.institution_get_for_user(user=request.user, pk=pk)
    form = DesignationForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, institution, designation_form=form, status=400)
    service = {
        "warn": services.institution_warn,
        "revoke": services.institution_revoke,
        "restore": services.institution_restore,
    }[form.cleaned_data["action"]]
    changed = submit(
        form,
        lambda: service(
            institution=institution, reason=form.cleaned_data["reason"], actor=request.user
        ),
        request=request,
    )
    if changed is None:
        return _render_detail(request, institution, designation_form=form, status=400)
    messages.success(
        request, f"{institution.name}的定点资格已改为“{institution.get_designation_display()}”。"
    )
    return redirect("training:institution_detail", pk=institution.pk)


@role_required(Role.OFFICE, Role.REVIEWER)
@require_POST
def violation_create(request, pk: int):
    institution = selectors.institution_get_for_user(user=request.user, pk=pk)
    form = ViolationForm(request.POST)
    if form.is_valid():
        saved = submit(
            form,
            lambda: services.violation_record(
                institution=institution, **form.cleaned_data, actor=request.user
            ),
        )
        if saved is not None:
            messages.success(request, "已记录违规情况，将计入该年度考核。")
            return redirect("training:institution_detail", pk=institution.pk)
    return _render_detail(request, institution, violation_form=form, status=400)


# ------------------------------------------------------------------------------
# Programmes
# ------------------------------------------------------------------------------


def _programme_page(request, *, form, institution, programme=None, status=200):
    return render(
        request,
        "training/institutions/programme_form.html",
        {"form": form, "institution": institution, "programme": programme},
        status=status,
    )


@role_required(Role.OFFICE, Role.INSTITUTION)
def programme_create(request, pk: int):
    institution = selectors.institution_get_for_user(user=request.user, pk=pk)
    if not perms.can_manage_programmes(request.user, institution):
        raise PermissionDenied
    form = ProgrammeForm(request.POST or None)
    if request.method != "POST":
        return _programme_page(request, form=form, institution=institution)
    if form.is_valid():
        programme = submit(
            form,
            lambda: services.programme_create(
                institution=institution, **form.cleaned_data, actor=request.user
            ),
        )
        if programme is not None:
            messages.success(request, f"已新增培训项目“{programme.name}”。")
            return redirect("training:institution_detail", pk=institution.pk)
    return _programme_page(request, form=form, institution=institution, status=400)


@role_required(Role.OFFICE, Role.INSTITUTION)
def programme_update(request, pk: int):
    programme = selectors.programme_get_for_user(user=request.user, pk=pk)
    institution = programme.institution
    if not perms.can_manage_programmes(request.user, institution):
        raise PermissionDenied
    if request.method != "POST":
        form = ProgrammeForm(initial=_initial(programme, services.PROGRAMME_FIELDS))
        return _programme_page(request, form=form, institution=institution, programme=programme)
    form = ProgrammeForm(request.POST)
    if form.is_valid():
        saved = submit(
            form,
            lambda: services.programme_update(
                programme=programme, data=form.cleaned_data, actor=request.user
            ),
        )
        if saved is not None:
            messages.success(request, "已保存培训项目。")
            return redirect("training:institution_detail", pk=institution.pk)
    return _programme_page(
        request, form=form, institution=institution, programme=programme, status=400
    )


@role_required(Role.OFFICE, Role.INSTITUTION)
@require_POST
def programme_delete(request, pk: int):
    programme = selectors.programme_get_for_user(user=request.user, pk=pk)
    institution = programme.institution
    if not perms.can_manage_programmes(request.user, institution):
        raise PermissionDenied
    services.programme_delete(programme=programme, actor=request.user)
    messages.success(request, f"已删除培训项目“{programme.name}”。")
    return redirect("training:institution_detail", pk=institution.pk)


# ------------------------------------------------------------------------------
# Annual assessment
# ------------------------------------------------------------------------------


def _year_param(request) -> int | None:
    text = (request.GET.get("year") or "").strip()
    if text.isdigit() and len(text) == 4:
        return int(text)
    return None


def _render_assessments(request, *, year: int, run_form=None, status=200):
    assessments = list(selectors.assessment_list(year=year))
    years = selectors.assessment_years()
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    return render(
        request,
        "training/institutions/assessment_list.html",
        {
            "year": year,
            "years": years,
            "rows": [_assessment_row(a) for a in assessments],
            "summary": selectors.assessment_summary(assessments),
            "can_run": perms.can_run_assessment(request.user),
            "can_decide": perms.can_decide_assessment(request.user),
            "run_form": run_form or AssessmentRunForm(initial={"year": year}),
        },
        status=status,
    )


@role_required(Role.OFFICE, Role.AUDITOR)
@require_GET
def assessment_list(request):
    """The assessments of one year (default: the latest assessed, else last year)."""
    year = _year_param(request)
    if year is None:
        years = selectors.assessment_years()
        year = years[0] if years else clock.today().year - 1
    return _render_assessments(request, year=year)


@role_required(Role.OFFICE)
@require_POST
def assessment_run(request):
    """The office's button: what the January job does, now, for the year chosen."""
    form = AssessmentRunForm(request.POST)
    fallback_year = clock.today().year - 1
    if not form.is_valid():
        return _render_assessments(request, year=fallback_year, run_form=form, status=400)
    year = form.cleaned_data["year"]
    campaign = training_selectors.campaign_current()
    if campaign is None:
        raise Http404
    try:
        assessments = services.assessment_run(campaign=campaign, year=year, actor=request.user)
    except RuleViolation as exc:
        form.add_error("year", exc.message)
        return _render_assessments(request, year=year, run_form=form, status=400)
    summary = selectors.assessment_summary(assessments)
    messages.success(
        request,
        f"已完成{year}年度考核：共{summary['total']}家机构，"
        f"建议取消定点资格{summary['revoke']}家，待确认{summary['pending']}家。",
    )
    return redirect(f"{reverse('training:assessment_list')}?year={year}")


def _render_assessment(request, assessment, *, form=None, status=200):
    return render(
        request,
        "training/institutions/assessment_detail.html",
        {
            "assessment": assessment,
            "row": _assessment_row(assessment),
            "can_decide": perms.can_decide_assessment(request.user)
            and assessment.status == InstitutionAssessment.Status.PROPOSED,
            "form": form or DecisionForm(),
            "attendance_threshold": _threshold_text(),
        },
        status=status,
    )


def _threshold_text() -> str:
    campaign = training_selectors.campaign_current()
    return selectors.percent_text(campaign.attendance_threshold) if campaign else ""


@role_required(Role.OFFICE, Role.AUDITOR)
@require_GET
def assessment_detail(request, pk: int):
    return _render_assessment(request, selectors.assessment_get(pk=pk))


def _decide(request, pk: int, service, done: str):
    assessment = selectors.assessment_get(pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _render_assessment(request, assessment, form=form, status=400)
    decided = submit(
        form,
        lambda: service(
            assessment=assessment, reason=form.cleaned_data["reason"], actor=request.user
        ),
        request=request,
    )
    if decided is None:
        return _render_assessment(request, assessment, form=form, status=400)
    messages.success(request, done % {"name": assessment.institution.name})
    return redirect(f"{reverse('training:assessment_list')}?year={assessment.year}")


@role_required(Role.OFFICE)
@require_POST
def assessment_confirm(request, pk: int):
    return _decide(request, pk, services.assessment_confirm, "已确认%(name)s的年度考核结果。")


@role_required(Role.OFFICE)
@require_POST
def assessment_dismiss(request, pk: int):
    return _decide(request, pk, services.assessment_dismiss, "已决定不取消%(name)s的定点资格。")


# ------------------------------------------------------------------------------
# Registration points
# ------------------------------------------------------------------------------


@public
@require_GET
def registration_point_list(request):
    """Public: where to register, by county and level. The office also sees inactive points and
    the links to manage them."""
    filters = PointFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    manage = perms.can_manage_registration_points(request.user)
    points = selectors.registration_point_list(
        county=criteria.get("county"),
        level=criteria.get("level") or None,
        include_inactive=manage,
    )
    page = Paginator(points, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/institutions/registration_point_list.html",
        {"filters": filters, "page": page, "manage": manage},
    )


def _point_page(request, *, form, point=None, status=200):
    return render(
        request,
        "training/institutions/registration_point_form.html",
        {"form": form, "point": point},
        status=status,
    )


@role_required(Role.OFFICE)
def registration_point_create(request):
    form = RegistrationPointForm(request.POST or None, initial={"is_active": True})
    if request.method != "POST":
        return _point_page(request, form=form)
    if form.is_valid():
        point = submit(
            form,
            lambda: services.registration_point_create(**form.cleaned_data, actor=request.user),
        )
        if point is not None:
            messages.success(request, f"已新增报名点“{point.name}”。")
            return redirect("training:registration_point_list")
    return _point_page(request, form=form, status=400)


@role_required(Role.OFFICE)
def registration_point_update(request, pk: int):
    point = selectors.registration_point_get(pk=pk)
    if request.method != "POST":
        form = RegistrationPointForm(initial=_initial(point, services.POINT_FIELDS))
        return _point_page(request, form=form, point=point)
    form = RegistrationPointForm(request.POST)
    if form.is_valid():
        saved = submit(
            form,
            lambda: services.registration_point_update(
                point=point, data=form.cleaned_data, actor=request.user
            ),
        )
        if saved is not None:
            messages.success(request, "已保存报名点。")
            return redirect("training:registration_point_list")
    return _point_page(request, form=form, point=point, status=400)


@role_required(Role.OFFICE)
@require_POST
def registration_point_delete(request, pk: int):
    point = selectors.registration_point_get(pk=pk)
    try:
        services.registration_point_delete(point=point, actor=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect("training:registration_point_update", pk=point.pk)
    messages.success(request, f"已删除报名点“{point.name}”。")
    return redirect("training:registration_point_list")


# ------------------------------------------------------------------------------
# The handbook (public)
# ------------------------------------------------------------------------------


def _handbook():
    return selectors.handbook(campaign=training_selectors.campaign_current())


def handbook_rules(book: selectors.Handbook) -> list[str]:
    """The subsidy rules as sentences, from the campaign's data."""
    rules = ["每人可免费参加一次职业培训。"]
    if book.rules.eligible_groups:
        names = "、".join(group.name for group in book.rules.eligible_groups)
        rules.append(f"可享受职业培训补贴的人员：{names}。")
    if book.rules.attendance_threshold is not None:
        percent = book.rules.attendance_percent
        rules.append(
            f"学员到课率达到{percent}及以上的，方可享受培训补贴；到课率低于{percent}的，"
            "不给予培训补贴。"
        )
    rules.append("培训合格的学员，可获推荐一个就业岗位。")
    return rules


@public
@require_GET
def handbook(request):
    """职业培训手册: designated institutions, programmes, where to register, the subsidy rules."""
    book = _handbook()
    return render(
        request,
        "training/institutions/handbook.html",
        {"book": book, "rules": handbook_rules(book), "today": clock.today()},
    )


@public
@require_GET
def handbook_download(request):
    """The handbook as a workbook: 培训机构与项目, 报名点, 补贴政策."""
    book = _handbook()
    # A few hundred rows at most: built in memory (large exports go through core.exports jobs).
    handle = io.BytesIO()
    with XlsxWriter() as writer:
        sheet = writer.add_sheet(
            "培训机构与项目",
            [
                "培训机构",
                "机构类型",
                "所在县（市、区）",
                "地址",
                "联系电话",
                "培训项目",
                "职业（工种）",
                "培训对象",
                "培训天数",
                "培训内容",
            ],
            widths=[28, 14, 14, 30, 16, 24, 16, 30, 10, 50],
        )
        for institution in book.institutions:
            base = [
                institution.name,
                institution.get_kind_display(),
                institution.county.name if institution.county else "",
                institution.address,
                TextCell(institution.contact_phone),
            ]
            programmes = list(institution.programmes.all())
            if not programmes:
                writer.append(sheet, [*base, "", "", "", None, ""])
            for programme in programmes:
                writer.append(
                    sheet,
                    [
                        *base,
                        programme.name,
                        programme.occupation.name,
                        programme.target_groups,
                        programme.duration_days,
                        programme.content,
                    ],
                )
        sheet = writer.add_sheet(
            "报名点",
            ["县（市、区）", "报名点", "级别", "地址", "咨询电话"],
            widths=[14, 30, 14, 40, 16],
        )
        for group in book.points_by_county:
            for point in group.points:
                writer.append(
                    sheet,
                    [
                        group.name,
                        point.name,
                        point.get_level_display(),
                        point.address,
                        TextCell(point.phone),
                    ],
                )
        sheet = writer.add_sheet("补贴政策", ["补贴政策"], widths=[100])
        for rule in handbook_rules(book):
            writer.append(sheet, [rule])
        writer.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"职业培训手册_{clock.today():%Y%m%d}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )

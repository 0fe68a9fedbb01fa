"""Pages for appraisal bodies (鉴定所/站), their authorisations and staff, and the level rules.

人社 reviewers manage bodies; the office and the auditor read them. The level rules are kept by
reviewers and the office.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appraisal import permissions as perms
from appraisal import selectors
from appraisal.models import BodyAuthorisation, Level, LevelRule
from appraisal.services import bodies as services
from core.actions import submit
from core.decorators import role_required
from core.errors import RuleViolation
from core.models import County
from core.roles import Role
from training.models import Occupation

BODY_READERS = (Role.REVIEWER, Role.OFFICE, Role.AUDITOR)
RULE_READERS = (Role.REVIEWER, Role.OFFICE, Role.AUDITOR)


class BodyForm(forms.Form):
    name = forms.CharField(label="鉴定机构名称", max_length=128)
    county = forms.ModelChoiceField(
        County.objects.all(), label="所在县（市、区）", required=False, empty_label="（请选择）"
    )
    address = forms.CharField(label="地址", max_length=255, required=False)
    phone = forms.CharField(label="联系电话", max_length=32, required=False)
    is_active = forms.BooleanField(label="在用", required=False, initial=True)

    def body_input(self) -> services.BodyInput:
        return services.BodyInput(**self.cleaned_data)


class StaffForm(forms.Form):
    staff = forms.ModelMultipleChoiceField(
        queryset=None,
        label="工作人员（人社审核员）",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = selectors.body_staff_candidates()
        self.fields["staff"].label_from_instance = lambda u: f"{u}（{u.username}）"


class AuthorisationForm(forms.Form):
    occupation = forms.ModelChoiceField(
        Occupation.objects.all(), label="职业（工种）", empty_label="（请选择）"
    )
    max_level = forms.TypedChoiceField(
        label="最高鉴定等级", choices=Level.choices, coerce=int, initial=Level.SENIOR
    )


class LevelRuleForm(forms.Form):
    requires_lower_certificate = forms.BooleanField(label="须持有低一级证书", required=False)
    requires_completed_class = forms.BooleanField(label="须完成该职业培训", required=False)
    min_years_in_trade = forms.IntegerField(
        label="本职业最少工作年限", min_value=0, max_value=50, help_text="0 表示不要求"
    )


def _render_form(request, template, context, *, invalid: bool) -> HttpResponse:
    return render(request, template, context, status=400 if invalid else 200)


@role_required(*BODY_READERS)
@require_GET
def body_list(request: HttpRequest) -> HttpResponse:
    """Every body with its county and counts."""
    bodies = selectors.body_list(user=request.user)
    return render(
        request,
        "appraisal/bodies/body_list.html",
        {"bodies": bodies, "can_manage": perms.can_manage_bodies(request.user)},
    )


@role_required(Role.REVIEWER)
@require_http_methods(["GET", "POST"])
def body_create(request: HttpRequest) -> HttpResponse:
    form = BodyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        body = submit(
            form, lambda: services.body_create(data=form.body_input(), actor=request.user)
        )
        if body is not None:
            messages.success(request, f"已新增鉴定机构：{body.name}")
            return redirect("appraisal:body_detail", pk=body.pk)
    return _render_form(
        request,
        "appraisal/bodies/body_form.html",
        {"form": form, "body": None},
        invalid=request.method == "POST",
    )


@role_required(*BODY_READERS)
@require_GET
def body_detail(request: HttpRequest, pk: int) -> HttpResponse:
    body = selectors.body_get(user=request.user, pk=pk)
    return _render_detail(request, body)


def _render_detail(request, body, *, authorisation_form=None, status=200) -> HttpResponse:
    return render(
        request,
        "appraisal/bodies/body_detail.html",
        {
            "body": body,
            "authorisations": selectors.body_authorisations(body),
            "staff": body.staff.order_by("username"),
            "can_manage": perms.can_manage_bodies(request.user),
            "authorisation_form": authorisation_form or AuthorisationForm(),
        },
        status=status,
    )


@role_required(Role.REVIEWER)
@require_http_methods(["GET", "POST"])
def body_edit(request: HttpRequest, pk: int) -> HttpResponse:
    body = selectors.body_get(user=request.user, pk=pk)
    initial = {
        "name": body.name,
        "county": body.county,
        "address": body.address,
        "phone": body.phone,
        "is_active": body.is_active,
    }
    form = BodyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = submit(
            form,
            lambda: services.body_update(body=body, data=form.body_input(), actor=request.user),
        )
        if saved is not None:
            messages.success(request, "已保存。")
            return redirect("appraisal:body_detail", pk=body.pk)
    return _render_form(
        request,
        "appraisal/bodies/body_form.html",
        {"form": form, "body": body},
        invalid=request.method == "POST",
    )


@role_required(Role.REVIEWER)
@require_http_methods(["GET", "POST"])
def body_staff(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose which reviewers work for the body."""
    body = selectors.body_get(user=request.user, pk=pk)
    form = StaffForm(request.POST or None, initial={"staff": list(body.staff.all())})
    if request.method == "POST" and form.is_valid():
        saved = submit(
            form,
            lambda: services.body_set_staff(
                body=body, staff=form.cleaned_data["staff"], actor=request.user
            ),
        )
        if saved is not None:
            messages.success(request, "已更新工作人员。")
            return redirect("appraisal:body_detail", pk=body.pk)
    return _render_form(
        request,
        "appraisal/bodies/body_staff.html",
        {"form": form, "body": body},
        invalid=request.method == "POST",
    )


@role_required(Role.REVIEWER)
@require_POST
def authorisation_set(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an occupation to the body's authorisation, or change its highest level."""
    body = selectors.body_get(user=request.user, pk=pk)
    form = AuthorisationForm(request.POST)
    if form.is_valid():
        saved = submit(
            form,
            lambda: services.authorisation_set(
                body=body,
                occupation=form.cleaned_data["occupation"],
                max_level=form.cleaned_data["max_level"],
                actor=request.user,
            ),
        )
        if saved is not None:
            messages.success(request, "已保存鉴定授权。")
            return redirect("appraisal:body_detail", pk=body.pk)
    return _render_detail(request, body, authorisation_form=form, status=400)


@role_required(Role.REVIEWER)
@require_POST
def authorisation_remove(request: HttpRequest, pk: int) -> HttpResponse:
    if not perms.can_manage_bodies(request.user):
        raise PermissionDenied
    authorisation = BodyAuthorisation.objects.filter(pk=pk).first()
    if authorisation is None:
        raise Http404
    services.authorisation_remove(authorisation=authorisation, actor=request.user)
    messages.success(request, "已取消该项鉴定授权。")
    return redirect("appraisal:body_detail", pk=authorisation.body_id)


@role_required(Role.REVIEWER)
@require_POST
def body_delete(request: HttpRequest, pk: int) -> HttpResponse:
    body = selectors.body_get(user=request.user, pk=pk)
    try:
        services.body_delete(body=body, actor=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect("appraisal:body_detail", pk=body.pk)
    messages.success(request, f"已删除鉴定机构：{body.name}")
    return redirect("appraisal:body_list")


@role_required(*RULE_READERS)
@require_GET
def level_rule_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "appraisal/bodies/level_rule_list.html",
        {
            "rules": selectors.level_rule_list(),
            "can_edit": perms.can_manage_level_rules(request.user),
        },
    )


@role_required(Role.REVIEWER, Role.OFFICE)
@require_http_methods(["GET", "POST"])
def level_rule_edit(request: HttpRequest, level: int) -> HttpResponse:
    rule = LevelRule.objects.filter(level=level).first()
    if rule is None:
        raise Http404
    form = LevelRuleForm(
        request.POST or None,
        initial={
            "requires_lower_certificate": rule.requires_lower_certificate,
            "requires_completed_class": rule.requires_completed_class,
            "min_years_in_trade": rule.min_years_in_trade,
        },
    )
    if request.method == "POST" and form.is_valid():
        saved = submit(
            form,
            lambda: services.level_rule_update(rule=rule, actor=request.user, **form.cleaned_data),
        )
        if saved is not None:
            messages.success(request, f"已保存{rule.get_level_display()}报名条件。")
            return redirect("appraisal:level_rule_list")
    return _render_form(
        request,
        "appraisal/bodies/level_rule_form.html",
        {"form": form, "rule": rule},
        invalid=request.method == "POST",
    )

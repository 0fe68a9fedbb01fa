"""The office's 补贴标准 and 申领期 pages (others with a stake read them)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.decorators import role_required
from core.errors import RuleViolation
from core.roles import Role
from subsidies import permissions as perms
from subsidies.forms import EndStandardForm, StandardForm, WindowCloseForm, WindowForm
from subsidies.models import ClaimWindow, SubsidyStandard
from subsidies.selectors import claims as selectors
from subsidies.services import standards as services
from training.models import Campaign

READERS = (Role.OFFICE, Role.REVIEWER, Role.FINANCE, Role.AUDITOR)


def _campaign() -> Campaign:
    campaign = Campaign.objects.current()
    if campaign is None:
        raise Http404("没有进行中的专项活动")
    return campaign


def _page(request, campaign, *, standard_form=None, window_form=None, status=200):
    can_manage = perms.can_manage_standards(request.user)
    return render(
        request,
        "subsidies/standard_list.html",
        {
            "campaign": campaign,
            "standards": selectors.standards(campaign),
            "windows": selectors.windows(campaign),
            "can_manage": can_manage,
            "standard_form": standard_form or StandardForm(campaign=campaign),
            "window_form": window_form or WindowForm(),
            "end_form": EndStandardForm(),
            "close_form": WindowCloseForm(),
        },
        status=status,
    )


@role_required(*READERS)
def standard_list(request: HttpRequest) -> HttpResponse:
    return _page(request, _campaign())


@role_required(Role.OFFICE)
@require_POST
def standard_create(request: HttpRequest) -> HttpResponse:
    campaign = _campaign()
    form = StandardForm(request.POST, campaign=campaign)
    if not form.is_valid():
        form.mark_invalid()
        return _page(request, campaign, standard_form=form, status=400)
    data = form.cleaned_data
    try:
        standard = services.standard_set(
            campaign=campaign,
            kind=data["kind"],
            amount=data["amount"],
            effective_from=data["effective_from"],
            effective_to=data.get("effective_to"),
            category=data.get("category"),
            occupation=data.get("occupation"),
            level=data.get("level"),
            training_kind=data.get("training_kind") or "",
            note=data.get("note", ""),
            actor=request.user,
        )
    except RuleViolation as exc:
        form.add_error(None, exc.message)
        return _page(request, campaign, standard_form=form, status=400)
    messages.success(request, f"已设定补贴标准：{standard}")
    return redirect("subsidies:standard_list")


@role_required(Role.OFFICE)
@require_POST
def standard_end(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign()
    standard = SubsidyStandard.objects.filter(campaign=campaign, pk=pk).first()
    if standard is None:
        raise Http404
    form = EndStandardForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写有效的执行截止日")
        return redirect("subsidies:standard_list")
    try:
        services.standard_end(
            standard=standard, effective_to=form.cleaned_data["effective_to"], actor=request.user
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已结束该标准的执行。")
    return redirect("subsidies:standard_list")


@role_required(Role.OFFICE)
@require_POST
def window_create(request: HttpRequest) -> HttpResponse:
    campaign = _campaign()
    form = WindowForm(request.POST)
    if not form.is_valid():
        form.mark_invalid()
        return _page(request, campaign, window_form=form, status=400)
    data = form.cleaned_data
    try:
        window = services.window_set(
            campaign=campaign,
            kind=data["kind"],
            opens_on=data["opens_on"],
            closes_on=data["closes_on"],
            note=data.get("note", ""),
            actor=request.user,
        )
    except RuleViolation as exc:
        form.add_error(None, exc.message)
        return _page(request, campaign, window_form=form, status=400)
    messages.success(request, f"已设定申领期：{window}")
    return redirect("subsidies:standard_list")


@role_required(Role.OFFICE)
@require_POST
def window_close(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign()
    window = ClaimWindow.objects.filter(campaign=campaign, pk=pk).first()
    if window is None:
        raise Http404
    form = WindowCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写有效的截止日期")
        return redirect("subsidies:standard_list")
    try:
        services.window_close(
            window=window, closes_on=form.cleaned_data["closes_on"], actor=request.user
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已调整申领期。")
    return redirect("subsidies:standard_list")

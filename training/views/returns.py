"""Monthly-return pages: the clerk's grid, the office's matrix and review, corrections, the trail.

Each view: a decorator saying who may enter → an access-checked selector (another department's
return is a 404) → a form that only parses → a service → redirect, or a re-render with 400 (bad
input) or 409 (someone saved first)."""

import datetime
import json

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core import clock
from core.actions import submit
from core.decorators import role_required
from core.errors import RuleViolation
from core.exports import percent
from core.models import AuditEvent
from core.permissions import can_view_audit_trail
from core.roles import Role
from training import deadlines, permissions, selectors
from training.forms import (
    FIGURE_LABELS,
    CorrectionDecideForm,
    CorrectionFilterForm,
    CorrectionForm,
    ReturnGridForm,
    SendBackForm,
    SubmitForm,
    UnlockForm,
    cell_name,
)
from training.models import FIGURE_FIELDS, Campaign, CorrectionRequest, MonthlyReturn, ReturnUnlock
from training.selectors.evidence import evidence_for_return, tolerance_percent
from training.services import returns as services

STATUS_BADGES = {
    MonthlyReturn.Status.DRAFT: "warning",
    MonthlyReturn.Status.SUBMITTED: "primary",
    MonthlyReturn.Status.RETURNED: "secondary",
    MonthlyReturn.Status.ACCEPTED: "success",
}
CORRECTION_BADGES = {
    CorrectionRequest.Status.PENDING: "warning",
    CorrectionRequest.Status.APPROVED: "success",
    CorrectionRequest.Status.REFUSED: "secondary",
}
ACTION_LABELS = {
    "monthly_return.save": "保存",
    "monthly_return.submit": "提交",
    "monthly_return.accept": "审核通过",
    "monthly_return.send_back": "退回修改",
    "monthly_return.unlock": "临时解锁",
    "monthly_return.unlock_expired": "解锁到期关闭",
    "monthly_return.correction_request": "申请更正",
    "monthly_return.correction_approve": "批准更正",
    "monthly_return.correction_refuse": "不予批准更正",
    "monthly_return.upload": "导入Excel",
}


# ------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------


def _campaign() -> Campaign:
    campaign = selectors.campaign_current()
    if campaign is None:
        raise Http404
    return campaign


def _load(request, department: str, month: datetime.date):
    """The campaign, department and return, or 404 when the user may not see them."""
    campaign = _campaign()
    dept, ret = selectors.return_get_for_user(
        user=request.user, campaign=campaign, department_code=department, month=month
    )
    return campaign, dept, ret


def _detail_url(department, month: datetime.date) -> str:
    return reverse("training:return_detail", args=[department.code, month])


def status_cell(ret: MonthlyReturn | None) -> dict:
    """The badge of one return, in the shape the matrix cells have (partials/_return_status)."""
    if ret is None:
        return {"label": "未填报", "badge": "light", "late": False, "amended": False}
    return {
        "label": ret.get_status_display(),
        "badge": STATUS_BADGES.get(ret.status, "secondary"),
        "late": ret.is_late,
        "amended": ret.amended_after_deadline,
    }


def _may_request_correction(ret: MonthlyReturn | None) -> bool:
    """Mirrors the service's rule, only to decide whether to offer the link."""
    if ret is None:
        return False
    if ret.status == MonthlyReturn.Status.ACCEPTED:
        return True
    return (
        ret.status == MonthlyReturn.Status.SUBMITTED
        and clock.now() >= deadlines.window_for(ret.campaign, ret.month).locks_at
    )


def _describe_corrections(corrections, rows) -> list[dict]:
    by_id = {row.category.pk: row for row in rows}
    described = []
    for correction in corrections:
        changes = []
        for category_id, figures in correction.proposed.items():
            row = by_id.get(int(category_id))
            for name, value in figures.items():
                changes.append(
                    {
                        "category": row.category.name if row else category_id,
                        "field": FIGURE_LABELS.get(name, name),
                        "current": row.this_month.get(name) if row else None,
                        "new": value,
                    }
                )
        described.append(
            {
                "obj": correction,
                "changes": changes,
                "badge": CORRECTION_BADGES.get(correction.status, "secondary"),
            }
        )
    return described


def _render_detail(
    request,
    *,
    campaign: Campaign,
    department,
    month: datetime.date,
    ret: MonthlyReturn | None,
    form: ReturnGridForm | None = None,
    send_back_form: SendBackForm | None = None,
    unlock_form: UnlockForm | None = None,
    conflict: dict | None = None,
    status: int = 200,
):
    user = request.user
    rows = selectors.return_grid(
        campaign=campaign, department=department, month=month, monthly_return=ret
    )
    categories = [row.category for row in rows]
    state = services.current_edit_state(
        campaign=campaign, department=department, month=month, ret=ret
    )
    is_clerk = permissions.can_edit_return(user, department)
    editable = is_clerk and state.editable
    if form is not None:
        form.mark_invalid()
    else:
        form = ReturnGridForm(
            categories=categories,
            initial={**ReturnGridForm.initial_from(rows), "version": ret.version if ret else 0},
        )
    attempted = (conflict or {}).get("attempted", {})
    # What the class records support for each category this month (台账支持), beside the figures.
    evidence = evidence_for_return(campaign=campaign, department=department, month=month)
    grid = []
    for row in rows:
        after = row.after
        figures = []
        for name in FIGURE_FIELDS:
            key = cell_name(row.category, name)
            tried = attempted.get(key)
            figures.append(
                {
                    "name": name,
                    "label": FIGURE_LABELS[name],
                    "before": row.before[name],
                    "this_month": row.this_month[name],
                    "after": after[name],
                    # The quota counts person-times trained; outcomes are not a share of it.
                    "percent": percent(after[name], row.quota) if name == "trained" else None,
                    "field": form[key],
                    "attempted": tried
                    if tried is not None and tried != row.this_month[name]
                    else None,
                }
            )
        note_key = f"c{row.category.number}_note"
        grid.append(
            {
                "row": row,
                "figures": figures,
                "note_field": form[note_key],
                "note": row.line.note if row.line else "",
                "attempted_note": attempted.get(note_key),
                "evidence": evidence.get(row.category.pk),
            }
        )

    window = deadlines.window_for(campaign, month)
    moment = clock.now()
    corrections = []
    amendments = []
    if ret is not None:
        corrections = _describe_corrections(
            ret.corrections.select_related("requested_by", "decided_by"), rows
        )
        amendments = [
            {"obj": a, "field": FIGURE_LABELS.get(a.field, a.field)}
            for a in selectors.amendment_list(monthly_return=ret)
        ]
    unlocks = [
        {"obj": u, "open": u.is_open_at(moment)}
        for u in selectors.unlock_list(campaign=campaign, department=department, month=month)
    ]
    is_office = permissions.can_review_return(user)
    submitted = ret is not None and ret.status == MonthlyReturn.Status.SUBMITTED
    context = {
        "campaign": campaign,
        "department": department,
        "month": month,
        "ret": ret,
        "cell": status_cell(ret),
        "grid": grid,
        "evidence_flagged": sum(1 for row in evidence.values() if row.flagged),
        "evidence_tolerance": tolerance_percent(campaign.evidence_tolerance),
        "form": form,
        "state": state,
        "editable": editable,
        "is_clerk": is_clerk,
        "is_office": is_office,
        "can_view_audit": can_view_audit_trail(user),
        "window": window,
        "corrections": corrections,
        "amendments": amendments,
        "unlocks": unlocks,
        "conflict": conflict,
        "can_request_correction": is_clerk and _may_request_correction(ret),
        "can_review": is_office and submitted,
        "can_unlock": is_office
        and moment >= window.locks_at
        and (ret is None or ret.status == MonthlyReturn.Status.DRAFT),
        "send_back_form": send_back_form or SendBackForm(),
        "unlock_form": unlock_form or UnlockForm(),
        "decide_form": CorrectionDecideForm(),
        "detail_url": _detail_url(department, month),
    }
    return render(request, "training/return_detail.html", context, status=status)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# ------------------------------------------------------------------------------
# The clerk's pages
# ------------------------------------------------------------------------------


@role_required(Role.CLERK)
def return_current(request):
    """Straight to this month's return of the clerk's department, or a page saying why not."""
    campaign = selectors.campaign_current()
    reason = ""
    if campaign is None:
        reason = "尚未载入专项活动方案，暂无需要报送的月份。"
    elif request.user.department_id is None:
        reason = "您的账号未关联责任单位，请联系领导小组办公室。"
    elif not selectors.category_list(
        campaign=campaign, department=request.user.department
    ).exists():
        reason = "本单位在专项活动中没有培训任务，无需报送月度完成情况。"
    else:
        month = deadlines.current_reporting_month(campaign, clock.now())
        if month is None:
            first = campaign.reporting_months()[0] if campaign.reporting_months() else None
            reason = (
                f"首个报送月份（{first.year}年{first.month}月）尚未结束，"
                f"{deadlines.next_month(first):%Y年%m月%d日}起可填报。"
                if first
                else "本专项活动没有报送月份。"
            )
        else:
            return redirect(_detail_url(request.user.department, month))
    return render(request, "training/return_current.html", {"reason": reason})


@role_required(Role.CLERK)
def return_history(request):
    """Every month the clerk's department owes so far, newest first, with its status."""
    campaign = _campaign()
    department = request.user.department
    if department is None:
        raise Http404
    history = selectors.return_history(campaign=campaign, department=department)
    return render(
        request,
        "training/return_history.html",
        {"campaign": campaign, "department": department, "history": history},
    )


@role_required(Role.CLERK, Role.OFFICE, Role.AUDITOR)
def return_detail(request, department: str, month: datetime.date):
    campaign, dept, ret = _load(request, department, month)
    return _render_detail(request, campaign=campaign, department=dept, month=month, ret=ret)


@role_required(Role.CLERK)
@require_POST
def return_save(request, department: str, month: datetime.date):
    """Save the grid as a draft; with ``action=submit`` save and then submit it."""
    campaign, dept, ret = _load(request, department, month)
    if not permissions.can_edit_return(request.user, dept):
        raise PermissionDenied
    categories = list(selectors.category_list(campaign=campaign, department=dept))
    form = ReturnGridForm(request.POST, categories=categories)
    page = {"campaign": campaign, "department": dept, "month": month}
    if not form.is_valid():
        messages.error(request, "填报数据有误，请按提示修改后重新保存。")
        return _render_detail(request, **page, ret=ret, form=form, status=400)
    try:
        saved = services.return_save(
            campaign=campaign,
            department=dept,
            month=month,
            lines=form.line_inputs(),
            version=form.cleaned_data["version"],
            actor=request.user,
        )
    except services.ReturnConflict as exc:
        return _render_conflict(request, page=page, form=form, exc=exc)
    except ValidationError as exc:
        form.add_service_errors(exc)
        messages.error(request, "填报数据有误，请按提示修改后重新保存。")
        return _render_detail(request, **page, ret=ret, form=form, status=400)
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return _render_detail(request, **page, ret=ret, status=400)

    if request.POST.get("action") != "submit":
        messages.success(request, "已保存草稿。确认无误后请点击“提交”。")
        return redirect(_detail_url(dept, month))
    try:
        services.return_submit(monthly_return=saved, version=saved.version, actor=request.user)
    except services.ReturnConflict as exc:
        return _render_conflict(request, page=page, form=form, exc=exc)
    except RuleViolation as exc:
        messages.warning(request, f"已保存草稿，但未能提交：{exc.message}")
    else:
        messages.success(request, "已提交，等待办公室审核。")
    return redirect(_detail_url(dept, month))


def _render_conflict(request, *, page: dict, form: ReturnGridForm, exc: RuleViolation):
    """409: the page with the figures now in the database (and their version), the user's own
    attempt listed beside each input, so nothing typed is silently dropped or overwritten."""
    _dept, current = selectors.return_get_for_user(
        user=request.user,
        campaign=page["campaign"],
        department_code=page["department"].code,
        month=page["month"],
    )
    attempted = {k: v for k, v in form.cleaned_data.items() if k != "version"}
    return _render_detail(
        request,
        **page,
        ret=current,
        conflict={"message": exc.message, "attempted": attempted},
        status=409,
    )


@role_required(Role.CLERK)
@require_POST
def return_submit(request, department: str, month: datetime.date):
    """Submit a saved draft as it is (for a return filled by upload, say)."""
    campaign, dept, ret = _load(request, department, month)
    if not permissions.can_edit_return(request.user, dept):
        raise PermissionDenied
    form = SubmitForm(request.POST)
    if ret is None or not form.is_valid():
        messages.error(request, "请先填写并保存本月数据，再提交。")
        return _render_detail(
            request, campaign=campaign, department=dept, month=month, ret=ret, status=400
        )
    try:
        services.return_submit(
            monthly_return=ret, version=form.cleaned_data["version"], actor=request.user
        )
    except services.ReturnConflict as exc:
        messages.error(request, exc.message)
        _dept, current = selectors.return_get_for_user(
            user=request.user, campaign=campaign, department_code=dept.code, month=month
        )
        return _render_detail(
            request, campaign=campaign, department=dept, month=month, ret=current, status=409
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已提交，等待办公室审核。")
    return redirect(_detail_url(dept, month))


# ------------------------------------------------------------------------------
# The office's review
# ------------------------------------------------------------------------------


@role_required(Role.OFFICE)
@require_POST
def return_accept(request, department: str, month: datetime.date):
    _unused, dept, ret = _load(request, department, month)
    if ret is None:
        raise Http404
    try:
        services.return_accept(monthly_return=ret, actor=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已审核通过{dept.short_name}{ret.month_label}月报。")
    return redirect(_detail_url(dept, month))


@role_required(Role.OFFICE)
@require_POST
def return_send_back(request, department: str, month: datetime.date):
    campaign, dept, ret = _load(request, department, month)
    if ret is None:
        raise Http404
    form = SendBackForm(request.POST)
    page = {"campaign": campaign, "department": dept, "month": month, "ret": ret}
    if not form.is_valid():
        return _render_detail(request, **page, send_back_form=form, status=400)
    try:
        services.return_send_back(
            monthly_return=ret, reason=form.cleaned_data["reason"], actor=request.user
        )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error("reason", message)
        return _render_detail(request, **page, send_back_form=form, status=400)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"已退回{dept.short_name}{ret.month_label}月报，填报员将看到退回理由。"
        )
    return redirect(_detail_url(dept, month))


@role_required(Role.OFFICE)
@require_POST
def return_unlock(request, department: str, month: datetime.date):
    """Reopen a closed month for this department until the given time (Asia/Shanghai)."""
    campaign, dept, ret = _load(request, department, month)
    form = UnlockForm(request.POST)
    page = {"campaign": campaign, "department": dept, "month": month, "ret": ret}
    if not form.is_valid():
        return _render_detail(request, **page, unlock_form=form, status=400)
    try:
        unlock = services.unlock_grant(
            campaign=campaign,
            department=dept,
            month=month,
            reason=form.cleaned_data["reason"],
            expires_at=form.cleaned_data["expires_at"],
            actor=request.user,
        )
    except ValidationError as exc:
        for key, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(key if key in form.fields else None, message)
        return _render_detail(request, **page, unlock_form=form, status=400)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"已为{dept.short_name}临时解锁{month.year}年{month.month}月月报，"
            f"至{timezone.localtime(unlock.expires_at):%Y-%m-%d %H:%M}自动关闭。",
        )
    return redirect(_detail_url(dept, month))


@role_required(Role.OFFICE, Role.AUDITOR)
def return_matrix(request):
    """Months × departments (months down, so 24 months stay readable), each cell a badge."""
    campaign = _campaign()
    matrix = selectors.return_matrix(user=request.user, campaign=campaign)
    departments = [row["department"] for row in matrix["rows"]]
    table = [
        {
            "month": month,
            "cells": [
                {"department": row["department"], **row["cells"][index]} for row in matrix["rows"]
            ],
        }
        for index, month in reversed(list(enumerate(matrix["months"])))
    ]
    legend = [
        {"label": selectors.MatrixStatus.LABELS[key], "badge": selectors.MatrixStatus.BADGES[key]}
        for key in selectors.MatrixStatus.LABELS
    ]
    return render(
        request,
        "training/return_matrix.html",
        {"campaign": campaign, "departments": departments, "table": table, "legend": legend},
    )


def _describe_changes(event: AuditEvent, categories: dict) -> list[str]:
    """Readable lines for an audit row's changes, keyed "<category number>.<figure>"."""
    lines = []
    for key, value in (event.changes or {}).items():
        target, _dot, name = str(key).partition(".")
        category = categories["by_number"].get(target)
        if name in FIGURE_LABELS and category is not None:
            label = f"{category.name} {FIGURE_LABELS[name]}"
        else:
            label = str(key)
        if isinstance(value, list) and len(value) == 2:
            old = "—" if value[0] is None else value[0]
            lines.append(f"{label}：{old} → {value[1]}")
        else:
            lines.append(f"{label}：{json.dumps(value, ensure_ascii=False)}")
    return lines


@role_required(Role.OFFICE, Role.AUDITOR)
def return_audit(request, department: str, month: datetime.date):
    """The trail of one return and of the unlocks of its month, newest first."""
    campaign, dept, ret = _load(request, department, month)
    unlocks = list(selectors.unlock_list(campaign=campaign, department=dept, month=month))
    condition = Q(
        content_type=ContentType.objects.get_for_model(ReturnUnlock),
        object_id__in=[str(u.pk) for u in unlocks],
    )
    if ret is not None:
        condition |= Q(
            content_type=ContentType.objects.get_for_model(MonthlyReturn), object_id=str(ret.pk)
        )
    events = AuditEvent.objects.filter(condition).order_by("-created_at", "-id")
    categories = list(selectors.category_list(campaign=campaign, department=dept))
    lookup = {
        "by_number": {str(c.number): c for c in categories},
    }
    rows = [
        {
            "event": event,
            "label": ACTION_LABELS.get(event.action, event.action),
            "changes": _describe_changes(event, lookup),
        }
        for event in events
    ]
    moment = clock.now()
    return render(
        request,
        "training/return_audit.html",
        {
            "department": dept,
            "month": month,
            "ret": ret,
            "rows": rows,
            "unlocks": [{"obj": u, "open": u.is_open_at(moment)} for u in unlocks],
            "detail_url": _detail_url(dept, month),
        },
    )


# ------------------------------------------------------------------------------
# Corrections
# ------------------------------------------------------------------------------


@role_required(Role.CLERK)
def correction_create(request, department: str, month: datetime.date):
    """The clerk asks to change an accepted (or locked) return; only changed figures are sent."""
    campaign, dept, ret = _load(request, department, month)
    if not permissions.can_request_correction(request.user, dept):
        raise PermissionDenied
    if ret is None:
        raise Http404
    rows = selectors.return_grid(
        campaign=campaign, department=dept, month=month, monthly_return=ret
    )
    categories = [row.category for row in rows]
    status = 200
    if request.method == "POST":
        form = CorrectionForm(request.POST, categories=categories)
        if form.is_valid():
            lines = {row.category.pk: row.line for row in rows if row.line is not None}
            saved = submit(
                form,
                lambda: services.correction_request(
                    monthly_return=ret,
                    proposed=form.proposed(lines),
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                ),
            )
            if saved is not None:
                messages.success(request, "更正申请已提交，等待办公室审批。")
                return redirect(_detail_url(dept, month))
        status = 400
        form.mark_invalid()
    else:
        form = CorrectionForm(categories=categories, initial=CorrectionForm.initial_from(rows))
    grid = [
        {
            "row": row,
            "figures": [
                {
                    "label": FIGURE_LABELS[name],
                    "current": row.this_month[name],
                    "field": form[cell_name(row.category, name)],
                }
                for name in FIGURE_FIELDS
            ],
        }
        for row in rows
    ]
    return render(
        request,
        "training/correction_form.html",
        {
            "department": dept,
            "month": month,
            "ret": ret,
            "grid": grid,
            "form": form,
            "correctable": _may_request_correction(ret),
            "detail_url": _detail_url(dept, month),
        },
        status=status,
    )


@role_required(Role.CLERK, Role.OFFICE, Role.AUDITOR)
def correction_list(request):
    """Corrections the user may see (a clerk: their own department's), filtered by status."""
    campaign = _campaign()
    filters = CorrectionFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    corrections = selectors.correction_list(user=request.user, campaign=campaign, status=status)
    page = Paginator(corrections, 50).get_page(request.GET.get("page"))
    categories = {str(c.pk): c.name for c in selectors.category_list(campaign=campaign)}
    items = [
        {
            "obj": correction,
            "badge": CORRECTION_BADGES.get(correction.status, "secondary"),
            "changes": [
                f"{categories.get(cat_id, cat_id)} {FIGURE_LABELS.get(name, name)} → {value}"
                for cat_id, figures in correction.proposed.items()
                for name, value in figures.items()
            ],
            "detail_url": _detail_url(
                correction.monthly_return.department, correction.monthly_return.month
            ),
        }
        for correction in page
    ]
    return render(
        request,
        "training/correction_list.html",
        {
            "filters": filters if filters.is_bound else CorrectionFilterForm(),
            "page": page,
            "items": items,
            "is_office": permissions.can_review_return(request.user),
            "decide_form": CorrectionDecideForm(),
        },
    )


@role_required(Role.OFFICE)
@require_POST
def correction_decide(request, pk: int):
    """Approve (amendments old → new) or refuse (reason required). Whoever asked for a change
    never decides it: the service refuses with PermissionDenied (403)."""
    campaign = _campaign()
    correction = get_object_or_404(
        selectors.correction_list(user=request.user, campaign=campaign), pk=pk
    )
    form = CorrectionDecideForm(request.POST)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        approve = form.cleaned_data["action"] == "approve"
        try:
            if approve:
                services.correction_approve(
                    correction=correction, actor=request.user, reason=reason
                )
            else:
                services.correction_refuse(correction=correction, reason=reason, actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("reason", message)
        except RuleViolation as exc:
            messages.error(request, exc.message)
            return redirect(_safe_next(request, reverse("training:correction_list")))
        else:
            messages.success(
                request,
                "已批准更正，修改已记入更正记录。" if approve else "已不予批准该更正申请。",
            )
            return redirect(_safe_next(request, reverse("training:correction_list")))
    ret = correction.monthly_return
    return render(
        request,
        "training/correction_decide.html",
        {
            "correction": correction,
            "form": form,
            "next": _safe_next(request, ""),
            "detail_url": _detail_url(ret.department, ret.month),
            "changes": [
                f"{FIGURE_LABELS.get(name, name)} → {value}"
                for figures in correction.proposed.values()
                for name, value in figures.items()
            ],
        },
        status=400,
    )

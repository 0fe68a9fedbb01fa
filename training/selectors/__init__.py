"""Reads of the training app, scoped to what the user may see."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, Sum
from django.http import Http404

from core import clock
from core.exports import percent
from core.models import Department, User
from core.permissions import is_city_wide_reader
from core.roles import Role
from training import deadlines, permissions
from training.models import (
    FIGURE_FIELDS,
    Campaign,
    CorrectionRequest,
    MonthlyReturn,
    ReturnAmendment,
    ReturnLine,
    ReturnReminder,
    ReturnUnlock,
    Target,
    TrainingCategory,
)


def campaign_current() -> Campaign | None:
    return Campaign.objects.current()


def category_list(*, campaign: Campaign, department: Department | None = None) -> QuerySet:
    qs = TrainingCategory.objects.filter(campaign=campaign).select_related("department")
    if department is not None:
        qs = qs.filter(department=department)
    return qs.order_by("number")


def target_list(*, campaign: Campaign) -> QuerySet:
    return Target.objects.filter(campaign=campaign).order_by("sort_order")


def quota_total(*, campaign: Campaign) -> int:
    return (
        TrainingCategory.objects.filter(campaign=campaign).aggregate(total=Sum("quota"))["total"]
        or 0
    )


# ------------------------------------------------------------------------------
# Monthly returns
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridRow:
    """One category on a return page: quota, cumulative before, this month, after, % of quota."""

    category: TrainingCategory
    line: ReturnLine | None
    before: dict[str, int]
    this_month: dict[str, int]

    @property
    def quota(self) -> int:
        return self.category.quota

    @property
    def after(self) -> dict[str, int]:
        return {name: self.before[name] + self.this_month[name] for name in FIGURE_FIELDS}

    @property
    def percent_of_quota(self) -> Decimal | None:
        return percent(self.after["trained"], self.quota)


def return_get_for_user(
    *, user: User, campaign: Campaign, department_code: str, month: datetime.date
) -> tuple[Department, MonthlyReturn | None]:
    """The department and its return for ``month`` if the user may see them; Http404 otherwise,
    so a clerk guessing another department's URL learns nothing."""
    department = Department.objects.filter(code=department_code).first()
    if department is None or not permissions.can_view_return(user, department):
        raise Http404
    if month not in campaign.reporting_months():
        raise Http404
    ret = (
        MonthlyReturn.objects.select_related("department", "campaign", "submitted_by", "decided_by")
        .filter(campaign=campaign, department=department, month=month)
        .first()
    )
    return department, ret


def return_grid(
    *,
    campaign: Campaign,
    department: Department,
    month: datetime.date,
    monthly_return: MonthlyReturn | None,
) -> list[GridRow]:
    """Three queries whatever the number of months: categories, earlier totals, this month."""
    categories = list(category_list(campaign=campaign, department=department))
    totals = (
        ReturnLine.objects.filter(
            monthly_return__campaign=campaign,
            monthly_return__department=department,
            monthly_return__month__lt=month,
        )
        .exclude(monthly_return__status=MonthlyReturn.Status.DRAFT)
        .values("category_id")
        .annotate(**{name: Sum(name) for name in FIGURE_FIELDS})
    )
    before = {row["category_id"]: row for row in totals}
    lines = {}
    if monthly_return is not None:
        lines = {line.category_id: line for line in monthly_return.lines.all()}
    rows = []
    for category in categories:
        line = lines.get(category.pk)
        rows.append(
            GridRow(
                category=category,
                line=line,
                before={n: (before.get(category.pk) or {}).get(n) or 0 for n in FIGURE_FIELDS},
                this_month=line.figures() if line else dict.fromkeys(FIGURE_FIELDS, 0),
            )
        )
    return rows


def return_history(*, campaign: Campaign, department: Department) -> list[dict]:
    """Every month owed so far, with its return (or none) — one query."""
    moment = clock.now()
    returns = {
        r.month: r for r in MonthlyReturn.objects.filter(campaign=campaign, department=department)
    }
    months = deadlines.months_due(campaign, moment)
    return [
        {
            "month": month,
            "return": returns.get(month),
            "cell": _matrix_cell(returns.get(month), deadlines.window_for(campaign, month), moment),
        }
        for month in reversed(months)
    ]


class MatrixStatus:
    MISSING = "missing"
    DRAFT = "draft"
    ON_TIME = "on_time"
    LATE = "late"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    OPEN = "open"  # not due yet and nothing submitted

    LABELS = {
        MISSING: "未报送",
        DRAFT: "草稿未提交",
        ON_TIME: "按时提交",
        LATE: "逾期提交",
        RETURNED: "已退回修改",
        ACCEPTED: "已审核通过",
        OPEN: "填报中",
    }
    BADGES = {
        MISSING: "danger",
        DRAFT: "warning",
        ON_TIME: "primary",
        LATE: "warning",
        RETURNED: "secondary",
        ACCEPTED: "success",
        OPEN: "light",
    }


def _matrix_cell(ret: MonthlyReturn | None, window, moment) -> dict:
    if ret is None or ret.status == MonthlyReturn.Status.DRAFT:
        if moment < window.due_at:
            status = MatrixStatus.OPEN if ret is None else MatrixStatus.DRAFT
        else:
            status = MatrixStatus.MISSING if ret is None else MatrixStatus.DRAFT
    elif ret.status == MonthlyReturn.Status.RETURNED:
        status = MatrixStatus.RETURNED
    elif ret.status == MonthlyReturn.Status.ACCEPTED:
        status = MatrixStatus.ACCEPTED
    else:
        status = MatrixStatus.LATE if ret.is_late else MatrixStatus.ON_TIME
    return {
        "status": status,
        "label": MatrixStatus.LABELS[status],
        "badge": MatrixStatus.BADGES[status],
        "late": bool(ret and ret.is_late),
        "amended": bool(ret and ret.amended_after_deadline),
    }


def return_matrix(*, user: User, campaign: Campaign) -> dict:
    """Departments × months owed so far, each cell a status. Two queries whatever the size."""
    if not is_city_wide_reader(user):
        raise PermissionDenied
    moment = clock.now()
    months = deadlines.months_due(campaign, moment)
    departments = list(
        Department.objects.filter(training_categories__campaign=campaign)
        .distinct()
        .order_by("sort_order")
    )
    returns = {
        (r.department_id, r.month): r
        for r in MonthlyReturn.objects.filter(campaign=campaign).only(
            "department_id", "month", "status", "is_late", "amended_after_deadline"
        )
    }
    windows = {month: deadlines.window_for(campaign, month) for month in months}
    rows = [
        {
            "department": department,
            "cells": [
                {
                    "month": month,
                    **_matrix_cell(returns.get((department.pk, month)), windows[month], moment),
                }
                for month in months
            ],
        }
        for department in departments
    ]
    return {"months": months, "rows": rows}


def correction_list(*, user: User, campaign: Campaign, status: str = "") -> QuerySet:
    qs = CorrectionRequest.objects.select_related(
        "monthly_return__department", "requested_by", "decided_by"
    ).filter(monthly_return__campaign=campaign)
    if not is_city_wide_reader(user):
        if not (user.has_role(Role.CLERK) and user.department_id):
            return qs.none()
        qs = qs.filter(monthly_return__department_id=user.department_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at")


def amendment_list(*, monthly_return: MonthlyReturn) -> QuerySet:
    return ReturnAmendment.objects.filter(line__monthly_return=monthly_return).select_related(
        "line__category", "correction__requested_by", "correction__decided_by"
    )


def reminder_list_for_user(*, user: User, campaign: Campaign) -> QuerySet:
    if not (user.has_role(Role.CLERK) and user.department_id):
        return ReturnReminder.objects.none()
    submitted_months = (
        MonthlyReturn.objects.reported()
        .filter(campaign=campaign, department_id=user.department_id)
        .values("month")
    )
    return (
        ReturnReminder.objects.filter(campaign=campaign, department_id=user.department_id)
        .exclude(month__in=submitted_months)
        .order_by("-created_at")
    )


def unlock_list(*, campaign: Campaign, department: Department, month: datetime.date) -> QuerySet:
    return ReturnUnlock.objects.filter(
        campaign=campaign, department=department, month=month
    ).select_related("granted_by")

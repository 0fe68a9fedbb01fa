"""Reads for the office's pages and every role's home page."""

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from core import clock
from core.models import AuditEvent, User
from core.permissions import can_view_audit_trail, is_city_wide_reader
from core.roles import Role
from training import deadlines
from training import selectors as training_selectors


def home_context(*, user: User) -> dict[str, Any]:
    campaign = training_selectors.campaign_current()
    context: dict[str, Any] = {"campaign": campaign, "panels": []}
    if campaign is None:
        return context
    if is_city_wide_reader(user):
        context["panels"].append("office")
        context["targets"] = training_selectors.target_list(campaign=campaign)
        context["categories"] = training_selectors.category_list(campaign=campaign)
        context["quota_total"] = training_selectors.quota_total(campaign=campaign)
        context["pending_corrections"] = training_selectors.correction_list(
            user=user, campaign=campaign, status="pending"
        ).count()
    if user.has_role(Role.CLERK) and user.department_id:
        context["panels"].append("clerk")
        context["department"] = user.department
        context["my_categories"] = training_selectors.category_list(
            campaign=campaign, department=user.department
        )
        context["current_return"] = _current_return(campaign=campaign, user=user)
        context["reminders"] = list(
            training_selectors.reminder_list_for_user(user=user, campaign=campaign)[:5]
        )
    for role, panel in (
        (Role.WORKER, "worker"),
        (Role.INSTITUTION, "institution"),
        (Role.REVIEWER, "reviewer"),
        (Role.FINANCE, "finance"),
        (Role.COMMITTEE, "committee"),
    ):
        if user.has_role(role):
            context["panels"].append(panel)
    return context


def _current_return(*, campaign, user: User) -> dict[str, Any] | None:
    """The month the clerk's department is reporting now, its status badge and its page."""
    month = deadlines.current_reporting_month(campaign, clock.now())
    if month is None:
        return None
    history = training_selectors.return_history(campaign=campaign, department=user.department)
    entry = next((item for item in history if item["month"] == month), None)
    window = deadlines.window_for(campaign, month)
    return {
        "month": month,
        "cell": entry["cell"] if entry else None,
        "due_date": window.due_date,
        "url": reverse("training:return_detail", args=[user.department.code, month]),
    }


def audit_event_list(*, user: User, action: str = "") -> QuerySet:
    if not can_view_audit_trail(user):
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.select_related("content_type")
    if action:
        qs = qs.filter(action=action)
    return qs.order_by("-created_at", "-id")

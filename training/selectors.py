"""Reads of the training app, scoped to what the user may see."""

from django.db.models import QuerySet, Sum

from core.models import Department
from training.models import Campaign, Target, TrainingCategory


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

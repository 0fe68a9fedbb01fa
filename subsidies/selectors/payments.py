"""Finance's lists: claims ready for payment (待拨付 and 拨付失败) and subsidy batches."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Sum

from core.models import PaymentBatch, User
from subsidies.models import SubsidyClaim
from subsidies.services.payments import PAYABLE_STATUSES, PAYMENT_KIND, is_finance


def payable_claims(user: User) -> QuerySet[SubsidyClaim]:
    """Claims finance may put in a batch, oldest decision first; none for other roles."""
    if not is_finance(user):
        return SubsidyClaim.objects.none()
    return (
        SubsidyClaim.objects.filter(status__in=PAYABLE_STATUSES)
        .select_related("worker", "occupation", "institution")
        .order_by("status", "decided_at", "pk")
    )


def payable_totals(user: User) -> dict:
    """Count and amount of the payable claims (one query)."""
    return payable_claims(user).order_by().aggregate(count=Count("pk"), total=Sum("amount"))


def subsidy_batches() -> QuerySet[PaymentBatch]:
    return (
        PaymentBatch.objects.filter(kind=PAYMENT_KIND)
        .select_related("prepared_by", "approved_by")
        .order_by("-created_at", "-pk")
    )

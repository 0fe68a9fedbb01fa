"""Reports on subsidy money: the audit workbook's rows and the home-page panel.

"Committed" is money approved and later (公示中, 待拨付, 拨付中, 已发放, 拨付失败);
"paid" is 已发放.
A claim's department is its class category's responsible department (培训类别的责任单位); claims
without a training (鉴定补贴, 急需紧缺补贴) count under "其他（鉴定类）".
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core.models import PaymentLine
from subsidies.models import Kind, SubsidyClaim

COMMITTED_STATUSES = ("in_notice", "ready", "in_payment", "paid", "failed")
PAID_STATUS = "paid"
_ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))


def claims_with_batch(campaign) -> QuerySet[SubsidyClaim]:
    """The campaign's claims, each annotated with its latest live or failed payment batch
    number (``batch_number``), for streaming exports."""
    lines = PaymentLine.objects.filter(
        content_type=ContentType.objects.get_for_model(SubsidyClaim),
        object_id=OuterRef("pk"),
    ).exclude(status=PaymentLine.Status.CANCELLED)
    return (
        SubsidyClaim.objects.filter(campaign=campaign)
        .annotate(batch_number=Subquery(lines.order_by("-pk").values("batch__number")[:1]))
        .order_by("number")
    )


def _sums():
    return {
        "committed": Coalesce(Sum("amount", filter=Q(status__in=COMMITTED_STATUSES)), _ZERO),
        "paid": Coalesce(Sum("amount", filter=Q(status=PAID_STATUS)), _ZERO),
        "committed_count": Count("pk", filter=Q(status__in=COMMITTED_STATUSES)),
        "paid_count": Count("pk", filter=Q(status=PAID_STATUS)),
    }


def money_by_kind(campaign) -> list[dict]:
    """Committed and paid per subsidy kind, every kind listed (one query)."""
    rows = {
        row["kind"]: row
        for row in SubsidyClaim.objects.filter(campaign=campaign)
        .values("kind")
        .annotate(**_sums())
        .order_by()
    }
    result = []
    for value, label in Kind.choices:
        row = rows.get(value, {})
        result.append(
            {
                "label": label,
                "committed": row.get("committed", Decimal("0.00")),
                "paid": row.get("paid", Decimal("0.00")),
                "committed_count": row.get("committed_count", 0),
                "paid_count": row.get("paid_count", 0),
            }
        )
    return result


def money_by_department(campaign) -> list[dict]:
    """Committed and paid per responsible department of the class category (one query)."""
    rows = (
        SubsidyClaim.objects.filter(campaign=campaign, status__in=COMMITTED_STATUSES)
        .values(
            "enrollment__training_class__category__department__name",
            "enrollment__training_class__category__department__sort_order",
        )
        .annotate(**_sums())
        .order_by("enrollment__training_class__category__department__sort_order")
    )
    return [
        {
            "label": row["enrollment__training_class__category__department__name"]
            or "其他（鉴定类补贴）",
            "committed": row["committed"],
            "paid": row["paid"],
            "committed_count": row["committed_count"],
            "paid_count": row["paid_count"],
        }
        for row in rows
    ]


def home_panel(*, user, campaign) -> dict | None:
    """The home page's 补贴资金 panel: two queries whatever the data."""
    if campaign is None:
        return None
    by_kind = money_by_kind(campaign)
    return {
        "by_kind": by_kind,
        "by_department": money_by_department(campaign),
        "committed": sum((row["committed"] for row in by_kind), Decimal("0.00")),
        "paid": sum((row["paid"] for row in by_kind), Decimal("0.00")),
    }

"""The public notice (公示) of approved subsidy claims, on the shared ``core.notices`` machinery.

Decisions:

* Approved claims (公示中) wait for the reviewer to publish them; one notice holds many claims. A
  claim is "awaiting publication" while it is 公示中 and on no open notice.
* The notice period is data: ``[subsidy_notice] working_days`` in the plan file, which the
  reviewer may change on the publish page for one notice.
* Only masked data is published: the name with the middle hidden ("张*国"), the masked ID number,
  what is claimed and the amount.
* When the notice closes: cleared claims still 公示中 move to 待拨付; withheld claims (an upheld
  objection) are refused with the office's finding as the reason. A claim that left 公示中 during
  the notice (the worker changed the account: back to 审核中) is left alone.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction

from core.errors import RuleViolation
from core.models import NoticeItem, Objection, PublicNotice, User
from core.notices import NoticeItemInput, notice_publish
from subsidies.models import SubsidyClaim
from subsidies.services.claims import claim_move
from subsidies.services.review import is_reviewer

NOTICE_KIND = "subsidies.claim"
Status = SubsidyClaim.Status
DEFAULT_WORKING_DAYS_KEY = ("subsidy_notice", "working_days")


def notice_working_days() -> int:
    """The notice period from the plan file (``[subsidy_notice] working_days``)."""
    from training.services.plan import DEFAULT_PLAN, read_plan

    section, key = DEFAULT_WORKING_DAYS_KEY
    value = read_plan(DEFAULT_PLAN).get(section, {}).get(key)
    if not isinstance(value, int) or value < 1:
        raise RuleViolation(
            "计划文件未设置补贴公示期（[subsidy_notice] working_days）。", code="notice_days"
        )
    return value


def mask_name(name: str) -> str:
    """张三 → 张*, 张三丰 → 张*丰, 欧阳娜娜 → 欧**娜."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def awaiting_publication():
    """Approved claims (公示中) that are on no open notice (a queryset)."""
    on_open_notice = NoticeItem.objects.filter(
        content_type=ContentType.objects.get_for_model(SubsidyClaim),
        notice__status=PublicNotice.Status.OPEN,
    ).values("object_id")
    return SubsidyClaim.objects.filter(status=Status.IN_NOTICE).exclude(pk__in=on_open_notice)


@transaction.atomic
def claims_notice_publish(
    *,
    claim_ids: list[int] | None = None,
    title: str,
    body: str = "",
    working_days: int | None = None,
    actor: User,
    starts_on=None,
) -> PublicNotice:
    """Publish approved claims awaiting publication (all of them, or those in ``claim_ids``).

    Raises PermissionDenied for a non-reviewer, RuleViolation when none is awaiting publication
    (or an id is not). The notice's audit row is written by ``core.notices.notice_publish``.
    """
    if not is_reviewer(actor):
        raise PermissionDenied("只有人社审核人员可以发布补贴公示。")
    queryset = awaiting_publication().select_related("worker", "occupation")
    if claim_ids is not None:
        queryset = queryset.filter(pk__in=claim_ids)
    claims = list(queryset.select_for_update(of=("self",)).order_by("number"))
    if claim_ids is not None and len(claims) != len(set(claim_ids)):
        raise RuleViolation("所选申请中有的已不在待公示状态，请刷新后重试。", code="notice_stale")
    if not claims:
        raise RuleViolation("没有待公示的补贴申请。", code="notice_empty")
    items = [
        NoticeItemInput(
            obj=claim,
            display_name=mask_name(claim.worker.name),
            id_masked=claim.worker.id_number_masked,
            description=claim.description(),
            amount=claim.amount,
        )
        for claim in claims
    ]
    return notice_publish(
        kind=NOTICE_KIND,
        title=title,
        body=body,
        items=items,
        working_days=working_days or notice_working_days(),
        actor=actor,
        starts_on=starts_on,
    )


def on_notice_close(
    notice: PublicNotice, cleared: list, withheld: list, actor: User | None
) -> None:
    """``core.notices`` callback, inside the closing transaction (claims arrive locked);
    ``actor`` closed the notice (None: the daily job)."""
    for claim in cleared:
        if claim.status == Status.IN_NOTICE:
            claim_move(
                claim,
                Status.READY,
                actor=actor,
                reason=f"公示期满无异议（{notice.title}），待拨付。",
                action="subsidies.claim.notice_cleared",
            )
    if not withheld:
        return
    findings = {}
    upheld = (
        Objection.objects.filter(notice=notice, status=Objection.Status.UPHELD, item__isnull=False)
        .select_related("item")
        .order_by("resolved_at", "pk")
    )
    for objection in upheld:
        findings.setdefault(objection.item.object_id, []).append(objection.resolution)
    for claim in withheld:
        if claim.status != Status.IN_NOTICE:
            continue
        reason = "公示期间异议成立：" + "；".join(findings.get(claim.pk, ["经核查不予补贴"]))
        claim.decision_reason = reason
        claim_move(
            claim,
            Status.REFUSED,
            actor=actor,
            reason=reason,
            action="subsidies.claim.notice_withheld",
        )


def register_notice_kind() -> None:
    from core import notices
    from core.roles import Role

    notices.register_notice_kind(
        NOTICE_KIND,
        on_close=on_notice_close,
        label="补贴公示",
        publishers={Role.REVIEWER},
        resolvers={Role.OFFICE},
    )

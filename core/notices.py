"""Public notices (公示): shared by subsidies and awards.

An app registers a notice *kind* with its callbacks (``register_notice_kind``), then publishes
approved claims or nominations with ``notice_publish``. The public sees the notice (masked names
and ID numbers only) and may lodge objections while it is open; the office resolves them. When
the notice has run its working days, ``notice_close`` (called by the daily beat job
``core.tasks.close_due_notices``, by ``manage.py close_notices`` or by a button) marks every item
cleared or withheld and hands both lists to the kind's ``on_close`` callback inside the same
transaction, so the app's status changes and the notice's close commit together.

Working days are Monday to Friday. Public holidays and the weekend days the State Council turns
into working days (调休) are NOT modelled: a notice spanning a holiday runs a little shorter in
calendar terms; the office can publish with more working days when that matters.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, Q

from core import clock
from core.errors import RuleViolation
from core.models import NoticeItem, Objection, PublicNotice, User
from core.roles import Role
from core.services import audit_record
from core.validators import validate_mobile

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")

# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

# (notice, cleared, withheld, actor): actor None when the daily job closed the notice.
OnClose = Callable[[PublicNotice, list[Any], list[Any], "User | None"], None]
OnWithheld = Callable[[Any, Objection], None]


@dataclass(frozen=True)
class NoticeKind:
    kind: str
    on_close: OnClose
    on_item_withheld: OnWithheld | None = None
    label: str = ""
    publishers: frozenset[Role] = field(default_factory=lambda: frozenset({Role.REVIEWER}))
    resolvers: frozenset[Role] = field(default_factory=lambda: frozenset({Role.OFFICE}))


_KINDS: dict[str, NoticeKind] = {}


def register_notice_kind(
    kind: str,
    *,
    on_close: OnClose,
    on_item_withheld: OnWithheld | None = None,
    label: str = "",
    publishers: Iterable[Role] = (Role.REVIEWER,),
    resolvers: Iterable[Role] = (Role.OFFICE,),
) -> NoticeKind:
    """Register (or replace) an app's notice kind; call from ``AppConfig.ready``.

    ``on_close(notice, cleared_objects, withheld_objects, actor)`` runs inside the closing
    transaction (``actor`` None: the daily job closed it);
    ``on_item_withheld(obj, objection)`` runs inside the transaction that upholds an objection.
    Objects are passed locked (``select_for_update``).
    """
    registration = NoticeKind(
        kind=kind,
        on_close=on_close,
        on_item_withheld=on_item_withheld,
        label=label or kind,
        publishers=frozenset(publishers),
        resolvers=frozenset(resolvers),
    )
    _KINDS[kind] = registration
    return registration


def notice_kind(kind: str) -> NoticeKind:
    try:
        return _KINDS[kind]
    except KeyError:
        raise LookupError(f"notice kind {kind!r} is not registered") from None


def notice_kind_label(kind: str) -> str:
    registration = _KINDS.get(kind)
    return registration.label if registration else kind


# --------------------------------------------------------------------------------------------
# Working days
# --------------------------------------------------------------------------------------------


def is_working_day(day: datetime.date) -> bool:
    """Monday to Friday (public holidays are not modelled, see the module docstring)."""
    return day.weekday() < 5


def working_day_after(start: datetime.date, n: int) -> datetime.date:
    """The date ``n`` working days after ``start`` (``start`` itself not counted; n=0 → start)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    remaining = n
    while remaining:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def notice_end_date(starts_on: datetime.date, working_days: int) -> datetime.date:
    """The last day of a notice running ``working_days`` working days from ``starts_on``.

    ``starts_on`` counts as the first day when it is a working day: published on a Monday for 5
    working days, the notice ends on Friday; published on a Saturday, it ends the next Friday.
    """
    if working_days < 1:
        raise ValueError("a notice runs at least one working day")
    first = starts_on if is_working_day(starts_on) else working_day_after(starts_on, 1)
    return working_day_after(first, working_days - 1)


# --------------------------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeItemInput:
    """One object to publish, with the masked text the public will see."""

    obj: models.Model
    display_name: str
    id_masked: str
    description: str
    amount: Decimal | None = None


def _has_any_role(user: User | None, roles: Iterable[Role]) -> bool:
    return bool(
        user is not None and user.is_authenticated and (user.is_superuser or user.has_role(*roles))
    )


@transaction.atomic
def notice_publish(
    *,
    kind: str,
    title: str,
    body: str = "",
    items: list[NoticeItemInput],
    working_days: int,
    actor: User,
    starts_on: datetime.date | None = None,
) -> PublicNotice:
    """Publish a notice of ``items`` for ``working_days`` working days from ``starts_on``
    (default today).

    Raises PermissionDenied unless the actor holds one of the kind's publisher roles;
    RuleViolation for an empty list, a non-positive period, or an object already on an open
    notice. Writes one audit row for the notice.
    """
    registration = notice_kind(kind)
    if not _has_any_role(actor, registration.publishers):
        raise PermissionDenied
    if not items:
        raise RuleViolation("公示名单为空，不能发布公示。", code="notice_empty")
    if not isinstance(working_days, int) or working_days < 1:
        raise RuleViolation("公示期至少为1个工作日。", code="notice_days")
    title = (title or "").strip()
    if not title:
        raise RuleViolation("请填写公示标题。", code="notice_title")
    starts_on = starts_on or clock.today()

    keys = []
    for item in items:
        content_type = ContentType.objects.get_for_model(item.obj)
        keys.append((content_type, item.obj.pk))
    if len(set(keys)) != len(keys):
        raise RuleViolation("公示名单中有重复的对象。", code="notice_duplicate")
    # An object is on at most one open notice at a time (a second notice would let it clear
    # while objections to it are still being investigated on the first).
    on_open = Q()
    for content_type, object_id in keys:
        on_open |= Q(content_type=content_type, object_id=object_id)
    already = (
        NoticeItem.objects.filter(on_open, notice__status=PublicNotice.Status.OPEN)
        .select_related("notice")
        .first()
    )
    if already is not None:
        raise RuleViolation(
            f"“{already.display_name} {already.description}”已在公示“{already.notice.title}”中。",
            code="notice_already_open",
        )

    notice = PublicNotice.objects.create(
        kind=kind,
        title=title,
        body=body or "",
        starts_on=starts_on,
        working_days=working_days,
        ends_on=notice_end_date(starts_on, working_days),
        published_by=actor,
    )
    NoticeItem.objects.bulk_create(
        [
            NoticeItem(
                notice=notice,
                content_type=content_type,
                object_id=object_id,
                display_name=item.display_name,
                id_masked=item.id_masked,
                description=item.description,
                amount=(
                    None
                    if item.amount is None
                    else Decimal(item.amount).quantize(CENT, rounding=ROUND_HALF_UP)
                ),
            )
            for item, (content_type, object_id) in zip(items, keys, strict=True)
        ]
    )
    audit_record(
        actor=actor,
        action="notice.publish",
        obj=notice,
        to_state=notice.status,
        changes={
            "kind": kind,
            "items": len(items),
            "starts_on": starts_on.isoformat(),
            "ends_on": notice.ends_on.isoformat(),
            "working_days": working_days,
        },
    )
    return notice


@transaction.atomic
def objection_lodge(
    *,
    notice: PublicNotice,
    item: NoticeItem | None = None,
    objector_name: str,
    objector_phone: str = "",
    content: str,
    ip: str = "",
) -> Objection:
    """Record an objection from anyone (no login). Refused once the notice period has ended.

    Raises ValidationError for a missing name or content or a malformed phone number,
    RuleViolation when the notice is closed or past its last day, or when ``item`` is not on
    this notice. Writes an audit row with no actor.
    """
    notice = PublicNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != PublicNotice.Status.OPEN or clock.today() > notice.ends_on:
        raise RuleViolation("公示期已结束，不再受理异议。", code="notice_closed")
    if clock.today() < notice.starts_on:
        raise RuleViolation("公示尚未开始。", code="notice_not_started")
    if item is not None and item.notice_id != notice.pk:
        raise RuleViolation("所选对象不在本公示中。", code="objection_item")
    errors: dict[str, list[str]] = {}
    objector_name = (objector_name or "").strip()
    content = (content or "").strip()
    objector_phone = (objector_phone or "").strip()
    if not objector_name:
        errors["objector_name"] = ["请填写异议人姓名。"]
    if not content:
        errors["content"] = ["请填写异议内容。"]
    if objector_phone:
        try:
            validate_mobile(objector_phone)
        except ValidationError as exc:
            errors["objector_phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    objection = Objection.objects.create(
        notice=notice,
        item=item,
        objector_name=objector_name[:64],
        objector_phone=objector_phone,
        content=content,
        ip_address=ip or None,
    )
    audit_record(
        actor=None,
        action="notice.objection_lodge",
        obj=objection,
        to_state=objection.status,
        changes={"notice": notice.pk, "item": item.pk if item else None},
    )
    return objection


def _locked_target(item: NoticeItem) -> Any:
    model = item.content_type.model_class()
    return model._default_manager.select_for_update().get(pk=item.object_id)


@transaction.atomic
def objection_resolve(
    *,
    objection: Objection,
    upheld: bool,
    resolution: str,
    actor: User,
    item: NoticeItem | None = None,
) -> Objection:
    """Resolve an open objection as upheld (异议成立) or dismissed (异议不成立).

    An upheld objection withholds its item when the notice closes. An objection lodged against
    the notice as a whole must name the ``item`` it concerns to be upheld. Calls the kind's
    ``on_item_withheld`` for an upheld objection. Raises PermissionDenied unless the actor holds
    one of the kind's resolver roles (the office), ValidationError without a resolution,
    RuleViolation when already resolved.
    """
    objection = Objection.objects.select_for_update().select_related("notice").get(pk=objection.pk)
    notice = objection.notice
    registration = notice_kind(notice.kind)
    if not _has_any_role(actor, registration.resolvers):
        raise PermissionDenied
    if objection.status != Objection.Status.OPEN:
        raise RuleViolation("该异议已处理，不能再次处理。", code="objection_resolved")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": ["请填写核查结论。"]})
    if upheld and objection.item_id is None:
        if item is None:
            raise RuleViolation("异议成立时须指明所涉公示对象。", code="objection_needs_item")
        if item.notice_id != notice.pk:
            raise RuleViolation("所选对象不在本公示中。", code="objection_item")
        objection.item = item
    new_status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
    old_status = objection.status
    objection.status = new_status
    objection.resolution = resolution
    objection.resolved_by = actor
    objection.resolved_at = clock.now()
    objection.save(
        update_fields=[
            "item",
            "status",
            "resolution",
            "resolved_by",
            "resolved_at",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="notice.objection_resolve",
        obj=objection,
        from_state=old_status,
        to_state=new_status,
        reason=resolution,
        changes={"item": objection.item_id},
    )
    if upheld and registration.on_item_withheld is not None:
        registration.on_item_withheld(_locked_target(objection.item), objection)
    return objection


def _objects_for(items: list[NoticeItem]) -> list[Any]:
    """The items' target objects, locked, one query per content type, in item order."""
    by_type: dict[int, list[int]] = {}
    for item in items:
        by_type.setdefault(item.content_type_id, []).append(item.object_id)
    found: dict[tuple[int, int], Any] = {}
    for content_type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        for obj in model._default_manager.select_for_update().filter(pk__in=ids).order_by("pk"):
            found[(content_type_id, obj.pk)] = obj
    return [
        found[(item.content_type_id, item.object_id)]
        for item in items
        if (item.content_type_id, item.object_id) in found
    ]


@transaction.atomic
def notice_close(
    *, notice: PublicNotice, actor: User | None = None, today: datetime.date | None = None
) -> PublicNotice:
    """Close a notice after its last day: items with an upheld objection are withheld, the rest
    cleared; the kind's ``on_close`` receives both lists in this transaction.

    Idempotent (closing a closed notice returns it unchanged). Raises RuleViolation before the
    period has ended or while an objection is still open; PermissionDenied when a signed-in
    actor is neither a publisher nor a resolver of the kind (``actor=None`` is the system job).
    Writes one audit row.
    """
    notice = PublicNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status == PublicNotice.Status.CLOSED:
        return notice
    registration = notice_kind(notice.kind)
    if actor is not None and not _has_any_role(
        actor, registration.publishers | registration.resolvers
    ):
        raise PermissionDenied
    today = today or clock.today()
    if today <= notice.ends_on:
        raise RuleViolation(
            f"公示期至{notice.ends_on:%Y年%m月%d日}结束，期满后方可结束公示。",
            code="notice_not_due",
        )
    open_count = notice.objections.filter(status=Objection.Status.OPEN).count()
    if open_count:
        raise RuleViolation(
            f"尚有未处理的异议（{open_count}条），处理完毕后方可结束公示。",
            code="notice_open_objections",
        )
    items = list(notice.items.order_by("pk"))
    withheld_ids = set(
        notice.objections.filter(status=Objection.Status.UPHELD, item__isnull=False).values_list(
            "item_id", flat=True
        )
    )
    withheld = [item for item in items if item.pk in withheld_ids]
    cleared = [item for item in items if item.pk not in withheld_ids]
    # The audit row below records both lists, so the bulk update is covered.
    notice.items.filter(pk__in=[i.pk for i in cleared]).update(
        outcome=NoticeItem.Outcome.CLEARED, updated_at=clock.now()
    )
    notice.items.filter(pk__in=[i.pk for i in withheld]).update(
        outcome=NoticeItem.Outcome.WITHHELD, updated_at=clock.now()
    )
    notice.status = PublicNotice.Status.CLOSED
    notice.closed_at = clock.now()
    notice.save(update_fields=["status", "closed_at", "updated_at"])
    audit_record(
        actor=actor,
        action="notice.close",
        obj=notice,
        from_state=PublicNotice.Status.OPEN,
        to_state=PublicNotice.Status.CLOSED,
        changes={
            "cleared": [i.pk for i in cleared],
            "withheld": [i.pk for i in withheld],
        },
    )
    registration.on_close(notice, _objects_for(cleared), _objects_for(withheld), actor)
    return notice


@dataclass
class CloseDueResult:
    closed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def notices_close_due_report(*, today: datetime.date | None = None) -> CloseDueResult:
    """Close every open notice past its last day; each in its own transaction, so one that
    fails (open objections) does not keep the others open. Idempotent."""
    today = today or clock.today()
    result = CloseDueResult()
    due = PublicNotice.objects.filter(status=PublicNotice.Status.OPEN, ends_on__lt=today)
    due = due.annotate(
        open_objections=Count("objections", filter=Q(objections__status=Objection.Status.OPEN))
    ).order_by("pk")
    for notice in due:
        if notice.open_objections:
            result.skipped.append(notice.pk)
            logger.warning(
                "notice %s not closed: %s open objections", notice.pk, notice.open_objections
            )
            continue
        try:
            notice_close(notice=notice, actor=None, today=today)
        except RuleViolation as exc:
            result.skipped.append(notice.pk)
            logger.warning("notice %s not closed: %s", notice.pk, exc)
        else:
            result.closed.append(notice.pk)
    return result


def notices_close_due(*, today: datetime.date | None = None) -> list[int]:
    """Close the notices whose period has ended; returns the ids closed. Notices with open
    objections are skipped (and logged); ``notices_close_due_report`` also lists them."""
    return notices_close_due_report(today=today).closed

"""Monthly returns (月度报送): each responsible unit's completions for a month, by category.

Deadlines are data on the campaign: a return for month M is due by the end of the due day of M+1
(Asia/Shanghai); after the lock day it is closed, and a change needs a correction that the office
approves, kept as amendments (old → new), never an overwrite.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel

# The figures a return line carries, in the order every page and file shows them.
FIGURE_FIELDS: tuple[str, ...] = ("trained", "passed", "certified", "employed", "entrepreneurs")
# Every figure but "trained" counts people among those trained, so none may exceed it.
OUTCOME_FIELDS: tuple[str, ...] = FIGURE_FIELDS[1:]


class MonthlyReturnQuerySet(models.QuerySet):
    def reported(self) -> "MonthlyReturnQuerySet":
        """Returns the office has received (submitted at least once and not a bare draft)."""
        return self.exclude(status=MonthlyReturn.Status.DRAFT)


class MonthlyReturn(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        RETURNED = "returned", _("已退回修改")
        ACCEPTED = "accepted", _("已审核通过")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.DRAFT: frozenset({Status.SUBMITTED}),
        Status.SUBMITTED: frozenset({Status.ACCEPTED, Status.RETURNED}),
        Status.RETURNED: frozenset({Status.SUBMITTED}),
        Status.ACCEPTED: frozenset(),
    }

    campaign = models.ForeignKey(
        "training.Campaign", verbose_name=_("专项活动"), on_delete=models.PROTECT
    )
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        related_name="monthly_returns",
    )
    month = models.DateField(_("报送月份"), help_text=_("该月第一天"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    # Optimistic lock: every save bumps it; a save carrying an older version is refused.
    version = models.PositiveIntegerField(_("版本"), default=1)
    first_submitted_at = models.DateTimeField(_("首次提交时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("最近提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    return_reason = models.TextField(_("退回理由"), blank=True)
    is_late = models.BooleanField(_("逾期报送"), default=False)
    amended_after_deadline = models.BooleanField(_("锁定后更正"), default=False)

    objects = MonthlyReturnQuerySet.as_manager()

    class Meta:
        ordering = ("-month", "department__sort_order")
        verbose_name = _("月度报送")
        verbose_name_plural = _("月度报送")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "department", "month"], name="return_one_per_department_month"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "submitted", "returned", "accepted"]),
                name="return_status_valid",
            ),
            models.CheckConstraint(condition=models.Q(month__day=1), name="return_month_first_day"),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="return_version_positive"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "month"], name="return_campaign_month_idx")]

    def __str__(self) -> str:
        return f"{self.department} {self.month:%Y年%m月}月报"

    @property
    def month_label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"


class ReturnLine(BaseModel):
    monthly_return = models.ForeignKey(
        MonthlyReturn, verbose_name=_("月度报送"), on_delete=models.CASCADE, related_name="lines"
    )
    category = models.ForeignKey(
        "training.TrainingCategory", verbose_name=_("培训类别"), on_delete=models.PROTECT
    )
    trained = models.PositiveIntegerField(_("培训人次"), default=0)
    passed = models.PositiveIntegerField(_("考核合格"), default=0)
    certified = models.PositiveIntegerField(_("取得证书"), default=0)
    employed = models.PositiveIntegerField(_("实现就业"), default=0)
    entrepreneurs = models.PositiveIntegerField(_("成功创业"), default=0)
    note = models.CharField(_("备注"), max_length=500, blank=True)

    class Meta:
        ordering = ("category__number",)
        verbose_name = _("报送明细")
        verbose_name_plural = _("报送明细")
        constraints = [
            models.UniqueConstraint(
                fields=["monthly_return", "category"], name="return_line_one_per_category"
            ),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{name}__lte": models.F("trained")}),
                    name=f"return_line_{name}_within_trained",
                )
                for name in OUTCOME_FIELDS
            ],
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{name}__gte": 0}),
                    name=f"return_line_{name}_nonnegative",
                )
                for name in FIGURE_FIELDS
            ],
        ]

    def __str__(self) -> str:
        return f"{self.monthly_return} · {self.category}"

    def figures(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in FIGURE_FIELDS}


class ReturnUnlock(BaseModel):
    """The office reopens a closed month for one department until ``expires_at``."""

    campaign = models.ForeignKey("training.Campaign", on_delete=models.PROTECT)
    department = models.ForeignKey(
        "core.Department", verbose_name=_("责任单位"), on_delete=models.PROTECT
    )
    month = models.DateField(_("报送月份"))
    reason = models.TextField(_("解锁理由"))
    expires_at = models.DateTimeField(_("解锁截止时间"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Set by the closing job (or early by the office); an unlock past expires_at is closed
    # whether or not the job has run yet.
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("临时解锁")
        verbose_name_plural = _("临时解锁")
        indexes = [models.Index(fields=["department", "month"], name="unlock_department_month_idx")]

    def __str__(self) -> str:
        return f"{self.department} {self.month:%Y年%m月} 解锁至 {self.expires_at:%Y-%m-%d %H:%M}"

    def is_open_at(self, moment: datetime.datetime) -> bool:
        return self.closed_at is None and moment <= self.expires_at


class CorrectionRequest(BaseModel):
    """A clerk's request to change a return after acceptance or lock; the office decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("未批准")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PENDING: frozenset({Status.APPROVED, Status.REFUSED}),
        Status.APPROVED: frozenset(),
        Status.REFUSED: frozenset(),
    }

    monthly_return = models.ForeignKey(
        MonthlyReturn,
        verbose_name=_("月度报送"),
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    reason = models.TextField(_("更正理由"))
    # {category_id: {field: new_value}} — only the figures that change.
    proposed = models.JSONField(_("更正内容"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审批意见"), blank=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("更正申请")
        verbose_name_plural = _("更正申请")
        constraints = [
            models.UniqueConstraint(
                fields=["monthly_return"],
                condition=models.Q(status="pending"),
                name="correction_one_pending_per_return",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "approved", "refused"]),
                name="correction_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.monthly_return} 更正申请（{self.get_status_display()}）"


class ReturnAmendment(BaseModel):
    """One figure changed by an approved correction: old value → new value."""

    correction = models.ForeignKey(
        CorrectionRequest,
        verbose_name=_("更正申请"),
        on_delete=models.PROTECT,
        related_name="amendments",
    )
    line = models.ForeignKey(
        ReturnLine, verbose_name=_("报送明细"), on_delete=models.PROTECT, related_name="amendments"
    )
    field = models.CharField(_("指标"), max_length=32)
    old_value = models.PositiveIntegerField(_("原值"))
    new_value = models.PositiveIntegerField(_("新值"))

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("更正记录")
        verbose_name_plural = _("更正记录")

    def __str__(self) -> str:
        return f"{self.line.category} {self.field}: {self.old_value} → {self.new_value}"


class ReturnReminder(BaseModel):
    """A reminder that a department has not submitted a month's return yet."""

    class Kind(models.TextChoices):
        OPENING = "opening", _("月初提醒")
        DUE = "due", _("截止日提醒")

    campaign = models.ForeignKey("training.Campaign", on_delete=models.PROTECT)
    department = models.ForeignKey(
        "core.Department", verbose_name=_("责任单位"), on_delete=models.PROTECT
    )
    month = models.DateField(_("报送月份"))
    kind = models.CharField(_("提醒类型"), max_length=16, choices=Kind.choices)
    emailed_to = models.PositiveSmallIntegerField(_("邮件发送人数"), default=0)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("报送提醒")
        verbose_name_plural = _("报送提醒")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "department", "month", "kind"], name="reminder_once_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.month:%Y年%m月} {self.get_kind_display()}"

"""Subsidies (补贴): standards and claim windows as data, entrustments, claims and their history.

The plan's money flow (DOMAIN.md §6): a worker of one of the four subsidy-eligible groups claims
the training subsidy with a certificate as proof, or the one-time appraisal subsidy; an institution
claims on behalf of trainees who entrusted it, and claims the shortage high-skill subsidy for its
技师/高级技师 graduates. Exactly-once is a database invariant (partial unique constraints over the
live statuses), not a check in code alone.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from appraisal.models import Level
from core.models import BaseModel


class Kind(models.TextChoices):
    TRAINING = "training", _("培训补贴")
    APPRAISAL = "appraisal", _("一次性鉴定补贴")
    SHORTAGE = "shortage", _("急需紧缺高技能人才培训补贴")


KIND_VALUES = ("training", "appraisal", "shortage")


class SubsidyStandard(BaseModel):
    """An amount per head for one key (kind + optional category / occupation / level / kind of
    training), effective over a period. The most specific standard effective on the reference
    date applies (training: the class's end date; appraisal and shortage: the certificate date)."""

    campaign = models.ForeignKey(
        "training.Campaign", verbose_name=_("专项活动"), on_delete=models.PROTECT
    )
    kind = models.CharField(_("补贴类型"), max_length=16, choices=Kind.choices)
    category = models.ForeignKey(
        "training.TrainingCategory",
        verbose_name=_("培训类别"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    occupation = models.ForeignKey(
        "training.Occupation",
        verbose_name=_("职业（工种）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    level = models.PositiveSmallIntegerField(
        _("等级"), null=True, blank=True, choices=Level.choices
    )
    training_kind = models.CharField(_("培训类型"), max_length=16, blank=True)
    amount = models.DecimalField(_("补贴标准（元/人）"), max_digits=10, decimal_places=2)
    effective_from = models.DateField(_("执行起始日"))
    effective_to = models.DateField(_("执行截止日"), null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("依据/说明"), max_length=255, blank=True)

    class Meta:
        ordering = ("kind", "-effective_from", "id")
        verbose_name = _("补贴标准")
        verbose_name_plural = _("补贴标准")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=Decimal("0")), name="standard_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=KIND_VALUES), name="standard_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="standard_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key_label()} {self.amount} 元"

    def key(self) -> tuple:
        return (
            self.campaign_id,
            self.kind,
            self.category_id,
            self.occupation_id,
            self.level,
            self.training_kind,
        )

    def key_label(self) -> str:
        parts = []
        if self.category_id:
            parts.append(str(self.category.name))
        if self.occupation_id:
            parts.append(str(self.occupation.name))
        if self.level:
            parts.append(str(self.get_level_display()))
        if self.training_kind:
            from training.models import TrainingClass

            parts.append(str(TrainingClass.Kind(self.training_kind).label))
        return "·".join(parts) or "通用"

    def specificity(self) -> int:
        return sum(
            1
            for part in (self.category_id, self.occupation_id, self.level, self.training_kind)
            if part
        )


class ClaimWindow(BaseModel):
    """A period in which claims of a kind are accepted (申领期), set by the office."""

    campaign = models.ForeignKey(
        "training.Campaign", verbose_name=_("专项活动"), on_delete=models.PROTECT
    )
    kind = models.CharField(_("补贴类型"), max_length=16, choices=Kind.choices)
    opens_on = models.DateField(_("开始日期"))
    closes_on = models.DateField(_("截止日期"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        ordering = ("kind", "opens_on")
        verbose_name = _("申领期")
        verbose_name_plural = _("申领期")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="window_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=KIND_VALUES), name="window_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["campaign", "kind", "opens_on"], name="window_once_per_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.opens_on}—{self.closes_on}"


ENTRUSTMENT_MAX_BYTES = 5 * 1024 * 1024
ENTRUSTMENT_EXTENSIONS = ("pdf", "jpg", "jpeg", "png")


class Entrustment(BaseModel):
    """A worker's signed authorisation for the institution that trained them to claim the
    training subsidy for one enrollment and receive it into the institution's basic account."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        REVOKED = "revoked", _("已撤销")

    worker = models.ForeignKey(
        "training.Worker",
        verbose_name=_("委托人"),
        on_delete=models.PROTECT,
        related_name="entrustments",
    )
    institution = models.ForeignKey(
        "training.Institution",
        verbose_name=_("受托培训机构"),
        on_delete=models.PROTECT,
        related_name="entrustments",
    )
    enrollment = models.ForeignKey(
        "training.Enrollment",
        verbose_name=_("培训"),
        on_delete=models.PROTECT,
        related_name="entrustments",
    )
    signed_on = models.DateField(_("签署日期"))
    document = models.FileField(
        _("委托书"),
        upload_to="subsidies/entrustments/%Y/%m/",
        validators=[FileExtensionValidator(list(ENTRUSTMENT_EXTENSIONS))],
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("-signed_on", "-id")
        verbose_name = _("委托代领")
        verbose_name_plural = _("委托代领")
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=models.Q(status="active"),
                name="entrustment_one_active_per_enrollment",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "revoked"]),
                name="entrustment_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker.name} → {self.institution.name}"


class ClaimCounter(models.Model):
    """The last serial used per year for claim numbers (BT-2014-000123); the row is locked while a
    number is taken so numbers are dense and never reused."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    last_serial = models.PositiveIntegerField(_("已用流水号"), default=0)

    class Meta:
        verbose_name = _("申请编号流水号")
        verbose_name_plural = _("申请编号流水号")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_serial}"


# Statuses in which a claim still counts: everything but a refusal or a withdrawal. Paid and
# failed claims count too (a failed payment is re-issued, never claimed again).
DEAD_STATUSES = ("refused", "withdrawn")
LIVE_STATUSES = (
    "submitted",
    "under_review",
    "returned",
    "in_notice",
    "ready",
    "in_payment",
    "paid",
    "failed",
)
STATUS_VALUES = LIVE_STATUSES + DEAD_STATUSES


class SubsidyClaim(BaseModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        UNDER_REVIEW = "under_review", _("审核中")
        RETURNED = "returned", _("退回补正")
        REFUSED = "refused", _("不予补贴")
        IN_NOTICE = "in_notice", _("公示中")
        READY = "ready", _("待拨付")
        IN_PAYMENT = "in_payment", _("拨付中")
        PAID = "paid", _("已发放")
        FAILED = "failed", _("拨付失败")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Channel(models.TextChoices):
        WORKER = "worker", _("本人申请")
        INSTITUTION = "institution", _("机构代为申请")

    class PayeeKind(models.TextChoices):
        PERSON = "person", _("本人账户")
        INSTITUTION = "institution", _("培训机构基本账户")

    # Approval is under_review → in_notice. An account change after approval (in_notice, ready,
    # failed) sends the claim back to under_review for re-approval.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.SUBMITTED: frozenset({Status.UNDER_REVIEW, Status.WITHDRAWN}),
        Status.UNDER_REVIEW: frozenset(
            {Status.RETURNED, Status.REFUSED, Status.IN_NOTICE, Status.WITHDRAWN}
        ),
        Status.RETURNED: frozenset({Status.SUBMITTED, Status.WITHDRAWN}),
        Status.IN_NOTICE: frozenset({Status.READY, Status.REFUSED, Status.UNDER_REVIEW}),
        Status.READY: frozenset({Status.IN_PAYMENT, Status.UNDER_REVIEW}),
        # → ready: finance cancelled the draft batch before it went to the bank.
        Status.IN_PAYMENT: frozenset({Status.PAID, Status.FAILED, Status.READY}),
        Status.FAILED: frozenset({Status.IN_PAYMENT, Status.UNDER_REVIEW}),
        Status.PAID: frozenset(),
        Status.REFUSED: frozenset(),
        Status.WITHDRAWN: frozenset(),
    }
    # The worker may change the account in these; in APPROVED_STATUSES that means re-approval.
    ACCOUNT_CHANGE_STATUSES = frozenset(
        {"submitted", "under_review", "returned", "in_notice", "ready", "failed"}
    )
    APPROVED_STATUSES = frozenset({"in_notice", "ready", "failed"})
    WITHDRAWABLE_STATUSES = frozenset({"submitted", "under_review", "returned"})

    number = models.CharField(_("申请编号"), max_length=20, unique=True)
    kind = models.CharField(_("补贴类型"), max_length=16, choices=Kind.choices)
    campaign = models.ForeignKey(
        "training.Campaign", verbose_name=_("专项活动"), on_delete=models.PROTECT
    )
    worker = models.ForeignKey(
        "training.Worker",
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="subsidy_claims",
    )
    enrollment = models.ForeignKey(
        "training.Enrollment",
        verbose_name=_("培训"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidy_claims",
    )
    certificate = models.ForeignKey(
        "appraisal.Certificate",
        verbose_name=_("证书"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidy_claims",
    )
    occupation = models.ForeignKey(
        "training.Occupation",
        verbose_name=_("职业（工种）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    level = models.PositiveSmallIntegerField(
        _("等级"), null=True, blank=True, choices=Level.choices
    )
    channel = models.CharField(_("申请方式"), max_length=16, choices=Channel.choices)
    institution = models.ForeignKey(
        "training.Institution",
        verbose_name=_("培训机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidy_claims",
    )
    entrustment = models.ForeignKey(
        Entrustment,
        verbose_name=_("委托代领"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
    )
    payee_kind = models.CharField(_("收款类型"), max_length=16, choices=PayeeKind.choices)
    payee_name = models.CharField(_("收款人"), max_length=128)
    bank_name = models.CharField(_("开户银行"), max_length=128)
    account_encrypted = models.TextField(_("账号（密文）"), editable=False)
    account_masked = models.CharField(_("账号"), max_length=32, editable=False)
    account_hash = models.CharField(_("账号摘要"), max_length=64, editable=False)
    amount = models.DecimalField(_("补贴金额（元）"), max_digits=10, decimal_places=2)
    standard = models.ForeignKey(
        SubsidyStandard,
        verbose_name=_("补贴标准"),
        on_delete=models.PROTECT,
        related_name="claims",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("提交时间"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
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
    decision_reason = models.TextField(_("审核意见"), blank=True)
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        ordering = ("-submitted_at", "-id")
        verbose_name = _("补贴申请")
        verbose_name_plural = _("补贴申请")
        indexes = [
            models.Index(fields=["status", "kind"], name="claim_status_kind_idx"),
            models.Index(fields=["institution", "status"], name="claim_institution_status_idx"),
        ]
        constraints = [
            # Exactly once. These cover both channels: a worker's own claim and an institution's
            # entrusted claim for the same training cannot both be live.
            models.UniqueConstraint(
                fields=["worker", "enrollment"],
                condition=models.Q(kind="training", status__in=LIVE_STATUSES),
                name="claim_training_once_per_enrollment",
            ),
            # "One free training" per campaign: one live or paid training claim per worker.
            models.UniqueConstraint(
                fields=["worker", "campaign"],
                condition=models.Q(kind="training", status__in=LIVE_STATUSES),
                name="claim_training_once_per_campaign",
            ),
            models.UniqueConstraint(
                fields=["worker", "occupation", "level"],
                condition=models.Q(kind="appraisal", status__in=LIVE_STATUSES),
                name="claim_appraisal_once_per_level",
            ),
            models.UniqueConstraint(
                fields=["worker", "occupation", "level"],
                condition=models.Q(kind="shortage", status__in=LIVE_STATUSES),
                name="claim_shortage_once_per_level",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=Decimal("0")), name="claim_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=KIND_VALUES), name="claim_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=STATUS_VALUES), name="claim_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=["worker", "institution"]),
                name="claim_channel_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(payee_kind__in=["person", "institution"]),
                name="claim_payee_kind_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(payee_kind="institution") | models.Q(institution__isnull=False),
                name="claim_institution_payee_has_institution",
            ),
            models.CheckConstraint(
                condition=~models.Q(channel="institution") | models.Q(institution__isnull=False),
                name="claim_institution_channel_has_institution",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="training") | models.Q(enrollment__isnull=False),
                name="claim_training_has_enrollment",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="training")
                | models.Q(certificate__isnull=False, level__isnull=False),
                name="claim_certificate_kinds_have_certificate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.worker.name}"

    BADGES = {
        "submitted": "primary",
        "under_review": "info",
        "returned": "warning",
        "refused": "danger",
        "in_notice": "info",
        "ready": "secondary",
        "in_payment": "secondary",
        "paid": "success",
        "failed": "danger",
        "withdrawn": "light text-dark",
    }

    @property
    def badge(self) -> str:
        """The Bootstrap colour of the status badge."""
        return self.BADGES.get(self.status, "secondary")

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def is_entrusted(self) -> bool:
        return self.payee_kind == self.PayeeKind.INSTITUTION

    def payee_account(self) -> tuple[str, str, str]:
        """(payee name, bank, plain account) to pay into. An institution payee is always read
        from the institution registry at the time of payment, never from the claim's copy."""
        from core.crypto import decrypt

        if self.payee_kind == self.PayeeKind.INSTITUTION:
            inst = self.institution
            return (
                inst.bank_account_name or inst.name,
                inst.bank_name,
                decrypt(inst.bank_account_encrypted) if inst.bank_account_encrypted else "",
            )
        return self.payee_name, self.bank_name, decrypt(self.account_encrypted)

    def description(self) -> str:
        """What is claimed, e.g. "焊工 技师 急需紧缺高技能人才培训补贴" (for notices and lists)."""
        parts = [self.occupation.name]
        if self.level:
            parts.append(str(self.get_level_display()))
        parts.append(str(self.get_kind_display()))
        return " ".join(parts)


class ClaimStatusChange(BaseModel):
    """One row per status change of a claim (the worker's timeline): written by every transition
    service, next to the AuditEvent."""

    claim = models.ForeignKey(
        SubsidyClaim,
        verbose_name=_("补贴申请"),
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=SubsidyClaim.Status.choices)
    reason = models.TextField(_("说明"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("申请状态变化")
        verbose_name_plural = _("申请状态变化")

    def __str__(self) -> str:
        return f"{self.claim.number}: {self.from_status} → {self.to_status}"

    @property
    def from_label(self) -> str:
        if not self.from_status:
            return ""
        return str(SubsidyClaim.Status(self.from_status).label)

"""The base every app stands on: people, the units they work for, places, and the audit trail."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core.errors import RuleViolation
from core.roles import Role
from core.validators import validate_mobile


class BaseModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class County(BaseModel):
    """A county-level place of the city (县市区, incl. the three management committees)."""

    class Kind(models.TextChoices):
        CITY = "city", _("县级市")
        COUNTY = "county", _("县")
        DISTRICT = "district", _("区")
        ZONE = "zone", _("管委会")

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ("sort_order", "code")
        verbose_name = _("县（市、区）")
        verbose_name_plural = _("县（市、区）")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["city", "county", "district", "zone"]),
                name="county_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Department(BaseModel):
    """A unit of the city government the plan names (责任单位, 领导小组办公室, 财政局, ...)."""

    class Kind(models.TextChoices):
        RESPONSIBLE = "responsible", _("责任单位")
        OFFICE = "office", _("领导小组办公室")
        FINANCE = "finance", _("财政部门")
        MEMBER = "member", _("领导小组成员单位")
        OTHER = "other", _("其他单位")

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64, unique=True)
    short_name = models.CharField(_("简称"), max_length=32)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ("sort_order", "code")
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=["responsible", "office", "finance", "member", "other"]
                ),
                name="department_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. Staff belong to one department or one training institution."""

    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机号码"), max_length=11, blank=True, validators=[validate_mobile])
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    institution = models.ForeignKey(
        "training.Institution",
        verbose_name=_("所属培训机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def role_names(self) -> frozenset[str]:
        """The user's role codes, read once per request (groups are named by role code)."""
        if not self.is_active:
            return frozenset()
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.role_names for role in roles)


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise RuleViolation(_("审计记录不可修改"), code="audit_immutable")

    def delete(self):
        raise RuleViolation(_("审计记录不可删除"), code="audit_immutable")

    def for_object(self, obj: models.Model) -> "AuditEventQuerySet":
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        )


class AuditEvent(models.Model):
    """One row per state change, written by the service that made it; never changed afterwards."""

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT, null=True, blank=True
    )
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=255, blank=True)
    from_state = models.CharField(_("原状态"), max_length=32, blank=True)
    to_state = models.CharField(_("新状态"), max_length=32, blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    ip_address = models.GenericIPAddressField(_("来源IP"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuleViolation(_("审计记录不可修改"), code="audit_immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuleViolation(_("审计记录不可删除"), code="audit_immutable")


def _export_upload_to(instance: "ExportJob", filename: str) -> str:
    # The stored name carries a random token: media may be served by the web server in some
    # deployments, and a guessable name would hand a workbook to anyone. People see the Chinese
    # ``download_name`` instead.
    import secrets

    return f"exports/{instance.created_at:%Y/%m}/{instance.kind}_{secrets.token_hex(16)}.xlsx"


class ExportJob(BaseModel):
    """A workbook written in the background for one person; they poll it, then download the file.

    The file is built with the requester's role (ID numbers masked unless that role may see them),
    so only the requester ever receives it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    ACTIVE_STATUSES = ("queued", "running")

    kind = models.CharField(_("导出类型"), max_length=32)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="export_jobs",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    progress_done = models.PositiveIntegerField(_("已写行数"), default=0)
    progress_total = models.PositiveIntegerField(_("总行数"), default=0)
    file = models.FileField(_("文件"), upload_to=_export_upload_to, blank=True, max_length=255)
    download_name = models.CharField(_("文件名"), max_length=255, blank=True)
    row_counts = models.JSONField(_("各工作表行数"), default=dict, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    # Where the request came from: the worker writes the job's audit rows with it, so they say
    # where the export was asked for, like every row written inside a request.
    requested_from = models.GenericIPAddressField(_("申请来源IP"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed"]),
                name="export_job_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(progress_done__lte=models.F("progress_total")),
                name="export_job_progress_within_total",
            ),
            # A finished job has its file and its end time; an unfinished one has neither.
            models.CheckConstraint(
                condition=(models.Q(status="done", finished_at__isnull=False) & ~models.Q(file=""))
                | (models.Q(status__in=["queued", "running"], finished_at__isnull=True))
                | models.Q(status="failed", finished_at__isnull=False),
                name="export_job_finish_consistent",
            ),
            # One job at a time per person and kind: a double click does not start two.
            models.UniqueConstraint(
                fields=["kind", "requested_by"],
                condition=models.Q(status__in=["queued", "running"]),
                name="export_job_one_active_per_user_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"导出任务 #{self.pk}（{self.get_status_display()}）"

    @property
    def percent(self) -> int:
        """Whole percent written, for the progress bar (100 once done)."""
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


# --------------------------------------------------------------------------------------------
# Public notices (公示) and payment batches (拨付): shared by subsidies and awards.
# Services in core/notices.py and core/payments.py; apps register a "kind" with callbacks.
# --------------------------------------------------------------------------------------------


class PublicNotice(BaseModel):
    """A public notice listing approved claims or nominations for N working days."""

    class Status(models.TextChoices):
        OPEN = "open", _("公示中")
        CLOSED = "closed", _("公示结束")

    TRANSITIONS: dict[str, frozenset[str]] = {
        "open": frozenset({"closed"}),
        "closed": frozenset(),
    }

    kind = models.CharField(_("公示类型"), max_length=32, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"), blank=True)
    starts_on = models.DateField(_("公示开始日期"))
    working_days = models.PositiveSmallIntegerField(_("公示期（工作日）"))
    ends_on = models.DateField(_("公示截止日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        ordering = ("-starts_on", "-id")
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "closed"]), name="notice_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(working_days__gt=0), name="notice_working_days_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="notice_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", closed_at__isnull=True)
                | models.Q(status="closed", closed_at__isnull=False),
                name="notice_closed_at_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NoticeItem(BaseModel):
    """One claim or nomination on a notice, as published (masked)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("公示中")
        CLEARED = "cleared", _("无异议")
        WITHHELD = "withheld", _("异议成立")

    notice = models.ForeignKey(
        PublicNotice, verbose_name=_("公示"), on_delete=models.CASCADE, related_name="items"
    )
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("对象编号"))
    target = GenericForeignKey("content_type", "object_id")
    display_name = models.CharField(_("姓名"), max_length=64)
    id_masked = models.CharField(_("身份证号码"), max_length=32, blank=True)
    description = models.CharField(_("公示内容"), max_length=200, blank=True)
    amount = models.DecimalField(
        _("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    outcome = models.CharField(
        _("公示结果"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )

    class Meta:
        ordering = ("notice", "id")
        verbose_name = _("公示条目")
        verbose_name_plural = _("公示条目")
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "content_type", "object_id"], name="noticeitem_unique_object"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=["pending", "cleared", "withheld"]),
                name="noticeitem_outcome_valid",
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="noticeitem_obj_idx")]

    def __str__(self) -> str:
        return f"{self.display_name} {self.description}"


class Objection(BaseModel):
    """An objection lodged by anyone during a notice; investigated and resolved by the office."""

    class Status(models.TextChoices):
        OPEN = "open", _("待核查")
        UPHELD = "upheld", _("异议成立")
        DISMISSED = "dismissed", _("异议不成立")

    TRANSITIONS: dict[str, frozenset[str]] = {
        "open": frozenset({"upheld", "dismissed"}),
        "upheld": frozenset(),
        "dismissed": frozenset(),
    }

    notice = models.ForeignKey(
        PublicNotice, verbose_name=_("公示"), on_delete=models.CASCADE, related_name="objections"
    )
    item = models.ForeignKey(
        NoticeItem,
        verbose_name=_("异议对象"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="objections",
    )
    objector_name = models.CharField(_("异议人"), max_length=64)
    objector_phone = models.CharField(
        _("联系电话"), max_length=11, blank=True, validators=[validate_mobile]
    )
    content = models.TextField(_("异议内容"))
    ip_address = models.GenericIPAddressField(_("来源IP"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(_("核查结论"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "upheld", "dismissed"]),
                name="objection_status_valid",
            ),
            models.CheckConstraint(condition=~models.Q(content=""), name="objection_has_content"),
            # A resolved objection always says who decided, when, and why.
            models.CheckConstraint(
                condition=models.Q(status="open", resolved_at__isnull=True)
                | (
                    models.Q(
                        status__in=["upheld", "dismissed"],
                        resolved_at__isnull=False,
                        resolved_by__isnull=False,
                    )
                    & ~models.Q(resolution="")
                ),
                name="objection_resolution_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"异议 #{self.pk}（{self.get_status_display()}）"


class PaymentBatch(BaseModel):
    """A disbursement batch: prepared by one finance user, approved by another (maker-checker)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待复核")
        APPROVED = "approved", _("已复核（可导出）")
        CLOSED = "closed", _("已完成")
        CANCELLED = "cancelled", _("已作废")

    TRANSITIONS: dict[str, frozenset[str]] = {
        "draft": frozenset({"approved", "cancelled"}),
        "approved": frozenset({"closed"}),
        "closed": frozenset(),
        "cancelled": frozenset(),
    }

    kind = models.CharField(_("拨付类型"), max_length=32, db_index=True)
    number = models.CharField(_("批次号"), max_length=32, unique=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("制单人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_reason = models.TextField(_("作废原因"), blank=True)
    line_count = models.PositiveIntegerField(_("笔数"))
    total_amount = models.DecimalField(_("合计金额（元）"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("拨付批次")
        verbose_name_plural = _("拨付批次")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "approved", "closed", "cancelled"]),
                name="paymentbatch_status_valid",
            ),
            # Maker-checker held by the database too, not only by the service.
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True)
                | ~models.Q(approved_by=models.F("prepared_by")),
                name="paymentbatch_maker_not_checker",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "cancelled"])
                | models.Q(approved_by__isnull=False, approved_at__isnull=False),
                name="paymentbatch_approved_has_checker",
            ),
            models.CheckConstraint(
                condition=models.Q(line_count__gt=0, total_amount__gt=0),
                name="paymentbatch_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class PaymentLine(BaseModel):
    """One payment in a batch: a payee, an account, an amount, and the bank's result."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待拨付")
        PAID = "paid", _("已拨付")
        FAILED = "failed", _("拨付失败")
        CANCELLED = "cancelled", _("已作废")

    class PayeeKind(models.TextChoices):
        PERSON = "person", _("个人")
        INSTITUTION = "institution", _("机构")

    LIVE_STATUSES = ("pending", "paid")

    batch = models.ForeignKey(
        PaymentBatch, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="lines"
    )
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("对象编号"))
    target = GenericForeignKey("content_type", "object_id")
    reference = models.CharField(_("业务编号"), max_length=64)
    payee_kind = models.CharField(_("收款类型"), max_length=16, choices=PayeeKind.choices)
    payee_name = models.CharField(_("收款人"), max_length=128)
    bank_name = models.CharField(_("开户银行"), max_length=128)
    account_encrypted = models.TextField(_("账号（密文）"), editable=False)
    account_masked = models.CharField(_("账号"), max_length=32)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    result_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结果登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    result_recorded_at = models.DateTimeField(_("结果登记时间"), null=True, blank=True)

    class Meta:
        ordering = ("batch", "id")
        verbose_name = _("拨付明细")
        verbose_name_plural = _("拨付明细")
        constraints = [
            # A thing sits in at most one live batch and is paid at most once; a failed or
            # cancelled line lets it be issued again in a new batch.
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=models.Q(status__in=["pending", "paid"]),
                name="paymentline_one_live_or_paid",
            ),
            models.UniqueConstraint(
                fields=["batch", "reference"], name="paymentline_reference_unique_in_batch"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="paymentline_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "paid", "failed", "cancelled"]),
                name="paymentline_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(payee_kind__in=["person", "institution"]),
                name="paymentline_payee_kind_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="failed") | ~models.Q(failure_reason=""),
                name="paymentline_failure_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="paymentline_obj_idx")]

    def __str__(self) -> str:
        return f"{self.reference} {self.payee_name} {self.amount}"


class LoginThrottle(models.Model):
    """Failed-login counters, one row per typed user name and one per client address.

    Kept in the database (not a per-process cache) so every gunicorn worker sees the same count.
    A lock always carries its end time: it expires by itself, and the office may lift it early
    (``core.auth.login_unlock``). Rows exist for names that are not accounts too, so a lock says
    nothing about whether a user name exists.
    """

    class Scope(models.TextChoices):
        USER = "user", _("用户名")
        IP = "ip", _("来源IP")

    scope = models.CharField(_("范围"), max_length=8, choices=Scope.choices)
    key = models.CharField(_("用户名或IP"), max_length=150)
    failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    window_started_at = models.DateTimeField(_("计数开始时间"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("最近失败时间"), null=True, blank=True)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ("-locked_until", "scope", "key")
        verbose_name = _("登录失败计数")
        verbose_name_plural = _("登录失败计数")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="loginthrottle_scope_key_unique"),
            models.CheckConstraint(
                condition=models.Q(scope__in=["user", "ip"]), name="loginthrottle_scope_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.key}"


class TotpDevice(BaseModel):
    """A person's second factor: an RFC 6238 authenticator app (optional; office and finance).

    The shared secret is stored encrypted like ID numbers. It counts only once confirmed with a
    code; ``last_counter`` refuses a code that was already used (replay).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="totp_device",
    )
    secret_encrypted = models.TextField(_("密钥（密文）"), editable=False)
    confirmed_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    last_counter = models.BigIntegerField(_("最近使用的时间步"), default=0)

    class Meta:
        verbose_name = _("动态口令")
        verbose_name_plural = _("动态口令")

    def __str__(self) -> str:
        return f"{self.user} 动态口令"


class OutboxMessage(BaseModel):
    """Follow-up work for Celery, stored in the same transaction as the change it follows.

    Written by ``core.outbox.outbox_enqueue`` instead of ``task.delay_on_commit``: if the broker
    (Redis) is down when the transaction commits, the change is kept and the message waits here
    until ``outbox_flush`` (beat every minute, ``manage.py flush_outbox``) sends it.
    """

    task = models.CharField(_("任务"), max_length=200)
    kwargs = models.JSONField(_("参数"), default=dict, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(_("发送次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)

    class Meta:
        ordering = ("id",)
        verbose_name = _("待发送任务")
        verbose_name_plural = _("待发送任务")
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(sent_at__isnull=True), name="outbox_pending_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"

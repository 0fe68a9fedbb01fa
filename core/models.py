"""The base every app stands on: people, the units they work for, places, and the audit trail."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
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

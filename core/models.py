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

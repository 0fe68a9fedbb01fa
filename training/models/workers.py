"""Workers (劳动者): the human-resources information base (人力资源信息库).

A resident ID number is stored encrypted, with a keyed hash that keeps a person to one row however
many times they register, and a masked copy for display. Name, sex and birth date are checked
against the number (sex and birth date are derived from it).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class PopulationGroup(BaseModel):
    """A group the plan names (城镇登记失业人员, 农村转移就业劳动者, …). Whether a group may claim
    the training subsidy is data, loaded from the plan."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64, unique=True)
    subsidy_eligible = models.BooleanField(_("可申领培训补贴"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ("sort_order",)
        verbose_name = _("人员类别")
        verbose_name_plural = _("人员类别")

    def __str__(self) -> str:
        return self.name


class Worker(BaseModel):
    class Sex(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    class Household(models.TextChoices):
        URBAN = "urban", _("城镇")
        RURAL = "rural", _("农村")

    class Education(models.TextChoices):
        PRIMARY = "primary", _("小学及以下")
        JUNIOR = "junior", _("初中")
        SENIOR = "senior", _("高中/中专/技校")
        COLLEGE = "college", _("大专")
        BACHELOR = "bachelor", _("本科及以上")

    id_number_hash = models.CharField(
        _("身份证号码摘要"), max_length=64, unique=True, editable=False
    )
    id_number_encrypted = models.TextField(_("身份证号码（密文）"), editable=False)
    id_number_masked = models.CharField(_("身份证号码"), max_length=18, editable=False)
    name = models.CharField(_("姓名"), max_length=64)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    phone = models.CharField(_("手机号码"), max_length=11, blank=True)
    county = models.ForeignKey(
        "core.County",
        verbose_name=_("县（市、区）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    household = models.CharField(_("户籍类型"), max_length=8, choices=Household.choices)
    education = models.CharField(_("文化程度"), max_length=16, choices=Education.choices)
    groups = models.ManyToManyField(PopulationGroup, verbose_name=_("人员类别"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="worker",
    )
    registered_at = models.ForeignKey(
        "training.RegistrationPoint",
        verbose_name=_("登记报名点"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workers",
    )

    class Meta:
        ordering = ("name",)
        verbose_name = _("劳动者")
        verbose_name_plural = _("劳动者")
        indexes = [
            # The worker list pages by name (ORDER BY name, id LIMIT n): 300,000 rows at city
            # scale (benchmarks/RESULTS.md).
            models.Index(fields=["name", "id"], name="worker_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(sex__in=["M", "F"]), name="worker_sex_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"

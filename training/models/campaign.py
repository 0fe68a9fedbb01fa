"""The campaign as data: its dates, phases, headline targets, categories, quotas and rule figures.

Nothing here is specific to Xuchang 2013: ``load_plan`` fills it from a plan file, and a later
campaign (another city, other years) is another row created in the admin.
"""

import datetime
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class CampaignQuerySet(models.QuerySet):
    def current(self) -> "Campaign | None":
        """The campaign the system works on: the active one that started last."""
        return self.filter(is_active=True).order_by("-start_date").first()


class Campaign(BaseModel):
    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    document_number = models.CharField(_("文号"), max_length=64, blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    # The first month for which returns are owed (the plan's implementation starts mid-phase).
    reporting_start = models.DateField(_("首个报送月份"))
    is_active = models.BooleanField(_("进行中"), default=True)
    due_day = models.PositiveSmallIntegerField(
        _("月报截止日"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("每月该日 23:59:59 前报送上月完成情况"),
    )
    lock_day = models.PositiveSmallIntegerField(
        _("月报锁定日"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("该日之后上月月报关闭，修改须申请更正"),
    )
    attendance_threshold = models.DecimalField(
        _("补贴到课率下限"), max_digits=4, decimal_places=3, default=Decimal("0.600")
    )
    institution_pass_rate_threshold = models.DecimalField(
        _("机构培训合格率下限"), max_digits=4, decimal_places=3, default=Decimal("0.800")
    )
    min_inspections_per_class = models.PositiveSmallIntegerField(_("每班最少抽查次数"), default=3)
    idle_years_before_revocation = models.PositiveSmallIntegerField(
        _("连续无培训年数（取消资格）"), default=2
    )
    evidence_tolerance = models.DecimalField(
        _("报送与台账差异容忍度"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.100"),
        help_text=_("月报数与培训班记录数相差超过该比例时提示核查"),
    )
    behind_pace_points = models.DecimalField(
        _("落后进度判定（百分点）"), max_digits=5, decimal_places=2, default=Decimal("10.00")
    )

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ("-start_date",)
        verbose_name = _("专项活动")
        verbose_name_plural = _("专项活动")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gt=models.F("start_date")),
                name="campaign_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(lock_day__gte=models.F("due_day")),
                name="campaign_lock_after_due",
            ),
            models.CheckConstraint(
                condition=models.Q(attendance_threshold__gt=0, attendance_threshold__lte=1),
                name="campaign_attendance_threshold_fraction",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    institution_pass_rate_threshold__gt=0, institution_pass_rate_threshold__lte=1
                ),
                name="campaign_pass_rate_threshold_fraction",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def reporting_months(self) -> list[datetime.date]:
        """First days of every month for which a return is owed, in order."""
        months = []
        month = self.reporting_start.replace(day=1)
        last = self.end_date.replace(day=1)
        while month <= last:
            months.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        return months


class Phase(BaseModel):
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("专项活动"), on_delete=models.CASCADE, related_name="phases"
    )
    number = models.PositiveSmallIntegerField(_("阶段序号"))
    name = models.CharField(_("名称"), max_length=64)
    description = models.TextField(_("工作内容"), blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))

    class Meta:
        ordering = ("campaign", "number")
        verbose_name = _("实施阶段")
        verbose_name_plural = _("实施阶段")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="phase_unique_number"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="phase_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"第{self.number}阶段 {self.name}"


class Target(BaseModel):
    """A headline target of the campaign (目标任务)."""

    class Code(models.TextChoices):
        TRAINING = "training", _("职业培训")
        APPRAISAL = "appraisal", _("职业技能鉴定")
        HIGH_SKILLED = "high_skilled", _("培养高技能人才")
        EMPLOYMENT = "employment", _("促进就业")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("专项活动"), on_delete=models.CASCADE, related_name="targets"
    )
    code = models.CharField(_("指标"), max_length=32, choices=Code.choices)
    name = models.CharField(_("名称"), max_length=64)
    figure = models.PositiveIntegerField(_("目标数"))
    unit = models.CharField(_("计量单位"), max_length=16, default="人次")
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ("campaign", "sort_order")
        verbose_name = _("目标任务")
        verbose_name_plural = _("目标任务")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="target_unique_code"),
            models.CheckConstraint(
                condition=models.Q(
                    code__in=["training", "appraisal", "high_skilled", "employment"]
                ),
                name="target_code_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.figure}{self.unit}"


class TrainingCategoryQuerySet(models.QuerySet):
    def of_department(self, department) -> "TrainingCategoryQuerySet":
        return self.filter(department=department)


class TrainingCategory(BaseModel):
    """One of the plan's training categories, owned by its responsible unit, with its quota."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("专项活动"), on_delete=models.CASCADE, related_name="categories"
    )
    number = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("培训类别"), max_length=64)
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        related_name="training_categories",
    )
    quota = models.PositiveIntegerField(_("任务数（人次）"))

    objects = TrainingCategoryQuerySet.as_manager()

    class Meta:
        ordering = ("campaign", "number")
        verbose_name = _("培训类别")
        verbose_name_plural = _("培训类别")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="category_unique_number"),
            models.UniqueConstraint(fields=["campaign", "name"], name="category_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class SpecialtyIndustry(BaseModel):
    """A county's specialty industry for targeted training (特色培训)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("专项活动"), on_delete=models.CASCADE, related_name="specialties"
    )
    county = models.ForeignKey(
        "core.County", verbose_name=_("县（市、区）"), on_delete=models.PROTECT
    )
    name = models.CharField(_("产业"), max_length=64)

    class Meta:
        ordering = ("county", "name")
        verbose_name = _("特色产业")
        verbose_name_plural = _("特色产业")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "county", "name"], name="specialty_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county}·{self.name}"

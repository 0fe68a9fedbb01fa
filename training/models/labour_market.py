"""Job fairs, employers' skill demand and the supply–demand analysis (技能人才需求供给分析预测).

The plan (四(五)一): 人社 departments hold job fairs regularly and publish skill-demand
information (定期举办各类招聘会并及时发布技能人才需求信息), and set up a supply–demand analysis that
publishes reports to guide schools and institutions
(建立技能人才需求供给分析预测机制，及时发布分析报告).
A published report is a snapshot: its rows never change afterwards.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class JobFair(BaseModel):
    campaign = models.ForeignKey("training.Campaign", on_delete=models.PROTECT)
    name = models.CharField(_("招聘会名称"), max_length=128)
    held_on = models.DateField(_("举办日期"))
    place = models.CharField(_("举办地点"), max_length=128)
    organiser = models.ForeignKey(
        "core.Department",
        verbose_name=_("主办单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    county = models.ForeignKey(
        "core.County",
        verbose_name=_("县（市、区）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    employers = models.PositiveIntegerField(_("参会用人单位（家）"))
    posts_offered = models.PositiveIntegerField(_("提供岗位（个）"))
    attendees = models.PositiveIntegerField(_("入场求职人数"))
    hires = models.PositiveIntegerField(_("达成就业意向（人）"))

    class Meta:
        ordering = ("-held_on", "name")
        verbose_name = _("招聘会")
        verbose_name_plural = _("招聘会")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hires__lte=models.F("attendees")),
                name="job_fair_hires_within_attendees",
            ),
            models.CheckConstraint(
                condition=models.Q(hires__lte=models.F("posts_offered")),
                name="job_fair_hires_within_posts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.name}"


class SkillDemand(BaseModel):
    class Source(models.TextChoices):
        JOB_FAIR = "job_fair", _("招聘会")
        SURVEY = "survey", _("用工调查")

    class Level(models.IntegerChoices):
        """The national qualification levels (as in appraisal; 0: no level required)."""

        ANY = 0, _("不限等级")
        SENIOR_TECHNICIAN = 1, _("高级技师")
        TECHNICIAN = 2, _("技师")
        SENIOR = 3, _("高级工")
        INTERMEDIATE = 4, _("中级工")
        JUNIOR = 5, _("初级工")

    campaign = models.ForeignKey("training.Campaign", on_delete=models.PROTECT)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    job_fair = models.ForeignKey(
        JobFair,
        verbose_name=_("招聘会"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="demands",
    )
    employer = models.CharField(_("用人单位"), max_length=128)
    occupation = models.ForeignKey(
        "training.Occupation",
        verbose_name=_("职业（工种）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    level = models.PositiveSmallIntegerField(_("等级要求"), choices=Level.choices, default=0)
    count = models.PositiveIntegerField(_("需求人数"))
    # First day of the month the demand was recorded for (the service normalises it).
    month = models.DateField(_("需求月份"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("-month", "employer")
        verbose_name = _("技能需求")
        verbose_name_plural = _("技能需求")
        indexes = [models.Index(fields=["campaign", "month"], name="skill_demand_month_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(count__gt=0), name="skill_demand_count_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(source="job_fair", job_fair__isnull=False)
                | models.Q(source="survey", job_fair__isnull=True),
                name="skill_demand_source_matches_fair",
            ),
            models.CheckConstraint(
                condition=models.Q(level__gte=0, level__lte=5), name="skill_demand_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employer} · {self.occupation_id} × {self.count}"


class SupplyDemandReport(BaseModel):
    """A supply–demand analysis over a period of whole months. Computed (and recomputed) as a
    draft by the office, then published: published rows are a snapshot and never change."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.DRAFT: frozenset({Status.PUBLISHED}),
        Status.PUBLISHED: frozenset(),
    }

    campaign = models.ForeignKey("training.Campaign", on_delete=models.PROTECT)
    title = models.CharField(_("报告标题"), max_length=128)
    period_start = models.DateField(_("起始月份"))
    period_end = models.DateField(_("截止日期"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    summary = models.TextField(_("分析意见"), blank=True)
    computed_at = models.DateTimeField(_("计算时间"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("计算人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("-period_end", "-id")
        verbose_name = _("供需分析报告")
        verbose_name_plural = _("供需分析报告")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "period_start", "period_end"],
                name="supply_demand_report_once_per_period",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="supply_demand_report_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft", published_at__isnull=True)
                | models.Q(status="published", published_at__isnull=False),
                name="supply_demand_report_published_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class SupplyDemandRow(models.Model):
    """One occupation of a report. Names are copied so that a published report reads the same
    even if the catalogue changes later."""

    report = models.ForeignKey(
        SupplyDemandReport, on_delete=models.CASCADE, related_name="rows", verbose_name=_("报告")
    )
    occupation = models.ForeignKey(
        "training.Occupation", on_delete=models.PROTECT, related_name="+", verbose_name=_("职业")
    )
    occupation_code = models.CharField(_("职业编码"), max_length=16)
    occupation_name = models.CharField(_("职业（工种）"), max_length=64)
    trained = models.PositiveIntegerField(_("培训合格人数"))
    certified = models.PositiveIntegerField(_("取得证书人数"))
    demand = models.PositiveIntegerField(_("需求人数"))
    # demand − certified: positive is a shortage, negative a surplus.
    gap = models.IntegerField(_("缺口"))

    class Meta:
        ordering = ("-gap", "occupation_code")
        verbose_name = _("供需分析行")
        verbose_name_plural = _("供需分析行")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "occupation"], name="supply_demand_row_once_per_occupation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} · {self.occupation_name}"

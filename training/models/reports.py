"""Monthly progress reports (月度进度): a stored snapshot per campaign month.

A snapshot is computed after the month's due day (by the scheduled job, the command or the office)
and never changes by itself: a late figure shows only when someone recomputes, and a snapshot the
bulletin has published cannot be recomputed at all, so a published bulletin and its figures agree
for ever. The arithmetic lives in ``training.reports``; the write in ``training.services.reports``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from training.models.returns import FIGURE_FIELDS, OUTCOME_FIELDS


class ReportRun(BaseModel):
    """One campaign month's progress snapshot: the rows (one per category) and the city totals."""

    class Status(models.TextChoices):
        READY = "ready", _("已生成")
        PUBLISHED = "published", _("已发布")

    campaign = models.ForeignKey(
        "training.Campaign",
        verbose_name=_("专项活动"),
        on_delete=models.PROTECT,
        related_name="report_runs",
    )
    month = models.DateField(_("统计月份"), help_text=_("该月第一天"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.READY
    )
    computed_at = models.DateTimeField(_("计算时间"))
    # None: the scheduled job (or the command) computed it.
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("计算人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
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
    # City totals, the four rates, headline targets and punctuality counts; Decimals as strings.
    # Layout documented in training.reports.build_totals.
    totals = models.JSONField(_("汇总数据"), default=dict)
    # What the class records showed when the snapshot was computed, so that no page scans the
    # campaign's enrollments per request: {"counties": [...], "evidence_gaps": [...]}, written by
    # training.selectors.evidence.snapshot_breakdowns and read back by its breakdown readers.
    # Empty on snapshots computed before it existed (the readers then compute it live).
    breakdowns = models.JSONField(_("台账分项数据"), default=dict, blank=True)
    elapsed_months = models.PositiveSmallIntegerField(_("已过月数"))
    total_months = models.PositiveSmallIntegerField(_("总月数"))
    expected_percent = models.DecimalField(_("时间进度（%）"), max_digits=4, decimal_places=1)

    class Meta:
        ordering = ("campaign", "-month")
        verbose_name = _("月度进度快照")
        verbose_name_plural = _("月度进度快照")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "month"], name="report_run_one_per_month"),
            models.CheckConstraint(
                condition=models.Q(status__in=["ready", "published"]),
                name="report_run_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="report_run_month_first_day"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    total_months__gte=1,
                    elapsed_months__gte=1,
                    elapsed_months__lte=models.F("total_months"),
                ),
                name="report_run_elapsed_within_total",
            ),
            models.CheckConstraint(
                condition=models.Q(expected_percent__gte=0, expected_percent__lte=100),
                name="report_run_expected_percent_range",
            ),
            # Published exactly when it carries a publication moment.
            models.CheckConstraint(
                condition=models.Q(status="published", published_at__isnull=False)
                | models.Q(status="ready", published_at__isnull=True, published_by__isnull=True),
                name="report_run_published_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} {self.month.year}年{self.month.month}月进度"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def month_label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"


class ProgressRow(BaseModel):
    """One category in a snapshot: the month's figures, the cumulative ones, quota and pace.

    Department and city figures are sums of these rows (``training.reports``)."""

    class Pace(models.TextChoices):
        AHEAD = "ahead", _("超前")
        ON_TRACK = "on_track", _("正常")
        BEHIND = "behind", _("落后")

    class Punctuality(models.TextChoices):
        ON_TIME = "on_time", _("按时报送")
        LATE = "late", _("逾期报送")
        MISSING = "missing", _("未报送")
        AMENDED = "amended", _("锁定后更正")

    report_run = models.ForeignKey(
        ReportRun, verbose_name=_("进度快照"), on_delete=models.CASCADE, related_name="rows"
    )
    department = models.ForeignKey(
        "core.Department", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "training.TrainingCategory",
        verbose_name=_("培训类别"),
        on_delete=models.PROTECT,
        related_name="progress_rows",
    )
    # The month's figures (returns for the month itself).
    month_trained = models.PositiveIntegerField(_("本月培训人次"), default=0)
    month_passed = models.PositiveIntegerField(_("本月考核合格"), default=0)
    month_certified = models.PositiveIntegerField(_("本月取得证书"), default=0)
    month_employed = models.PositiveIntegerField(_("本月实现就业"), default=0)
    month_entrepreneurs = models.PositiveIntegerField(_("本月成功创业"), default=0)
    # Up to and including the month.
    cumulative_trained = models.PositiveIntegerField(_("累计培训人次"), default=0)
    cumulative_passed = models.PositiveIntegerField(_("累计考核合格"), default=0)
    cumulative_certified = models.PositiveIntegerField(_("累计取得证书"), default=0)
    cumulative_employed = models.PositiveIntegerField(_("累计实现就业"), default=0)
    cumulative_entrepreneurs = models.PositiveIntegerField(_("累计成功创业"), default=0)
    quota = models.PositiveIntegerField(_("任务数（人次）"))
    # None when the quota is 0 (nothing to measure against).
    percent_of_quota = models.DecimalField(
        _("完成任务（%）"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    gap_points = models.DecimalField(
        _("与时间进度相差（百分点）"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    pace = models.CharField(_("进度"), max_length=16, choices=Pace.choices)
    punctuality = models.CharField(_("报送情况"), max_length=16, choices=Punctuality.choices)
    # The department's first submission of the month's return (None when missing).
    submitted_at = models.DateTimeField(_("首次提交时间"), null=True, blank=True)

    class Meta:
        ordering = ("report_run", "category__number")
        verbose_name = _("进度明细")
        verbose_name_plural = _("进度明细")
        constraints = [
            models.UniqueConstraint(
                fields=["report_run", "category"], name="progress_row_one_per_category"
            ),
            models.CheckConstraint(
                condition=models.Q(pace__in=["ahead", "on_track", "behind"]),
                name="progress_row_pace_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(punctuality__in=["on_time", "late", "missing", "amended"]),
                name="progress_row_punctuality_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(percent_of_quota__isnull=True)
                | models.Q(percent_of_quota__gte=0),
                name="progress_row_percent_nonnegative",
            ),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{period}_{name}__lte": models.F(f"{period}_trained")}),
                    name=f"progress_row_{period}_{name}_within_trained",
                )
                for period in ("month", "cumulative")
                for name in OUTCOME_FIELDS
            ],
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"cumulative_{name}__gte": models.F(f"month_{name}")}),
                    name=f"progress_row_cumulative_{name}_includes_month",
                )
                for name in FIGURE_FIELDS
            ],
        ]
        indexes = [
            models.Index(fields=["report_run", "department"], name="progress_row_department_idx")
        ]

    def __str__(self) -> str:
        return f"{self.report_run} · {self.category}"

    def month_figures(self) -> dict[str, int]:
        return {name: getattr(self, f"month_{name}") for name in FIGURE_FIELDS}

    def cumulative_figures(self) -> dict[str, int]:
        return {name: getattr(self, f"cumulative_{name}") for name in FIGURE_FIELDS}

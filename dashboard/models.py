"""The monthly bulletin (每月检查通报) the leading-group office publishes to every unit.

A bulletin is drafted from one month's progress snapshot (``training.ReportRun``): the summary
sentences and the lists of units commended, behind pace and late are generated from its figures
and stored on the row. Publishing freezes both: the bulletin becomes read-only and its snapshot
is marked published, so ``report_compute`` refuses to recompute it and the tables by department
(read from the snapshot) always agree with the sentences. Writes live in ``dashboard.services``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class Bulletin(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.DRAFT: frozenset({Status.PUBLISHED}),
        Status.PUBLISHED: frozenset(),
    }

    campaign = models.ForeignKey(
        "training.Campaign",
        verbose_name=_("专项活动"),
        on_delete=models.PROTECT,
        related_name="bulletins",
    )
    month = models.DateField(_("通报月份"), help_text=_("该月第一天"))
    report_run = models.OneToOneField(
        "training.ReportRun",
        verbose_name=_("进度快照"),
        on_delete=models.PROTECT,
        related_name="bulletin",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    title = models.CharField(_("标题"), max_length=128)
    # One generated sentence per line; frozen once published.
    summary = models.TextField(_("通报内容"))
    # [{"department_id", "code", "name", "percent_of_quota", "gap_points"}, ...]
    commended = models.JSONField(_("通报表扬单位"), default=list, blank=True)
    behind = models.JSONField(_("责任追究提示单位"), default=list, blank=True)
    # [{"department_id", "code", "name", "punctuality", "label"}, ...]
    late_or_missing = models.JSONField(_("逾期或未报送单位"), default=list, blank=True)
    # The snapshot's computed_at when the text was generated: a draft older than its snapshot
    # must be refreshed before it may be published.
    snapshot_computed_at = models.DateTimeField(_("依据的快照计算时间"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("起草人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("campaign", "-month")
        verbose_name = _("月度通报")
        verbose_name_plural = _("月度通报")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "month"], name="bulletin_one_per_month"),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published"]),
                name="bulletin_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="bulletin_month_first_day"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status="published", published_at__isnull=False, published_by__isnull=False
                )
                | models.Q(status="draft", published_at__isnull=True, published_by__isnull=True),
                name="bulletin_published_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def month_label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"

    def sentences(self) -> list[str]:
        return [line for line in self.summary.splitlines() if line.strip()]

"""The biennial city awards (许昌市技术能手, 许昌市技能大奖): award kinds as plan data, cycles,
skills competitions, nominations, committee review with recusal, winners and their prizes.

Decisions (the plan and the issue leave them open):

* Nominating units (``NominatingUnit``) are the city departments (a department's clerk nominates;
  an enterprise nominates through its department) and the counties (the office enters a county's
  nominations, which arrive on paper from the county 人社局). One row per department or county.
* A worker is nominated at most once per cycle (for one award kind): a person cannot collect both
  prizes of the same cycle, and one review covers them.
* Scores are integers from 0 to the criterion's maximum; a member's weighted total is
  Σ score × weight. The ranking is the mean of the weighted totals of the members who have
  *submitted* (a member's scores count only once they are final).
* The prize amount is read from the award kind when the payment batch is created, so the plan
  data (not a copy frozen at the decision) decides what finance pays.
* The cycle's public notice is core's ``PublicNotice`` (shared with the subsidies): one notice per
  cycle, kept when the notice is (PROTECT).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class AwardKind(BaseModel):
    """One of the plan's awards, as data (``[[awards]]`` in the plan file)."""

    campaign = models.ForeignKey(
        "training.Campaign",
        verbose_name=_("专项活动"),
        on_delete=models.PROTECT,
        related_name="award_kinds",
    )
    code = models.SlugField(_("代码"), max_length=32)
    name = models.CharField(_("奖项名称"), max_length=64)
    winners_per_cycle = models.PositiveSmallIntegerField(_("每届名额"))
    prize = models.DecimalField(_("每人奖金（元）"), max_digits=10, decimal_places=2)
    cycle_years = models.PositiveSmallIntegerField(_("评选周期（年）"))
    # Eligibility, any of: a certificate at this level or higher (a smaller number is higher,
    # appraisal.Level), or a rank at most this in a city skills competition. Null: not a route.
    min_certificate_level = models.PositiveSmallIntegerField(
        _("最低证书等级"), null=True, blank=True
    )
    max_competition_rank = models.PositiveSmallIntegerField(
        _("竞赛名次（前N名）"), null=True, blank=True
    )
    default_unit_ceiling = models.PositiveSmallIntegerField(_("每个推荐单位默认推荐名额"))
    notice_working_days = models.PositiveSmallIntegerField(_("公示期（工作日）"))
    eligibility_text = models.CharField(_("推荐条件"), max_length=255, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ("sort_order", "code")
        verbose_name = _("奖项")
        verbose_name_plural = _("奖项")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="awardkind_code_unique"),
            models.CheckConstraint(
                condition=models.Q(winners_per_cycle__gt=0, prize__gt=0, cycle_years__gt=0),
                name="awardkind_positive_figures",
            ),
            models.CheckConstraint(
                condition=models.Q(min_certificate_level__isnull=False)
                | models.Q(max_competition_rank__isnull=False),
                name="awardkind_has_eligibility_route",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReviewCriterion(BaseModel):
    """A published scoring criterion of an award kind, with its weight and maximum (data)."""

    award_kind = models.ForeignKey(
        AwardKind, verbose_name=_("奖项"), on_delete=models.CASCADE, related_name="criteria"
    )
    code = models.SlugField(_("代码"), max_length=32)
    name = models.CharField(_("评分项"), max_length=64)
    weight = models.DecimalField(_("权重"), max_digits=4, decimal_places=2)
    max_score = models.PositiveSmallIntegerField(_("满分"))
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ("award_kind", "sort_order", "code")
        verbose_name = _("评分标准")
        verbose_name_plural = _("评分标准")
        constraints = [
            models.UniqueConstraint(fields=["award_kind", "code"], name="criterion_code_unique"),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0, max_score__gt=0), name="criterion_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（满分{self.max_score}，权重{self.weight}）"


class NominatingUnit(BaseModel):
    """A unit that may nominate: a department or a county (exactly one of the two)."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("市直单位")
        COUNTY = "county", _("县（市、区）")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=64)
    department = models.OneToOneField(
        "core.Department",
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nominating_unit",
    )
    county = models.OneToOneField(
        "core.County",
        verbose_name=_("县（市、区）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nominating_unit",
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ("kind", "sort_order", "id")
        verbose_name = _("推荐单位")
        verbose_name_plural = _("推荐单位")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="department", department__isnull=False, county=None)
                | models.Q(kind="county", county__isnull=False, department=None),
                name="nominatingunit_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Cycle(BaseModel):
    """One biennial round of both awards (e.g. 2013–2014)."""

    class Status(models.TextChoices):
        NOMINATING = "nominating", _("推荐中")
        REVIEWING = "reviewing", _("评审中")
        NOTICE = "notice", _("公示中")
        PUBLISHED = "published", _("已公布")

    TRANSITIONS: dict[str, frozenset[str]] = {
        "nominating": frozenset({"reviewing"}),
        "reviewing": frozenset({"notice"}),
        "notice": frozenset({"published"}),
        "published": frozenset(),
    }

    campaign = models.ForeignKey(
        "training.Campaign", verbose_name=_("专项活动"), on_delete=models.PROTECT
    )
    first_year = models.PositiveSmallIntegerField(_("起始年度"))
    last_year = models.PositiveSmallIntegerField(_("截止年度"))
    title = models.CharField(_("名称"), max_length=128)
    nomination_opens = models.DateField(_("推荐开始日期"))
    nomination_closes = models.DateField(_("推荐截止日期"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.NOMINATING
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("评审委员"), blank=True, related_name="+"
    )
    notice = models.OneToOneField(
        "core.PublicNotice",
        verbose_name=_("公示"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="award_cycle",
    )
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("-first_year", "-id")
        verbose_name = _("评选届次")
        verbose_name_plural = _("评选届次")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "first_year"], name="cycle_year_unique"),
            models.CheckConstraint(
                condition=models.Q(last_year__gte=models.F("first_year")),
                name="cycle_years_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(nomination_closes__gte=models.F("nomination_opens")),
                name="cycle_window_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["nominating", "reviewing", "notice", "published"]),
                name="cycle_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CycleCeiling(BaseModel):
    """How many nominations a unit may make for an award kind in a cycle (set at opening)."""

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("届次"), on_delete=models.CASCADE, related_name="ceilings"
    )
    award_kind = models.ForeignKey(AwardKind, verbose_name=_("奖项"), on_delete=models.PROTECT)
    unit = models.ForeignKey(NominatingUnit, verbose_name=_("推荐单位"), on_delete=models.PROTECT)
    ceiling = models.PositiveSmallIntegerField(_("推荐名额"))

    class Meta:
        ordering = ("cycle", "unit", "award_kind")
        verbose_name = _("推荐名额")
        verbose_name_plural = _("推荐名额")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "award_kind", "unit"], name="ceiling_once_per_unit_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.award_kind}：{self.ceiling}"


class Competition(BaseModel):
    """A city skills competition (职业技能竞赛); its ranked results make winners nominable."""

    campaign = models.ForeignKey(
        "training.Campaign", verbose_name=_("专项活动"), on_delete=models.PROTECT
    )
    name = models.CharField(_("竞赛名称"), max_length=128)
    occupation = models.ForeignKey(
        "training.Occupation", verbose_name=_("职业（工种）"), on_delete=models.PROTECT
    )
    held_on = models.DateField(_("举办日期"))
    organiser = models.CharField(_("主办单位"), max_length=128, blank=True)

    class Meta:
        ordering = ("-held_on", "-id")
        verbose_name = _("职业技能竞赛")
        verbose_name_plural = _("职业技能竞赛")
        constraints = [
            models.UniqueConstraint(fields=["name", "held_on"], name="competition_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.held_on:%Y年%m月}）"


class CompetitionResult(BaseModel):
    competition = models.ForeignKey(
        Competition, verbose_name=_("竞赛"), on_delete=models.CASCADE, related_name="results"
    )
    worker = models.ForeignKey(
        "training.Worker",
        verbose_name=_("选手"),
        on_delete=models.PROTECT,
        related_name="competition_results",
    )
    rank = models.PositiveSmallIntegerField(_("名次"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("competition", "rank", "id")
        verbose_name = _("竞赛成绩")
        verbose_name_plural = _("竞赛成绩")
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "worker"], name="result_once_per_worker"
            ),
            models.CheckConstraint(condition=models.Q(rank__gte=1), name="result_rank_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.competition.name} 第{self.rank}名"


class Nomination(BaseModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已推荐")
        WITHDRAWN = "withdrawn", _("已撤回")

    TRANSITIONS: dict[str, frozenset[str]] = {
        "submitted": frozenset({"withdrawn"}),
        "withdrawn": frozenset(),
    }

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("届次"), on_delete=models.PROTECT, related_name="nominations"
    )
    award_kind = models.ForeignKey(AwardKind, verbose_name=_("奖项"), on_delete=models.PROTECT)
    unit = models.ForeignKey(
        NominatingUnit, verbose_name=_("推荐单位"), on_delete=models.PROTECT, related_name="+"
    )
    worker = models.ForeignKey(
        "training.Worker", verbose_name=_("被推荐人"), on_delete=models.PROTECT, related_name="+"
    )
    occupation = models.ForeignKey(
        "training.Occupation", verbose_name=_("职业（工种）"), on_delete=models.PROTECT
    )
    employer = models.CharField(_("工作单位"), max_length=128)
    achievements = models.TextField(_("主要事迹"))
    document = models.FileField(
        _("推荐材料"), upload_to="awards/nominations/%Y/", blank=True, max_length=255
    )
    # Eligibility as found at nomination (also the tie-break data): the best certificate level
    # held (smaller is higher) and the best competition rank, with the reason in words.
    best_level = models.PositiveSmallIntegerField(_("最高证书等级"), null=True, blank=True)
    best_rank = models.PositiveSmallIntegerField(_("最好竞赛名次"), null=True, blank=True)
    eligibility_basis = models.CharField(_("推荐资格"), max_length=255)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("cycle", "award_kind", "created_at", "id")
        verbose_name = _("推荐")
        verbose_name_plural = _("推荐")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "worker"],
                condition=models.Q(status="submitted"),
                name="nomination_once_per_cycle",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["submitted", "withdrawn"]),
                name="nomination_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker.name}（{self.award_kind.name}）"


class Recusal(BaseModel):
    """A committee member's declared conflict: they do not score that nomination."""

    nomination = models.ForeignKey(
        Nomination, verbose_name=_("推荐"), on_delete=models.PROTECT, related_name="recusals"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评审委员"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("回避理由"), max_length=255)
    declared_at = models.DateTimeField(_("申报时间"))

    class Meta:
        verbose_name = _("回避")
        verbose_name_plural = _("回避")
        constraints = [
            models.UniqueConstraint(fields=["nomination", "member"], name="recusal_once"),
            models.CheckConstraint(condition=~models.Q(reason=""), name="recusal_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.member} 回避 {self.nomination}"


class Score(BaseModel):
    nomination = models.ForeignKey(
        Nomination, verbose_name=_("推荐"), on_delete=models.PROTECT, related_name="scores"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评审委员"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    criterion = models.ForeignKey(
        ReviewCriterion, verbose_name=_("评分项"), on_delete=models.PROTECT
    )
    value = models.PositiveSmallIntegerField(_("得分"))

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        constraints = [
            models.UniqueConstraint(
                fields=["nomination", "member", "criterion"], name="score_once_per_criterion"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.name}: {self.value}"


class ScoreSubmission(BaseModel):
    """A member's final submission of all their scores for a cycle; scores are locked after."""

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("届次"), on_delete=models.PROTECT, related_name="submissions"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评审委员"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"))

    class Meta:
        verbose_name = _("评分提交")
        verbose_name_plural = _("评分提交")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member"], name="submission_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.submitted_at:%Y-%m-%d}"


class Winner(BaseModel):
    """A confirmed winner. ``slot`` numbers the winners of an award kind in a cycle from 1 to the
    quota: the database holds each slot once, the service refuses a slot above the quota."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("已确定")
        REVOKED = "revoked", _("已撤销")

    TRANSITIONS: dict[str, frozenset[str]] = {
        "confirmed": frozenset({"revoked"}),
        "revoked": frozenset(),
    }

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("届次"), on_delete=models.PROTECT, related_name="winners"
    )
    award_kind = models.ForeignKey(AwardKind, verbose_name=_("奖项"), on_delete=models.PROTECT)
    nomination = models.OneToOneField(
        Nomination, verbose_name=_("推荐"), on_delete=models.PROTECT, related_name="winner"
    )
    slot = models.PositiveSmallIntegerField(_("序号"))
    mean_score = models.DecimalField(_("评审得分"), max_digits=8, decimal_places=2)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.CONFIRMED
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确定人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_reason = models.CharField(_("撤销原因"), max_length=255, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=128, blank=True)
    account_encrypted = models.TextField(_("账号（密文）"), blank=True, editable=False)
    account_masked = models.CharField(_("账号"), max_length=32, blank=True)
    paid_at = models.DateTimeField(_("奖金拨付时间"), null=True, blank=True)
    paid_amount = models.DecimalField(
        _("已拨付奖金（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ("cycle", "award_kind", "slot")
        verbose_name = _("获奖人")
        verbose_name_plural = _("获奖人")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "award_kind", "slot"],
                condition=models.Q(status="confirmed"),
                name="winner_slot_once",
            ),
            models.CheckConstraint(condition=models.Q(slot__gte=1), name="winner_slot_positive"),
            models.CheckConstraint(
                condition=models.Q(status__in=["confirmed", "revoked"]),
                name="winner_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(paid_at__isnull=True, paid_amount__isnull=True)
                | models.Q(paid_at__isnull=False, paid_amount__gt=Decimal("0")),
                name="winner_paid_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nomination.worker.name}（{self.award_kind.name}）"

    @property
    def has_account(self) -> bool:
        return bool(self.account_encrypted)

"""Skill appraisal "直通车": levels and the rule for registering at each, appraisal bodies and
what they are authorised to appraise, registrations, sittings (考试场次), results and certificates.

The occupation catalogue is training's (``training.Occupation``); this app adds the national
levels and everything that happens from registration to certificate.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class Level(models.IntegerChoices):
    """The five national qualification levels; a smaller number is a higher level."""

    SENIOR_TECHNICIAN = 1, _("高级技师")
    TECHNICIAN = 2, _("技师")
    SENIOR = 3, _("高级工")
    INTERMEDIATE = 4, _("中级工")
    JUNIOR = 5, _("初级工")


# 高技能人才: 高级工 and above (the plan's 7,000 target counts these).
HIGH_SKILLED = frozenset({3, 2, 1})
LEVEL_VALUES = (1, 2, 3, 4, 5)
# The lowest level has nothing below it to require.
LOWEST_LEVEL = 5


class LevelRule(BaseModel):
    """What a worker must show to register for a level (申报条件), kept by 人社 and the office.

    Every requirement that is switched on must be met (they are cumulative); a refusal lists each
    one that is not. An approved "双一" exception lets the worker past the rule.
    """

    level = models.PositiveSmallIntegerField(_("等级"), choices=Level.choices, unique=True)
    requires_lower_certificate = models.BooleanField(
        _("须持有低一级证书"),
        default=False,
        help_text=_("须已取得同一职业（工种）低一级的证书"),
    )
    requires_completed_class = models.BooleanField(
        _("须完成该职业培训"),
        default=False,
        help_text=_("须在已结业的该职业（工种）培训班考核合格"),
    )
    min_years_in_trade = models.PositiveSmallIntegerField(
        _("本职业最少工作年限"), default=0, help_text=_("0 表示不要求；由劳动者报名时申报")
    )

    class Meta:
        ordering = ("-level",)
        verbose_name = _("报名条件")
        verbose_name_plural = _("报名条件")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=LEVEL_VALUES), name="level_rule_level_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(level=LOWEST_LEVEL, requires_lower_certificate=True),
                name="level_rule_lowest_needs_no_lower",
            ),
            models.CheckConstraint(
                condition=models.Q(min_years_in_trade__lte=50), name="level_rule_years_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()}报名条件"


class AppraisalBody(BaseModel):
    """A skill-appraisal institute or station (鉴定所/站). Its staff are 人社 reviewers whose
    accounts are listed here; they see and run only this body's sittings."""

    name = models.CharField(_("鉴定机构名称"), max_length=128, unique=True)
    county = models.ForeignKey(
        "core.County",
        verbose_name=_("所在县（市、区）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    address = models.CharField(_("地址"), max_length=255, blank=True)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("工作人员"),
        blank=True,
        related_name="appraisal_bodies",
    )
    occupations = models.ManyToManyField(
        "training.Occupation",
        verbose_name=_("授权职业（工种）"),
        through="BodyAuthorisation",
        related_name="+",
    )

    class Meta:
        ordering = ("name",)
        verbose_name = _("鉴定机构")
        verbose_name_plural = _("鉴定机构")

    def __str__(self) -> str:
        return self.name


class BodyAuthorisation(BaseModel):
    """An occupation a body may appraise, up to ``max_level`` (the best level; a body authorised
    to 高级工 (3) also appraises 中级工 and 初级工)."""

    body = models.ForeignKey(
        AppraisalBody,
        verbose_name=_("鉴定机构"),
        on_delete=models.CASCADE,
        related_name="authorisations",
    )
    occupation = models.ForeignKey(
        "training.Occupation",
        verbose_name=_("职业（工种）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    max_level = models.PositiveSmallIntegerField(_("最高鉴定等级"), choices=Level.choices)

    class Meta:
        ordering = ("body", "occupation__code")
        verbose_name = _("鉴定授权")
        verbose_name_plural = _("鉴定授权")
        constraints = [
            models.UniqueConstraint(
                fields=["body", "occupation"], name="authorisation_once_per_occupation"
            ),
            models.CheckConstraint(
                condition=models.Q(max_level__in=LEVEL_VALUES),
                name="authorisation_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.body} · {self.occupation}（至{self.get_max_level_display()}）"

    def covers(self, level: int) -> bool:
        return int(level) >= self.max_level


class CertificateKind(models.TextChoices):
    QUALIFICATION = "qualification", _("职业资格证书")
    SPECIAL = "special", _("专项能力证书")
    ENTREPRENEURSHIP = "entrepreneurship", _("创业培训合格证书")


CERTIFICATE_KINDS = ("qualification", "special", "entrepreneurship")


class Sitting(BaseModel):
    """An exam session (考试场次) of one body for one occupation and level."""

    body = models.ForeignKey(
        AppraisalBody,
        verbose_name=_("鉴定机构"),
        on_delete=models.PROTECT,
        related_name="sittings",
    )
    occupation = models.ForeignKey(
        "training.Occupation",
        verbose_name=_("职业（工种）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    level = models.PositiveSmallIntegerField(_("等级"), choices=Level.choices)
    exam_date = models.DateField(_("考试日期"))
    place = models.CharField(_("考试地点"), max_length=255)
    capacity = models.PositiveIntegerField(_("考位数"))
    pass_mark = models.DecimalField(
        _("合格分数线"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("60.0"),
        help_text=_("理论、实操成绩均达到该分数为合格"),
    )
    certificate_kind = models.CharField(
        _("颁发证书类型"),
        max_length=16,
        choices=CertificateKind.choices,
        default=CertificateKind.QUALIFICATION,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("-exam_date", "-id")
        verbose_name = _("考试场次")
        verbose_name_plural = _("考试场次")
        indexes = [models.Index(fields=["body", "exam_date"], name="sitting_body_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=LEVEL_VALUES), name="sitting_level_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gt=0), name="sitting_capacity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(pass_mark__gte=0, pass_mark__lte=100),
                name="sitting_pass_mark_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(certificate_kind__in=CERTIFICATE_KINDS),
                name="sitting_certificate_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.exam_date:%Y-%m-%d} {self.occupation.name}"
            f"（{self.get_level_display()}）· {self.body.name}"
        )


class Registration(BaseModel):
    """A worker's registration for an appraisal ("直通车" 报名), from registration to result.

    Taken online by the worker, at a registration point by its staff, or at the training
    institution straight after a class; ``point`` and ``training_class`` record where.
    """

    class Channel(models.TextChoices):
        ONLINE = "online", _("网上报名")
        POINT = "point", _("报名点报名")
        CLASS = "class", _("培训机构结业报名")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("已报名")
        SCHEDULED = "scheduled", _("已安排考试")
        PASSED = "passed", _("合格")
        FAILED = "failed", _("不合格")
        ABSENT = "absent", _("缺考")
        WITHDRAWN = "withdrawn", _("已撤销")

    OPEN_STATUSES = ("registered", "scheduled")
    RESULT_STATUSES = ("passed", "failed")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.REGISTERED: frozenset({Status.SCHEDULED, Status.WITHDRAWN}),
        # Back to REGISTERED: taken off a sitting before the exam.
        Status.SCHEDULED: frozenset(
            {Status.REGISTERED, Status.PASSED, Status.FAILED, Status.ABSENT, Status.WITHDRAWN}
        ),
        Status.PASSED: frozenset(),
        Status.FAILED: frozenset(),
        Status.ABSENT: frozenset(),
        Status.WITHDRAWN: frozenset(),
    }

    worker = models.ForeignKey(
        "training.Worker",
        verbose_name=_("劳动者"),
        on_delete=models.PROTECT,
        related_name="appraisal_registrations",
    )
    occupation = models.ForeignKey(
        "training.Occupation",
        verbose_name=_("职业（工种）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    level = models.PositiveSmallIntegerField(_("申报等级"), choices=Level.choices)
    channel = models.CharField(_("报名方式"), max_length=16, choices=Channel.choices)
    point = models.ForeignKey(
        "training.RegistrationPoint",
        verbose_name=_("报名点"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appraisal_registrations",
    )
    training_class = models.ForeignKey(
        "training.TrainingClass",
        verbose_name=_("培训班"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appraisal_registrations",
    )
    years_in_trade = models.PositiveSmallIntegerField(_("本职业工作年限"), default=0)
    entrusted_to_claim = models.BooleanField(
        _("委托代为申领鉴定补贴"),
        default=False,
        help_text=_("委托鉴定机构或培训机构代为申领一次性职业技能鉴定补贴"),
    )
    # The level rule was passed by an approved "双一" exception, not by the rule itself.
    by_exception = models.BooleanField(_("“双一”破格/越级"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.REGISTERED
    )
    sitting = models.ForeignKey(
        Sitting,
        verbose_name=_("考试场次"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
    )
    theory_score = models.DecimalField(
        _("理论成绩"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    practical_score = models.DecimalField(
        _("实操成绩"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    result_recorded_at = models.DateTimeField(_("成绩录入时间"), null=True, blank=True)
    result_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("成绩录入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("鉴定报名")
        verbose_name_plural = _("鉴定报名")
        indexes = [
            models.Index(fields=["sitting", "status"], name="registration_sitting_idx"),
            models.Index(fields=["occupation", "level", "status"], name="registration_queue_idx"),
            # The registration list, newest first (the Meta ordering), at city scale.
            models.Index(fields=["-created_at", "-id"], name="registration_recent_idx"),
        ]
        constraints = [
            # One open registration per person, occupation and level.
            models.UniqueConstraint(
                fields=["worker", "occupation", "level"],
                condition=models.Q(status__in=["registered", "scheduled"]),
                name="registration_one_open_per_worker_level",
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=LEVEL_VALUES), name="registration_level_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "registered",
                        "scheduled",
                        "passed",
                        "failed",
                        "absent",
                        "withdrawn",
                    ]
                ),
                name="registration_status_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(channel="online", point__isnull=True, training_class__isnull=True)
                    | models.Q(channel="point", point__isnull=False)
                    | models.Q(channel="class", training_class__isnull=False)
                ),
                name="registration_channel_consistent",
            ),
            # In a sitting exactly while scheduled or once a result is in.
            models.CheckConstraint(
                condition=(
                    models.Q(status__in=["registered", "withdrawn"], sitting__isnull=True)
                    | models.Q(
                        status__in=["scheduled", "passed", "failed", "absent"],
                        sitting__isnull=False,
                    )
                ),
                name="registration_sitting_consistent",
            ),
            # Scores exist exactly for a result (passed or failed).
            models.CheckConstraint(
                condition=(
                    models.Q(
                        status__in=["passed", "failed"],
                        theory_score__isnull=False,
                        practical_score__isnull=False,
                        result_recorded_at__isnull=False,
                    )
                    | (
                        ~models.Q(status__in=["passed", "failed"])
                        & models.Q(theory_score__isnull=True, practical_score__isnull=True)
                    )
                ),
                name="registration_scores_only_with_result",
            ),
            models.CheckConstraint(
                condition=models.Q(theory_score__isnull=True)
                | models.Q(theory_score__gte=0, theory_score__lte=100),
                name="registration_theory_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(practical_score__isnull=True)
                | models.Q(practical_score__gte=0, practical_score__lte=100),
                name="registration_practical_in_range",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.code} {self.worker.name} {self.occupation.name}（{self.get_level_display()}）"
        )

    @property
    def code(self) -> str:
        """报名编号, as printed and as typed in the results sheet."""
        return f"BM{self.pk:08d}" if self.pk else "BM"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class CertificateCounter(models.Model):
    """The last serial used per issuer and year, so certificate numbers are dense and never
    reused; the row is locked while a number is taken."""

    issuer_code = models.CharField(_("发证机构代码"), max_length=16)
    year = models.PositiveSmallIntegerField(_("年度"))
    last_serial = models.PositiveIntegerField(_("已用流水号"), default=0)

    class Meta:
        verbose_name = _("证书流水号")
        verbose_name_plural = _("证书流水号")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer_code", "year"], name="certificate_counter_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issuer_code} {self.year}: {self.last_serial}"


class Certificate(BaseModel):
    """A certificate held by a worker: from an appraisal body's sitting (``registration``) or
    from an enterprise evaluation pilot (which links here from its side). One per worker,
    occupation and level."""

    number = models.CharField(_("证书编号"), max_length=32, unique=True)
    kind = models.CharField(_("证书类型"), max_length=16, choices=CertificateKind.choices)
    worker = models.ForeignKey(
        "training.Worker",
        verbose_name=_("持证人"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    occupation = models.ForeignKey(
        "training.Occupation",
        verbose_name=_("职业（工种）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    level = models.PositiveSmallIntegerField(_("等级"), choices=Level.choices)
    issued_on = models.DateField(_("发证日期"))
    body = models.ForeignKey(
        AppraisalBody,
        verbose_name=_("鉴定机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
    )
    # Shown where no body issued it (an enterprise pilot), and kept as issued for the record.
    issuer_name = models.CharField(_("发证机构"), max_length=128)
    registration = models.OneToOneField(
        Registration,
        verbose_name=_("鉴定报名"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificate",
    )
    training_class = models.ForeignKey(
        "training.TrainingClass",
        verbose_name=_("培训班"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
    )

    class Meta:
        ordering = ("-issued_on", "-id")
        verbose_name = _("证书")
        verbose_name_plural = _("证书")
        indexes = [models.Index(fields=["level", "issued_on"], name="certificate_level_date_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "occupation", "level"], name="certificate_one_per_worker_level"
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=LEVEL_VALUES), name="certificate_level_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=CERTIFICATE_KINDS), name="certificate_kind_valid"
            ),
            # A certificate from a sitting names the body that held it.
            models.CheckConstraint(
                condition=models.Q(registration__isnull=True) | models.Q(body__isnull=False),
                name="certificate_registration_has_body",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.occupation.name}（{self.get_level_display()}）"

    @property
    def is_high_skilled(self) -> bool:
        return self.level in HIGH_SKILLED

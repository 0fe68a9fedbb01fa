"""Training classes (培训班): opening approval, enrollments, inspections, attendance, results,
job referrals and school–enterprise orders ("三定")."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class CooperationOrder(BaseModel):
    """A school–enterprise order (定向、定岗、订单培训) with a yearly target."""

    class Kind(models.TextChoices):
        DIRECTED = "directed", _("定向培训")
        POST = "post", _("定岗培训")
        ORDER = "order", _("订单培训")

    campaign = models.ForeignKey("training.Campaign", on_delete=models.PROTECT)
    enterprise = models.CharField(_("合作企业"), max_length=128)
    institution = models.ForeignKey(
        "training.Institution", verbose_name=_("培训机构"), on_delete=models.PROTECT
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    occupation = models.ForeignKey(
        "training.Occupation", verbose_name=_("职业（工种）"), on_delete=models.PROTECT
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    yearly_target = models.PositiveIntegerField(_("年度目标人数"))

    class Meta:
        ordering = ("year", "enterprise")
        verbose_name = _("“三定”培训订单")
        verbose_name_plural = _("“三定”培训订单")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "institution", "occupation", "year"],
                name="order_unique_per_year",
            ),
            models.CheckConstraint(
                condition=models.Q(yearly_target__gt=0), name="order_target_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise}·{self.occupation}（{self.year}）"


class TrainingClass(BaseModel):
    class Kind(models.TextChoices):
        EMPLOYMENT = "employment", _("就业技能培训")
        ENTREPRENEURSHIP = "entrepreneurship", _("创业培训")
        UPGRADE = "upgrade", _("岗位技能提升培训")
        HIGH_SKILL = "high_skill", _("高技能人才培训")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审批")
        APPROVED = "approved", _("已批准开班")
        REFUSED = "refused", _("未批准")
        CLOSED = "closed", _("已结业")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.DRAFT: frozenset({Status.SUBMITTED}),
        Status.SUBMITTED: frozenset({Status.APPROVED, Status.REFUSED}),
        Status.REFUSED: frozenset({Status.SUBMITTED}),
        Status.APPROVED: frozenset({Status.CLOSED}),
        Status.CLOSED: frozenset(),
    }

    campaign = models.ForeignKey("training.Campaign", on_delete=models.PROTECT)
    code = models.CharField(_("班级编号"), max_length=32, unique=True)
    name = models.CharField(_("班级名称"), max_length=128)
    institution = models.ForeignKey(
        "training.Institution",
        verbose_name=_("培训机构"),
        on_delete=models.PROTECT,
        related_name="classes",
    )
    category = models.ForeignKey(
        "training.TrainingCategory", verbose_name=_("培训类别"), on_delete=models.PROTECT
    )
    occupation = models.ForeignKey(
        "training.Occupation", verbose_name=_("职业（工种）"), on_delete=models.PROTECT
    )
    kind = models.CharField(_("培训类型"), max_length=16, choices=Kind.choices)
    specialty = models.ForeignKey(
        "training.SpecialtyIndustry",
        verbose_name=_("特色产业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    order = models.ForeignKey(
        CooperationOrder,
        verbose_name=_("“三定”订单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="classes",
    )
    on_site = models.BooleanField(_("上门培训"), default=False)
    subsidised = models.BooleanField(_("享受培训补贴"), default=True)
    start_date = models.DateField(_("开班日期"))
    end_date = models.DateField(_("结业日期"))
    planned_sessions = models.PositiveSmallIntegerField(_("计划课次"))
    sessions_held = models.PositiveSmallIntegerField(_("已上课次"), default=0)
    capacity = models.PositiveSmallIntegerField(_("计划人数"))
    teachers = models.CharField(_("授课教师"), max_length=255)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    approval_form = models.FileField(_("开班审批表"), upload_to="classes/forms/", blank=True)
    teaching_plan = models.FileField(_("教学计划"), upload_to="classes/plans/", blank=True)
    roster_file = models.FileField(_("学员花名册"), upload_to="classes/rosters/", blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.TextField(_("审批意见"), blank=True)
    # The seed of the random draw of inspection days, kept so an audit can reproduce it.
    inspection_seed = models.BigIntegerField(_("抽查随机种子"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结业时间"), null=True, blank=True)

    class Meta:
        ordering = ("-start_date", "code")
        verbose_name = _("培训班")
        verbose_name_plural = _("培训班")
        indexes = [
            models.Index(fields=["institution", "status"], name="class_institution_status_idx"),
            models.Index(fields=["category", "end_date"], name="class_category_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="class_dates_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(planned_sessions__gt=0), name="class_sessions_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(sessions_held__lte=models.F("planned_sessions")),
                name="class_held_within_planned",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gt=0), name="class_capacity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["draft", "submitted", "approved", "refused", "closed"]
                ),
                name="class_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Enrollment(BaseModel):
    class Result(models.TextChoices):
        PENDING = "pending", _("未考核")
        PASSED = "passed", _("合格")
        FAILED = "failed", _("不合格")

    campaign = models.ForeignKey("training.Campaign", on_delete=models.PROTECT)
    training_class = models.ForeignKey(
        TrainingClass,
        verbose_name=_("培训班"),
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    worker = models.ForeignKey(
        "training.Worker",
        verbose_name=_("学员"),
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    # Copied from the class: the "one free training per campaign" rule is a DB constraint on it.
    subsidised = models.BooleanField(_("享受培训补贴"))
    sessions_attended = models.PositiveSmallIntegerField(_("出勤课次"), default=0)
    result = models.CharField(
        _("结业考核"), max_length=16, choices=Result.choices, default=Result.PENDING
    )
    result_recorded_at = models.DateTimeField(_("成绩录入时间"), null=True, blank=True)

    class Meta:
        ordering = ("training_class", "id")
        verbose_name = _("学员")
        verbose_name_plural = _("学员")
        constraints = [
            models.UniqueConstraint(
                fields=["training_class", "worker"], name="enrollment_once_per_class"
            ),
            models.UniqueConstraint(
                fields=["campaign", "worker"],
                condition=models.Q(subsidised=True),
                name="enrollment_one_subsidised_per_campaign",
            ),
            models.CheckConstraint(
                condition=models.Q(result__in=["pending", "passed", "failed"]),
                name="enrollment_result_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.training_class.code} · {self.worker.name}"

    def attendance_rate(self, planned_sessions: int) -> Decimal:
        return Decimal(self.sessions_attended) / Decimal(planned_sessions)


class AttendanceRecord(BaseModel):
    """Per-session presence, when the institution enters it session by session; the enrollment's
    ``sessions_attended`` is kept in step by the service (an F() update)."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="attendance_records"
    )
    session_number = models.PositiveSmallIntegerField(_("课次"))
    present = models.BooleanField(_("出勤"))

    class Meta:
        verbose_name = _("考勤记录")
        verbose_name_plural = _("考勤记录")
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "session_number"], name="attendance_once_per_session"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment} 第{self.session_number}次"


class Inspection(BaseModel):
    class Verdict(models.TextChoices):
        GOOD = "good", _("规范")
        ISSUES = "issues", _("存在问题，限期整改")
        SERIOUS = "serious", _("严重违规")

    training_class = models.ForeignKey(
        TrainingClass,
        verbose_name=_("培训班"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    planned_date = models.DateField(_("计划抽查日期"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField(_("检查时间"), null=True, blank=True)
    teaching_progress = models.CharField(_("教学进度"), max_length=255, blank=True)
    content = models.CharField(_("教学内容"), max_length=255, blank=True)
    teacher_present = models.BooleanField(_("教师在岗"), null=True)
    students_present = models.PositiveSmallIntegerField(_("实到人数"), null=True, blank=True)
    students_on_roster = models.PositiveSmallIntegerField(_("花名册人数"), null=True, blank=True)
    findings = models.TextField(_("检查发现"), blank=True)
    verdict = models.CharField(_("结论"), max_length=16, choices=Verdict.choices, blank=True)

    class Meta:
        ordering = ("planned_date",)
        verbose_name = _("随机抽查")
        verbose_name_plural = _("随机抽查")
        constraints = [
            models.UniqueConstraint(
                fields=["training_class", "planned_date"], name="inspection_once_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.training_class.code} 抽查 {self.planned_date}"


class JobReferral(BaseModel):
    """介绍一个就业岗位: the referral every passed trainee gets, and what came of it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待反馈")
        EMPLOYED = "employed", _("已就业")
        SELF_EMPLOYED = "self_employed", _("自主创业")
        NOT_EMPLOYED = "not_employed", _("未就业")

    enrollment = models.OneToOneField(
        Enrollment, verbose_name=_("学员"), on_delete=models.PROTECT, related_name="referral"
    )
    employer = models.CharField(_("推荐单位"), max_length=128)
    post = models.CharField(_("推荐岗位"), max_length=64)
    referred_on = models.DateField(_("推荐日期"))
    outcome = models.CharField(
        _("就业结果"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )
    outcome_on = models.DateField(_("结果日期"), null=True, blank=True)

    class Meta:
        ordering = ("-referred_on",)
        verbose_name = _("就业推荐")
        verbose_name_plural = _("就业推荐")

    def __str__(self) -> str:
        return f"{self.enrollment.worker.name} → {self.employer}"
